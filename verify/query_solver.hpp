// The z3 solvers a path's queries are checked on. Both hold the path
// condition and the per-query timeout; they differ in what stays asserted
// between checks:
//  - PathSolver, one per end state: every query of the path in turn. The
//    facts (pre-state instances, true whatever the query) stay asserted,
//    each once; a query is guarded by a fresh literal and checked assuming
//    it, so the condition and the common facts are bit-blasted once.
//  - GoalSolver, one per goal the PathSolver did not refute: that goal
//    alone, its facts growing round by round; its model is the
//    counterexample.
// Each check reports what it cost; the caller adds it to the proof's
// totals (ProofResult::queries, solver_seconds, solver_work).
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <z3++.h>

namespace enso::verify {

struct Check {
    z3::check_result result;
    unsigned added;       // facts this check asserted
    std::size_t asserted; // facts the solver holds in all
    double seconds;       // the check, and for a GoalSolver asserting its facts
    double work;          // z3's resource count of the check
};

class PathSolver {
public:
    PathSolver(const z3::expr& condition, unsigned timeout_ms);
    // Asserts the facts the solver lacks, then checks `query` assuming its
    // literal. dump_name: the query's name for ENSO_VERIFY_DUMP.
    Check check(const z3::expr_vector& facts, const z3::expr& query, const std::string& dump_name);

private:
    z3::solver solver_;
    std::set<unsigned> asserted_; // ids of the facts
    unsigned literals_ = 0;
};

class GoalSolver {
public:
    GoalSolver(const z3::expr& condition, const z3::expr& goal, unsigned timeout_ms);
    // Asserts the facts appended since the last check and checks. If the
    // QF_AUFBV solver gives up ("incomplete"), z3's default solver takes
    // over with everything asserted again (a safety net: no query reaches
    // it while memory reads are if-then-else chains).
    Check check(const z3::expr_vector& facts, const std::string& dump_name);
    // The solver after a sat check, for reading the model.
    [[nodiscard]] z3::solver& solver() { return solver_; }

private:
    z3::expr condition_;
    z3::expr goal_;
    unsigned timeout_ms_;
    z3::solver solver_;
    unsigned asserted_ = 0; // facts[0, asserted_) are in the solver
};

} // namespace enso::verify
