// Non-vacuity of a handler's proof (vacuity_check.hpp).
#include "verify/vacuity_check.hpp"

#include <cstdio>

namespace enso::verify {

void check_vacuity(const PathContext& path, PathSolver& solver,
                   const std::vector<std::string>& goals, const ProofOptions& options,
                   ProofResult& result) {
    if (!path.ok_condition || goals.empty()) {
        return;
    }
    const z3::expr_vector none(sym_ctx());
    const Check c = solver.check(none, *path.ok_condition, path.query_name("non-vacuous"));
    ++result.queries;
    ++result.vacuity_queries;
    result.solver_seconds += c.seconds;
    result.solver_work += c.work;
    // Unknown (a timeout) counts as satisfiable: no contradiction was found,
    // and a timeout is reported as such by the goals themselves.
    const bool satisfiable = c.result != z3::unsat;
    if (options.trace) {
        std::fprintf(stderr, "  %s path %zu non-vacuous: %s\n", path.spec.name.c_str(), path.path,
                     satisfiable ? "yes" : "NO");
    }
    for (const auto& g : goals) {
        result.nonvacuous[g] = result.nonvacuous[g] || satisfiable;
    }
}

void finish_vacuity(ProofResult& result) {
    result.vacuous.clear();
    for (const auto& [goal, ok] : result.nonvacuous) {
        if (!ok) {
            result.vacuous.push_back(goal);
        }
    }
}

} // namespace enso::verify
