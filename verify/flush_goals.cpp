// The owed-TLB-flush goals of one end state (flush_goals.hpp).
#include "verify/flush_goals.hpp"

#include "hvcore/core/domain_table.hpp"
#include "hvcore/core/frame_table.hpp"
#include "hvcore/core/grant_state.hpp"
#include "hvcore/core/limits.hpp"

namespace enso::verify {

namespace {

z3::expr flushed(const StateView& v, const z3::expr& x32) {
    const z3::expr effects = z3::select(v.state().doms.effects.expr(), x32);
    return (effects & bv(core::kEffectTlbFlush, 8)) != bv(0, 8);
}

bool wrote_any(const StateWrites& w, std::initializer_list<const char*> arrays) {
    for (const char* a : arrays) {
        if (w.wrote(a)) {
            return true;
        }
    }
    return false;
}

// A frame x owned before: it leaves x, stops being typed writable, or stops
// being the validated table of its level. The owner is the only domain that
// reaches a frame through its own tables.
void frame_goal(const PathContext& p, std::vector<Goal>& goals) {
    if (!wrote_any(p.writes, {"frames.owner", "frames.flags", "frames.type"})) {
        return;
    }
    const StateView& pre = p.pre;
    const StateView& post = p.post;
    const z3::expr f = sym_ctx().bv_const("sk.flush_frame", 32);
    const z3::expr x16 = pre.owner(f);
    const z3::expr x32 = z3::zext(x16, 16);
    const z3::expr writable = bv(core::kTypeWritable, 8);
    const z3::expr withdrawn =
        !post.owned_by(f, x16) || (pre.type(f) == writable && post.type(f) != writable) ||
        (pre.validated_table(f) && !(post.validated_table(f) && post.type(f) == pre.type(f)));
    const z3::expr negated =
        pre.owned_by(f, x16) && withdrawn && post.live(x32) && !flushed(post, x32);
    if (negated.simplify().is_false()) {
        return;
    }
    goals.push_back({"flush/owed",
                     {"flush/owed"},
                     negated,
                     {{ObjectKind::FrameHolds, f, f}, {ObjectKind::OwnedFrame, f, f}},
                     {},
                     {{"frame", f}, {"domain", x32}}});
}

// A PTE map of x's: it ends, loses writing, or names another frame.
void map_goal(const PathContext& p, std::vector<Goal>& goals) {
    if (!wrote_any(p.writes, {"grants.map_flags", "grants.map_granter", "grants.map_ref",
                              "grants.act_frame"})) {
        return;
    }
    const StateView& pre = p.pre;
    const StateView& post = p.post;
    const z3::expr mi = sym_ctx().bv_const("sk.flush_map", 32);
    const z3::expr x32 = z3::lshr(mi, bv(core::kMaptrackBits, 32));
    const auto pte_map = [&](const StateView& v) {
        return z3::ult(mi, bv(core::kMaxDomains << core::kMaptrackBits, 32)) &&
               v.map_has(mi, core::kMapInUse) && v.map_has(mi, core::kMapPte);
    };
    const auto frame = [&](const StateView& v) { return v.act_frame(v.grant_of(mi)); };
    const z3::expr kept =
        pte_map(post) && frame(post) == frame(pre) &&
        z3::implies(!pre.map_has(mi, core::kMapReadonly), !post.map_has(mi, core::kMapReadonly));
    const z3::expr negated = pte_map(pre) && !kept && post.live(x32) && !flushed(post, x32);
    if (negated.simplify().is_false()) {
        return;
    }
    const z3::expr gi = pre.grant_of(mi);
    goals.push_back({"flush/owed",
                     {"flush/owed"},
                     negated,
                     {{ObjectKind::Maptrack, mi, mi}, {ObjectKind::ActiveGrant, gi, gi}},
                     {},
                     {{"map", mi}, {"domain", x32}}});
}

// A flush owed to a domain live before and after stays owed: the path
// clears no kEffectTlbFlush the platform has not carried out.
void kept_goal(const PathContext& p, std::vector<Goal>& goals) {
    z3::expr lost = sym_ctx().bool_val(false);
    for (const auto& x : p.writes.of("doms.effects")) {
        lost =
            lost || (p.pre.live(x) && p.post.live(x) && flushed(p.pre, x) && !flushed(p.post, x));
    }
    if (lost.simplify().is_false()) {
        return;
    }
    goals.push_back({"flush/kept", {"flush/kept"}, lost, {}, {}, {}});
}

} // namespace

void add_flush_goals(const PathContext& path, std::vector<Goal>& goals) {
    frame_goal(path, goals);
    map_goal(path, goals);
    kept_goal(path, goals);
}

bool is_flush_goal(const std::string& name) {
    return name.starts_with("flush/");
}

} // namespace enso::verify
