#include "reports/ratio_statistics.hpp"

#include "reports/sample_statistics.hpp"

#include <algorithm>
#include <cmath>

namespace enso::reports {

Cost cost_of(const BenchmarkRun& run, CostMetric metric) {
    Cost c;
    c.repetitions = run.repetition_count();
    if (metric == CostMetric::time) {
        c.samples = run.samples();
        c.median = run.median_ns();
        c.cv = run.cv();
        return c;
    }
    for (const double v : run.counter_values("MBps")) {
        if (v > 0) {
            c.samples.push_back(1.0 / v);
        }
    }
    if (!c.samples.empty()) {
        c.median = summarize(c.samples).median;
    } else if (auto mbps = run.counter("MBps"); mbps && *mbps > 0) {
        c.median = 1.0 / *mbps;
    }
    c.cv = run.cv(); // of time: the closest thing the aggregates carry
    return c;
}

CostMetric metric_for(const BenchmarkRun& a, const BenchmarkRun& b) {
    const auto ma = a.counter("MBps");
    const auto mb = b.counter("MBps");
    return ma && mb && *ma > 0 && *mb > 0 ? CostMetric::inverse_throughput : CostMetric::time;
}

std::string_view spread_method_name(SpreadMethod method) {
    switch (method) {
    case SpreadMethod::none:
        return "none (one repetition)";
    case SpreadMethod::pairwise_iqr:
        return "IQR of pairwise ratios of repetitions";
    case SpreadMethod::combined_cv:
        return "combined cv of the aggregates";
    }
    return "none";
}

std::optional<Ratio> ratio_of(const Cost& numerator, const Cost& denominator) {
    if (!numerator.median || !denominator.median || *denominator.median <= 0 ||
        !std::isfinite(*numerator.median)) {
        return std::nullopt;
    }
    Ratio r;
    r.value = *numerator.median / *denominator.median;
    r.n_numerator = numerator.repetitions;
    r.n_denominator = denominator.repetitions;
    if (numerator.samples.size() >= 2 && denominator.samples.size() >= 2) {
        std::vector<double> pairwise;
        pairwise.reserve(numerator.samples.size() * denominator.samples.size());
        for (const double n : numerator.samples) {
            for (const double d : denominator.samples) {
                if (d > 0) {
                    pairwise.push_back(n / d);
                }
            }
        }
        if (!pairwise.empty()) {
            r.method = SpreadMethod::pairwise_iqr;
            r.low = std::min(quantile(pairwise, 0.25), r.value);
            r.high = std::max(quantile(pairwise, 0.75), r.value);
        }
    } else if (numerator.cv && denominator.cv &&
               (numerator.repetitions >= 2 || denominator.repetitions >= 2)) {
        // Relative errors of a quotient add in quadrature.
        const double rel = std::hypot(*numerator.cv, *denominator.cv);
        r.method = SpreadMethod::combined_cv;
        r.low = r.value * std::max(0.0, 1.0 - rel);
        r.high = r.value * (1.0 + rel);
    }
    return r;
}

} // namespace enso::reports
