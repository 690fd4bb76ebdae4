// The policy's goals for one end state (policy_goals.hpp).
#include "verify/policy_goals.hpp"

#include "hvcore/core/domain_table.hpp"
#include "hvcore/core/event_channel_ops.hpp"
#include "hvcore/core/grant_ops.hpp"

#include <functional>
#include <map>
#include <set>

namespace enso::verify {

namespace {

z3::expr u32(std::uint64_t v) {
    return bv(v, 32);
}
z3::expr ff() {
    return sym_ctx().bool_val(false);
}
z3::expr sel(const z3::expr& a, const z3::expr& i) {
    return z3::select(a, i);
}

// The distinct indices (by term) stored to in any of `arrays`.
std::vector<z3::expr> indices_of(const StateWrites& w, std::initializer_list<const char*> arrays) {
    std::vector<z3::expr> out;
    std::set<unsigned> seen;
    for (const char* a : arrays) {
        for (const auto& i : w.of(a)) {
            if (seen.insert(i.id()).second) {
                out.push_back(i);
            }
        }
    }
    return out;
}

// Whether any of `arrays` holds another value at i after the path.
z3::expr differs_at(const PathContext& p, std::initializer_list<const char*> arrays,
                    const z3::expr& i) {
    const auto pre = state_arrays(p.before);
    const auto post = state_arrays(p.post.state());
    z3::expr any = ff();
    for (std::size_t k = 0; k < pre.size(); ++k) {
        for (const char* a : arrays) {
            if (pre[k].first == a) {
                any = any || sel(post[k].second, i) != sel(pre[k].second, i);
            }
        }
    }
    return any;
}

// A v1 grant entry word: flags | domid << 16 | frame << 32.
z3::expr permits(const z3::expr& w) {
    return (w.extract(15, 0) & bv(GTF_type_mask, 16)) == bv(GTF_permit_access, 16);
}
z3::expr names(const z3::expr& w, const z3::expr& d16) {
    return w.extract(31, 16) == d16;
}
z3::expr readonly(const z3::expr& w) {
    return (w & bv(GTF_readonly, 64)) != bv(0, 64);
}
z3::expr grantee(const StateView& v, const z3::expr& gi) {
    return sel(v.state().grants.act_grantee.expr(), gi);
}
// The frame a use of grant gi is handed: the active entry's while it is in
// use, else the entry's (grant_acquire).
z3::expr handed(const StateView& v, const z3::expr& gi, const z3::expr& entry) {
    return z3::ite(v.active(gi), v.act_frame(gi), entry.extract(63, 32));
}

// The grant whose entry is word w9 of frame f, if f is one of the
// grant-table frames of e (32-bit): one (condition, grant index) for each
// of e's possible grant frames.
std::vector<std::pair<z3::expr, z3::expr>> entries_at(const StateView& v, const z3::expr& e32,
                                                      const z3::expr& f, const z3::expr& w9) {
    std::vector<std::pair<z3::expr, z3::expr>> out;
    // A word the core stored through e's grant-frame list (grant_acquire,
    // grant_release: f is gnttab_frame[g]) is the entry g names: one
    // candidate instead of four, and no reasoning about which of e's
    // frames f is.
    if (f.is_app() && f.decl().decl_kind() == Z3_OP_SELECT &&
        f.arg(0).id() == v.state().doms.gnttab_frame.expr().id()) {
        const z3::expr g = f.arg(1);
        const z3::expr i = g & u32(core::kMaxGrantFrames - 1);
        const z3::expr cond =
            z3::lshr(g, u32(core::kGrantFrameBits)) == e32 && z3::ult(i, v.nr_gframes(e32));
        const z3::expr gi = z3::shl(e32, u32(core::kGrantRefBits)) |
                            z3::shl(i, u32(core::kGrantRefsPerFrameBits)) | z3::zext(w9, 23);
        out.emplace_back(cond, gi);
        return out;
    }
    for (std::uint32_t i = 0; i < core::kMaxGrantFrames; ++i) {
        const z3::expr g = z3::shl(e32, u32(core::kGrantFrameBits)) | u32(i);
        const z3::expr cond = z3::ult(u32(i), v.nr_gframes(e32)) && v.gframe(g) == f;
        const z3::expr gi = z3::shl(e32, u32(core::kGrantRefBits)) |
                            u32(i << core::kGrantRefsPerFrameBits) | z3::zext(w9, 23);
        out.emplace_back(cond, gi);
    }
    return out;
}

class PolicyGoals {
public:
    PolicyGoals(const PathContext& path, std::vector<Goal>& goals)
        : p_(path), pre_(path.pre), post_(path.post), goals_(goals), d16_(path.args.raw(0)),
          d32_(z3::zext(d16_, 16)) {
        used_grants();
    }

