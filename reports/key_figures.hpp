// The few figures a reader should take in first, one card each: what guest
// code pays with no hypercalls, what one hypercall costs over each
// transport against the platform floor, what a batched page-table update
// costs per entry against the in-process handler, and how close
// paravirtualized block I/O comes to native. Built from the name grammar;
// suites the cards do not know get one card per baseline (geometric mean).
#pragma once

#include "reports/report_model.hpp"

#include <optional>
#include <string>
#include <vector>

namespace enso::reports {

struct KeyFigure {
    std::string title;              // "Null hypercall, trap"
    std::string value;              // "1.04×", "93 %"
    std::string detail;             // "of the exit floor · 26.8 µs a call"
    std::optional<double> overhead; // as a cost ratio, for shading; empty: not a ratio
    Role baseline = Role::native;   // what the ratio is against
};

std::vector<KeyFigure> key_figures(const ReportModel& model);

} // namespace enso::reports
