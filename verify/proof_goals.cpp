// The goals of one end state (proof_goals.hpp).
#include "verify/proof_goals.hpp"

#include "verify/flush_goals.hpp"
#include "verify/policy_goals.hpp"
#include "verify/symbolic_invariants.hpp"

#include <array>

namespace enso::verify {

namespace {

// Fresh constants for an invariant's binders: the would-be counterexample.
struct Skolems {
    std::vector<z3::expr> vars;
    std::vector<std::pair<std::string, z3::expr>> named;
};

Skolems make_skolems(const std::vector<IndexClass>& classes) {
    Skolems s;
    std::array<unsigned, kIndexClasses> n{};
    for (const auto c : classes) {
        const std::string name =
            std::string(index_class_name(c)) + std::to_string(n[static_cast<std::size_t>(c)]++);
        s.vars.push_back(sym_ctx().bv_const(("sk." + name).c_str(), index_bits(c)));
        s.named.emplace_back(name, s.vars.back());
    }
    return s;
}

// The objects a goal's binders name, for the sum bounds: what the goal's
// frame, domain, grant or maptrack entry holds or is.
std::vector<Object> objects_named(const PathContext& path, const Invariant& inv,
                                  const std::vector<z3::expr>& vars) {
    std::vector<Object> out;
    if (inv.instances == Instances::PerWord) {
        out.push_back({ObjectKind::Entry, vars[0], vars[1]});
        // A grant PTE's references are held by the grant its witness
        // names: without it in the sum, a model may free a frame that
        // this word still maps through another grant (grant_unmap).
        const z3::expr w = path.pre.witness(vars[0], vars[1]);
        out.push_back({ObjectKind::Maptrack, w, w});
        const z3::expr g = path.pre.grant_of(w);
        out.push_back({ObjectKind::ActiveGrant, g, g});
        return out;
    }
    for (std::size_t k = 0; k < vars.size(); ++k) {
        const z3::expr& x = vars[k];
        switch (inv.binders[k]) {
        case IndexClass::Frame:
            out.push_back({ObjectKind::FrameHolds, x, x});
            out.push_back({ObjectKind::OwnedFrame, x, x});
            break;
        case IndexClass::Dom:
            out.push_back({ObjectKind::Baseptr, x, x});
            break;
        case IndexClass::Grant:
            out.push_back({ObjectKind::ActiveGrant, x, x});
            break;
        case IndexClass::Map:
            out.push_back({ObjectKind::Maptrack, x, x});
            break;
        default:
            break;
        }
    }
    return out;
}

// An invariant's goal: its post-state at fresh binders, negated. None if
// the invariant's body is the same term before and after (it reads
// nothing the path wrote).
void add_invariant_goal(const PathContext& path, const Invariant& inv, std::vector<Goal>& goals,
                        std::size_t& skipped) {
    const Skolems sk = make_skolems(inv.binders);
    const z3::expr post = inv.body(path.post, sk.vars);
    if (post.id() == inv.body(path.pre, sk.vars).id()) {
        ++skipped;
        return;
    }
    goals.push_back({inv.name, inv.checks, !post, objects_named(path, inv, sk.vars), {}, sk.named});
}

// A rule the handler keeps where it held (core_kept_rules): at fresh
// binders, held before and broken after.
void add_kept_goal(const PathContext& path, const Invariant& rule, std::vector<Goal>& goals,
                   std::size_t& skipped) {
    const Skolems sk = make_skolems(rule.binders);
    const z3::expr post = rule.body(path.post, sk.vars);
    const z3::expr pre = rule.body(path.pre, sk.vars);
    if (post.id() == pre.id()) {
        ++skipped;
        return;
    }
    goals.push_back(
        {rule.name, rule.checks, pre && !post, objects_named(path, rule, sk.vars), {}, sk.named});
}

// A count family's goals (reference_counts.hpp): its delta if the path
// wrote a counter or an object that contributes, its locality if the path
// wrote what a page-table word's contribution depends on.
void add_family_goals(const PathContext& path, std::size_t fi, std::vector<Goal>& goals,
                      std::size_t& skipped) {
    const CountFamily& f = count_families()[fi];
    const StateWrites& writes = path.writes;
    bool counter_written = false;
    for (const auto& a : f.counter_arrays) {
        counter_written = counter_written || writes.wrote(a);
    }
    const std::vector<Object> objs = path.changed(f);
    bool entry_deps = false;
    for (const auto k : f.kinds) {
        if (k == ObjectKind::Entry) {
            entry_deps = writes.wrote("mem") || writes.wrote("frames.type") ||
                         writes.wrote("frames.flags") || writes.wrote("frames.owner");
        }
    }
    if (!counter_written && objs.empty() && !entry_deps) {
        ++skipped;
        return;
    }
    const Skolems sk = make_skolems({f.target});
    const z3::expr& x = sk.vars[0];
    const StateView& pre = path.pre;
    const StateView& post = path.post;
    if (counter_written || !objs.empty()) {
        const z3::expr sum = distinct_sum(objs, [&](const Object& o) {
            return f.contribution(post, o, x) - f.contribution(pre, o, x);
        });
        const z3::expr goal =
            f.target_ok(pre, x) && (f.counter(post, x) - f.counter(pre, x)) != sum;
        goals.push_back({f.name + "/delta", f.checks, goal, {}, {{fi, x}}, sk.named});
    }
    if (entry_deps) {
        const z3::expr t = sym_ctx().bv_const("sk.locality_frame", 32);
        const z3::expr i = sym_ctx().bv_const("sk.locality_slot", 9);
        z3::expr untouched = sym_ctx().bool_val(true);
        for (const auto& [wf, ws] : writes.words) {
            untouched = untouched && !(t == wf && i == ws);
        }
        const Object o{ObjectKind::Entry, t, i};
        const z3::expr goal = f.target_ok(pre, x) && untouched &&
                              f.contribution(post, o, x) != f.contribution(pre, o, x);
        auto named = sk.named;
        named.emplace_back("frame_of_word", t);
        named.emplace_back("slot_of_word", i);
        goals.push_back({f.name + "/locality", f.checks, goal, {o}, {{fi, x}}, named});
    }
}

} // namespace

std::vector<Goal> path_goals(const PathContext& path, std::size_t& skipped) {
    std::vector<Goal> goals;
    for (const auto& inv : state_invariants()) {
        add_invariant_goal(path, inv, goals, skipped);
    }
    for (const auto& inv : path.spec.kept) {
        add_invariant_goal(path, inv, goals, skipped);
    }
    for (const auto& rule : path.spec.guest ? std::vector<Invariant>{} : core_kept_rules()) {
        add_kept_goal(path, rule, goals, skipped);
    }
    for (std::size_t fi = 0; fi < count_families().size(); ++fi) {
        add_family_goals(path, fi, goals, skipped);
    }
    add_policy_goals(path, goals);
    add_flush_goals(path, goals);
    return goals;
}

} // namespace enso::verify