    void frames();
    void memory();
    void domain_record();
    void active_grants();
    void maptrack();
    void ports();
    void fresh_frames();
    void consent();
    void noninterference();

private:
    void add(const std::string& name, const z3::expr& negated,
             std::vector<std::pair<std::string, z3::expr>> binders = {}) {
        if (!negated.simplify().is_false()) {
            // The concrete replay confirms it as concrete_policy_check names it.
            goals_.push_back(
                {"policy/" + name, {"policy/" + name}, negated, {}, {}, std::move(binders)});
        }
    }
    void used_grants();
    // Row last_reference_freed: f is free after the call (put_page of its
    // last reference).
    z3::expr freed(const z3::expr& f) const {
        return !post_.has(f, core::kFrameAllocated) && post_.count(f) == u32(0);
    }
    z3::expr foreign_frame(const StateView& v, const z3::expr& f) const {
        return v.owned_by(f, v.owner(f)) && v.owner(f) != d16_;
    }
    z3::expr grant_frame_refs(const z3::expr& f, const z3::expr& e16) const;
    z3::expr copy_destination(const z3::expr& f, const z3::expr& e16) const;
    z3::expr word_allowed(const z3::expr& f, const z3::expr& w9, const z3::expr& e32) const;
    z3::expr mapped_write(const z3::expr& f, const z3::expr& e16) const;

