// The report's charts, drawn by gnuplot (terminal svg) from the model:
// overhead bars with spread, cost per entry against batch size, I/O
// throughput and latency per path, exits per operation. A chart with no
// data in this run, or that gnuplot could not draw, comes back with a note
// instead of an SVG.
#pragma once

#include "reports/figure.hpp"
#include "reports/report_model.hpp"

#include <string>
#include <vector>

namespace enso::reports {

// The gnuplot scripts, self-contained (data in datablocks): one per chart,
// empty when the run has nothing to draw. Exposed for tests.
std::string overhead_chart_script(const ReportModel& model);
std::string exits_chart_script(const ReportModel& model);
// Block I/O, one chart per panel (seqread, seqwrite, random, engines): pairs
// of (panel, script).
std::vector<std::pair<std::string, std::string>>
blk_throughput_chart_scripts(const ReportModel& model);
std::vector<std::pair<std::string, std::string>>
blk_latency_chart_scripts(const ReportModel& model);
// One per batched operation (mmu_update/N ...): pairs of (operation, script).
std::vector<std::pair<std::string, std::string>> batch_cost_chart_scripts(const ReportModel& model);

// Draws every chart with the given gnuplot executable.
std::vector<Figure> draw_charts(const ReportModel& model, const std::string& gnuplot = "gnuplot");

} // namespace enso::reports
