#include "reports/gnuplot_charts.hpp"

#include "reports/external_tool.hpp"
#include "reports/number_format.hpp"
#include "reports/sample_statistics.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace enso::reports {

namespace {

const char* const kPalette[] = {"#4C72B0", "#DD8452", "#55A868", "#C44E52",
                                "#8172B3", "#937860", "#DA8BC3", "#8C8C8C"};
constexpr size_t kPaletteSize = sizeof kPalette / sizeof kPalette[0];

const char* baseline_color(Role role) {
    switch (role) {
    case Role::native:
        return "#4C72B0";
    case Role::floor:
        return "#DD8452";
    case Role::inprocess:
        return "#55A868";
    case Role::guest:
        break;
    }
    return "#8C8C8C";
}

std::string gp_string(std::string_view s) {
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out + "\"";
}

// Height grows with the rows so labels never overlap.
std::string preamble(int width, int height) {
    return fmt::format(
        "set terminal svg size {},{} dynamic noenhanced font 'Helvetica,12' background "
        "rgb 'white'\n"
        "set border 3 lc rgb '#555555'\n"
        "set tics nomirror textcolor rgb '#333333'\n"
        "set key noautotitle\n"
        "set style fill solid 0.85 noborder\n",
        width, height);
}

std::string ytic_labels(const std::vector<std::string>& labels) {
    std::string s = "set ytics (";
    for (size_t i = 0; i < labels.size(); ++i) {
        s += fmt::format("{}{} {}", i == 0 ? "" : ", ", gp_string(labels[i]), i);
    }
    return s + ") scale 0\n";
}

// Room for the longest row label (gnuplot's margins are in character
// widths; a proportional font needs about 0.6 of one per character).
std::string left_margin(const std::vector<std::string>& labels) {
    size_t longest = 0;
    for (const auto& l : labels) {
        longest = std::max(longest, l.size());
    }
    const auto chars = std::clamp(static_cast<int>(static_cast<double>(longest) * 0.6) + 3, 20, 60);
    return fmt::format("set lmargin {}\n", chars);
}

struct Spread {
    double mid = 0;
    double low = 0;
    double high = 0;
};

// Median and interquartile range of a cost over repetitions, scaled.
Spread time_spread(const BenchmarkRun& run, double scale) {
    Spread s;
    s.mid = run.median_ns().value_or(0) * scale;
    s.low = s.high = s.mid;
    if (run.samples().size() >= 2) {
        const auto sum = summarize(run.samples());
        s.low = sum.q1 * scale;
        s.high = sum.q3 * scale;
    }
    return s;
}

} // namespace

std::string overhead_chart_script(const ReportModel& model) {
    struct Bar {
        std::string label;
        const TwinRatio* ratio;
    };
    std::vector<Bar> bars;
    for (const auto& row : model.headline) {
        for (const auto* r : {row.vs_native, row.vs_floor, row.vs_inprocess}) {
            if (r != nullptr) {
                bars.push_back({fmt::format("{} · {} vs {}", row.group->workload,
                                            row.guest->name->mode, role_name(r->baseline_role)),
                                r});
            }
        }
    }
    if (bars.empty()) {
        return "";
    }
    double lo = 1;
    double hi = 1;
    std::map<Role, std::string> blocks;
    std::vector<std::string> labels;
    for (size_t i = 0; i < bars.size(); ++i) {
        const auto& r = bars[i].ratio->ratio;
        const double low = r.low.value_or(r.value);
        const double high = r.high.value_or(r.value);
        lo = std::min({lo, low, r.value});
        hi = std::max({hi, high, r.value});
        blocks[bars[i].ratio->baseline_role] +=
            fmt::format("{} {:.6g} {:.6g} {:.6g} {}\n", i, r.value, low, high,
                        gp_string(format_ratio(r.value)));
        labels.push_back(bars[i].label);
    }
    const int height = 90 + static_cast<int>(bars.size()) * 24;
    std::string s = preamble(960, height);
    s += "set logscale x 10\n";
    s += fmt::format("set xrange [{:.6g}:{:.6g}]\n", std::min(0.5, lo / 3.5), hi * 3.5);
    s += fmt::format("set yrange [{}:-0.7]\n", static_cast<double>(bars.size()) - 0.3);
    s += ytic_labels(labels);
    s += "set xlabel 'cost relative to the twin (log scale; 1× = no overhead)'\n";
    s += "set grid xtics lc rgb '#e5e5e5'\n";
    s += "set format x '%g×'\n";
    s += "set arrow from 1, graph 0 to 1, graph 1 nohead dt 2 lc rgb '#333333'\n";
    s += "set key outside top center horizontal\n";
    s += left_margin(labels);
    for (const auto& [role, data] : blocks) {
        s += fmt::format("$r{} << EOD\n{}EOD\n", static_cast<int>(role), data);
    }
    std::string plot = "plot ";
    bool first = true;
    for (const auto& [role, data] : blocks) {
        const int id = static_cast<int>(role);
        const char* color = baseline_color(role);
        plot += fmt::format("{}$r{} using (sqrt($2)):1:($2<1?$2:1):($2<1?1:$2):($1-0.36):($1+0.36) "
                            "with boxxyerror lc rgb '{}' title 'vs {}', "
                            "$r{} using 2:1:3:4 with xerrorbars lc rgb '#222222' pt -1 lw 1.2 "
                            "notitle, "
                            "$r{} using ($2<1 ? NaN : $4*1.12):1:5 with labels left font ',10' "
                            "notitle, "
                            "$r{} using ($2<1 ? $3/1.12 : NaN):1:5 with labels right font ',10' "
                            "notitle",
                            first ? "" : ", ", id, color, role_name(role), id, id, id);
        first = false;
    }
    return s + plot + "\n";
}

