// The z3 solvers a path's queries are checked on (query_solver.hpp).
#include "verify/query_solver.hpp"

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>

namespace enso::verify {

double work_done_by(const z3::solver& solver) {
    const z3::stats st = solver.statistics();
    for (unsigned k = 0; k < st.size(); ++k) {
        if (st.key(k) == "rlimit count") {
            return st.is_uint(k) ? st.uint_value(k) : st.double_value(k);
        }
    }
    return 0;
}

namespace {

using Clock = std::chrono::steady_clock;

// Runs one check of `solver` (which `run` may replace: the count read
// after it is the new solver's) and measures it.
template <class Run>
Check measured(const z3::solver& solver, Run&& run) {
    const double w0 = work_done_by(solver);
    const auto t0 = Clock::now();
    const z3::check_result r = run();
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return {r, 0, 0, seconds, work_done_by(solver) - w0};
}

// A solver with the path condition and the limits: z3's solver for
// QF_AUFBV (arrays, bit-vectors, no quantifiers: these queries), far
// faster on them than its default solver, which is the fallback. z3
// applies rlimit to each check, counted from where the check starts.
z3::solver solver_for(const z3::expr& condition, const QueryLimits& limits, bool qf_aufbv) {
    z3::context& ctx = condition.ctx();
    z3::solver solver = qf_aufbv ? z3::solver(ctx, "QF_AUFBV") : z3::solver(ctx);
    z3::params p(ctx);
    if (limits.timeout_ms != 0) {
        p.set("timeout", limits.timeout_ms);
    }
    if (limits.work_millions != 0) {
        p.set("rlimit", limits.work_millions * 1000000U);
    }
    solver.set(p);
    solver.add(condition);
    return solver;
}

// With ENSO_VERIFY_DUMP=DIR, the query as SMT-LIB 2 in DIR/<name>.smt2 (to
// profile a slow one with the z3 command line; add "(set-logic
// QF_AUFBV)"). A PathSolver's query is everything asserted so far,
// checked assuming the query's literal.
void dump(z3::solver& solver, const std::string& name, const std::string& assuming = "") {
    const char* dir = std::getenv("ENSO_VERIFY_DUMP");
    if (dir == nullptr) {
        return;
    }
    std::string stem = name;
    for (auto& ch : stem) {
        if (std::isalnum(static_cast<unsigned char>(ch)) == 0 && ch != '-') {
            ch = '_';
        }
    }
    std::string text = solver.to_smt2();
    const auto at = text.rfind("(check-sat)");
    if (!assuming.empty() && at != std::string::npos) {
        text.replace(at, 11, "(check-sat-assuming (" + assuming + "))");
    }
    std::ofstream(std::string(dir) + "/" + stem + ".smt2") << text;
}

} // namespace

PathSolver::PathSolver(const z3::expr& condition, const QueryLimits& limits)
    : solver_(solver_for(condition, limits, true)) {}

Check PathSolver::check(const z3::expr_vector& facts, const z3::expr& query,
                        const std::string& dump_name) {
    unsigned added = 0;
    for (unsigned k = 0; k < facts.size(); ++k) {
        if (asserted_.insert(facts[k].id()).second) {
            solver_.add(facts[k]);
            ++added;
        }
    }
    z3::context& ctx = query.ctx();
    const std::string lit_name = "query." + std::to_string(literals_++);
    const z3::expr lit = ctx.bool_const(lit_name.c_str());
    solver_.add(z3::implies(lit, query));
    z3::expr_vector assume(ctx);
    assume.push_back(lit);
    dump(solver_, dump_name, lit_name);
    Check c = measured(solver_, [&] { return solver_.check(assume); });
    c.added = added;
    c.asserted = asserted_.size();
    return c;
}

GoalSolver::GoalSolver(const z3::expr& condition, const z3::expr& goal, const QueryLimits& limits)
    : condition_(condition), goal_(goal), limits_(limits),
      solver_(solver_for(condition, limits, true)) {
    solver_.add(goal_);
}

Check GoalSolver::check(const z3::expr_vector& facts, const std::string& dump_name) {
    const unsigned before = asserted_;
    Check c = measured(solver_, [&] {
        for (; asserted_ < facts.size(); ++asserted_) {
            solver_.add(facts[asserted_]);
        }
        const z3::check_result r = solver_.check();
        dump(solver_, dump_name);
        if (r != z3::unknown || solver_.reason_unknown().find("incomplete") == std::string::npos) {
            return r;
        }
        solver_ = solver_for(condition_, limits_, false);
        solver_.add(goal_);
        for (unsigned k = 0; k < facts.size(); ++k) {
            solver_.add(facts[k]);
        }
        asserted_ = facts.size();
        return solver_.check();
    });
    c.added = asserted_ - before;
    c.asserted = asserted_;
    return c;
}

} // namespace enso::verify
