#include "verify/isolation_theorem.hpp"

#include "hvcore/core/limits.hpp"
#include "hvcore/core/page_table_entry.hpp"
#include "verify/handler_proof.hpp"
#include "verify/reference_counts.hpp"
#include "verify/symbolic_invariants.hpp"

#include <chrono>
#include <functional>

namespace enso::verify {

namespace {

// Every invariant (and coverage lemma) at every combination of the terms of
// its binders' classes: instances of universal facts, so sound to assume.
z3::expr_vector instances(const StateView& v, const IndexTerms& terms) {
    z3::expr_vector out(sym_ctx());
    std::vector<const Invariant*> invs;
    for (const auto& inv : state_invariants()) {
        invs.push_back(&inv);
    }
    for (const auto& lemma : coverage_lemmas()) {
        invs.push_back(&lemma);
    }
    for (const Invariant* inv : invs) {
        if (inv->instances == Instances::PerWord) {
            for (const auto& [t, i] : terms.entries()) {
                out.push_back(inv->body(v, {t, i}));
            }
            continue;
        }
        std::function<void(std::size_t, std::vector<z3::expr>&)> all =
            [&](std::size_t k, std::vector<z3::expr>& b) {
                if (k == inv->binders.size()) {
                    out.push_back(inv->body(v, b));
                    return;
                }
                for (const auto& x : terms.of(inv->binders[k])) {
                    b.push_back(x);
                    all(k + 1, b);
                    b.pop_back();
                }
            };
        std::vector<z3::expr> b;
        all(0, b);
    }
    return out;
}

struct Setting {
    SState s = make_symbolic_state();
    z3::expr witness = make_pte_witness();
    StateView v{s, witness, bv(StateView::kNoDomain, 32)};
    z3::expr t = sym_ctx().bv_const("thm.table", 32);
    z3::expr i = sym_ctx().bv_const("thm.slot", 9);
    z3::expr e = v.word(t, i);
    z3::expr x = StateView::target(e);
    z3::expr d = v.owner(t); // 16 bits
    z3::expr w = v.witness(t, i);
    // The entry (t, i) is a live L1 mapping of d's, onto x.
    z3::expr mapped = v.frame_ok(t) && v.validated_table(t) && v.type(t) == bv(core::kTypeL1, 8) &&
                      StateView::present(e);
    z3::expr granted = z3::ult(w, bv(core::kMaxDomains << core::kMaptrackBits, 32)) &&
                       z3::lshr(w, bv(core::kMaptrackBits, 32)) == z3::zext(d, 16) &&
                       v.map_has(w, core::kMapInUse) && v.map_has(w, core::kMapPte) &&
                       v.host_addr(w) == StateView::maddr(t, i) && v.act_frame(v.grant_of(w)) == x;

    [[nodiscard]] IndexTerms terms() const {
        IndexTerms k;
        k.add_entry(t, i);
        k.add(IndexClass::Frame, x);
        k.add(IndexClass::Dom, z3::zext(d, 16));
        k.add(IndexClass::Map, w);
        k.add(IndexClass::Grant, v.grant_of(w));
        return k;
    }
};

TheoremResult check(const Setting& st, const IndexTerms& terms, const std::string& name,
                    const std::string& statement, const z3::expr& claim, bool want_sat) {
    const auto t0 = std::chrono::steady_clock::now();
    z3::solver solver(sym_ctx(), "QF_AUFBV");
    // The same limits as a handler's queries (ProofOptions' defaults).
    const ProofOptions limits;
    z3::params p(sym_ctx());
    p.set("rlimit", limits.work_millions * 1000000U);
    p.set("timeout", limits.timeout_ms);
    solver.set(p);
    solver.add(state_assumptions(st.v));
    solver.add(instances(st.v, terms));
    solver.add(want_sat ? claim : !claim);
    TheoremResult r;
    r.name = name;
    r.statement = statement;
    const z3::check_result res = solver.check();
    r.solver_result = res == z3::unsat ? "unsat" : (res == z3::sat ? "sat" : "unknown");
    r.holds = want_sat ? res == z3::sat : res == z3::unsat;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

} // namespace

std::vector<TheoremResult> prove_isolation() {
    std::vector<TheoremResult> out;
    {
        const Setting st;
        out.push_back(check(st, st.terms(), "isolation/read",
                            "a domain's L1 entry maps only a frame it owns or one a grant "
                            "mapping of its records for that entry",
                            z3::implies(st.mapped, st.v.owned_by(st.x, st.d) || st.granted),
                            false));
    }
    {
        const Setting st;
        const z3::expr own = st.v.owned_by(st.x, st.d);
        out.push_back(check(
            st, st.terms(), "isolation/write",
            "a writable L1 entry maps a frame typed writable: its owner's, or granted writable",
            z3::implies(st.mapped && StateView::rw(st.e),
                        st.v.type(st.x) == bv(core::kTypeWritable, 8) &&
                            (own || (st.granted && !st.v.map_has(st.w, core::kMapReadonly)))),
            false));
    }
    {
        const Setting st;
        const z3::expr ty = st.v.type(st.x);
        out.push_back(check(
            st, st.terms(), "isolation/no_writable_pagetable",
            "no frame typed L1..L4 is mapped writable",
            z3::implies(st.mapped && StateView::rw(st.e),
                        !(z3::uge(ty, bv(core::kTypeL1, 8)) && z3::ule(ty, bv(core::kTypeL4, 8)))),
            false));
    }
    return out;
}

TheoremResult invariants_satisfiable() {
    const Setting st;
    // Not only the empty machine: a live domain whose pinned L4 root has a
    // present entry, and an L1 entry mapping a frame.
    const z3::expr dom = bv(1, 32);
    const z3::expr root = st.v.baseptr(dom);
    const z3::expr rich = st.v.live(dom) && root != bv(core::kNoFrame, 32) &&
                          st.v.has(root, core::kFramePinned) &&
                          StateView::present(st.v.word(root, bv(0, 9))) && st.mapped;
    // Satisfiable with the invariants at every term the claim names.
    IndexTerms terms = st.terms();
    terms.add(IndexClass::Dom, dom);
    terms.add(IndexClass::Frame, root);
    terms.add_entry(root, bv(0, 9));
    terms.add(IndexClass::Frame, StateView::target(st.v.word(root, bv(0, 9))));
    return check(st, terms, "sanity/invariants_satisfiable",
                 "the invariants hold in some state with a live domain, a pinned L4 root with "
                 "a present entry, and a present L1 entry",
                 rich, true);
}

} // namespace enso::verify
