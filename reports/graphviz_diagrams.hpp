// The report's diagrams, drawn by Graphviz (dot -Tsvg): the domains, grant
// mappings and event channels at the end of a run, the verification
// summary, and the counterexample pictures `enso verify` left (SVG files
// are taken as they are, .dot files are drawn).
#pragma once

#include "reports/figure.hpp"
#include "reports/topology.hpp"
#include "reports/verification_summary.hpp"

#include <string>
#include <vector>

namespace enso::reports {

// DOT sources, exposed for tests.
std::string topology_dot(const Topology& topology);
std::string verification_dot(const VerificationSummary& summary);

Figure draw_topology(const std::optional<Topology>& topology, const std::string& dot = "dot");
Figure draw_verification(const VerificationSummary& summary, const std::string& dot = "dot");
// One figure per counterexample file of a failed (or any) handler.
std::vector<Figure> counterexample_figures(const VerificationSummary& summary,
                                           const std::string& dot = "dot");

} // namespace enso::reports
