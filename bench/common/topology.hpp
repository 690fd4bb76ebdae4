// What the report draws at the end of a run: the domains, the grants between
// them and the event channels, read from the monitor's core (the schema of
// reports/topology.hpp). A suite writes it beside its results file, and
// enso run merges it into results.json.
#pragma once

#include "hvcore/kvm/monitor.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace enso::bench {

nlohmann::json topology_of(kvm::Monitor& monitor);

// Writes `<--benchmark_out path>.topology.json` when the suite was given an
// output file; does nothing otherwise.
void write_topology_beside_results(int argc, char** argv, kvm::Monitor& monitor);

} // namespace enso::bench
