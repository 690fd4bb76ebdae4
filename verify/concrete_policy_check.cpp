// The security policy checked on one concrete call (concrete_policy_check.hpp).
#include "verify/concrete_policy_check.hpp"

#include "hvcore/core/event_channel_ops.hpp"
#include "hvcore/core/grant_ops.hpp"

#include <string>

namespace enso::verify {

namespace {

using namespace core;
using C = Concrete;

bool permits(std::uint64_t w) {
    return (w & GTF_type_mask) == GTF_permit_access;
}
bool names(std::uint64_t w, std::uint16_t d) {
    return ((w >> 16) & 0xffffU) == d;
}
bool readonly(std::uint64_t w) {
    return (w & GTF_readonly) != 0;
}
std::uint16_t resolve(std::uint16_t d, std::uint64_t named) {
    return named == DOMID_SELF ? d : static_cast<std::uint16_t>(named);
}

class PolicyCheck {
public:
    PolicyCheck(const HandlerSpec& spec, const CState& pre, const CState& post,
                const std::vector<std::uint64_t>& args, Rc rc)
        : spec_(spec), pre_(pre), post_(post), args_(args), rc_(rc),
          d_(static_cast<std::uint16_t>(args.at(0))) {}

    void frames();
    void memory();
    void domain_record();
    void active_grants();
    void maptrack();
    void ports();
    void fresh_frames();
    void consent();

    std::vector<Violation> out;

private:
    void report(const char* goal, std::string detail, std::vector<std::uint32_t> frames = {},
                std::vector<std::uint16_t> doms = {}) {
        out.push_back(
            {std::string("policy/") + goal, std::move(detail), std::move(frames), std::move(doms)});
    }
    [[nodiscard]] std::uint32_t nr() const { return pre_.nr_frames; }
    static bool owned(const CState& s, std::uint32_t f, std::uint16_t e) {
        return f < s.nr_frames && owned_by<C>(s, f, e);
    }
    // f belongs to a domain other than d in s.
    [[nodiscard]] bool foreign(const CState& s, std::uint32_t f) const {
        return f < s.nr_frames && owned(s, f, s.frames.owner.get(f)) && s.frames.owner.get(f) != d_;
    }
    [[nodiscard]] bool freed(std::uint32_t f) const {
        return !frame_has<C>(post_, f, kFrameAllocated) && post_.frames.count.get(f) == 0;
    }
    // e's entry for ref in s (0 if e has no such entry).
    static std::uint64_t entry(const CState& s, std::uint16_t e, std::uint32_t ref) {
        if (e >= kMaxDomains || ref >= nr_grant_refs<C>(s, e)) {
            return 0;
        }
        const auto f = grant_entry_frame<C>(s, e, ref);
        return f < s.nr_frames ? s.mem.load64(f, grant_entry_word<C>(ref)) : 0;
    }
    static bool active(const CState& s, std::uint32_t gi) {
        return s.grants.act_readers.get(gi) + s.grants.act_writers.get(gi) != 0;
    }
    // Row grant_frame_refs: f is what a grant of e to d hands d (its entry
    // permits access and names d, or its active entry is d's).
    [[nodiscard]] bool grant_frame_refs(std::uint32_t f, std::uint16_t e) const {
        if (e >= kMaxDomains) {
            return false;
        }
        for (std::uint32_t ref = 0; ref < kMaxGrantRefs; ++ref) {
            const auto gi = grant_index<C>(e, ref);
            const auto w = entry(pre_, e, ref);
            const bool by_d = (permits(w) && names(w, d_)) ||
                              (active(pre_, gi) && pre_.grants.act_grantee.get(gi) == d_) ||
                              (active(post_, gi) && post_.grants.act_grantee.get(gi) == d_);
            const auto handed = active(pre_, gi) ? pre_.grants.act_frame.get(gi)
                                                 : static_cast<std::uint32_t>(w >> 32);
            if (by_d && (handed == f || pre_.grants.act_frame.get(gi) == f ||
                         post_.grants.act_frame.get(gi) == f)) {
                return true;
            }
        }
        return false;
    }
    // Row grant_copy_destination: an entry of e permits d to write f.
    [[nodiscard]] bool copy_destination(std::uint32_t f, std::uint16_t e) const {
        for (std::uint32_t ref = 0; ref < nr_grant_refs<C>(pre_, e); ++ref) {
            const auto w = entry(pre_, e, ref);
            const auto gi = grant_index<C>(e, ref);
            const auto handed = active(pre_, gi) ? pre_.grants.act_frame.get(gi)
                                                 : static_cast<std::uint32_t>(w >> 32);
            if (permits(w) && names(w, d_) && !readonly(w) && handed == f) {
                return true;
            }
        }
        return false;
    }
    // Row grant_mapped_write (the guest step): e's active grant of f is
    // d's, with writable maps.
    [[nodiscard]] bool mapped_write(std::uint32_t f, std::uint16_t e) const {
        if (!spec_.guest) {
            return false;
        }
        for (std::uint32_t ref = 0; ref < kMaxGrantRefs; ++ref) {
            const auto gi = grant_index<C>(e, ref);
            if (pre_.grants.act_frame.get(gi) == f && pre_.grants.act_grantee.get(gi) == d_ &&
                pre_.grants.act_writers.get(gi) != 0) {
                return true;
            }
        }
        return false;
    }
    [[nodiscard]] bool word_allowed(std::uint32_t f, std::uint32_t w, std::uint16_t e) const;
    [[nodiscard]] bool one_freed(std::uint16_t x) const {
        for (std::uint32_t f = 0; f < nr(); ++f) {
            if (pre_.frames.count.get(f) != 0 && pre_.frames.owner.get(f) == x && freed(f) &&
                grant_frame_refs(f, x)) {
                return true;
            }
        }
        return false;
    }

