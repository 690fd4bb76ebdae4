#include "verify/state_graph.hpp"

#include "hvcore/core/frame_refs.hpp"
#include "hvcore/core/grant_ops.hpp"
#include "hvcore/core/page_table_entry.hpp"

#include <set>
#include <sstream>

namespace enso::verify {

namespace {

using namespace core;
using C = Concrete;

std::string type_name(std::uint8_t t) {
    switch (t) {
    case kTypeNone:
        return "";
    case kTypeL1:
    case kTypeL2:
    case kTypeL3:
    case kTypeL4:
        return "L" + std::to_string(t);
    case kTypeSegDesc:
        return "segdesc";
    case kTypeWritable:
        return "writable";
    default:
        return "type " + std::to_string(t);
    }
}

std::string dom_state(std::uint8_t s) {
    return s == kDomLive ? "live" : s == kDomDying ? "dying" : "free";
}

std::string hex(std::uint64_t v) {
    std::ostringstream o;
    o << "0x" << std::hex << v;
    return o.str();
}

// What to draw: frames the counterexample names, what their entries point
// to, the roots and shared frames of the domains involved, the frames of
// every violation.
struct Focus {
    std::set<std::uint32_t> frames;
    std::set<std::uint16_t> doms;
};

Focus focus_of(const Counterexample& c, const Replay& r) {
    Focus f;
    for (const auto& [frame, rec] : c.frames) {
        f.frames.insert(frame);
    }
    for (const auto& [d, rec] : c.doms) {
        f.doms.insert(static_cast<std::uint16_t>(d));
    }
    for (const auto& [name, v] : c.binders) {
        if (name.starts_with("frame") && v < c.nr_frames) {
            f.frames.insert(static_cast<std::uint32_t>(v));
        }
    }
    for (const auto* v : {&r.pre, &r.post}) {
        for (const auto& x : *v) {
            f.frames.insert(x.frames.begin(), x.frames.end());
            for (auto d : x.domains) {
                if (d < kMaxDomains) {
                    f.doms.insert(d);
                }
            }
        }
    }
    return f;
}

class Drawer {
public:
    Drawer(std::ostringstream& out, const CState& s, const Focus& focus, std::string prefix,
           const std::vector<Violation>* violations)
        : out_(out), s_(s), prefix_(std::move(prefix)), violations_(violations) {
        frames_ = focus.frames;
        doms_ = focus.doms;
        // One hop further: targets of the focus tables, roots, shared pages.
        for (auto d : focus.doms) {
            if (s_.doms.state.get(d) == kDomFree) {
                continue;
            }
            add_frame(s_.doms.baseptr.get(d));
        }
        const auto tables = frames_;
        for (auto t : tables) {
            if (t >= s_.nr_frames || !validated(t)) {
                continue;
            }
            for (std::uint32_t slot = 0; slot < kEntriesPerTable; ++slot) {
                const auto e = s_.mem.load64(t, slot);
                if ((e & kPteP) != 0) {
                    add_frame(pte_frame<C>(e));
                }
            }
        }
        for (auto f : frames_) {
            if (f < s_.nr_frames && s_.frames.flags.get(f) != 0 &&
                s_.frames.owner.get(f) < kMaxDomains) {
                doms_.insert(s_.frames.owner.get(f));
            }
        }
        for (const auto& v : violations ? *violations : std::vector<Violation>{}) {
            if (v.frames.size() >= 2) {
                bad_edges_.insert({v.frames[0], v.frames[1]});
            }
            if (!v.frames.empty()) {
                bad_frames_.insert(v.frames[0]);
            }
            for (auto d : v.domains) {
                bad_doms_.insert(d);
            }
        }
    }

