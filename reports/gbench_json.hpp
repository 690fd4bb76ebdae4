// Google Benchmark writes non-finite counters as bare NaN, Infinity and
// -Infinity (a counter divided by zero time, say), which JSON does not
// have. This turns them into null outside strings, so the rest of the file
// still parses and the counter simply reads as absent.
#pragma once

#include <string>
#include <string_view>

namespace enso::reports {

std::string nonfinite_to_null(std::string_view json_text);

} // namespace enso::reports
