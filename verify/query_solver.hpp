// The z3 solvers a path's queries are checked on. Both hold the path
// condition and the per-query limits; they differ in what stays asserted
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

// What one query may spend. The bound that decides is z3's own count of
// work (its rlimit), which repeats exactly for the same query: a proof's
// verdict is then the same on every machine and under any load, where a
// wall-clock timeout turned slow queries into failures on a busy machine.
// The time limit is only a backstop for a query z3 does not count.
struct QueryLimits {
    unsigned work_millions; // millions of z3 resource units, 0: no bound
    unsigned timeout_ms;    // 0: no bound
};

// z3's resource count of `solver` so far (ProofResult::solver_work).
double work_done_by(const z3::solver& solver);

struct Check {
    z3::check_result result;
    unsigned added;       // facts this check asserted
    std::size_t asserted; // facts the solver holds in all
    double seconds;       // the check, and for a GoalSolver asserting its facts
    double work;          // z3's resource count of the check
};

class PathSolver {
public:
    PathSolver(const z3::expr& condition, const QueryLimits& limits);
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
    GoalSolver(const z3::expr& condition, const z3::expr& goal, const QueryLimits& limits);
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
    QueryLimits limits_;
    z3::solver solver_;
    unsigned asserted_ = 0; // facts[0, asserted_) are in the solver
};

} // namespace enso::verify
