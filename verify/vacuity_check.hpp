// Non-vacuity of a handler's proof: an obligation (a goal: an invariant or
// a count's delta or locality) proved only because its assumptions - the
// pre-state facts instantiated for it, the handler's preconditions and the
// path condition - contradict each other proves nothing. For every goal of
// a handler, some successful path (Rc == ok) must reach an end state whose
// assumptions, with every goal's facts asserted, are satisfiable.
#pragma once

#include "verify/handler_proof.hpp"
#include "verify/path_context.hpp"
#include "verify/query_solver.hpp"

#include <string>
#include <vector>

namespace enso::verify {

// After an end state's goals were checked on `solver` (which holds the
// facts of all of them): one query, the facts with the condition of the end
// state's successful paths (path.ok_condition; none: no goal is recorded).
// Satisfiable, every goal is non-vacuous there; if not, the goals are
// recorded as seen on a successful path without a model.
void check_vacuity(const PathContext& path, PathSolver& solver,
                   const std::vector<std::string>& goals, const ProofOptions& options,
                   ProofResult& result);

// The goals no successful path proved non-vacuously (into result.vacuous),
// once every end state (of every shard) is in result.
void finish_vacuity(ProofResult& result);

} // namespace enso::verify