std::vector<std::pair<std::string, std::string>>
batch_cost_chart_scripts(const ReportModel& model) {
    // operation -> mode -> batch -> run
    std::map<std::string, std::map<std::string, std::map<std::uint64_t, const BenchmarkRun*>>> ops;
    for (const auto& g : model.groups) {
        for (const auto* m : g.members) {
            const auto n = m->name->batch_size();
            if (!n || *n == 0 || m->skipped || !m->median_ns() || g.kind() == SuiteKind::block_io) {
                continue;
            }
            ops[g.suite + "/" + m->name->operation][m->name->mode][*n] = m;
        }
    }
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [op, modes] : ops) {
        std::set<std::uint64_t> sizes;
        for (const auto& [mode, by_n] : modes) {
            for (const auto& [n, run] : by_n) {
                sizes.insert(n);
            }
        }
        if (sizes.size() < 2) {
            continue; // one batch size is no curve
        }
        std::string s = preamble(960, 430);
        s += "set logscale xy 2\nset logscale y 10\n";
        s += "set xlabel 'entries per call (batch size)'\n";
        s += "set ylabel 'time per entry, ns (log scale)'\n";
        s += "set grid xtics ytics lc rgb '#e5e5e5'\n";
        s += "set key outside right top\n";
        s += fmt::format("set xrange [{}:{}]\n", static_cast<double>(*sizes.begin()) / 1.5,
                         static_cast<double>(*sizes.rbegin()) * 1.5);
        s += "set xtics (";
        bool first = true;
        for (const auto n : sizes) {
            s += fmt::format("{}\"{}\" {}", first ? "" : ", ", n, n);
            first = false;
        }
        s += ")\n";
        std::string plot = "plot ";
        size_t i = 0;
        for (const auto& [mode, by_n] : modes) {
            std::string data;
            for (const auto& [n, run] : by_n) {
                // The suite records batched operations per entry already.
                const auto sp = time_spread(*run, 1.0);
                data += fmt::format("{} {:.6g} {:.6g} {:.6g}\n", n, sp.mid, sp.low, sp.high);
            }
            s += fmt::format("$m{} << EOD\n{}EOD\n", i, data);
            plot += fmt::format("{}$m{} using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 0.8 lc rgb "
                                "'{}' title {}",
                                i == 0 ? "" : ", ", i, kPalette[i % kPaletteSize], gp_string(mode));
            ++i;
        }
        out.emplace_back(op, s + plot + "\n");
    }
    return out;
}

