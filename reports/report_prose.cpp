#include "reports/report_prose.hpp"

#include "reports/number_format.hpp"
#include "reports/sample_statistics.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <string_view>

namespace enso::reports {

namespace {} // namespace

std::vector<std::string> headline_sentences(const ReportModel& m) {
    std::vector<std::string> out;
    if (m.headline.empty()) {
        if (m.runs.empty()) {
            out.emplace_back("This results file holds no benchmarks: nothing was measured.");
        } else {
            out.push_back(fmt::format(
                "{} benchmarks measured, none of them a guest figure with a twin: there is no "
                "overhead against bare metal to show yet (the in-process figures are listed "
                "under All measurements).",
                m.measured_count()));
        }
    } else {
        out.push_back(fmt::format("{} guest figures, each against the twins measured in the same "
                                  "run.",
                                  m.headline.size()));
    }
    if (!m.skipped.empty()) {
        std::string reason = m.skipped.front().reason;
        // "skipped: /dev/kvm ..." reads twice after "were skipped".
        for (const char* prefix : {"skipped: ", "Skipped: ", "skipped ", "Skipped "}) {
            if (reason.starts_with(prefix)) {
                reason.erase(0, std::string_view(prefix).size());
                break;
            }
        }
        out.push_back(fmt::format(
            "{} skipped{}{}.",
            m.skipped.size() == 1 ? "1 benchmark or suite was"
                                  : fmt::format("{} benchmarks or suites were", m.skipped.size()),
            reason.empty() ? "" : ": ", reason));
    }
    return out;
}

std::string run_spread(const BenchmarkRun& run) {
    if (run.samples().size() >= 2) {
        const auto s = summarize(run.samples());
        return fmt::format("IQR {}–{}", format_ns(s.q1), format_ns(s.q3));
    }
    if (const auto cv = run.cv(); cv && run.repetition_count() >= 2) {
        return fmt::format("cv {:.1f} %", *cv * 100);
    }
    return "";
}

std::string run_counters(const BenchmarkRun& run) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : run.counter_samples) {
        keys.push_back(k);
    }
    for (const auto& [k, v] : run.counter_medians) {
        if (!run.counter_samples.contains(k)) {
            keys.push_back(k);
        }
    }
    std::string out;
    for (const auto& k : keys) {
        // Rates Google Benchmark derives are noise next to the time itself.
        if (k == "items_per_second" || k == "bytes_per_second") {
            continue;
        }
        out += fmt::format("{}{} {}", out.empty() ? "" : ", ", k, format_number(*run.counter(k)));
    }
    return out;
}

std::vector<std::string> method_notes(const ReportModel& m) {
    std::vector<std::string> notes = {
        "Every ratio is a guest figure divided by its twin measured in the same run: the same "
        "workload as a native host process (bare metal), the platform floor (a bare exit or ring "
        "round trip that does no core work), or the core's handler called in-process. Twins "
        "share <suite>/<operation>/<parameters> and differ in the last name component.",
        "Figures are medians of the repetitions (real time; guest time for guest entries). The "
        "spread of a ratio is the interquartile range of all pairwise ratios of repetitions; "
        "with only aggregates in the file it is the two coefficients of variation combined; with "
        "one repetition there is none. For block I/O with MBps on both sides, ratios compare "
        "throughput (native MB/s over guest MB/s), so above 1× is slower there too.",
    };
    if (m.comparison) {
        notes.push_back(fmt::format(
            "Changes against the baseline are tested as Google Benchmark's compare.py does: a "
            "two-sided Mann-Whitney U test on the per-repetition times, significant when p < "
            "{}. With few repetitions the test cannot reach that level however large the change "
            "(3 against 3 can give no p below 0.1); compare.py recommends {} or more.",
            kSignificanceAlpha, kRecommendedRepetitions));
    }
    return notes;
}

std::string ratio_grade(double ratio, Role baseline) {
    double good = 1.05;
    double fair = 1.5;
    if (baseline == Role::floor) {
        good = 1.10;
        fair = 2.0;
    } else if (baseline == Role::inprocess) {
        good = 3.0;
        fair = 10.0;
    }
    if (ratio <= good) {
        return "good";
    }
    return ratio <= fair ? "fair" : "poor";
}

std::string xtf_intro(const XtfSummary& xtf) {
    return fmt::format("XTF is Xen's own regression and XSA proof-of-concept suite: small "
                       "unmodified PV kernels, each booted on Enso{}{} and judged as xtf-runner "
                       "judges them, {} s in all (from {}).",
                       xtf.environment.empty() ? "" : " as a " + xtf.environment + " guest",
                       xtf.transport.empty() ? "" : " over the " + xtf.transport + " transport",
                       format_number(xtf.total_seconds()), xtf.path.string());
}

std::string xtf_run_title(const XtfSummary& xtf) {
    if (xtf.transport.empty()) {
        return "From " + xtf.path.filename().string();
    }
    return "Over the " + xtf.transport + " transport";
}

std::string xtf_columns_note() {
    return "Exits: returns from KVM_RUN to the monitor during the run; exceptions: the guest's "
           "exceptions that reached the monitor. A regression is a result other than the "
           "expected one (`enso xtf --expected`, xtf/expected-pv64.json) that is not a SUCCESS.";
}

} // namespace enso::reports
