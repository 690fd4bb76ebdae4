#include "reports/markdown_writer.hpp"

#include "reports/key_figures.hpp"
#include "reports/number_format.hpp"
#include "reports/report_prose.hpp"

#include <fmt/core.h>

namespace enso::reports {

namespace {

// A table cell: pipes would end it, newlines would end the row.
std::string cell(std::string_view s) {
    std::string out;
    for (const char c : s) {
        if (c == '|') {
            out += "\\|";
        } else if (c == '\n') {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

std::string ratio_text(const TwinRatio* r) {
    return r == nullptr ? "—" : format_ratio_with_spread(r->ratio);
}

std::string figure_md(const Figure& f) {
    std::string s = "### " + f.title + "\n\n";
    if (f.drawn()) {
        s += fmt::format("![{}]({})\n\n{}\n\n", f.title, f.file_name(), f.caption);
    } else {
        s += "> " + f.note + "\n\n";
    }
    return s;
}

std::string claims_md(const std::vector<ClaimCheck>& claims) {
    std::string s = "| source | claim | stand-in here | measured here | status |\n"
                    "|---|---|---|---|---|\n";
    for (const auto& c : claims) {
        s += fmt::format("| {} | {} | {} | {} | {} |\n", cell(c.source), cell(c.claim),
                         cell(c.comparable), cell(c.measured), claim_status_name(c.status));
    }
    return s + "\n";
}

std::string title_md(const ReportModel& m) {
    std::string s = "# Enso: what paravirtualization costs here\n\n";
    const auto date = m.title_date();
    if (!date.empty()) {
        s += "Run of " + date + ". ";
    }
    s += fmt::format("{} benchmarks measured.\n\n", m.measured_count());
    for (const auto& h : m.hosts) {
        s += "**" + h.headline + "**\n\n" + h.bare_metal_meaning + "\n\n";
    }
    return s;
}

std::string headline_md(const ReportModel& m) {
    std::string s = "## Headline: overhead against bare metal\n\n";
    for (const auto& k : key_figures(m)) {
        s += fmt::format("- **{}: {}** {}\n", k.title, k.value, k.detail);
    }
    s += "\n";
    for (const auto& line : headline_sentences(m)) {
        s += line + "\n";
    }
    s += "\n";
    if (m.headline.empty()) {
        return s;
    }
    s += "| suite | workload | guest | vs native (bare metal) | vs floor | vs in-process | "
         "guest median | exits/op |\n|---|---|---|---:|---:|---:|---:|---:|\n";
    for (const auto& row : m.headline) {
        auto exits = row.guest->counter("exits_per_op");
        if (!exits) {
            exits = row.guest->counter("exits_per_io");
        }
        s +=
            fmt::format("| {} | {} | `{}` | {} | {} | {} | {} | {} |\n", cell(row.group->suite),
                        cell(row.group->workload), row.guest->name->mode, ratio_text(row.vs_native),
                        ratio_text(row.vs_floor), ratio_text(row.vs_inprocess),
                        format_ns(row.guest->median_ns()), exits ? format_number(*exits) : "—");
    }
    s += "\nRatios are guest cost over twin cost (1.00× = no overhead), with the "
         "interquartile spread in parentheses.\n\n";
    return s;
}

std::string charts_md(const FigureSet& figs) {
    std::string s = "## Charts\n\n";
    for (const auto& f : figs.charts) {
        s += figure_md(f);
    }
    return s;
}

std::string blk_row_md(const TwinGroup& g, const BenchmarkRun& r) {
    auto c = [&r](const char* k) {
        const auto v = r.counter(k);
        return v ? format_number(*v) : std::string("—");
    };
    const auto ok = r.counter("integrity_ok");
    return fmt::format("| {} | `{}` | {} | {} | {} | {} | {} | {} | {} |\n", cell(g.workload),
                       r.name->mode, c("MBps"), c("IOPS"), c("lat_p50_us"), c("lat_p99_us"),
                       c("exits_per_io"), c("host_cpu_us_per_io"),
                       ok ? (*ok >= 1 ? "ok" : "**FAILED**") : "—");
}

// Empty when no block_io suite measured anything.
std::string blk_md(const ReportModel& m) {
    std::string rows;
    for (const auto& g : m.groups) {
        if (g.kind() != SuiteKind::block_io) {
            continue;
        }
        for (const auto* r : g.members) {
            if (!r->skipped) {
                rows += blk_row_md(g, *r);
            }
        }
    }
    if (rows.empty()) {
        return "";
    }
    return "## Block I/O per path\n\n| workload | path | MB/s | IOPS | p50 µs | p99 µs | "
           "exits/I/O | host CPU µs/I/O | integrity |\n"
           "|---|---|---:|---:|---:|---:|---:|---:|---|\n" +
           rows + "\n";
}

std::string baseline_md(const ReportModel& m) {
    if (!m.comparison) {
        return "";
    }
    std::string s =
        "## Change against the baseline\n\nBaseline: `" + m.baseline->path.string() +
        "`. Positive changes are slower; two-sided Mann-Whitney U test on the repetitions, "
        "significant when p < 0.05.\n\n| benchmark | baseline | now | change | p | "
        "repetitions | verdict |\n|---|---:|---:|---:|---:|---:|---|\n";
    for (const auto& ch : m.comparison->changes) {
        s += fmt::format("| `{}` | {} | {} | {} | {} | {} / {} | {}{} |\n",
                         strip_benchmark_suffixes(ch.run_name), format_ns(ch.baseline_ns),
                         format_ns(ch.current_ns),
                         ch.change ? format_percent_change(*ch.change) : "—",
                         ch.test ? format_p_value(ch.test->p_value) : "—", ch.baseline_repetitions,
                         ch.current_repetitions, verdict_name(ch.verdict),
                         ch.why.empty() ? "" : " (" + cell(ch.why) + ")");
    }
    return s + "\n";
}

std::string verification_md(const ReportModel& m, const FigureSet& figs) {
    if (!m.verification) {
        return "";
    }
    const auto& v = *m.verification;
    std::string s = fmt::format(
        "## Verification\n\n{} handlers: {} proved, {} failed, {} unknown, in {} "
        "s.\n\n| handler | result | paths | seconds |\n|---|---|---:|---:|\n",
        v.handlers.size(), v.count(VerifyOutcome::proved), v.count(VerifyOutcome::failed),
        v.count(VerifyOutcome::unknown), format_number(v.total_seconds()));
    for (const auto& h : v.handlers) {
        s += fmt::format("| `{}` | {} | {} | {} |\n", h.handler, cell(h.result),
                         h.paths ? std::to_string(*h.paths) : "—",
                         h.seconds ? format_number(*h.seconds) : "—");
    }
    s += "\n";
    if (figs.verification) {
        s += figure_md(*figs.verification);
    }
    for (const auto& f : figs.counterexamples) {
        s += figure_md(f);
    }
    return s;
}

// One `enso xtf` run, with the reason for each test that did not succeed;
// the console stays in the JSON (and in the HTML page), too long for a table.
std::string xtf_run_md(const XtfSummary& x) {
    std::string s = x.summary_line() + ".\n\n" + xtf_intro(x) +
                    "\n\n| test | result | reason | seconds | exits | exceptions "
                    "|\n|---|---|---|---:|---:|---:|\n";
    auto count = [](const std::optional<std::uint64_t>& n) {
        return n ? std::to_string(*n) : std::string("—");
    };
    for (const auto& t : x.tests) {
        std::string result = t.verdict == XtfVerdict::success ? t.result : "**" + t.result + "**";
        if (t.regression) {
            result += " (regression" + (t.expected.empty() ? "" : ": expected " + t.expected) + ")";
        } else if (t.better_than_expected()) {
            result += " (better than expected " + t.expected + ")";
        }
        s += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", t.test, cell(result),
                         t.verdict == XtfVerdict::success ? "" : cell(t.reason),
                         t.seconds ? format_number(*t.seconds) : "—", count(t.exits),
                         count(t.exceptions));
    }
    return s + "\n";
}

// Xen's own tests booted on Enso, one table per transport run.
std::string xtf_md(const ReportModel& m) {
    if (m.xtf.empty()) {
        return "";
    }
    std::string s = "## Xen Test Framework (XTF) on Enso\n\n";
    for (const auto& x : m.xtf) {
        if (m.xtf.size() > 1) {
            s += "### " + xtf_run_title(x) + "\n\n";
        }
        s += xtf_run_md(x);
    }
    return s + xtf_columns_note() + "\n\n";
}

std::string claims_section_md(const ReportModel& m) {
    return "## Published claims and Enso's targets\n\n" + claims_md(m.published_claims) +
           "### Enso's targets (issues #3 and #5)\n\n" + claims_md(m.targets);
}

std::string measurements_md(const ReportModel& m) {
    std::string s = "## All measurements\n\n| benchmark | median | spread | reps | counters |\n"
                    "|---|---:|---:|---:|---|\n";
    for (const auto* r : m.runs) {
        if (!r->skipped) {
            s += fmt::format("| `{}` | {} | {} | {} | {} |\n",
                             strip_benchmark_suffixes(r->run_name), format_ns(r->median_ns()),
                             run_spread(*r), r->repetition_count(), cell(run_counters(*r)));
        }
    }
    return s + "\n";
}

std::string skipped_md(const ReportModel& m) {
    if (m.skipped.empty()) {
        return "";
    }
    std::string s = "## Skipped\n\n| what | why |\n|---|---|\n";
    for (const auto& k : m.skipped) {
        s += fmt::format("| `{}` | {} |\n", strip_benchmark_suffixes(k.what), cell(k.reason));
    }
    return s + "\n";
}

std::string host_and_method_md(const ReportModel& m) {
    std::string s = "## Host and method\n\n";
    for (const auto& h : m.hosts) {
        s += "| | |\n|---|---|\n";
        for (const auto& [k, v] : h.facts) {
            s += fmt::format("| {} | {} |\n", cell(k), cell(v));
        }
        s += "\n";
    }
    for (const auto& n : method_notes(m)) {
        s += "- " + n + "\n";
    }
    if (!m.warnings.empty()) {
        s += "\nWarnings:\n\n";
        for (const auto& w : m.warnings) {
            s += "- " + w + "\n";
        }
    }
    return s;
}

} // namespace

std::string render_markdown(const ReportModel& m, const FigureSet& figs) {
    return title_md(m) + headline_md(m) + charts_md(figs) + blk_md(m) + baseline_md(m) +
           verification_md(m, figs) + xtf_md(m) + claims_section_md(m) +
           "## Topology at the end of the run\n\n" + figure_md(figs.topology) + measurements_md(m) +
           skipped_md(m) + host_and_method_md(m);
}

} // namespace enso::reports
