// The report as one self-contained HTML page: CSS inline, every SVG inlined
// (ids prefixed so charts cannot collide), no script, nothing fetched; it
// opens from disk. Sections carry stable ids (headline, charts, blk,
// claims, baseline, verification, topology, measurements, skipped, method).
#pragma once

#include "reports/figure.hpp"
#include "reports/report_model.hpp"

#include <string>

namespace enso::reports {

std::string render_html(const ReportModel& model, const FigureSet& figures);

// &, <, >, " and ' as entities.
std::string html_escape(std::string_view text);

} // namespace enso::reports
