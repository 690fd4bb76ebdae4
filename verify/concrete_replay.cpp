#include "verify/concrete_replay.hpp"

#include "hvcore/core/frame_refs.hpp"
#include "hvcore/core/grant_ops.hpp"
#include "hvcore/core/page_table_entry.hpp"
#include "hvcore/core/state_init.hpp"
#include "verify/concrete_policy_check.hpp"
#include "verify/flush_check.hpp"

#include <algorithm>
#include <set>
#include <string_view>

namespace enso::verify {

namespace {

using namespace core;
using C = Concrete;

// Calls f(gi, frame, word) for every grant reference in a live domain's
// table: the entries whose status bits the concrete checker reads.
template <class F>
void for_each_live_grant_entry(const CState& s, F&& f) {
    for (std::uint16_t gd = 0; gd < kMaxDomains; ++gd) {
        if (s.doms.state.get(gd) != kDomLive) {
            continue;
        }
        for (std::uint32_t ref = 0; ref < nr_grant_refs<C>(s, gd); ++ref) {
            f(grant_index<C>(gd, ref), grant_entry_frame<C>(s, gd, ref), grant_entry_word<C>(ref));
        }
    }
}

constexpr std::string_view kConfirmed = "confirmed: ";

class Builder {
public:
    Builder(ConcreteMachine& m, const Counterexample& c, std::vector<std::string>& repairs)
        : s_(m.state()), c_(c), repairs_(repairs) {}

    void fill() {
        const auto nr = s_.nr_frames;
        for (const auto& [f, r] : c_.frames) {
            if (f >= nr) {
                continue;
            }
            s_.frames.owner.set(f, r.owner);
            s_.frames.count.set(f, r.count);
            s_.frames.type.set(f, r.type);
            s_.frames.type_count.set(f, r.type_count);
            s_.frames.flags.set(f, r.flags);
            used_.insert(f);
        }
        for (const auto& [at, w] : c_.words) {
            if (at.first < nr && at.second < kEntriesPerTable) {
                s_.mem.store64(at.first, at.second, w);
                used_.insert(at.first);
            }
        }
        for (const auto& [d, r] : c_.doms) {
            if (d >= kMaxDomains) {
                continue;
            }
            s_.doms.state.set(d, r.state);
            s_.doms.tot_pages.set(d, r.tot_pages);
            s_.doms.max_pages.set(d, r.max_pages);
            s_.doms.baseptr.set(d, r.baseptr);
            s_.doms.shared_info.set(d, r.shared_info);
            s_.doms.gnttab_nr_frames.set(d, r.gnttab_nr_frames);
            s_.doms.gnttab_status.set(d, r.gnttab_status);
        }
        for (const auto& [g, f] : c_.gnttab_frames) {
            if (g < kMaxDomains * kMaxGrantFrames) {
                s_.doms.gnttab_frame.set(g, f);
            }
        }
        for (const auto& [gi, r] : c_.grants) {
            if (gi < kMaxDomains * kMaxGrantRefs) {
                s_.grants.act_readers.set(gi, r.readers);
                s_.grants.act_writers.set(gi, r.writers);
                s_.grants.act_frame.set(gi, r.frame);
                s_.grants.act_grantee.set(gi, r.grantee);
            }
        }
        for (const auto& [mi, r] : c_.maps) {
            if (mi < kMaxDomains * kMaxMaptrack) {
                s_.grants.map_flags.set(mi, r.flags);
                s_.grants.map_granter.set(mi, r.granter);
                s_.grants.map_ref.set(mi, r.ref);
                s_.grants.map_host_addr.set(mi, r.host_addr);
            }
        }
        for (const auto& [pi, r] : c_.ports) {
            if (pi < kMaxDomains * kMaxPorts) {
                s_.evtchn.state.set(pi, r.state);
                s_.evtchn.remote_dom.set(pi, r.remote_dom);
                s_.evtchn.remote_port.set(pi, r.remote_port);
            }
        }
    }

