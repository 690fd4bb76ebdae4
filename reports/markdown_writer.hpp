// The report as Markdown (report.md), for a terminal, a pull request or a
// wiki: the same sections as the HTML page, charts and diagrams linked as
// the SVG files written beside it.
#pragma once

#include "reports/figure.hpp"
#include "reports/report_model.hpp"

#include <string>

namespace enso::reports {

std::string render_markdown(const ReportModel& model, const FigureSet& figures);

} // namespace enso::reports
