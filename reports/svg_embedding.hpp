// Makes a standalone SVG (as gnuplot and dot write it) safe to inline in
// an HTML page beside others: drops the XML prolog, DOCTYPE and comments,
// and prefixes every id and reference so two charts' "gpPt0" or "node1"
// cannot collide.
#pragma once

#include <string>
#include <string_view>

namespace enso::reports {

std::string embeddable_svg(std::string_view svg, std::string_view id_prefix);

// Whether the text looks like an SVG document (starts an <svg> element).
bool looks_like_svg(std::string_view text);

} // namespace enso::reports
