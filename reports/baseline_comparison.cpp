#include "reports/baseline_comparison.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <map>

namespace enso::reports {

std::string_view verdict_name(Verdict verdict) {
    switch (verdict) {
    case Verdict::significant:
        return "significant";
    case Verdict::not_significant:
        return "not significant";
    case Verdict::too_few_repetitions:
        return "too few repetitions";
    }
    return "too few repetitions";
}

namespace {

BaselineChange compare_one(const BenchmarkRun& cur, const BenchmarkRun& base, double alpha) {
    BaselineChange c;
    c.run_name = cur.run_name;
    c.baseline_ns = base.median_ns();
    c.current_ns = cur.median_ns();
    c.baseline_repetitions = base.repetition_count();
    c.current_repetitions = cur.repetition_count();
    if (c.baseline_ns && c.current_ns && *c.baseline_ns > 0) {
        c.change = *c.current_ns / *c.baseline_ns - 1.0;
    }
    const auto& a = base.samples();
    const auto& b = cur.samples();
    if (cur.skipped || base.skipped) {
        c.why = "skipped in one of the runs";
        return c;
    }
    if (a.size() < 2 || b.size() < 2) {
        c.why = (a.empty() || b.empty()) && (base.repetitions >= 2 || cur.repetitions >= 2)
                    ? "only aggregates recorded: the test needs every repetition"
                    : fmt::format("{} vs {} repetitions: the test needs at least 2 each", a.size(),
                                  b.size());
        return c;
    }
    c.test = mann_whitney_u(a, b);
    const double floor_p = smallest_possible_p(a.size(), b.size());
    if (floor_p >= alpha && c.test->p_value >= alpha) {
        c.why = fmt::format("{} vs {} repetitions: p can be no lower than {:.3g}", a.size(),
                            b.size(), floor_p);
        return c;
    }
    c.verdict = c.test->p_value < alpha ? Verdict::significant : Verdict::not_significant;
    return c;
}

} // namespace

BaselineComparison compare_with_baseline(const std::vector<const BenchmarkRun*>& current,
                                         const std::vector<const BenchmarkRun*>& baseline,
                                         double alpha) {
    BaselineComparison out;
    std::map<std::string, const BenchmarkRun*> base_by_name;
    for (const auto* b : baseline) {
        base_by_name.emplace(b->run_name, b);
    }
    std::map<std::string, bool> seen;
    for (const auto* cur : current) {
        auto it = base_by_name.find(cur->run_name);
        if (it == base_by_name.end()) {
            out.only_in_current.push_back(cur->run_name);
            continue;
        }
        seen[cur->run_name] = true;
        out.changes.push_back(compare_one(*cur, *it->second, alpha));
    }
    // What a reader looks for first: the changes that are real.
    std::stable_partition(out.changes.begin(), out.changes.end(), [](const BaselineChange& c) {
        return c.verdict == Verdict::significant;
    });
    for (const auto* b : baseline) {
        if (!seen.contains(b->run_name)) {
            out.only_in_baseline.push_back(b->run_name);
        }
    }
    return out;
}

} // namespace enso::reports
