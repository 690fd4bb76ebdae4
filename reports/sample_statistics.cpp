#include "reports/sample_statistics.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace enso::reports {

double quantile(std::span<const double> values, double q) {
    if (values.empty()) {
        return 0;
    }
    std::vector<double> sorted(values.begin(), values.end());
    std::sort(sorted.begin(), sorted.end());
    const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(sorted.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = std::min(lo + 1, sorted.size() - 1);
    const double frac = pos - static_cast<double>(lo);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

SampleSummary summarize(std::span<const double> values) {
    SampleSummary s;
    s.n = values.size();
    if (values.empty()) {
        return s;
    }
    const auto [mn, mx] = std::minmax_element(values.begin(), values.end());
    s.min = *mn;
    s.max = *mx;
    s.median = quantile(values, 0.5);
    s.q1 = quantile(values, 0.25);
    s.q3 = quantile(values, 0.75);
    return s;
}

double geometric_mean(std::span<const double> values) {
    double log_sum = 0;
    std::size_t n = 0;
    for (const double v : values) {
        if (v > 0 && std::isfinite(v)) {
            log_sum += std::log(v);
            ++n;
        }
    }
    return n == 0 ? 0 : std::exp(log_sum / static_cast<double>(n));
}

} // namespace enso::reports