namespace {

// Clustered vertical bars: one cluster per blk workload, one bar per path,
// in panels of a few workloads each (one chart with every workload had bars
// a few pixels wide and labels on top of each other).
struct Clusters {
    std::vector<std::string> workloads;
    std::vector<std::string> paths;
    // (workload, path) -> run
    std::map<std::pair<size_t, size_t>, const BenchmarkRun*> cells;
};

// "seqread 64k qd1" -> seqread; "randread 4k qd32 pread-direct" (an engine
// variant: one path against native) -> engines.
std::string blk_panel_of(const std::string& workload) {
    const auto words = std::count(workload.begin(), workload.end(), ' ') + 1;
    if (words > 3) {
        return "engines";
    }
    if (workload.rfind("rand", 0) == 0) {
        return "random";
    }
    return workload.substr(0, workload.find(' '));
}

// Every blk path in the order first seen, so a path has one colour in every panel.
std::vector<std::string> blk_paths(const ReportModel& model) {
    std::vector<std::string> paths;
    for (const auto& g : model.groups) {
        if (g.kind() != SuiteKind::block_io) {
            continue;
        }
        for (const auto* m : g.members) {
            if (!m->skipped &&
                std::find(paths.begin(), paths.end(), m->name->mode) == paths.end()) {
                paths.push_back(m->name->mode);
            }
        }
    }
    return paths;
}

Clusters blk_clusters(const ReportModel& model, const char* counter, const std::string& panel) {
    Clusters c;
    std::map<std::string, size_t> path_index;
    for (const auto& g : model.groups) {
        if (g.kind() != SuiteKind::block_io || blk_panel_of(g.workload) != panel) {
            continue;
        }
        std::optional<size_t> w;
        for (const auto* m : g.members) {
            if (m->skipped || !m->counter(counter)) {
                continue;
            }
            if (!w) {
                w = c.workloads.size();
                c.workloads.push_back(g.workload);
            }
            auto [it, fresh] = path_index.try_emplace(m->name->mode, c.paths.size());
            if (fresh) {
                c.paths.push_back(m->name->mode);
            }
            c.cells[{*w, it->second}] = m;
        }
    }
    return c;
}

// Workload names one word per line under their cluster ("pread-direct" as two).
std::string cluster_xtics(const Clusters& c) {
    std::string s = "set xtics (";
    for (size_t i = 0; i < c.workloads.size(); ++i) {
        std::string multi; // gnuplot reads \n in a double-quoted string as a line break
        for (const char ch : gp_string(c.workloads[i])) {
            multi += ch == ' ' || ch == '-' ? std::string("\\n") : std::string(1, ch);
        }
        s += fmt::format("{}{} {}", i == 0 ? "" : ", ", multi, i);
    }
    return s + ") scale 0\nset bmargin 7\n";
}

const char* path_color(const std::vector<std::string>& all_paths, const std::string& path) {
    const auto it = std::find(all_paths.begin(), all_paths.end(), path);
    return kPalette[static_cast<size_t>(it - all_paths.begin()) % kPaletteSize];
}

std::string blk_throughput_script(const ReportModel& model, const std::string& panel) {
    const auto c = blk_clusters(model, "MBps", panel);
    if (c.cells.empty()) {
        return "";
    }
    const auto all_paths = blk_paths(model);
    const double width = 0.8 / static_cast<double>(c.paths.size());
    double lo = 1e300;
    double hi = 0;
    for (const auto& [key, run] : c.cells) {
        const double v = *run->counter("MBps");
        if (v > 0) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    }
    if (hi <= 0) {
        return "";
    }
    const double bottom = lo / 3;
    std::string s = preamble(960, 400);
    s += "set logscale y 10\nset ylabel 'MB/s (log scale)'\n";
    s += "set grid ytics lc rgb '#e5e5e5'\nset key outside right top\n";
    s += fmt::format("set yrange [{:.6g}:{:.6g}]\n", bottom, hi * 3);
    s += fmt::format("set xrange [-0.6:{}]\n", static_cast<double>(c.workloads.size()) - 0.4);
    s += cluster_xtics(c);
    std::string plot = "plot ";
    for (size_t p = 0; p < c.paths.size(); ++p) {
        std::string data;
        for (size_t w = 0; w < c.workloads.size(); ++w) {
            auto it = c.cells.find({w, p});
            if (it == c.cells.end()) {
                continue;
            }
            const double x = static_cast<double>(w) - 0.4 + width * (static_cast<double>(p) + 0.5);
            data +=
                fmt::format("{:.4f} {:.6g}\n", x, std::max(*it->second->counter("MBps"), bottom));
        }
        s += fmt::format("$p{} << EOD\n{}EOD\n", p, data);
        plot += fmt::format("{}$p{} using 1:2:($1-{:.4f}):($1+{:.4f}):({:.6g}):2 with boxxyerror "
                            "lc rgb '{}' title {}",
                            p == 0 ? "" : ", ", p, width * 0.45, width * 0.45, bottom,
                            path_color(all_paths, c.paths[p]), gp_string(c.paths[p]));
    }
    return s + plot + "\n";
}

std::string blk_latency_script(const ReportModel& model, const std::string& panel) {
    const auto c = blk_clusters(model, "lat_p50_us", panel);
    if (c.cells.empty()) {
        return "";
    }
    const auto all_paths = blk_paths(model);
    const double width = 0.8 / static_cast<double>(c.paths.size());
    double lo = 1e300;
    double hi = 0;
    for (const auto& [key, run] : c.cells) {
        const double p50 = *run->counter("lat_p50_us");
        const double p99 = run->counter("lat_p99_us").value_or(p50);
        if (p50 > 0) {
            lo = std::min(lo, p50);
        }
        hi = std::max({hi, p50, p99});
    }
    if (hi <= 0) {
        return "";
    }
    const double bottom = lo / 3;
    std::string s = preamble(960, 400);
    s += "set logscale y 10\nset ylabel 'latency, µs (log scale)'\n";
    s += "set grid ytics lc rgb '#e5e5e5'\nset key outside right top\n";
    s += fmt::format("set yrange [{:.6g}:{:.6g}]\n", bottom, hi * 3);
    s += fmt::format("set xrange [-0.6:{}]\n", static_cast<double>(c.workloads.size()) - 0.4);
    s += cluster_xtics(c);
    std::string plot = "plot ";
    for (size_t p = 0; p < c.paths.size(); ++p) {
        std::string data;
        for (size_t w = 0; w < c.workloads.size(); ++w) {
            auto it = c.cells.find({w, p});
            if (it == c.cells.end()) {
                continue;
            }
            const double x = static_cast<double>(w) - 0.4 + width * (static_cast<double>(p) + 0.5);
            const double p50 = std::max(*it->second->counter("lat_p50_us"), bottom);
            const double p99 = std::max(it->second->counter("lat_p99_us").value_or(p50), p50);
            data += fmt::format("{:.4f} {:.6g} {:.6g}\n", x, p50, p99);
        }
        s += fmt::format("$l{} << EOD\n{}EOD\n", p, data);
        plot += fmt::format("{}$l{} using 1:2:($1-{:.4f}):($1+{:.4f}):({:.6g}):2 with boxxyerror "
                            "lc rgb '{}' title {}, $l{} using 1:2:(0):($3-$2) with vectors nohead "
                            "lw 1 lc rgb '#222222' notitle",
                            p == 0 ? "" : ", ", p, width * 0.45, width * 0.45, bottom,
                            path_color(all_paths, c.paths[p]), gp_string(c.paths[p]), p);
    }
    return s + plot + "\n";
}

struct BlkPanel {
    const char* key;
    const char* title;
};

constexpr BlkPanel kBlkPanels[] = {
    {"seqread", "sequential reads"},
    {"seqwrite", "sequential writes"},
    {"random", "random 4 KiB reads and writes"},
    {"engines", "back-end engines and caching (one path against native)"},
};

} // namespace