    // What a live domain must have for the handlers to touch it safely.
    void repair_domains() {
        for (std::uint16_t d = 0; d < kMaxDomains; ++d) {
            const auto st = s_.doms.state.get(d);
            if (st > kDomDying) {
                s_.doms.state.set(d, kDomFree);
                note("d", d, " state ", int{st}, " -> free");
            }
            if (s_.doms.state.get(d) != kDomLive) {
                s_.doms.baseptr.set(d, kNoFrame);
                s_.doms.gnttab_status.set(d, kNoFrame);
                continue;
            }
            s_.doms.shared_info.set(d, own_xen_frame(d, s_.doms.shared_info.get(d), "shared_info"));
            if (s_.doms.gnttab_nr_frames.get(d) > kMaxGrantFrames) {
                s_.doms.gnttab_nr_frames.set(d, 0);
                note("d", d, " grant table size -> 0");
            }
            for (std::uint32_t i = 0; i < s_.doms.gnttab_nr_frames.get(d); ++i) {
                const auto g = gnttab_frame_index<C>(d, i);
                s_.doms.gnttab_frame.set(
                    g, own_xen_frame(d, s_.doms.gnttab_frame.get(g), "grant frame"));
            }
            if (s_.doms.gnttab_status.get(d) != kNoFrame) {
                s_.doms.gnttab_status.set(
                    d, own_xen_frame(d, s_.doms.gnttab_status.get(d), "status frame"));
            }
        }
    }

    // Objects the model left inconsistent where the query did not look:
    // removed rather than believed (each removal is listed).
    void sanitize() {
        const auto nr = s_.nr_frames;
        for (const auto& [f, r] : c_.frames) {
            if (f >= nr) {
                continue;
            }
            auto fl = s_.frames.flags.get(f);
            const auto type = s_.frames.type.get(f);
            const auto o = s_.frames.owner.get(f);
            if ((fl & kFrameValidated) != 0 &&
                (!is_pagetable_type<C>(type) || (fl & kFrameAllocated) == 0)) {
                fl = static_cast<std::uint8_t>(fl &
                                               ~(kFrameValidated | kFramePinned | kFrameVcpuRoot));
                note("f", f, " not a table: validated flag dropped");
            }
            if ((fl & kFramePinned) != 0 && (fl & kFrameValidated) == 0) {
                fl = static_cast<std::uint8_t>(fl & ~kFramePinned);
                note("f", f, " not validated: pin dropped");
            }
            if ((fl & kFrameVcpuRoot) != 0 && ((fl & kFrameValidated) == 0 || type != kTypeL4)) {
                fl = static_cast<std::uint8_t>(fl & ~kFrameVcpuRoot);
                note("f", f, " not a validated L4: vCPU root dropped");
            }
            if ((fl & kFrameXenRef) != 0 &&
                ((fl & kFrameAllocated) == 0 || type != kTypeWritable)) {
                fl = static_cast<std::uint8_t>(fl & ~kFrameXenRef);
                note("f", f, " core reference dropped");
            }
            if ((fl & kFrameAllocated) != 0 &&
                (o >= kMaxDomains || s_.doms.state.get(o) != kDomLive)) {
                fl = 0;
                note("f", f, " owner d", o, " not live: frame freed");
            }
            s_.frames.flags.set(f, fl);
        }
        for (std::uint16_t d = 0; d < kMaxDomains; ++d) {
            const auto root = s_.doms.baseptr.get(d);
            if (root != kNoFrame &&
                (root >= nr || s_.frames.owner.get(root) != d ||
                 s_.frames.type.get(root) != kTypeL4 || !frame_has<C>(s_, root, kFrameValidated))) {
                s_.doms.baseptr.set(d, kNoFrame);
                note("d", d, " base pointer ", root, " dropped");
            }
        }
        for (const auto& [at, w] : c_.words) {
            const auto [t, slot] = at;
            if (t >= nr || !is_pagetable_type<C>(s_.frames.type.get(t)) ||
                !frame_has<C>(s_, t, kFrameValidated) || (w & kPteP) == 0) {
                continue;
            }
            const auto level = s_.frames.type.get(t);
            const auto target = pte_frame<C>(w);
            const bool own = owned_by<C>(s_, target, s_.frames.owner.get(t));
            bool ok = (w & ~allowed_bits<C>(level)) == 0 && target < nr;
            if (ok && level != kTypeL1) {
                ok = own && s_.frames.type.get(target) == level - 1 &&
                     frame_has<C>(s_, target, kFrameValidated);
            } else if (ok && (w & kPteRW) != 0) {
                ok = s_.frames.type.get(target) == kTypeWritable;
            }
            if (ok && level == kTypeL1 && !own) {
                ok = false; // a grant PTE stays only if a maptrack entry records it (below)
                for (const auto& [mi, m] : c_.maps) {
                    ok = ok || ((m.flags & (kMapInUse | kMapPte)) == (kMapInUse | kMapPte) &&
                                m.host_addr == entry_maddr<C>(t, slot));
                }
            }
            if (!ok) {
                s_.mem.store64(t, slot, 0);
                note("f", t, "[", slot, "] dropped");
            }
        }
        for (const auto& [mi, m] : c_.maps) {
            if (mi >= kMaxDomains * kMaxMaptrack || (m.flags & kMapInUse) == 0) {
                continue;
            }
            const auto d = static_cast<std::uint16_t>(mi >> kMaptrackBits);
            const auto gi = grant_index<C>(m.granter, m.ref);
            bool ok = m.granter < kMaxDomains && m.ref < kMaxGrantRefs &&
                      s_.doms.state.get(d) == kDomLive;
            const auto f = ok ? s_.grants.act_frame.get(gi) : kNoFrame;
            ok = ok && f < nr && s_.frames.owner.get(f) == m.granter &&
                 !frame_has<C>(s_, f, kFrameXenRef) &&
                 ((m.flags & kMapReadonly) != 0 || s_.frames.type.get(f) == kTypeWritable);
            if (ok && s_.doms.state.get(m.granter) == kDomLive) {
                ok = m.ref < nr_grant_refs<C>(s_, m.granter);
            }
            if (ok && (m.flags & kMapPte) != 0) {
                const auto t = maddr_frame<C>(m.host_addr);
                ok = (m.host_addr & 7U) == 0 && m.host_addr != 0 && t < nr;
            }
            if (!ok) {
                s_.grants.map_flags.set(mi, 0);
                note("handle ", mi & (kMaxMaptrack - 1), " of d", d, " dropped");
            }
        }
    }

