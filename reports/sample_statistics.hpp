// Descriptive statistics of a benchmark's repetitions: median, quartiles,
// extremes. Medians, not means: one preempted repetition must not move the
// figure a report leads with.
#pragma once

#include <cstddef>
#include <span>

namespace enso::reports {

struct SampleSummary {
    std::size_t n = 0;
    double median = 0;
    double q1 = 0; // 25th percentile
    double q3 = 0; // 75th percentile
    double min = 0;
    double max = 0;
};

// Linear interpolation between order statistics (R's type 7, numpy's
// default), q in [0, 1]. Returns 0 for an empty sample.
double quantile(std::span<const double> values, double q);

SampleSummary summarize(std::span<const double> values);

// Geometric mean of positive values (ratios are averaged on a log scale);
// 0 when there are none.
double geometric_mean(std::span<const double> values);

} // namespace enso::reports
