#include "reports/mann_whitney.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace enso::reports {

namespace {

// Beyond this the exact distribution's polynomial gets large and the
// normal approximation is excellent anyway.
constexpr std::size_t kExactLimit = 50;

// Counts of U = 0..n1*n2 over all C(n1+n2, n1) orderings: the coefficients
// of the Gaussian binomial [n1+n2 choose n1]_q = prod_i (1 - q^(n2+i)) / (1 - q^i).
std::vector<double> exact_u_counts(std::size_t n1, std::size_t n2) {
    const std::size_t size = n1 * n2 + 1;
    std::vector<double> c(size + n1 + n2 + 1, 0.0);
    c[0] = 1;
    for (std::size_t i = 1; i <= n1; ++i) {
        const std::size_t up = n2 + i;
        for (std::size_t k = c.size(); k-- > up;) { // multiply by (1 - q^(n2+i))
            c[k] -= c[k - up];
        }
        for (std::size_t k = i; k < c.size(); ++k) { // divide by (1 - q^i)
            c[k] += c[k - i];
        }
    }
    c.resize(size);
    return c;
}

} // namespace

double smallest_possible_p(std::size_t n1, std::size_t n2) {
    if (n1 == 0 || n2 == 0) {
        return 1;
    }
    // log C(n1+n2, n1) via lgamma keeps large sizes finite.
    const double log_choose = std::lgamma(static_cast<double>(n1 + n2 + 1)) -
                              std::lgamma(static_cast<double>(n1 + 1)) -
                              std::lgamma(static_cast<double>(n2 + 1));
    return std::min(1.0, 2.0 * std::exp(-log_choose));
}

MannWhitneyResult mann_whitney_u(std::span<const double> a, std::span<const double> b) {
    MannWhitneyResult r;
    const std::size_t n1 = a.size();
    const std::size_t n2 = b.size();
    if (n1 == 0 || n2 == 0) {
        return r;
    }
    // Midranks of the pooled sample.
    std::vector<std::pair<double, int>> pooled;
    pooled.reserve(n1 + n2);
    for (const double v : a) {
        pooled.emplace_back(v, 0);
    }
    for (const double v : b) {
        pooled.emplace_back(v, 1);
    }
    std::sort(pooled.begin(), pooled.end());
    double rank_sum_a = 0;
    double tie_term = 0; // sum of t^3 - t over groups of ties
    for (std::size_t i = 0; i < pooled.size();) {
        std::size_t j = i;
        while (j < pooled.size() && pooled[j].first == pooled[i].first) {
            ++j;
        }
        const double midrank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
        for (std::size_t k = i; k < j; ++k) {
            if (pooled[k].second == 0) {
                rank_sum_a += midrank;
            }
        }
        const auto t = static_cast<double>(j - i);
        tie_term += t * t * t - t;
        i = j;
    }
    const double dn1 = static_cast<double>(n1);
    const double dn2 = static_cast<double>(n2);
    r.u = rank_sum_a - dn1 * (dn1 + 1) / 2.0;

    if (tie_term == 0 && n1 <= kExactLimit && n2 <= kExactLimit) {
        const auto counts = exact_u_counts(n1, n2);
        const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
        const auto u = static_cast<std::size_t>(std::llround(r.u));
        double below = 0; // P(U <= u)
        for (std::size_t k = 0; k <= u && k < counts.size(); ++k) {
            below += counts[k];
        }
        double above = 0; // P(U >= u)
        for (std::size_t k = u; k < counts.size(); ++k) {
            above += counts[k];
        }
        r.p_value = std::min(1.0, 2.0 * std::min(below, above) / total);
        r.exact = true;
        return r;
    }
    const double n = dn1 + dn2;
    const double mu = dn1 * dn2 / 2.0;
    const double var = dn1 * dn2 / 12.0 * ((n + 1) - tie_term / (n * (n - 1)));
    if (var <= 0) { // every value tied: no evidence of a difference
        r.p_value = 1;
        return r;
    }
    const double z = std::max(0.0, std::abs(r.u - mu) - 0.5) / std::sqrt(var);
    r.p_value = std::min(1.0, std::erfc(z / std::sqrt(2.0)));
    return r;
}

} // namespace enso::reports