    // Exact counts, pins, tot_pages and status bits, from the uses.
    void normalize() {
        const auto nr = s_.nr_frames;
        std::vector<std::uint64_t> count(nr, 0);
        std::vector<std::uint64_t> tc(nr, 0);
        for (std::uint32_t f = 0; f < nr; ++f) {
            const auto fl = s_.frames.flags.get(f);
            const unsigned holds = ((fl & kFrameXenRef) != 0 ? 1U : 0U) +
                                   ((fl & kFramePinned) != 0 ? 1U : 0U) +
                                   ((fl & kFrameVcpuRoot) != 0 ? 1U : 0U);
            count[f] += holds + ((fl & kFrameAllocated) != 0 ? 1U : 0U);
            tc[f] += holds;
        }
        for (std::uint16_t d = 0; d < kMaxDomains; ++d) {
            const auto root = s_.doms.baseptr.get(d);
            if (root != kNoFrame && root < nr) {
                count[root] += 1;
                tc[root] += 1;
            }
        }
        for (std::uint32_t t = 0; t < nr; ++t) {
            const auto level = s_.frames.type.get(t);
            if (!is_pagetable_type<C>(level) || !frame_has<C>(s_, t, kFrameValidated)) {
                continue;
            }
            for (std::uint32_t slot = 0; slot < kEntriesPerTable; ++slot) {
                const auto e = s_.mem.load64(t, slot);
                const auto target = pte_frame<C>(e);
                if ((e & kPteP) == 0 || target >= nr) {
                    continue;
                }
                if (level != kTypeL1) {
                    count[target] += 1;
                    tc[target] += 1;
                } else if (owned_by<C>(s_, target, s_.frames.owner.get(t))) {
                    count[target] += 1;
                    tc[target] += (e & kPteRW) != 0 ? 1U : 0U;
                }
            }
        }
        std::vector<std::uint32_t> readers(std::size_t{kMaxDomains} * kMaxGrantRefs, 0);
        std::vector<std::uint32_t> writers(readers.size(), 0);
        for (std::uint32_t mi = 0; mi < kMaxDomains * kMaxMaptrack; ++mi) {
            const auto mf = s_.grants.map_flags.get(mi);
            if ((mf & kMapInUse) == 0) {
                continue;
            }
            const auto gi =
                grant_index<C>(s_.grants.map_granter.get(mi), s_.grants.map_ref.get(mi));
            if (gi >= readers.size()) {
                continue;
            }
            const bool w = (mf & kMapReadonly) == 0;
            (w ? writers : readers)[gi] += 1;
            const auto f = s_.grants.act_frame.get(gi);
            if (f < nr) {
                count[f] += 1;
                tc[f] += w ? 1U : 0U;
            }
        }
        for (std::uint32_t gi = 0; gi < readers.size(); ++gi) {
            s_.grants.act_readers.set(gi, readers[gi]);
            s_.grants.act_writers.set(gi, writers[gi]);
        }
        std::vector<std::uint32_t> pages(kMaxDomains, 0);
        for (std::uint32_t f = 0; f < nr; ++f) {
            s_.frames.count.set(f, static_cast<std::uint32_t>(count[f]));
            s_.frames.type_count.set(f, static_cast<std::uint32_t>(tc[f]));
            if (count[f] == 0) {
                s_.frames.flags.set(f, 0);
                s_.frames.type.set(f, kTypeNone);
                s_.frames.owner.set(f, DOMID_INVALID);
            } else if (s_.frames.owner.get(f) < kMaxDomains) {
                pages[s_.frames.owner.get(f)] += 1;
            }
        }
        for (std::uint16_t d = 0; d < kMaxDomains; ++d) {
            s_.doms.tot_pages.set(d, pages[d]);
            if (s_.doms.state.get(d) == kDomDying && pages[d] == 0) {
                s_.doms.state.set(d, kDomFree);
            }
        }
        // Status bits: an entry in use has the bits its pins require; an
        // unused one keeps what the model gave it, which its granter may
        // write (a model may need them: a release that clears the wrong
        // entry's bits changes nothing where there are none).
        for_each_live_grant_entry(s_, [&](std::uint32_t gi, std::uint32_t f, std::uint32_t w) {
            if (readers[gi] + writers[gi] == 0) {
                return;
            }
            std::uint64_t e = s_.mem.load64(f, w) & ~std::uint64_t{GTF_reading | GTF_writing};
            e |= GTF_reading;
            if (writers[gi] != 0) {
                e |= GTF_writing;
            }
            s_.mem.store64(f, w, e);
        });
    }

private:
    template <class... Parts>
    void note(const Parts&... parts) {
        std::string line;
        ((line += to_text(parts)), ...);
        repairs_.push_back(line);
    }
    static std::string to_text(const char* s) { return s; }
    template <class T>
    static std::string to_text(const T& v) {
        return std::to_string(v);
    }