std::vector<std::pair<std::string, std::string>>
blk_throughput_chart_scripts(const ReportModel& model) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& p : kBlkPanels) {
        if (auto script = blk_throughput_script(model, p.key); !script.empty()) {
            out.emplace_back(p.key, std::move(script));
        }
    }
    return out;
}

std::vector<std::pair<std::string, std::string>>
blk_latency_chart_scripts(const ReportModel& model) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& p : kBlkPanels) {
        if (auto script = blk_latency_script(model, p.key); !script.empty()) {
            out.emplace_back(p.key, std::move(script));
        }
    }
    return out;
}

std::string exits_chart_script(const ReportModel& model) {
    std::vector<std::string> labels;
    std::string data;
    double hi = 0;
    for (const auto& g : model.groups) {
        for (const auto* m : g.members) {
            if (m->name->role != Role::guest || m->skipped) {
                continue;
            }
            auto e = m->counter("exits_per_op");
            if (!e) {
                e = m->counter("exits_per_io");
            }
            if (!e) {
                continue;
            }
            data += fmt::format("{} {:.6g} {}\n", labels.size(), *e, gp_string(format_number(*e)));
            labels.push_back(g.workload + " · " + m->name->mode);
            hi = std::max(hi, *e);
        }
    }
    if (labels.empty()) {
        return "";
    }
    const int height = 90 + static_cast<int>(labels.size()) * 22;
    std::string s = preamble(960, height);
    s += fmt::format("set xrange [0:{:.6g}]\n", std::max(hi, 0.1) * 1.25);
    s += fmt::format("set yrange [{}:-0.7]\n", static_cast<double>(labels.size()) - 0.3);
    s += ytic_labels(labels);
    s += "set xlabel 'VM exits per operation (blk: per I/O)'\n";
    s += "set grid xtics lc rgb '#e5e5e5'\n";
    s += left_margin(labels);
    s += "$e << EOD\n" + data + "EOD\n";
    s += "plot $e using ($2/2):1:(0):2:($1-0.36):($1+0.36) with boxxyerror lc rgb '#8172B3', "
         "$e using 2:1:3 with labels left offset 0.5,0 font ',10'\n";
    return s;
}

