// Reading a counterexample out of a satisfiable goal (counterexample_search.hpp).
#include "verify/counterexample_search.hpp"

#include "verify/model_reader.hpp"
#include "verify/query_solver.hpp"
#include "verify/reference_counts.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace enso::verify {

namespace {

// The counterexample's world: the query's terms and a few fresh objects
// the model may use to account for a count.
IndexTerms world_of(const IndexTerms& terms) {
    IndexTerms w = terms;
    auto& c = sym_ctx();
    for (unsigned k = 0; k < 2; ++k) {
        w.add_entry(c.bv_const(("cx.extra_frame" + std::to_string(k)).c_str(), 32),
                    c.bv_const(("cx.extra_slot" + std::to_string(k)).c_str(), 9));
        w.add(IndexClass::Map, c.bv_const(("cx.extra_map" + std::to_string(k)).c_str(), 32));
    }
    return w;
}

// Every count at the query's targets (`exact`) is exactly what the
// world's objects hold: nothing outside the world references those
// frames, grants or domains, so the concrete machine built from it has the
// same counts.
void add_closed_world(const PathContext& path, z3::expr_vector& facts, const IndexTerms& w,
                      const IndexTerms& exact) {
    std::vector<Object> objs;
    for (const auto& f : w.of(IndexClass::Frame)) {
        objs.push_back({ObjectKind::FrameHolds, f, f});
        objs.push_back({ObjectKind::OwnedFrame, f, f});
    }
    for (const auto& d : w.of(IndexClass::Dom)) {
        objs.push_back({ObjectKind::Baseptr, d, d});
    }
    for (const auto& [t, i] : w.entries()) {
        objs.push_back({ObjectKind::Entry, t, i});
    }
    for (const auto& gi : w.of(IndexClass::Grant)) {
        objs.push_back({ObjectKind::ActiveGrant, gi, gi});
    }
    for (const auto& mi : w.of(IndexClass::Map)) {
        objs.push_back({ObjectKind::Maptrack, mi, mi});
    }
    for (const auto& f : count_families()) {
        std::vector<Object> mine;
        for (const auto& o : objs) {
            if (std::find(f.kinds.begin(), f.kinds.end(), o.kind) != f.kinds.end()) {
                mine.push_back(o);
            }
        }
        for (const auto& x : exact.of(f.target)) {
            facts.push_back(
                z3::implies(f.target_ok(path.pre, x),
                            f.counter(path.pre, x) == distinct_sum(f, path.pre, mine, x)));
        }
    }
}

} // namespace

Counterexample find_counterexample(const PathContext& path, const Goal& goal, z3::solver& solver,
                                   const IndexTerms& terms, InstanceKeys& taken,
                                   unsigned timeout_ms) {
    IndexTerms world = world_of(terms);
    z3::expr_vector facts(sym_ctx());
    add_instances(path, facts, world, 1, taken); // only what the query did not have
    add_closed_world(path, facts, world, terms);
    const z3::expr small = path.before.nr_frames.expr() == bv(64, 32);
    bool is_small = false;
    bool closed = false;
    // Bounded by z3's work, so that whether a mutant's kill is confirmed
    // does not depend on the machine's load (a 5 s bound timed out on 8 of
    // 45 searches of `--mutant all` with two mutants side by side; the
    // largest search that succeeded took 10M units). Time is a backstop
    // only: z3 counts little of the work of re-preprocessing many facts.
    z3::params p(sym_ctx());
    p.set("rlimit", kSearchWorkMillions * 1000000U);
    p.set("timeout", std::min(timeout_ms, kSearchBackstopMs));
    solver.set(p);
    // A closed world on a small machine; else a small machine; else the
    // model as it is.
    solver.push();
    for (unsigned k = 0; k < facts.size(); ++k) {
        solver.add(facts[k]);
    }
    solver.add(small);
    const auto t0 = std::chrono::steady_clock::now();
    const double w0 = work_done_by(solver);
    const auto closed_result = solver.check();
    if (std::getenv("ENSO_VERIFY_DEBUG")) {
        std::fprintf(stderr, "closed world %s/%zu: %d after %.3fs %.1fM (%u facts): %s\n",
                     goal.name.c_str(), path.path, static_cast<int>(closed_result),
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                     (work_done_by(solver) - w0) / 1e6, facts.size(),
                     closed_result == z3::unknown ? solver.reason_unknown().c_str() : "");
    }
    if (closed_result == z3::sat) {
        is_small = closed = true;
    } else {
        solver.pop();
        solver.push();
        solver.add(small);
        if (solver.check() == z3::sat) {
            is_small = true;
        } else {
            solver.pop();
            solver.check();
        }
    }
    Counterexample c = read_model(solver.get_model(), path.before, closed ? world : terms,
                                  path.spec, path.args, goal.binders);
    c.invariant = goal.name;
    c.checks = goal.checks;
    c.path = path.path;
    c.small = is_small;
    c.closed_world = closed;
    return c;
}

} // namespace enso::verify