    void draw() {
        for (auto d : doms_) {
            const bool bad = bad_doms_.count(d) != 0 && bad_frames_.empty();
            out_ << "    " << dom(d) << " [shape=box, style=\"rounded,filled\", fillcolor=\""
                 << (s_.doms.state.get(d) == kDomLive ? "#dbe8f6" : "#eeeeee") << "\", label=\"d"
                 << d << "\\n"
                 << dom_state(s_.doms.state.get(d)) << "\""
                 << (bad ? ", color=red, penwidth=2" : "") << "];\n";
        }
        for (auto f : frames_) {
            draw_frame(f);
        }
        for (auto f : frames_) {
            if (f >= s_.nr_frames) {
                continue;
            }
            const auto o = s_.frames.owner.get(f);
            if (s_.frames.flags.get(f) != 0 && doms_.count(o) != 0) {
                out_ << "    " << dom(o) << " -> " << frame(f)
                     << " [style=dotted, color=gray50, arrowhead=none];\n";
            }
            if (validated(f)) {
                draw_entries(f);
            }
        }
        for (auto d : doms_) {
            const auto root = s_.doms.baseptr.get(d);
            if (root != kNoFrame && frames_.count(root) != 0) {
                out_ << "    " << dom(d) << " -> " << frame(root)
                     << " [label=\"cr3\", color=\"#1f5fa8\", fontcolor=\"#1f5fa8\"];\n";
            }
            draw_maps(d);
        }
    }

private:
    [[nodiscard]] std::string dom(std::uint32_t d) const {
        return prefix_ + "d" + std::to_string(d);
    }
    [[nodiscard]] std::string frame(std::uint32_t f) const {
        return prefix_ + "f" + std::to_string(f);
    }
    [[nodiscard]] bool validated(std::uint32_t f) const {
        return f < s_.nr_frames && is_pagetable_type<C>(s_.frames.type.get(f)) &&
               frame_has<C>(s_, f, kFrameValidated);
    }
    void add_frame(std::uint32_t f) {
        if (f < s_.nr_frames && frames_.size() < 40) {
            frames_.insert(f);
        }
    }

    void draw_frame(std::uint32_t f) {
        if (f >= s_.nr_frames) {
            return;
        }
        const auto fl = s_.frames.flags.get(f);
        std::string flags;
        if ((fl & kFrameValidated) != 0) {
            flags += " validated";
        }
        if ((fl & kFramePinned) != 0) {
            flags += " pinned";
        }
        if ((fl & kFrameVcpuRoot) != 0) {
            flags += " vcpu-root";
        }
        if ((fl & kFrameXenRef) != 0) {
            flags += " xen";
        }
        if ((fl & kFrameAllocated) == 0) {
            flags += s_.frames.count.get(f) == 0 ? " free" : " unallocated";
        }
        const bool table = validated(f);
        out_ << "    " << frame(f) << " [shape=" << (table ? "doubleoctagon" : "ellipse")
             << ", label=\"f" << f << " " << type_name(s_.frames.type.get(f)) << "\\n"
             << "count " << s_.frames.count.get(f) << ", type count " << s_.frames.type_count.get(f)
             << "\\n"
             << flags << "\""
             << (bad_frames_.count(f) != 0 ? ", color=red, fontcolor=red, penwidth=2" : "")
             << "];\n";
    }

    void draw_entries(std::uint32_t t) {
        const auto od = s_.frames.owner.get(t);
        for (std::uint32_t slot = 0; slot < kEntriesPerTable; ++slot) {
            const auto e = s_.mem.load64(t, slot);
            const auto target = pte_frame<C>(e);
            if ((e & kPteP) == 0 || frames_.count(target) == 0) {
                continue;
            }
            const bool rw = (e & kPteRW) != 0;
            const bool grant = s_.frames.type.get(t) == kTypeL1 && !owned_by<C>(s_, target, od);
            const bool bad = bad_edges_.count({t, target}) != 0;
            out_ << "    " << frame(t) << " -> " << frame(target) << " [label=\"[" << slot << "] "
                 << (rw ? "RW" : "R") << ((e & kPtePSE) != 0 ? " PSE" : "")
                 << (grant ? " grant" : "") << "\"" << (grant ? ", style=dashed" : "")
                 << (bad ? ", color=red, fontcolor=red, penwidth=2.5" : "") << "];\n";
        }
    }