    std::uint32_t own_xen_frame(std::uint16_t d, std::uint32_t f, const char* what) {
        // One core frame serves one purpose: a frame the model gave two
        // grant-table slots (or shared_info and a slot) would make two
        // entries share status bits.
        const bool ok = f != 0 && f < s_.nr_frames && s_.frames.owner.get(f) == d &&
                        frame_has<C>(s_, f, kFrameAllocated) && frame_has<C>(s_, f, kFrameXenRef) &&
                        core_frames_.count(f) == 0;
        if (ok) {
            core_frames_.insert(f);
            return f;
        }
        for (std::uint32_t g = s_.nr_frames - 1; g > 0; --g) {
            if (used_.count(g) == 0 && s_.frames.flags.get(g) == 0) {
                used_.insert(g);
                core_frames_.insert(g);
                s_.frames.owner.set(g, d);
                s_.frames.flags.set(g, kFrameAllocated | kFrameXenRef);
                s_.frames.type.set(g, kTypeWritable);
                s_.mem.clear_frame(g);
                note("d", d, " ", what, " -> new frame ", g);
                return g;
            }
        }
        return f;
    }

    CState& s_;
    const Counterexample& c_;
    std::vector<std::string>& repairs_;
    std::set<std::uint32_t> used_;
    std::set<std::uint32_t> core_frames_; // shared_info, grant-table and status frames handed out
};

// Clears the status bits of every unused grant entry: bits a granter wrote
// into its own entries, which the concrete checker (bits exactly as the
// pins require) counts as a violation, but which no handler made and every
// guest may make.
void clear_granter_status(CState& s) {
    for_each_live_grant_entry(s, [&](std::uint32_t gi, std::uint32_t f, std::uint32_t w) {
        if (s.grants.act_readers.get(gi) + s.grants.act_writers.get(gi) == 0) {
            s.mem.store64(f, w, s.mem.load64(f, w) & ~std::uint64_t{GTF_reading | GTF_writing});
        }
    });
}

bool same(const core::Violation& a, const core::Violation& b) {
    return a.check == b.check && a.detail == b.detail;
}

std::string names(const std::vector<core::Violation>& v) {
    std::set<std::string> n;
    for (const auto& x : v) {
        n.insert(x.check);
    }
    std::string out;
    for (const auto& s : n) {
        out += (out.empty() ? "" : ", ") + s;
    }
    return out;
}

} // namespace

// One guard frame past the machine's end: a seeded bug that copies past a
// frame's end (copy_past_frame_end) may do so from the last frame, and its
// replay must write memory, not past it.
ConcreteMachine::ConcreteMachine(std::uint32_t nr_frames)
    : memory_((std::size_t{nr_frames} + 1) * kPageSize) {
    init_state<C>(static_cast<CState&>(state_), nr_frames);
    state_.mem = ConcreteMemory(std::span(memory_.data(), std::size_t{nr_frames} * kPageSize));
}

ConcreteMachine::ConcreteMachine(const ConcreteMachine& other)
    : memory_(other.memory_), state_(other.state_) {
    state_.mem =
        ConcreteMemory(std::span(memory_.data(), std::size_t{state_.nr_frames} * kPageSize));
}

namespace {

// Builds the counterexample's machine (at the start of the step's whole
// table operation if `whole`), checks it, runs the call and checks again.
Replay replay_on_machine(const HandlerSpec& spec, const Counterexample& c, bool whole) {
    Replay r;
    std::vector<std::uint64_t> args;
    for (const auto& [name, v] : c.args) {
        args.push_back(v);
    }
    auto before = std::make_shared<ConcreteMachine>(c.nr_frames);
    Builder b(*before, c, r.repairs);
    b.fill();
    b.repair_domains();
    if (whole) {
        spec.whole_start(before->state(), args);
    }
    b.sanitize();
    b.normalize();
    r.built = true;
    r.before = before;
    // Sound but for what its granters wrote into their own entries; what
    // the checker reports of those before the call is not the call's doing.
    ConcreteMachine cleared(*before);
    clear_granter_status(cleared.state());
    r.pre = check_invariants(cleared.state());
    if (!r.pre.empty()) {
        r.summary = "the built pre-state is not sound: " + names(r.pre);
        return r;
    }
    const auto given = check_invariants(before->state());
    auto after = std::make_shared<ConcreteMachine>(*before);
    r.rc = (whole ? spec.whole : spec.concrete)(after->replay_state(), Args<Concrete>(args));
    r.ran = true;
    r.after = after;
    for (auto& v : check_invariants(after->state())) {
        if (std::none_of(given.begin(), given.end(), [&](const auto& g) { return same(g, v); })) {
            r.post.push_back(std::move(v));
        }
    }
    // The policy's violations by this call (a policy goal's checks name them).
    for (auto& v : check_policy(spec, before->state(), after->state(), args, r.rc)) {
        r.post.push_back(std::move(v));
    }
    for (auto& v : check_owed_flushes(before->state(), after->state())) {
        r.post.push_back(std::move(v));
    }
    for (const auto& v : r.post) {
        r.confirmed =
            r.confirmed || std::find(c.checks.begin(), c.checks.end(), v.check) != c.checks.end();
    }
    if (r.confirmed) {
        r.summary = std::string(kConfirmed) + "the concrete checker reports " + names(r.post);
    } else if (r.post.empty()) {
        r.summary = "not reproduced: the concrete handler (rc " + std::to_string(r.rc) +
                    ") kept every invariant";
    } else {
        r.summary = "the concrete checker reports " + names(r.post) + ", not " +
                    (c.checks.empty() ? std::string("(auxiliary)") : c.checks.front());
    }
    return r;
}

} // namespace

Replay replay_counterexample(const HandlerSpec& spec, const Counterexample& c) {
    if (!spec.concrete) {
        Replay r;
        r.summary = "no concrete instantiation to replay";
        return r;
    }
    if (c.nr_frames < 8 || c.nr_frames > kMaxReplayFrames) {
        Replay r;
        r.summary = "machine of " + std::to_string(c.nr_frames) + " frames: too large to build";
        return r;
    }
    Replay step = replay_on_machine(spec, c, false);
    if (step.confirmed || !spec.whole) {
        return step;
    }
    // A table-work step: the whole operation it belongs to, from its start.
    Replay whole = replay_on_machine(spec, c, true);
    if (whole.confirmed) {
        whole.summary = "confirmed on the whole table operation (the step alone: " + step.summary +
                        "): " + whole.summary.substr(kConfirmed.size());
        return whole;
    }
    step.summary += "; the whole table operation: " + whole.summary;
    return step;
}

} // namespace enso::verify
