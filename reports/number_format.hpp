// How numbers read in a report: ratios as "1.03×", times with a unit that
// keeps three significant digits, changes as signed percentages.
#pragma once

#include "reports/ratio_statistics.hpp"

#include <optional>
#include <string>

namespace enso::reports {

std::string format_ratio(double ratio);                 // 1.03×, 12.4×, 240×
std::string format_ratio_spread(const Ratio& r);        // "1.01–1.05" or "" without a spread
std::string format_ratio_with_spread(const Ratio& r);   // "1.03× (1.01–1.05)"
std::string format_ns(double ns);                       // 812 ns, 3.41 µs, 25.0 ms
std::string format_ns(const std::optional<double>& ns); // "—" when empty
std::string format_percent_change(double change);       // +4.2 %, −0.3 %
std::string format_number(double v);                    // 3 significant digits, no unit
std::string format_p_value(double p);                   // 0.0021, < 0.0001

} // namespace enso::reports
