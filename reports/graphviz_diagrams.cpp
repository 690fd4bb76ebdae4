#include "reports/graphviz_diagrams.hpp"

#include "reports/external_tool.hpp"
#include "reports/number_format.hpp"
#include "reports/svg_embedding.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

namespace enso::reports {

namespace {

// Text inside a DOT "..." string.
std::string dot_escape(std::string_view s) {
    std::string out;
    for (const char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

std::string ref_range(std::vector<std::int64_t> refs) {
    std::sort(refs.begin(), refs.end());
    if (refs.size() == 1) {
        return fmt::format("ref {}", refs.front());
    }
    const bool contiguous =
        refs.back() - refs.front() + 1 == static_cast<std::int64_t>(refs.size());
    if (contiguous) {
        return fmt::format("refs {}–{}", refs.front(), refs.back());
    }
    if (refs.size() <= 4) {
        std::string s = "refs ";
        for (size_t i = 0; i < refs.size(); ++i) {
            s += fmt::format("{}{}", i == 0 ? "" : ", ", refs[i]);
        }
        return s;
    }
    return fmt::format("refs {}…{}", refs.front(), refs.back());
}

Figure render_dot(Figure f, const std::string& source, const std::string& dot) {
    const auto r = run_tool(dot, {"-Tsvg"}, source);
    if (r.ok() && looks_like_svg(r.out)) {
        f.svg = r.out;
    } else {
        f.note = "Diagram not drawn: " + (r.ok() ? "dot wrote no SVG" : r.failure(dot)) + ".";
    }
    return f;
}

const char* kGraphStyle =
    "  graph [fontname=\"Helvetica\", bgcolor=\"white\", pad=0.3, nodesep=0.45, ranksep=0.9];\n"
    "  node [fontname=\"Helvetica\", fontsize=12, shape=box, style=\"rounded,filled\", "
    "penwidth=1.4];\n"
    "  edge [fontname=\"Helvetica\", fontsize=10, penwidth=1.3];\n";

} // namespace

std::string topology_dot(const Topology& t) {
    std::string s = "digraph topology {\n  rankdir=LR;\n";
    s += kGraphStyle;
    for (const auto& d : t.domains) {
        const bool dom0 = d.id == 0;
        s += fmt::format("  d{} [label=\"{}\\n{}{} frames\", fillcolor=\"{}\", color=\"{}\"];\n",
                         d.id, dot_escape(d.name), dom0 ? "monitor (back ends) · " : "", d.frames,
                         dom0 ? "#FFF4E5" : "#EAF1FB", dom0 ? "#DD8452" : "#4C72B0");
    }
    // Many grants between the same pair (a ring's pages) become one edge.
    std::map<std::tuple<std::int64_t, std::int64_t, bool, bool>, std::vector<std::int64_t>> grants;
    for (const auto& g : t.grants) {
        grants[{g.granter, g.grantee, g.readonly, g.mapped}].push_back(g.ref);
    }
    for (const auto& [key, refs] : grants) {
        const auto& [granter, grantee, readonly, mapped] = key;
        s += fmt::format("  d{} -> d{} [label=\"{}{} {}{}\", color=\"{}\", fontcolor=\"{}\", "
                         "style={}];\n",
                         granter, grantee,
                         refs.size() > 1 ? fmt::format("{} grants, ", refs.size()) : "grant ",
                         ref_range(refs), readonly ? "read-only" : "writable",
                         mapped ? "" : " (not mapped)", readonly ? "#55A868" : "#C44E52",
                         readonly ? "#2F6B3C" : "#8A2F32", mapped ? "solid" : "dashed");
    }
    // Each end of a channel may list it: keep one per unordered pair of ends.
    std::set<std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t>> seen;
    std::map<std::pair<std::int64_t, std::int64_t>, std::vector<std::string>> channels;
    for (const auto& e : t.event_channels) {
        auto a = std::make_pair(e.domain, e.port);
        auto b = std::make_pair(e.remote_domain, e.remote_port);
        if (b < a) {
            std::swap(a, b);
        }
        if (!seen.insert({a.first, a.second, b.first, b.second}).second) {
            continue;
        }
        channels[{a.first, b.first}].push_back(fmt::format("{}↔{}", a.second, b.second));
    }
    for (const auto& [pair, ports] : channels) {
        std::string label = ports.size() == 1 ? "event channel, ports " + ports.front()
                                              : fmt::format("{} event channels", ports.size());
        if (ports.size() > 1 && ports.size() <= 3) {
            label += ": ";
            for (size_t i = 0; i < ports.size(); ++i) {
                label += (i == 0 ? "" : ", ") + ports[i];
            }
        }
        s += fmt::format("  d{} -> d{} [dir=both, arrowhead=dot, arrowtail=dot, label=\"{}\", "
                         "color=\"#8172B3\", fontcolor=\"#4B3F7A\", constraint=false];\n",
                         pair.first, pair.second, dot_escape(label));
    }
    return s + "}\n";
}

std::string verification_dot(const VerificationSummary& v) {
    std::string s = "digraph verification {\n  rankdir=LR;\n";
    s += kGraphStyle;
    s += fmt::format("  summary [label=\"enso verify\\n{} handlers\\n{} proved · {} failed · {} "
                     "unknown\\n{}\", fillcolor=\"#F2F2F2\", color=\"#555555\"];\n",
                     v.handlers.size(), v.count(VerifyOutcome::proved),
                     v.count(VerifyOutcome::failed), v.count(VerifyOutcome::unknown),
                     format_number(v.total_seconds()) + " s");
    size_t i = 0;
    for (const auto& h : v.handlers) {
        const char* fill = "#EDEDED";
        const char* line = "#8C8C8C";
        if (h.outcome == VerifyOutcome::proved) {
            fill = "#E3F4E6";
            line = "#3D8B4F";
        } else if (h.outcome == VerifyOutcome::failed) {
            fill = "#FBE3E3";
            line = "#C44E52";
        }
        std::string detail = h.result;
        if (h.paths) {
            detail += fmt::format(" · {} paths", *h.paths);
        }
        if (h.seconds) {
            detail += " · " + format_number(*h.seconds) + " s";
        }
        s += fmt::format("  h{} [label=\"{}\\n{}\", fillcolor=\"{}\", color=\"{}\"];\n", i,
                         dot_escape(h.handler), dot_escape(detail), fill, line);
        s += fmt::format("  summary -> h{} [color=\"#BBBBBB\", arrowhead=none];\n", i);
        if (!h.counterexamples.empty()) {
            s += fmt::format("  c{} [label=\"{} counterexample{}\\n(pictures below)\", "
                             "shape=note, fillcolor=\"#FFF8E1\", color=\"#C44E52\"];\n"
                             "  h{} -> c{} [color=\"#C44E52\"];\n",
                             i, h.counterexamples.size(), h.counterexamples.size() > 1 ? "s" : "",
                             i, i);
        }
        ++i;
    }
    return s + "}\n";
}

Figure draw_topology(const std::optional<Topology>& topology, const std::string& dot) {
    Figure f{"topology",
             "Domains, grants and event channels at the end of the run",
             "Boxes are domains (dom0 is the monitor, whose back ends reach guest frames only "
             "through grants). Red edges: writable grants, granter to grantee; green: read-only; "
             "dashed: granted but not mapped now. Purple: event channels with their ports.",
             "",
             "",
             false};
    if (!topology || topology->empty()) {
        f.no_data = true;
        f.note = "This results file has no topology block (the run side records one at the end "
                 "of a guest run).";
        return f;
    }
    return render_dot(std::move(f), topology_dot(*topology), dot);
}

Figure draw_verification(const VerificationSummary& summary, const std::string& dot) {
    Figure f{"verification",
             "Verification summary",
             "One box per hypercall handler: green proved (every path keeps the isolation "
             "invariants), red failed (a counterexample exists), grey unknown or timed out.",
             "",
             "",
             false};
    if (summary.handlers.empty()) {
        f.no_data = true;
        f.note = "The verify file lists no handlers.";
        return f;
    }
    return render_dot(std::move(f), verification_dot(summary), dot);
}

std::vector<Figure> counterexample_figures(const VerificationSummary& summary,
                                           const std::string& dot) {
    std::vector<Figure> out;
    size_t n = 0;
    for (const auto& h : summary.handlers) {
        for (const auto& path : h.counterexamples) {
            Figure f{fmt::format("counterexample-{}", ++n),
                     fmt::format("Counterexample: {}", h.handler),
                     path.filename().string(),
                     "",
                     "",
                     false};
            std::ifstream in(path);
            if (!in) {
                f.note = "Counterexample picture " + path.string() + " cannot be read.";
                out.push_back(std::move(f));
                continue;
            }
            std::stringstream text;
            text << in.rdbuf();
            const auto ext = path.extension().string();
            if (ext == ".dot" || ext == ".gv") {
                out.push_back(render_dot(std::move(f), text.str(), dot));
                continue;
            }
            if (looks_like_svg(text.str())) {
                f.svg = text.str();
            } else {
                f.note = path.string() + " is not an SVG picture.";
            }
            out.push_back(std::move(f));
        }
    }
    return out;
}

} // namespace enso::reports
