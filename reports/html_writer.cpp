#include "reports/html_writer.hpp"

#include "reports/key_figures.hpp"
#include "reports/number_format.hpp"
#include "reports/report_prose.hpp"
#include "reports/svg_embedding.hpp"

#include <fmt/core.h>

#include <cctype>

namespace enso::reports {

namespace {

constexpr const char* kStyle = R"css(
:root { --ink:#1f2328; --muted:#5b636d; --line:#d8dee4; --bg:#f6f8fa;
        --good:#e3f4e6; --good-ink:#1f6b32; --fair:#fff4d6; --fair-ink:#7a5300;
        --poor:#fde4e4; --poor-ink:#8a1f24; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       color: var(--ink); background: white; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 32px 64px; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 40px 0 10px; padding-top: 12px; border-top: 1px solid var(--line); }
h3 { font-size: 16px; margin: 22px 0 6px; }
.sub { color: var(--muted); margin: 0 0 14px; }
.host { background: var(--bg); border: 1px solid var(--line); border-radius: 8px;
        padding: 12px 16px; margin: 12px 0 18px; }
.host strong { font-size: 16px; }
.host p { margin: 6px 0 0; color: var(--muted); }
.lead { font-size: 17px; margin: 6px 0; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 6px; font-size: 14px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line);
         vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.suite td { background: #fbfcfd; font-weight: 600; color: var(--muted); font-size: 13px;
              text-transform: uppercase; letter-spacing: .04em; }
.ratio { display: inline-block; min-width: 64px; padding: 1px 8px; border-radius: 4px;
         font-weight: 600; }
.ratio.good { background: var(--good); color: var(--good-ink); }
.ratio.fair { background: var(--fair); color: var(--fair-ink); }
.ratio.poor { background: var(--poor); color: var(--poor-ink); }
.spread { color: var(--muted); font-size: 12px; margin-left: 4px; }
.dim { color: var(--muted); }
figure { margin: 18px 0 26px; }
figure svg { max-width: 100%; height: auto; display: block; }
figure svg:not([width]) { width: 100%; max-width: 1000px; }  /* gnuplot's dynamic SVGs */
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 12px;
         margin: 14px 0 18px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px;
        border-left: 5px solid #8c8c8c; }
.card.good { border-left-color: #3d8b4f; }
.card.fair { border-left-color: #d4a017; }
.card.poor { border-left-color: #c44e52; }
.card .t { font-size: 13px; color: var(--muted); font-weight: 600; }
.card .v { font-size: 30px; font-weight: 700; line-height: 1.2; margin: 2px 0; }
.card .d { font-size: 13px; color: var(--muted); }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; max-width: 900px; }
.note { background: var(--bg); border: 1px dashed var(--line); border-radius: 6px;
        padding: 12px 14px; color: var(--muted); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
         font-weight: 600; white-space: nowrap; }
.badge.met, .badge.significant-better, .badge.proved { background: var(--good); color: var(--good-ink); }
.badge.missed, .badge.significant-worse, .badge.failed { background: var(--poor); color: var(--poor-ink); }
.badge.not-measured, .badge.context, .badge.not-significant, .badge.too-few, .badge.unknown
  { background: var(--bg); color: var(--muted); border: 1px solid var(--line); }
.badge.success { background: var(--good); color: var(--good-ink); }
.badge.error, .badge.failure, .badge.crash, .badge.regression
  { background: var(--poor); color: var(--poor-ink); }
.badge.skip, .badge.better { background: var(--fair); color: var(--fair-ink); }
details summary { cursor: pointer; color: var(--muted); font-size: 13px; }
details pre { max-height: 320px; overflow: auto; white-space: pre-wrap; font-size: 12px;
              background: var(--bg); border: 1px solid var(--line); border-radius: 6px;
              padding: 8px 10px; margin: 6px 0 0; }
ul.plain { padding-left: 20px; color: var(--muted); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
nav { font-size: 13px; color: var(--muted); margin-bottom: 6px; }
nav a { color: var(--muted); margin-right: 12px; }
)css";

std::string esc(std::string_view s) {
    return html_escape(s);
}

std::string ratio_cell(const TwinRatio* r) {
    if (r == nullptr) {
        return "<td class=\"num dim\">—</td>";
    }
    const auto spread = format_ratio_spread(r->ratio);
    return fmt::format("<td class=\"num\"><span class=\"ratio {}\">{}</span>{}</td>",
                       ratio_grade(r->ratio.value, r->baseline_role),
                       esc(format_ratio(r->ratio.value)),
                       spread.empty() ? std::string("<span class=\"spread\">n=1</span>")
                                      : "<span class=\"spread\">" + esc(spread) + "</span>");
}

std::string figure_html(const Figure& f) {
    std::string s = fmt::format("<figure id=\"fig-{}\">\n<h3>{}</h3>\n", esc(f.id), esc(f.title));
    if (f.drawn()) {
        s += embeddable_svg(f.svg, f.id) + "\n";
        s += "<figcaption>" + esc(f.caption) + "</figcaption>\n";
    } else {
        s += "<div class=\"note\">" + esc(f.note) + "</div>\n";
    }
    return s + "</figure>\n";
}

std::string header(const ReportModel& m) {
    std::string s = "<h1>Enso: what paravirtualization costs here</h1>\n";
    std::string sub;
    const auto date = m.title_date();
    if (!date.empty()) {
        sub += "Run of " + esc(date);
    }
    for (const auto& f : m.files) {
        if (!f->host.git_commit.empty()) {
            sub += (sub.empty() ? "" : " · ") + std::string("commit <code>") +
                   esc(f->host.git_commit) + "</code>";
            break;
        }
    }
    sub += (sub.empty() ? "" : " · ") + fmt::format("{} benchmarks measured", m.measured_count());
    s += "<p class=\"sub\">" + sub + "</p>\n";
    s += "<nav><a href=\"#headline\">Headline</a><a href=\"#charts\">Charts</a>";
    if (m.comparison) {
        s += "<a href=\"#baseline\">Baseline</a>";
    }
    if (m.verification) {
        s += "<a href=\"#verification\">Verification</a>";
    }
    if (!m.xtf.empty()) {
        s += "<a href=\"#xtf\">XTF</a>";
    }
    s += "<a href=\"#claims\">Claims</a><a href=\"#topology\">Topology</a>"
         "<a href=\"#measurements\">All measurements</a><a href=\"#method\">Method</a></nav>\n";
    for (const auto& h : m.hosts) {
        s += "<div class=\"host\"><strong>" + esc(h.headline) + "</strong><p>" +
             esc(h.bare_metal_meaning) + "</p></div>\n";
    }
    return s;
}

std::string headline(const ReportModel& m) {
    std::string s = "<section id=\"headline\">\n<h2>Headline: overhead against bare metal</h2>\n";
    const auto cards = key_figures(m);
    if (!cards.empty()) {
        s += "<div class=\"cards\">\n";
        for (const auto& k : cards) {
            s += fmt::format("<div class=\"card {}\"><div class=\"t\">{}</div><div "
                             "class=\"v\">{}</div><div class=\"d\">{}</div></div>\n",
                             k.overhead ? ratio_grade(*k.overhead, k.baseline) : "", esc(k.title),
                             esc(k.value), esc(k.detail));
        }
        s += "</div>\n";
    }
    for (const auto& line : headline_sentences(m)) {
        s += "<p>" + esc(line) + "</p>\n";
    }
    if (m.headline.empty()) {
        return s + "</section>\n";
    }
    s += "<table>\n<tr><th>workload</th><th>guest</th><th class=\"num\">vs native (bare "
         "metal)</th><th class=\"num\">vs floor</th><th class=\"num\">vs in-process</th><th "
         "class=\"num\">guest median</th><th class=\"num\">exits / op</th></tr>\n";
    std::string suite;
    for (const auto& row : m.headline) {
        if (row.group->suite != suite) {
            suite = row.group->suite;
            s += "<tr class=\"suite\"><td colspan=\"7\">" + esc(suite) + "</td></tr>\n";
        }
        auto exits = row.guest->counter("exits_per_op");
        if (!exits) {
            exits = row.guest->counter("exits_per_io");
        }
        s += fmt::format("<tr><td>{}</td><td><code>{}</code></td>{}{}{}<td class=\"num\">{}</td>"
                         "<td class=\"num\">{}</td></tr>\n",
                         esc(row.group->workload), esc(row.guest->name->mode),
                         ratio_cell(row.vs_native), ratio_cell(row.vs_floor),
                         ratio_cell(row.vs_inprocess), esc(format_ns(row.guest->median_ns())),
                         exits ? esc(format_number(*exits)) : "—");
    }
    s += "</table>\n<p class=\"dim\">Ratios are guest cost over twin cost (1.00× = no overhead; "
         "2.00× = twice the time or half the throughput), with the interquartile spread. "
         "Shading follows Enso's targets: green within 5% of native, 10% of the floor or 3× of "
         "the in-process handler; amber within 1.5×, 2× or 10×; red beyond.</p>\n";
    return s + "</section>\n";
}

std::string blk_table(const ReportModel& m) {
    std::string rows;
    for (const auto& g : m.groups) {
        if (g.kind() != SuiteKind::block_io) {
            continue;
        }
        for (const auto* r : g.members) {
            if (r->skipped) {
                continue;
            }
            auto c = [r](const char* k) {
                const auto v = r->counter(k);
                return v ? esc(format_number(*v)) : std::string("—");
            };
            std::string share = "—";
            for (const auto& t : g.ratios) {
                if (t.guest == r && t.baseline_role == Role::native) {
                    share = fmt::format("{:.0f} %", 100.0 / t.ratio.value);
                }
            }
            std::string integrity = "—";
            if (const auto ok = r->counter("integrity_ok")) {
                integrity = *ok >= 1 ? "ok" : "<strong>FAILED</strong>";
            }
            rows += fmt::format("<tr><td>{}</td><td><code>{}</code></td><td class=\"num\">{}</td>"
                                "<td class=\"num\">{}</td><td class=\"num\">{}</td><td "
                                "class=\"num\">{}</td><td class=\"num\">{}</td><td "
                                "class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td></tr>\n",
                                esc(g.workload), esc(r->name->mode), c("MBps"), c("IOPS"),
                                c("lat_p50_us"), c("lat_p99_us"), c("exits_per_io"),
                                c("host_cpu_us_per_io"), integrity, share);
        }
    }
    if (rows.empty()) {
        return "";
    }
    return "<section id=\"blk\">\n<h2>Block I/O per path</h2>\n<table>\n<tr><th>workload</th>"
           "<th>path</th><th class=\"num\">MB/s</th><th class=\"num\">IOPS</th><th "
           "class=\"num\">p50 µs</th><th class=\"num\">p99 µs</th><th class=\"num\">exits / "
           "I/O</th><th class=\"num\">host CPU µs / I/O</th><th>integrity</th><th "
           "class=\"num\">of native</th></tr>\n" +
           rows + "</table>\n</section>\n";
}

std::string claims_table(const std::vector<ClaimCheck>& claims) {
    std::string s = "<table>\n<tr><th>source</th><th>claim</th><th>stand-in here</th><th>measured "
                    "here</th><th></th></tr>\n";
    for (const auto& c : claims) {
        const char* cls = c.status == ClaimStatus::met       ? "met"
                          : c.status == ClaimStatus::missed  ? "missed"
                          : c.status == ClaimStatus::context ? "context"
                                                             : "not-measured";
        s += fmt::format("<tr><td>{}</td><td>{}</td><td class=\"dim\">{}</td><td>{}</td><td><span "
                         "class=\"badge {}\">{}</span></td></tr>\n",
                         esc(c.source), esc(c.claim), esc(c.comparable), esc(c.measured), cls,
                         esc(claim_status_name(c.status)));
    }
    return s + "</table>\n";
}

std::string claims(const ReportModel& m) {
    std::string s = "<section id=\"claims\">\n<h2>Published claims and Enso's targets</h2>\n";
    s += "<p class=\"dim\">Confirmed published figures (Xen, Nickel, Hyperkernel, Solo5) and the "
         "platform costs measured by hand while designing Enso (docs/design.md), each beside the "
         "figure of this run that stands in for it "
         "(an analogue, not the same experiment; and on a nested host, \"native\" is this host's "
         "native execution).</p>\n";
    s += claims_table(m.published_claims);
    s += "<h3>Enso's targets (issues #3 and #5)</h3>\n" + claims_table(m.targets);
    return s + "</section>\n";
}

std::string baseline(const ReportModel& m) {
    if (!m.comparison) {
        return "";
    }
    const auto& c = *m.comparison;
    std::string s = "<section id=\"baseline\">\n<h2>Change against the baseline</h2>\n";
    s += "<p class=\"dim\">Baseline: <code>" + esc(m.baseline->path.string()) +
         "</code>. Positive changes are slower. Significance: two-sided Mann-Whitney U test on "
         "the repetitions, p &lt; 0.05 (as Google Benchmark's compare.py).</p>\n";
    int sig = 0;
    for (const auto& ch : c.changes) {
        sig += ch.verdict == Verdict::significant ? 1 : 0;
    }
    s +=
        fmt::format("<p class=\"lead\">{} benchmarks in both runs; {} changed significantly.</p>\n",
                    c.changes.size(), sig);
    s += "<table>\n<tr><th>benchmark</th><th class=\"num\">baseline</th><th "
         "class=\"num\">now</th><th class=\"num\">change</th><th class=\"num\">p</th><th "
         "class=\"num\">repetitions</th><th>verdict</th></tr>\n";
    for (const auto& ch : c.changes) {
        std::string cls = "too-few";
        if (ch.verdict == Verdict::significant) {
            cls = ch.change && *ch.change > 0 ? "significant-worse" : "significant-better";
        } else if (ch.verdict == Verdict::not_significant) {
            cls = "not-significant";
        }
        s += fmt::format(
            "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td "
            "class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{} / {}</td><td><span "
            "class=\"badge {}\">{}</span>{}</td></tr>\n",
            esc(strip_benchmark_suffixes(ch.run_name)), esc(format_ns(ch.baseline_ns)),
            esc(format_ns(ch.current_ns)), ch.change ? esc(format_percent_change(*ch.change)) : "—",
            ch.test ? esc(format_p_value(ch.test->p_value)) : "—", ch.baseline_repetitions,
            ch.current_repetitions, cls, esc(verdict_name(ch.verdict)),
            ch.why.empty() ? "" : "<br><span class=\"dim\">" + esc(ch.why) + "</span>");
    }
    s += "</table>\n";
    if (!c.only_in_current.empty() || !c.only_in_baseline.empty()) {
        s += fmt::format("<p class=\"dim\">{} benchmarks only in this run, {} only in the "
                         "baseline.</p>\n",
                         c.only_in_current.size(), c.only_in_baseline.size());
    }
    return s + "</section>\n";
}

std::string verification(const ReportModel& m, const FigureSet& figs) {
    if (!m.verification) {
        return "";
    }
    const auto& v = *m.verification;
    std::string s = "<section id=\"verification\">\n<h2>Verification</h2>\n";
    s += fmt::format("<p class=\"lead\">{} handlers: {} proved, {} failed, {} unknown, in {} "
                     "s.</p>\n",
                     v.handlers.size(), v.count(VerifyOutcome::proved),
                     v.count(VerifyOutcome::failed), v.count(VerifyOutcome::unknown),
                     format_number(v.total_seconds()));
    s += "<table>\n<tr><th>handler</th><th>result</th><th class=\"num\">paths</th><th "
         "class=\"num\">seconds</th><th>detail</th></tr>\n";
    for (const auto& h : v.handlers) {
        s += fmt::format("<tr><td><code>{}</code></td><td><span class=\"badge {}\">{}</span></td>"
                         "<td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
                         esc(h.handler), outcome_name(h.outcome), esc(h.result),
                         h.paths ? std::to_string(*h.paths) : "—",
                         h.seconds ? esc(format_number(*h.seconds)) : "—", esc(h.detail));
    }
    s += "</table>\n";
    if (figs.verification) {
        s += figure_html(*figs.verification);
    }
    for (const auto& f : figs.counterexamples) {
        s += figure_html(f);
    }
    return s + "</section>\n";
}

std::string xtf_badge(XtfVerdict v) {
    std::string cls(xtf_verdict_name(v));
    for (auto& c : cls) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return cls;
}

// One `enso xtf` run: the verdict per test; the console of each test that
// did not succeed folds out under its reason.
std::string xtf_run(const XtfSummary& x) {
    std::string s = "<p class=\"lead\">" + esc(x.summary_line()) + ".</p>\n";
    s += "<p class=\"dim\">" + esc(xtf_intro(x)) + "</p>\n";
    s += "<table>\n<tr><th>test</th><th>result</th><th>reason</th><th "
         "class=\"num\">seconds</th><th class=\"num\">exits</th><th "
         "class=\"num\">exceptions</th></tr>\n";
    for (const auto& t : x.tests) {
        std::string result =
            fmt::format("<span class=\"badge {}\">{}</span>", xtf_badge(t.verdict), esc(t.result));
        if (t.regression) {
            result += fmt::format(" <span class=\"badge regression\">regression{}</span>",
                                  t.expected.empty() ? "" : ": expected " + esc(t.expected));
        } else if (t.better_than_expected()) {
            result +=
                " <span class=\"badge better\">better than expected " + esc(t.expected) + "</span>";
        }
        std::string reason;
        if (t.verdict != XtfVerdict::success) {
            reason = esc(t.reason);
            if (!t.console.empty()) {
                reason += "<details><summary>console</summary><pre>" + esc(t.console) +
                          "</pre></details>";
            }
        }
        auto count = [](const std::optional<std::uint64_t>& n) {
            return n ? std::to_string(*n) : std::string("—");
        };
        s += fmt::format("<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td "
                         "class=\"num\">{}</td><td class=\"num\">{}</td><td "
                         "class=\"num\">{}</td></tr>\n",
                         esc(t.test), result, reason,
                         t.seconds ? esc(format_number(*t.seconds)) : "—", count(t.exits),
                         count(t.exceptions));
    }
    return s + "</table>\n";
}

// Xen's own tests booted on Enso, one table per transport run.
std::string xtf(const ReportModel& m) {
    if (m.xtf.empty()) {
        return "";
    }
    std::string s = "<section id=\"xtf\">\n<h2>Xen Test Framework (XTF) on Enso</h2>\n";
    for (const auto& x : m.xtf) {
        if (m.xtf.size() > 1) {
            s += "<h3>" + esc(xtf_run_title(x)) + "</h3>\n";
        }
        s += xtf_run(x);
    }
    s += "<p class=\"dim\">" + esc(xtf_columns_note()) + "</p>\n";
    return s + "</section>\n";
}

std::string measurements(const ReportModel& m) {
    std::string s = "<section id=\"measurements\">\n<h2>All measurements</h2>\n";
    s += "<p class=\"dim\">Every benchmark in the results, with its median over repetitions. "
         "Those without a twin (the core's in-process benchmarks, or a guest whose twin was not "
         "run) appear only here.</p>\n";
    s += "<table>\n<tr><th>benchmark</th><th class=\"num\">median</th><th "
         "class=\"num\">spread</th><th class=\"num\">reps</th><th>counters</th></tr>\n";
    for (const auto* r : m.runs) {
        if (r->skipped) {
            continue;
        }
        s += fmt::format(
            "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td "
            "class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"dim\">{}</td></tr>\n",
            esc(strip_benchmark_suffixes(r->run_name)), esc(format_ns(r->median_ns())),
            esc(run_spread(*r)), r->repetition_count(), esc(run_counters(*r)));
    }
    return s + "</table>\n</section>\n";
}

std::string skipped(const ReportModel& m) {
    if (m.skipped.empty()) {
        return "";
    }
    std::string s = "<section id=\"skipped\">\n<h2>Skipped</h2>\n<table>\n<tr><th>what</th>"
                    "<th>why</th></tr>\n";
    for (const auto& k : m.skipped) {
        s += "<tr><td><code>" + esc(strip_benchmark_suffixes(k.what)) + "</code></td><td>" +
             esc(k.reason) + "</td></tr>\n";
    }
    return s + "</table>\n</section>\n";
}

std::string method(const ReportModel& m) {
    std::string s = "<section id=\"method\">\n<h2>Host and method</h2>\n";
    for (const auto& h : m.hosts) {
        s += "<table>\n";
        for (const auto& [k, v] : h.facts) {
            s += "<tr><th style=\"width:160px\">" + esc(k) + "</th><td>" + esc(v) + "</td></tr>\n";
        }
        s += "</table>\n";
    }
    s += "<ul class=\"plain\">\n";
    for (const auto& n : method_notes(m)) {
        s += "<li>" + esc(n) + "</li>\n";
    }
    s += "</ul>\n<p class=\"dim\">Inputs: ";
    for (size_t i = 0; i < m.files.size(); ++i) {
        s += (i == 0 ? "<code>" : ", <code>") + esc(m.files[i]->path.string()) + "</code>";
    }
    s += "</p>\n";
    if (!m.warnings.empty()) {
        s += "<h3>Warnings</h3>\n<ul class=\"plain\">\n";
        for (const auto& w : m.warnings) {
            s += "<li>" + esc(w) + "</li>\n";
        }
        s += "</ul>\n";
    }
    return s + "</section>\n";
}

} // namespace

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string render_html(const ReportModel& m, const FigureSet& figs) {
    std::string s = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                    "<title>Enso report</title>\n<style>" +
                    std::string(kStyle) + "</style>\n</head>\n<body>\n<main>\n";
    s += header(m);
    s += headline(m);
    s += "<section id=\"charts\">\n<h2>Charts</h2>\n";
    for (const auto& f : figs.charts) {
        s += figure_html(f);
    }
    s += "</section>\n";
    s += blk_table(m);
    s += baseline(m);
    s += verification(m, figs);
    s += xtf(m);
    s += claims(m);
    s += "<section id=\"topology\">\n<h2>Topology at the end of the run</h2>\n" +
         figure_html(figs.topology) + "</section>\n";
    s += measurements(m);
    s += skipped(m);
    s += method(m);
    return s + "</main>\n</body>\n</html>\n";
}

} // namespace enso::reports