    void draw_maps(std::uint16_t d) {
        for (std::uint32_t h = 0; h < kMaxMaptrack; ++h) {
            const auto mi = maptrack_index<C>(d, h);
            const auto mf = s_.grants.map_flags.get(mi);
            if ((mf & kMapInUse) == 0) {
                continue;
            }
            const auto gd = s_.grants.map_granter.get(mi);
            const auto ref = s_.grants.map_ref.get(mi);
            const auto gi = grant_index<C>(gd, ref);
            const auto f =
                gi < kMaxDomains * kMaxGrantRefs ? s_.grants.act_frame.get(gi) : kNoFrame;
            if (frames_.count(f) == 0) {
                continue;
            }
            const bool bad = bad_frames_.count(f) != 0;
            out_ << "    " << dom(d) << " -> " << frame(f) << " [label=\"grant d" << gd << ":"
                 << ref << " h" << h << ((mf & kMapReadonly) != 0 ? " R" : " RW") << "\", "
                 << "style=dashed, color=\"#2e7d32\", fontcolor=\"#2e7d32\""
                 << (bad ? ", color=red" : "") << "];\n";
        }
    }

    std::ostringstream& out_;
    const CState& s_;
    std::string prefix_;
    const std::vector<Violation>* violations_;
    std::set<std::uint32_t> frames_;
    std::set<std::uint16_t> doms_;
    std::set<std::pair<std::uint32_t, std::uint32_t>> bad_edges_;
    std::set<std::uint32_t> bad_frames_;
    std::set<std::uint16_t> bad_doms_;
};

std::string escape(const std::string& s) {
    std::string out;
    for (const char ch : s) {
        if (ch == '"' || ch == '\\') {
            out += '\\';
        }
        out += ch == '\n' ? ' ' : ch;
    }
    return out;
}

} // namespace

std::string render_dot(const Counterexample& c, const Replay& r) {
    std::ostringstream out;
    std::string call = c.handler + "(";
    for (std::size_t i = 0; i < c.args.size(); ++i) {
        call += (i ? ", " : "") + c.args[i].first + "=" + hex(c.args[i].second);
    }
    call += ")";
    out << "digraph counterexample {\n"
        << "  graph [rankdir=LR, fontname=\"Helvetica\", labelloc=t, label=\"" << escape(call)
        << "\\nbreaks " << escape(c.invariant) << "\\n"
        << escape(r.summary) << "\"];\n"
        << "  node [fontname=\"Helvetica\", fontsize=10];\n"
        << "  edge [fontname=\"Helvetica\", fontsize=9];\n";
    if (!r.built || !r.before) {
        out << "  note [shape=note, label=\"no concrete machine: " << escape(r.summary)
            << "\"];\n}\n";
        return out.str();
    }
    const Focus focus = focus_of(c, r);
    out << "  subgraph cluster_before {\n    label=\"before\";\n    color=gray60;\n";
    Drawer(out, r.before->state(), focus, "b_", &r.pre).draw();
    out << "  }\n";
    if (r.after) {
        out << "  subgraph cluster_after {\n    label=\"after (rc " << r.rc << ")\";\n"
            << "    color=gray60;\n";
        Drawer(out, r.after->state(), focus, "a_", &r.post).draw();
        out << "  }\n";
    }
    std::string lines;
    for (const auto& v : r.post) {
        lines += escape(v.check + ": " + v.detail) + "\\l";
    }
    if (!lines.empty()) {
        out << "  violations [shape=note, color=red, fontcolor=red, label=\"" << lines << "\"];\n";
    }
    out << "}\n";
    return out.str();
}

} // namespace enso::verify
