#include "reports/number_format.hpp"

#include <fmt/core.h>

#include <cmath>

namespace enso::reports {

namespace {

std::string bare_ratio(double r) {
    if (!std::isfinite(r)) {
        return "?";
    }
    if (r < 0.1) {
        return fmt::format("{:.2g}", r); // 0.0042, not 0.00
    }
    if (r < 10) {
        return fmt::format("{:.2f}", r);
    }
    if (r < 100) {
        return fmt::format("{:.1f}", r);
    }
    return fmt::format("{:.0f}", r);
}

} // namespace

std::string format_ratio(double ratio) {
    return bare_ratio(ratio) + "×";
}

std::string format_ratio_spread(const Ratio& r) {
    if (!r.low || !r.high) {
        return "";
    }
    return bare_ratio(*r.low) + "–" + bare_ratio(*r.high);
}

std::string format_ratio_with_spread(const Ratio& r) {
    const auto spread = format_ratio_spread(r);
    return spread.empty() ? format_ratio(r.value) : format_ratio(r.value) + " (" + spread + ")";
}

std::string format_number(double v) {
    if (!std::isfinite(v)) {
        return "?";
    }
    const double a = std::abs(v);
    if (a == 0) {
        return "0";
    }
    if (a >= 1000) {
        return fmt::format("{:.0f}", v);
    }
    if (a >= 100) {
        return fmt::format("{:.0f}", v);
    }
    if (a >= 10) {
        return fmt::format("{:.1f}", v);
    }
    if (a >= 1) {
        return fmt::format("{:.2f}", v);
    }
    if (a >= 0.01) {
        return fmt::format("{:.3f}", v);
    }
    return fmt::format("{:.2g}", v);
}

std::string format_ns(double ns) {
    if (!std::isfinite(ns)) {
        return "?";
    }
    const double a = std::abs(ns);
    if (a >= 1e9) {
        return format_number(ns / 1e9) + " s";
    }
    if (a >= 1e6) {
        return format_number(ns / 1e6) + " ms";
    }
    if (a >= 1e3) {
        return format_number(ns / 1e3) + " µs";
    }
    return format_number(ns) + " ns";
}

std::string format_ns(const std::optional<double>& ns) {
    return ns ? format_ns(*ns) : "—";
}

std::string format_percent_change(double change) {
    const double pct = change * 100.0;
    if (std::abs(pct) < 0.05) {
        return "±0.0 %";
    }
    return fmt::format("{}{:.1f} %", pct > 0 ? "+" : "−", std::abs(pct));
}

std::string format_p_value(double p) {
    if (p < 0.0001) {
        return "< 0.0001";
    }
    return fmt::format("{:.4f}", p);
}

} // namespace enso::reports
