// The Mann-Whitney U test, two-sided: do two sets of repetitions come from
// the same distribution? Google Benchmark's compare.py decides
// significance with it; so do we. Exact distribution when there are no
// ties and both samples are small enough, else the normal approximation
// with tie and continuity corrections (as scipy's mannwhitneyu).
#pragma once

#include <cstddef>
#include <span>

namespace enso::reports {

struct MannWhitneyResult {
    double u = 0;       // U of the first sample
    double p_value = 1; // two-sided
    bool exact = false;
};

MannWhitneyResult mann_whitney_u(std::span<const double> a, std::span<const double> b);

// The smallest two-sided p-value the exact test can give with these sample
// sizes, 2 / C(n1 + n2, n1): with 3 against 3 repetitions it is 0.1, so no
// difference can be called significant at 0.05 however large it is.
double smallest_possible_p(std::size_t n1, std::size_t n2);

} // namespace enso::reports