    const HandlerSpec& spec_;
    const CState& pre_;
    const CState& post_;
    const std::vector<std::uint64_t>& args_;
    Rc rc_;
    std::uint16_t d_;
};

// Rows grant_status and event_pending.
bool PolicyCheck::word_allowed(std::uint32_t f, std::uint32_t w, std::uint16_t e) const {
    const auto old = pre_.mem.load64(f, w);
    const auto now = post_.mem.load64(f, w);
    const auto set = now & ~old;
    const auto cleared = old & ~now;
    const std::uint64_t status = GTF_reading | GTF_writing;
    const auto si = pre_.doms.shared_info.get(e);
    if (frame_has<C>(pre_, f, kFrameXenRef) && f != si) {
        // The entry at (f, w), if f is one of e's grant frames; its active
        // entry was d's and the call changed it (d's use released).
        bool released = permits(old) && names(old, d_);
        for (std::uint32_t i = 0; i < pre_.doms.gnttab_nr_frames.get(e) && i < kMaxGrantFrames;
             ++i) {
            if (pre_.doms.gnttab_frame.get(gnttab_frame_index<C>(e, i)) != f) {
                continue;
            }
            const auto gi = grant_index<C>(e, (i << kGrantRefsPerFrameBits) | w);
            const bool changed =
                pre_.grants.act_readers.get(gi) != post_.grants.act_readers.get(gi) ||
                pre_.grants.act_writers.get(gi) != post_.grants.act_writers.get(gi);
            released =
                released || (changed && active(pre_, gi) && pre_.grants.act_grantee.get(gi) == d_);
        }
        if (((old ^ now) & ~status) == 0 && (set == 0 || (permits(old) && names(old, d_))) &&
            ((set & GTF_writing) == 0 || !readonly(old)) && (cleared == 0 || released)) {
            return true;
        }
    }
    if (f != si || cleared != 0) {
        return false;
    }
    if (w == kPendingSelWord || w == kUpcallPendingWord) {
        return true;
    }
    if (w < kEvtchnPendingWord || w >= kEvtchnPendingWord + kMaxPorts / 64) {
        return false;
    }
    if (set == 0) {
        return true;
    }
    if ((set & (set - 1)) != 0) {
        return false; // more than one bit
    }
    const auto port =
        ((w - kEvtchnPendingWord) << 6) | static_cast<std::uint32_t>(__builtin_ctzll(set));
    const auto pi = port_index<C>(e, port);
    return post_.evtchn.state.get(pi) == EVTCHNSTAT_interdomain &&
           post_.evtchn.remote_dom.get(pi) == d_;
}

void PolicyCheck::frames() {
    for (std::uint32_t f = 0; f < nr(); ++f) {
        const bool ownership = pre_.frames.owner.get(f) != post_.frames.owner.get(f) ||
                               pre_.frames.flags.get(f) != post_.frames.flags.get(f);
        const bool counts = pre_.frames.count.get(f) != post_.frames.count.get(f) ||
                            pre_.frames.type.get(f) != post_.frames.type.get(f) ||
                            pre_.frames.type_count.get(f) != post_.frames.type_count.get(f);
        const auto e = pre_.frames.owner.get(f);
        if (ownership && (foreign(pre_, f) || foreign(post_, f)) &&
            !(freed(f) && grant_frame_refs(f, e))) {
            report("frames",
                   "d" + std::to_string(d_) + " changed the owner or flags of f" +
                       std::to_string(f) + ", another domain's",
                   {f});
        } else if (counts && foreign(pre_, f) && !grant_frame_refs(f, e)) {
            report("frames",
                   "d" + std::to_string(d_) + " changed the counts or type of f" +
                       std::to_string(f) + " of d" + std::to_string(e) + ", which no grant of d" +
                       std::to_string(e) + " hands it",
                   {f}, {e});
        }
    }
}

void PolicyCheck::memory() {
    for (std::uint32_t f = 0; f < nr(); ++f) {
        if (!foreign(pre_, f)) {
            continue;
        }
        const auto e = pre_.frames.owner.get(f);
        for (std::uint32_t w = 0; w < kEntriesPerTable; ++w) {
            if (pre_.mem.load64(f, w) == post_.mem.load64(f, w) || word_allowed(f, w, e) ||
                mapped_write(f, e) || (spec_.name == "grant_copy" && copy_destination(f, e))) {
                continue;
            }
            report("memory",
                   "d" + std::to_string(d_) + " changed word " + std::to_string(w) + " of f" +
                       std::to_string(f) + " of d" + std::to_string(e) + ", which no row allows",
                   {f}, {e});
            break;
        }
    }
}

void PolicyCheck::domain_record() {
    for (std::uint16_t x = 0; x < kMaxDomains; ++x) {
        if (x == d_) {
            continue;
        }
        const auto& a = pre_.doms;
        const auto& b = post_.doms;
        bool bad = a.max_pages.get(x) != b.max_pages.get(x) ||
                   a.baseptr.get(x) != b.baseptr.get(x) ||
                   a.shared_info.get(x) != b.shared_info.get(x) ||
                   a.gnttab_nr_frames.get(x) != b.gnttab_nr_frames.get(x) ||
                   a.gnttab_status.get(x) != b.gnttab_status.get(x) ||
                   a.shutdown_code.get(x) != b.shutdown_code.get(x) ||
                   a.invlpg_va.get(x) != b.invlpg_va.get(x);
        for (std::uint32_t i = 0; i < kMaxGrantFrames; ++i) {
            const auto g = gnttab_frame_index<C>(x, i);
            bad = bad || a.gnttab_frame.get(g) != b.gnttab_frame.get(g);
        }
        const bool pages = a.tot_pages.get(x) != b.tot_pages.get(x);
        const bool state = a.state.get(x) != b.state.get(x);
        const std::uint8_t old_fx = a.effects.get(x);
        const std::uint8_t new_fx = b.effects.get(x);
        const auto gained = static_cast<std::uint8_t>(new_fx & ~old_fx & ~kEffectUpcall);
        const bool effects = (old_fx & ~new_fx) != 0 || (gained & ~kEffectMemslots) != 0;
        bool freeing = false;
        if (pages || state || gained != 0) {
            freeing = one_freed(x);
        }
        bad = bad || effects || (gained != 0 && !freeing);
        bad = bad || (pages && !(freeing && b.tot_pages.get(x) == a.tot_pages.get(x) - 1));
        bad = bad || (state && !(a.state.get(x) == kDomDying && b.state.get(x) == kDomFree &&
                                 b.tot_pages.get(x) == 0 && freeing));
        if (bad) {
            report("domain_record",
                   "d" + std::to_string(d_) + " changed the record of d" + std::to_string(x), {},
                   {x});
        }
    }
}

void PolicyCheck::active_grants() {
    for (std::uint32_t gi = 0; gi < kMaxDomains * kMaxGrantRefs; ++gi) {
        const auto& a = pre_.grants;
        const auto& b = post_.grants;
        const bool changed = a.act_readers.get(gi) != b.act_readers.get(gi) ||
                             a.act_writers.get(gi) != b.act_writers.get(gi) ||
                             a.act_frame.get(gi) != b.act_frame.get(gi) ||
                             a.act_grantee.get(gi) != b.act_grantee.get(gi);
        if (!changed || (gi >> kGrantRefBits) == d_) {
            continue;
        }
        if (b.act_grantee.get(gi) != d_ || (active(pre_, gi) && a.act_grantee.get(gi) != d_)) {
            report("active_grants", "d" + std::to_string(d_) + " changed the active entry of ref " +
                                        std::to_string(gi & (kMaxGrantRefs - 1)) + " of d" +
                                        std::to_string(gi >> kGrantRefBits));
        }
    }
}

void PolicyCheck::maptrack() {
    for (std::uint32_t mi = 0; mi < kMaxDomains * kMaxMaptrack; ++mi) {
        const auto& a = pre_.grants;
        const auto& b = post_.grants;
        if ((mi >> kMaptrackBits) != d_ && (a.map_flags.get(mi) != b.map_flags.get(mi) ||
                                            a.map_granter.get(mi) != b.map_granter.get(mi) ||
                                            a.map_ref.get(mi) != b.map_ref.get(mi) ||
                                            a.map_host_addr.get(mi) != b.map_host_addr.get(mi))) {
            report("maptrack", "d" + std::to_string(d_) + " changed a handle of d" +
                                   std::to_string(mi >> kMaptrackBits));
        }
    }
}

void PolicyCheck::ports() {
    for (std::uint32_t pi = 0; pi < kMaxDomains * kMaxPorts; ++pi) {
        const auto& a = pre_.evtchn;
        const auto& b = post_.evtchn;
        const bool changed = a.state.get(pi) != b.state.get(pi) ||
                             a.remote_dom.get(pi) != b.remote_dom.get(pi) ||
                             a.remote_port.get(pi) != b.remote_port.get(pi);
        if (!changed || (pi >> kPortBits) == d_) {
            continue;
        }
        const bool bind = a.state.get(pi) == EVTCHNSTAT_unbound && a.remote_dom.get(pi) == d_ &&
                          b.state.get(pi) == EVTCHNSTAT_interdomain && b.remote_dom.get(pi) == d_;
        const bool peer_close = a.state.get(pi) == EVTCHNSTAT_interdomain &&
                                a.remote_dom.get(pi) == d_ &&
                                b.state.get(pi) == EVTCHNSTAT_unbound &&
                                b.remote_dom.get(pi) == d_ && b.remote_port.get(pi) == 0;
        const bool dom0 = d_ == 0 && a.state.get(pi) == EVTCHNSTAT_closed &&
                          b.state.get(pi) == EVTCHNSTAT_unbound;
        if (!(bind || peer_close || dom0)) {
            report("ports",
                   "d" + std::to_string(d_) + " changed port " +
                       std::to_string(pi & (kMaxPorts - 1)) + " of d" +
                       std::to_string(pi >> kPortBits) + ", which no row allows",
                   {}, {static_cast<std::uint16_t>(pi >> kPortBits)});
        }
    }
}

void PolicyCheck::fresh_frames() {
    for (std::uint32_t f = 0; f < nr(); ++f) {
        const auto e = post_.frames.owner.get(f);
        if (!owned(post_, f, e) || owned(pre_, f, e)) {
            continue;
        }
        for (std::uint32_t w = 0; w < kEntriesPerTable; ++w) {
            if (post_.mem.load64(f, w) != 0) {
                report("fresh_frame_zeroed",
                       "f" + std::to_string(f) + " became d" + std::to_string(e) +
                           "'s holding word " + std::to_string(w) + " of its previous contents",
                       {f}, {e});
                break;
            }
        }
    }
}

void PolicyCheck::consent() {
    if (rc_ != 0) {
        return;
    }
    // Grant (named granter, ref) permits d's use, writing if `writes`.
    const auto grant_ok = [&](std::uint64_t named, std::uint64_t ref, bool writes) {
        const auto gd = resolve(d_, named);
        if (gd >= kMaxDomains || pre_.doms.state.get(gd) != kDomLive ||
            ref >= nr_grant_refs<C>(pre_, gd)) {
            return false;
        }
        const auto w = entry(pre_, gd, static_cast<std::uint32_t>(ref));
        return permits(w) && names(w, d_) && (!writes || !readonly(w));
    };
    bool ok = true;
    std::string what;
    if (spec_.name == "grant_map") {
        ok = grant_ok(args_.at(1), args_.at(2), (args_.at(3) & GNTMAP_readonly) == 0);
        what = "mapped a grant";
    } else if (spec_.name == "grant_copy") {
        ok = (args_.at(1) == 0 || grant_ok(args_.at(3), args_.at(2), false)) &&
             (args_.at(5) == 0 || grant_ok(args_.at(7), args_.at(6), true));
        what = "copied through a grant";
    } else if (spec_.name == "evtchn_bind_interdomain") {
        const auto rd = resolve(d_, args_.at(1));
        const auto port = args_.at(2);
        ok = rd < kMaxDomains && port < kMaxPorts &&
             pre_.evtchn.state.get(port_index<C>(rd, static_cast<std::uint32_t>(port))) ==
                 EVTCHNSTAT_unbound &&
             pre_.evtchn.remote_dom.get(port_index<C>(rd, static_cast<std::uint32_t>(port))) == d_;
        what = "bound a port";
    } else if (spec_.name == "evtchn_alloc_unbound") {
        ok = resolve(d_, args_.at(1)) == d_ || d_ == 0;
        what = "allocated a port";
    }
    if (!ok) {
        report("consent", "d" + std::to_string(d_) + " " + what + " its owner did not offer it", {},
               {d_});
    }
}

} // namespace

std::vector<Violation> check_policy(const HandlerSpec& spec, const CState& before,
                                    const CState& after, const std::vector<std::uint64_t>& args,
                                    Rc rc) {
    if (spec.args.empty() || spec.args.front().bits != 16 || args.empty()) {
        return {};
    }
    PolicyCheck c(spec, before, after, args, rc);
    c.frames();
    c.memory();
    c.domain_record();
    c.active_grants();
    c.maptrack();
    c.ports();
    c.fresh_frames();
    c.consent();
    return std::move(c.out);
}

} // namespace enso::verify