    const PathContext& p_;
    const StateView& pre_;
    const StateView& post_;
    std::vector<Goal>& goals_;
    z3::expr d16_;
    z3::expr d32_;
    // Grants the path used: (condition, grant index, through its entry word)
    // for each grant-entry word it stored and each active entry it stored.
    struct Used {
        z3::expr cond;
        z3::expr gi;
        bool entry;
    };
    std::vector<Used> used_;
};

// Active entries the path stored to (grant_acquire and grant_release
// always store them).
void PolicyGoals::used_grants() {
    for (const auto& gi : indices_of(p_.writes, {"grants.act_readers", "grants.act_writers",
                                                 "grants.act_frame", "grants.act_grantee"})) {
        used_.push_back({sym_ctx().bool_val(true), gi, false});
    }
}

// Row grant_frame_refs: f is what a grant of e, used by d in this path,
// hands d.
z3::expr PolicyGoals::grant_frame_refs(const z3::expr& f, const z3::expr& e16) const {
    z3::expr any = ff();
    for (const auto& u : used_) {
        const z3::expr granter = z3::lshr(u.gi, u32(core::kGrantRefBits)) == z3::zext(e16, 16);
        const z3::expr entry = pre_.grant_word(u.gi);
        const z3::expr by_d = (permits(entry) && names(entry, d16_)) ||
                              (pre_.active(u.gi) && grantee(pre_, u.gi) == d16_) ||
                              (post_.active(u.gi) && grantee(post_, u.gi) == d16_);
        const z3::expr frame = handed(pre_, u.gi, entry) == f || pre_.act_frame(u.gi) == f ||
                               post_.act_frame(u.gi) == f;
        any = any || (u.cond && granter && by_d && frame);
    }
    // An entry the path used whose active entry it left as it was
    // (grant_copy: acquired and released), as in copy_destination.
    const z3::expr e32 = z3::zext(e16, 16);
    for (const auto& [ef, ew] : p_.writes.words) {
        for (const auto& [cond, gi] : entries_at(pre_, e32, ef, ew)) {
            const z3::expr entry = pre_.word(ef, ew);
            any = any ||
                  (cond && permits(entry) && names(entry, d16_) && handed(pre_, gi, entry) == f);
        }
    }
    return any;
}

// Row grant_copy_destination: f is what a writable grant of e to d, whose
// entry the path used, hands d.
z3::expr PolicyGoals::copy_destination(const z3::expr& f, const z3::expr& e16) const {
    // The grants whose entry words the path stored (their status bits):
    // each word of e's grant-table frames, as one of e's four frames.
    z3::expr any = ff();
    const z3::expr e32 = z3::zext(e16, 16);
    for (const auto& [ef, ew] : p_.writes.words) {
        for (const auto& [cond, gi] : entries_at(pre_, e32, ef, ew)) {
            const z3::expr entry = pre_.word(ef, ew);
            any = any || (cond && permits(entry) && names(entry, d16_) && !readonly(entry) &&
                          handed(pre_, gi, entry) == f);
        }
    }
    return any;
}

// The indices of every select from `array` in e.
void selects_of(const z3::expr& e, const z3::expr& array, std::set<unsigned>& seen,
                std::vector<z3::expr>& out) {
    if (!e.is_app() || !seen.insert(e.id()).second) {
        return;
    }
    if (e.decl().decl_kind() == Z3_OP_SELECT && e.arg(0).id() == array.id()) {
        out.push_back(e.arg(1));
    }
    for (unsigned k = 0; k < e.num_args(); ++k) {
        selects_of(e.arg(k), array, seen, out);
    }
}

// Row grant_mapped_write (the guest step only): f is the frame of an
// active grant of e whose grantee is d and which d maps writable (writers
// counts d's writable maps), among the active entries the path read.
z3::expr PolicyGoals::mapped_write(const z3::expr& f, const z3::expr& e16) const {
    if (!p_.spec.guest) {
        return ff();
    }
    std::set<unsigned> seen;
    std::vector<z3::expr> gis;
    selects_of(p_.condition, p_.before.grants.act_frame.expr(), seen, gis);
    z3::expr any = ff();
    for (const auto& gi : gis) {
        any = any ||
              (z3::lshr(gi, u32(core::kGrantRefBits)) == z3::zext(e16, 16) &&
               pre_.act_frame(gi) == f && grantee(pre_, gi) == d16_ && pre_.writers(gi) != u32(0));
    }
    return any;
}

// Rows grant_status and event_pending: a word of e's grant table or
// shared_info that changed.
z3::expr PolicyGoals::word_allowed(const z3::expr& f, const z3::expr& w9,
                                   const z3::expr& e32) const {
    const z3::expr old = pre_.word(f, w9);
    const z3::expr now = post_.word(f, w9);
    const z3::expr set = now & ~old;
    const z3::expr cleared = old & ~now;
    const z3::expr zero = bv(0, 64);
    const z3::expr status = bv(GTF_reading | GTF_writing, 64);
    // A grant entry: a word of one of e's frames shared with the core other
    // than shared_info (those are its grant-table frames). Bits are cleared
    // only by the release of d's use of that entry, an active entry the
    // path stored.
    z3::expr released = ff();
    for (const auto& u : used_) {
        const z3::expr gd = z3::lshr(u.gi, u32(core::kGrantRefBits));
        const z3::expr ref = u.gi & u32(core::kMaxGrantRefs - 1);
        const z3::expr g = z3::shl(gd, u32(core::kGrantFrameBits)) |
                           z3::lshr(ref, u32(core::kGrantRefsPerFrameBits));
        released = released || (pre_.gframe(g) == f && ref.extract(8, 0) == w9 &&
                                pre_.active(u.gi) && grantee(pre_, u.gi) == d16_);
    }
    // ... or the end of a use the call itself made (grant_copy acquires and
    // releases), of an entry that permits access and names d.
    released = released || (permits(old) && names(old, d16_));
    z3::expr allowed = pre_.has(f, core::kFrameXenRef) && f != pre_.shared_info(e32) &&
                       ((old ^ now) & ~status) == zero &&
                       z3::implies(set != zero, permits(old) && names(old, d16_)) &&
                       z3::implies((set & bv(GTF_writing, 64)) != zero, !readonly(old)) &&
                       z3::implies(cleared != zero, released);
    // One pending bit, of a port of e bound to d afterwards; the selector
    // and upcall words only gain bits.
    const z3::expr w32 = z3::zext(w9, 23);
    const z3::expr first = u32(core::kEvtchnPendingWord);
    const z3::expr in_pending =
        z3::uge(w32, first) && z3::ult(w32, first + u32(core::kMaxPorts / 64));
    // The index of set's one bit, found by halving (set & below == 0 says
    // there is at most one).
    const z3::expr below = set - bv(1, 64);
    z3::expr bit = u32(0);
    const std::uint64_t halves[] = {0xffffffff00000000ULL, 0xffff0000ffff0000ULL,
                                    0xff00ff00ff00ff00ULL, 0xf0f0f0f0f0f0f0f0ULL,
                                    0xccccccccccccccccULL, 0xaaaaaaaaaaaaaaaaULL};
    for (unsigned k = 0; k < 6; ++k) {
        bit = bit | z3::ite((set & bv(halves[k], 64)) != bv(0, 64), u32(32U >> k), u32(0));
    }
    const z3::expr port = z3::shl(w32 - first, u32(6)) | bit;
    const z3::expr pi = z3::shl(e32, u32(core::kPortBits)) | port;
    const z3::expr bound =
        post_.port_state(pi) == bv(EVTCHNSTAT_interdomain, 8) && post_.remote_dom(pi) == d16_;
    const z3::expr summary =
        w32 == u32(core::kPendingSelWord) || w32 == u32(core::kUpcallPendingWord);
    allowed =
        allowed ||
        (f == pre_.shared_info(e32) && cleared == zero &&
         ((in_pending && (set & below) == zero && z3::implies(set != zero, bound)) || summary));
    return allowed;
}

// One goal per frame and per part (ownership, counts): smaller queries on
// the path's shared solver than one disjunction of them all.
void PolicyGoals::frames() {
    for (const auto& f : indices_of(p_.writes, {"frames.owner", "frames.flags", "frames.count",
                                                "frames.type", "frames.type_count"})) {
        const z3::expr ownership = differs_at(p_, {"frames.owner", "frames.flags"}, f);
        const z3::expr counts =
            differs_at(p_, {"frames.count", "frames.type", "frames.type_count"}, f);
        if (!ownership.simplify().is_false()) {
            add("frames", ownership && (foreign_frame(pre_, f) || foreign_frame(post_, f)) &&
                              !(freed(f) && grant_frame_refs(f, pre_.owner(f))));
        }
        if (!counts.simplify().is_false()) {
            add("frames", counts && foreign_frame(pre_, f) && !grant_frame_refs(f, pre_.owner(f)));
        }
    }
}

// One goal per word stored and per frame replaced whole: smaller queries
// on the path's shared solver than one disjunction of them all.
void PolicyGoals::memory() {
    std::set<std::pair<unsigned, unsigned>> seen;
    for (const auto& [f, w] : p_.writes.words) {
        if (!seen.insert({f.id(), w.id()}).second) {
            continue;
        }
        const z3::expr e16 = pre_.owner(f);
        add("memory", pre_.word(f, w) != post_.word(f, w) && foreign_frame(pre_, f) &&
                          !word_allowed(f, w, z3::zext(e16, 16)) && !mapped_write(f, e16));
    }
    const z3::expr slot = sym_ctx().bv_const("sk.policy_slot", 9);
    for (const auto& f : p_.writes.whole_frames) {
        const z3::expr e16 = pre_.owner(f);
        // Rows grant_status and event_pending are about words stored one
        // at a time: a frame of e replaced whole must be a copy destination.
        add("memory",
            pre_.word(f, slot) != post_.word(f, slot) && foreign_frame(pre_, f) &&
                !copy_destination(f, e16),
            {{"slot", slot}});
    }
}

void PolicyGoals::domain_record() {
    z3::expr bad = ff();
    const auto foreign = [&](const z3::expr& x) {
        return x != d32_ && z3::ult(x, u32(core::kMaxDomains));
    };
    // Row last_reference_freed: a frame of e the call freed (e had given it
    // up, d's grant use held its last reference; free_frame_if) takes one
    // page from e's count, gives e the memslots effect and, if e is dying
    // and that was its last page, makes e free.
    const auto frames_written =
        indices_of(p_.writes, {"frames.owner", "frames.flags", "frames.count"});
    const auto one_freed = [&](const z3::expr& x) {
        z3::expr any = ff();
        for (const auto& f : frames_written) {
            any = any || (pre_.frame_ok(f) && pre_.count(f) != u32(0) &&
                          z3::zext(pre_.owner(f), 16) == x && freed(f) &&
                          grant_frame_refs(f, pre_.owner(f)));
        }
        return any;
    };
    for (const auto& x : p_.writes.of("doms.tot_pages")) {
        const z3::expr old = sel(p_.before.doms.tot_pages.expr(), x);
        const z3::expr now = sel(post_.state().doms.tot_pages.expr(), x);
        bad = bad || (foreign(x) && old != now && !(one_freed(x) && now == old - u32(1)));
    }
    for (const auto& x : p_.writes.of("doms.state")) {
        const z3::expr to_free = pre_.dom_state(x) == bv(core::kDomDying, 8) &&
                                 post_.dom_state(x) == bv(core::kDomFree, 8) &&
                                 post_.tot_pages(x) == u32(0) && one_freed(x);
        bad = bad || (foreign(x) && differs_at(p_, {"doms.state"}, x) && !to_free);
    }
    for (const char* a :
         {"doms.max_pages", "doms.baseptr", "doms.shared_info", "doms.gnttab_nr_frames",
          "doms.gnttab_status", "doms.shutdown_code", "doms.invlpg_va"}) {
        for (const auto& x : p_.writes.of(a)) {
            bad = bad || (foreign(x) && differs_at(p_, {a}, x));
        }
    }
    for (const auto& g : p_.writes.of("doms.gnttab_frame")) {
        bad = bad || (foreign(z3::lshr(g, u32(core::kGrantFrameBits))) &&
                      differs_at(p_, {"doms.gnttab_frame"}, g));
    }
    // Row upcall_kick: effects only gain kEffectUpcall (and kEffectMemslots
    // with a frame freed, above).
    for (const auto& x : p_.writes.of("doms.effects")) {
        const z3::expr old = sel(p_.before.doms.effects.expr(), x);
        const z3::expr now = sel(post_.state().doms.effects.expr(), x);
        const z3::expr gained = now & ~old & ~bv(core::kEffectUpcall, 8);
        const z3::expr memslots = bv(core::kEffectMemslots, 8);
        bad = bad ||
              (foreign(x) && ((old & ~now) != bv(0, 8) || ((gained & ~memslots) != bv(0, 8) ||
                                                           (gained != bv(0, 8) && !one_freed(x)))));
    }
    add("domain_record", bad);
}

void PolicyGoals::active_grants() {
    z3::expr bad = ff();
    for (const auto& gi : indices_of(p_.writes, {"grants.act_readers", "grants.act_writers",
                                                 "grants.act_frame", "grants.act_grantee"})) {
        const z3::expr changed = differs_at(
            p_,
            {"grants.act_readers", "grants.act_writers", "grants.act_frame", "grants.act_grantee"},
            gi);
        const z3::expr foreign = z3::lshr(gi, u32(core::kGrantRefBits)) != d32_;
        const z3::expr allowed =
            grantee(post_, gi) == d16_ && (!pre_.active(gi) || grantee(pre_, gi) == d16_);
        bad = bad || (changed && foreign && !allowed);
    }
    add("active_grants", bad);
}

void PolicyGoals::maptrack() {
    z3::expr bad = ff();
    for (const auto& mi : indices_of(p_.writes, {"grants.map_flags", "grants.map_granter",
                                                 "grants.map_ref", "grants.map_host_addr"})) {
        bad = bad || (z3::lshr(mi, u32(core::kMaptrackBits)) != d32_ &&
                      differs_at(p_,
                                 {"grants.map_flags", "grants.map_granter", "grants.map_ref",
                                  "grants.map_host_addr"},
                                 mi));
    }
    add("maptrack", bad);
}

void PolicyGoals::ports() {
    z3::expr bad = ff();
    const z3::expr closed = bv(EVTCHNSTAT_closed, 8);
    const z3::expr unbound = bv(EVTCHNSTAT_unbound, 8);
    const z3::expr inter = bv(EVTCHNSTAT_interdomain, 8);
    for (const auto& pi :
         indices_of(p_.writes, {"evtchn.state", "evtchn.remote_dom", "evtchn.remote_port"})) {
        const z3::expr changed =
            differs_at(p_, {"evtchn.state", "evtchn.remote_dom", "evtchn.remote_port"}, pi);
        const z3::expr foreign = z3::lshr(pi, u32(core::kPortBits)) != d32_;
        const z3::expr bind = pre_.port_state(pi) == unbound && pre_.remote_dom(pi) == d16_ &&
                              post_.port_state(pi) == inter && post_.remote_dom(pi) == d16_;
        const z3::expr peer_close = pre_.port_state(pi) == inter && pre_.remote_dom(pi) == d16_ &&
                                    post_.port_state(pi) == unbound &&
                                    post_.remote_dom(pi) == d16_ && post_.remote_port(pi) == u32(0);
        const z3::expr dom0 =
            d16_ == bv(0, 16) && pre_.port_state(pi) == closed && post_.port_state(pi) == unbound;
        bad = bad || (changed && foreign && !(bind || peer_close || dom0));
    }
    add("ports", bad);
}

// A frame that becomes a domain's holds zeros only (nothing of its last owner).
void PolicyGoals::fresh_frames() {
    z3::expr bad = ff();
    const z3::expr slot = sym_ctx().bv_const("sk.fresh_slot", 9);
    for (const auto& f : indices_of(p_.writes, {"frames.owner", "frames.flags"})) {
        const z3::expr e = post_.owner(f);
        bad = bad ||
              (post_.owned_by(f, e) && !pre_.owned_by(f, e) && post_.word(f, slot) != bv(0, 64));
    }
    add("fresh_frame_zeroed", bad, {{"slot", slot}});
}

// The memory words (frame, slot) read in e: every select(select(M, f), w)
// with M the pre-state's memory or its second copy.
void memory_reads(const z3::expr& e, const z3::expr& m1, const z3::expr& m2,
                  std::set<unsigned>& seen, std::vector<std::pair<z3::expr, z3::expr>>& out) {
    if (!e.is_app() || !seen.insert(e.id()).second) {
        return;
    }
    if (e.decl().decl_kind() == Z3_OP_SELECT) {
        const z3::expr a = e.arg(0);
        if (a.is_app() && a.decl().decl_kind() == Z3_OP_SELECT &&
            (a.arg(0).id() == m1.id() || a.arg(0).id() == m2.id())) {
            out.emplace_back(a.arg(1), e.arg(1));
        }
    }
    for (unsigned k = 0; k < e.num_args(); ++k) {
        memory_reads(e.arg(k), m1, m2, seen, out);
    }
}

// Two runs of the path from pre-states that differ only in memory and
// agree on every word of the observer's own frames: afterwards the
// observer's frames hold the same words in both (step consistency for the
// caller, local respect for any other domain). Only for end states that
// move frames between owners (reservations, domain creation and destroy,
// grant-table growth, pins): the handlers that hand memory over.
void PolicyGoals::noninterference() {
    if (!p_.writes.wrote("frames.owner") && !p_.writes.wrote("frames.flags")) {
        return;
    }
    auto& c = sym_ctx();
    const z3::expr m1 = p_.before.mem.expr();
    const z3::expr m2 = c.constant("ni.mem2", m1.get_sort());
    z3::expr_vector from(c);
    z3::expr_vector to(c);
    from.push_back(m1);
    to.push_back(m2);
    const z3::expr x = c.bv_const("sk.observer", 16);
    const z3::expr f = c.bv_const("sk.ni_frame", 32);
    const z3::expr w = c.bv_const("sk.ni_slot", 9);
    const z3::expr owned = post_.owned_by(f, x);
    const z3::expr word = post_.word(f, w);
    z3::expr cond2 = p_.condition;
    z3::expr owned2 = owned;
    z3::expr word2 = word;
    cond2 = cond2.substitute(from, to);
    owned2 = owned2.substitute(from, to);
    word2 = word2.substitute(from, to);
    const z3::expr differ = owned && owned2 && word != word2;
    std::set<unsigned> seen;
    std::vector<std::pair<z3::expr, z3::expr>> reads;
    memory_reads(cond2 && differ, m1, m2, seen, reads);
    z3::expr agree = c.bool_val(true);
    for (const auto& [rf, rw] : reads) {
        agree = agree && z3::implies(pre_.owned_by(rf, x), z3::select(z3::select(m1, rf), rw) ==
                                                               z3::select(z3::select(m2, rf), rw));
    }
    add("noninterference", cond2 && agree && differ, {{"observer", x}, {"frame", f}, {"slot", w}});
}

// Consent, per handler that uses another domain's permission: on the
// successful paths, the pre-state held it.
using ConsentRule = std::function<z3::expr(const StateView&, const Args<Symbolic>&)>;

z3::expr resolve(const z3::expr& d16, const z3::expr& named16) {
    return z3::ite(named16 == bv(DOMID_SELF, 16), d16, named16);
}

// Grant (granter, ref) permits d's use, writing if `writes`.
z3::expr grant_consents(const StateView& v, const z3::expr& d16, const z3::expr& gd16,
                        const z3::expr& ref, const z3::expr& writes) {
    const z3::expr gi = z3::shl(z3::zext(gd16, 16), u32(core::kGrantRefBits)) | ref;
    const z3::expr entry = v.grant_word(gi);
    return z3::ult(ref, u32(core::kMaxGrantRefs)) && v.grant_ref_ok(gi) && permits(entry) &&
           names(entry, d16) && z3::implies(writes, !readonly(entry));
}

const std::map<std::string, ConsentRule>& consent_rules() {
    static const std::map<std::string, ConsentRule> rules = {
        {"grant_map",
         [](const StateView& v, const Args<Symbolic>& a) {
             const z3::expr d = a.raw(0);
             const z3::expr writes = (a.raw(3) & u32(GNTMAP_readonly)) == u32(0);
             return grant_consents(v, d, resolve(d, a.raw(1)), a.raw(2), writes);
         }},
        {"grant_copy",
         [](const StateView& v, const Args<Symbolic>& a) {
             const z3::expr d = a.raw(0);
             const z3::expr src =
                 grant_consents(v, d, resolve(d, a.raw(3)), a.raw(2), sym_ctx().bool_val(false));
             const z3::expr dst =
                 grant_consents(v, d, resolve(d, a.raw(7)), a.raw(6), sym_ctx().bool_val(true));
             return z3::implies(a.flag(1).expr(), src) && z3::implies(a.flag(5).expr(), dst);
         }},
        {"evtchn_bind_interdomain",
         [](const StateView& v, const Args<Symbolic>& a) {
             const z3::expr d = a.raw(0);
             const z3::expr rd = resolve(d, a.raw(1));
             const z3::expr ri = z3::shl(z3::zext(rd, 16), u32(core::kPortBits)) | a.raw(2);
             return z3::ult(a.raw(2), u32(core::kMaxPorts)) &&
                    v.port_state(ri) == bv(EVTCHNSTAT_unbound, 8) && v.remote_dom(ri) == d;
         }},
        {"evtchn_alloc_unbound",
         [](const StateView&, const Args<Symbolic>& a) {
             const z3::expr caller = a.raw(0);
             return resolve(caller, a.raw(1)) == caller || caller == bv(0, 16);
         }},
    };
    return rules;
}

void PolicyGoals::consent() {
    const auto& rules = consent_rules();
    const auto it = rules.find(p_.spec.name);
    if (it == rules.end() || !p_.ok_condition) {
        return;
    }
    add("consent", *p_.ok_condition && !it->second(pre_, p_.args));
}

} // namespace

void add_policy_goals(const PathContext& path, std::vector<Goal>& goals) {
    // Every catalogue entry's first argument is the acting domain (16 bits).
    if (path.args.size() == 0 || path.args.raw(0).get_sort().bv_size() != 16) {
        return;
    }
    PolicyGoals g(path, goals);
    g.frames();
    g.memory();
    g.domain_record();
    g.active_grants();
    g.maptrack();
    g.ports();
    g.fresh_frames();
    g.consent();
    g.noninterference();
}

bool is_policy_goal(const std::string& name) {
    return name.starts_with("policy/");
}

bool policy_proved(const ProofResult& r) {
    if (!r.error.empty() || r.ok_paths == 0 || r.explored_only) {
        return false;
    }
    for (const auto& f : r.failures) {
        if (is_policy_goal(f.invariant)) {
            return false;
        }
    }
    return true;
}

} // namespace enso::verify
