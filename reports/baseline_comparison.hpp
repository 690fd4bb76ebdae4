// The change of every benchmark against a baseline results file, and
// whether it is significant given the repetitions: a two-sided
// Mann-Whitney U test on the per-repetition times at alpha = 0.05, as
// Google Benchmark's compare.py does.
#pragma once

#include "reports/mann_whitney.hpp"
#include "reports/results_file.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enso::reports {

enum class Verdict { significant, not_significant, too_few_repetitions };
std::string_view verdict_name(Verdict verdict);

inline constexpr double kSignificanceAlpha = 0.05;
// compare.py's advice: fewer repetitions give an unreliable test.
inline constexpr int kRecommendedRepetitions = 9;

struct BaselineChange {
    std::string run_name;
    std::optional<double> baseline_ns; // medians
    std::optional<double> current_ns;
    std::optional<double> change; // current / baseline - 1: +0.10 is 10% slower
    int baseline_repetitions = 0;
    int current_repetitions = 0;
    std::optional<MannWhitneyResult> test;
    Verdict verdict = Verdict::too_few_repetitions;
    std::string why; // for too_few_repetitions: what was missing
};

struct BaselineComparison {
    std::vector<BaselineChange> changes;       // in both runs: significant first, then run order
    std::vector<std::string> only_in_current;  // new benchmarks
    std::vector<std::string> only_in_baseline; // benchmarks gone
};

BaselineComparison compare_with_baseline(const std::vector<const BenchmarkRun*>& current,
                                         const std::vector<const BenchmarkRun*>& baseline,
                                         double alpha = kSignificanceAlpha);

} // namespace enso::reports
