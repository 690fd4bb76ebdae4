// One end state's proof: first which arrays its paths left as they were,
// then its goals, each checked on the path's shared solver and, if not
// refuted there, alone, with more instantiation rounds and a
// counterexample if it still is not.
#pragma once

#include "verify/handler_proof.hpp"
#include "verify/path_context.hpp"
#include "verify/proof_goals.hpp"

#include <set>
#include <string>

namespace enso::verify {

// The arrays the path stored to but, under its condition and the pre-state
// rules, left as they were (a pin taken and dropped again, a flag set and
// cleared): set back to the pre-state, the invariants that read only them
// are no goals. Each array's check is one query of `result`.
std::set<std::string> unchanged_arrays(const PathContext& path, const ProofOptions& options,
                                       ProofResult& result);

// Proves the path's goals into `result`: its counts, failures and, with
// options.stop_at_failure, whether to stop.
void prove_goals(const PathContext& path, const ProofOptions& options, ProofResult& result);

// Proves one goal of the path that is not an invariant's (a table-work
// request, table_work_steps.hpp), alone, as a goal not refuted on the
// shared solver would be.
void prove_goal(const PathContext& path, const Goal& goal, const ProofOptions& options,
                ProofResult& result);

} // namespace enso::verify