namespace {

Figure render(std::string id, std::string title, std::string caption, const std::string& script,
              const std::string& gnuplot, std::string no_data) {
    Figure f{std::move(id), std::move(title), std::move(caption), "", "", false};
    if (script.empty()) {
        f.no_data = true;
        f.note = std::move(no_data);
        return f;
    }
    const auto r = run_tool(gnuplot, {}, script);
    if (r.ok() && r.out.find("<svg") != std::string::npos) {
        f.svg = r.out;
    } else {
        f.note = "Chart not drawn: " + (r.ok() ? "gnuplot wrote no SVG" : r.failure(gnuplot)) + ".";
    }
    return f;
}

} // namespace

std::vector<Figure> draw_charts(const ReportModel& model, const std::string& gnuplot) {
    std::vector<Figure> figs;
    figs.push_back(render(
        "overhead", "Overhead against the twins",
        "Each bar starts at 1× (no overhead) and ends at the guest's median cost divided by its "
        "twin's; the whisker is the spread (interquartile range of the pairwise ratios of "
        "repetitions). Blue: against native (bare metal); orange: against the platform floor; "
        "green: against the core's handler in-process. Log scale.",
        overhead_chart_script(model), gnuplot, "No guest figure with a twin in this run."));
    auto batches = batch_cost_chart_scripts(model);
    if (batches.empty()) {
        batches.emplace_back("mmu_update", "");
    }
    for (const auto& [op, script] : batches) {
        std::string id = "batch-" + op;
        std::replace(id.begin(), id.end(), '/', '-');
        figs.push_back(render(
            id, op + ": cost per entry against batch size",
            "Median time per entry as the suite records it (a batched operation's time is per "
            "entry), one line per mode; whiskers are the interquartile range over repetitions. A "
            "falling line is the per-call cost being amortized over the batch.",
            script, gnuplot, "No batched operation measured at two or more batch sizes."));
    }
    const auto panel_title = [](const std::string& key) {
        for (const auto& p : kBlkPanels) {
            if (key == p.key) {
                return std::string(p.title);
            }
        }
        return key;
    };
    auto throughput = blk_throughput_chart_scripts(model);
    if (throughput.empty()) {
        throughput.emplace_back("seqread", "");
    }
    for (const auto& [panel, script] : throughput) {
        figs.push_back(render("blk-throughput-" + panel,
                              "I/O throughput per path: " + panel_title(panel),
                              "Median MB/s of each I/O path, clustered by workload (pattern, "
                              "size, queue depth). Log scale.",
                              script, gnuplot, "No block I/O (blk) results in this run."));
    }
    auto latency = blk_latency_chart_scripts(model);
    if (latency.empty()) {
        latency.emplace_back("seqread", "");
    }
    for (const auto& [panel, script] : latency) {
        figs.push_back(render("blk-latency-" + panel, "I/O latency per path: " + panel_title(panel),
                              "Bars: median latency (p50); whiskers up to p99. Log scale.", script,
                              gnuplot, "No block I/O latency (lat_p50_us) in this run."));
    }
    figs.push_back(render("exits", "Exits per operation",
                          "VM exits per guest operation from KVM's per-vCPU statistics: 1 for a "
                          "trapping hypercall, 1/N for a batch of N, 0 for exitless calls while "
                          "the poller is awake.",
                          exits_chart_script(model), gnuplot,
                          "No guest entry carries exits_per_op in this run."));
    return figs;
}

} // namespace enso::reports
