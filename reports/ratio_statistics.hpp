// The ratio of two twins' costs with its spread. The figure is the ratio of
// the medians. The spread is the interquartile range of every pairwise
// ratio of repetitions (guest_i / baseline_j), which needs no assumption
// about the distributions; with only aggregates in the file, the two cvs
// are combined instead; with one repetition each there is no spread.
#pragma once

#include "reports/results_file.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace enso::reports {

// A run's cost: lower is better. Time per iteration, or for I/O entries
// that carry MBps on both sides, the inverse throughput (so a ratio of 2
// means half the throughput, as it means twice the time).
struct Cost {
    std::vector<double> samples; // per repetition; empty with only aggregates
    std::optional<double> median;
    std::optional<double> cv;
    int repetitions = 0;
};

enum class CostMetric { time, inverse_throughput };

Cost cost_of(const BenchmarkRun& run, CostMetric metric);

// MBps when both sides have it, else time.
CostMetric metric_for(const BenchmarkRun& a, const BenchmarkRun& b);

enum class SpreadMethod { none, pairwise_iqr, combined_cv };
std::string_view spread_method_name(SpreadMethod method);

struct Ratio {
    double value = 0;
    std::optional<double> low;
    std::optional<double> high;
    SpreadMethod method = SpreadMethod::none;
    int n_numerator = 0;
    int n_denominator = 0;
};

// Empty when either median is missing or the denominator is not positive.
std::optional<Ratio> ratio_of(const Cost& numerator, const Cost& denominator);

} // namespace enso::reports
