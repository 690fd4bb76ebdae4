// Reading a counterexample out of a goal the solver found satisfiable,
// preferring one the concrete replay can rebuild exactly: a closed world
// (every count the query looked at is what the objects it names hold) on
// a machine small enough to build and draw.
#pragma once

#include "verify/counterexample.hpp"
#include "verify/pre_state_facts.hpp"
#include "verify/proof_goals.hpp"

#include <z3++.h>

namespace enso::verify {

// What each of the search's checks may spend: z3 work first, time only as
// a backstop for work z3 does not count.
inline constexpr unsigned kSearchWorkMillions = 60;
inline constexpr unsigned kSearchBackstopMs = 120000;

// `solver` has just answered sat for `goal` with the facts at `terms`
// (the instances in `taken`); its model is read after further checks on
// it, each limited to kSearchWorkMillions (and min(timeout_ms,
// kSearchBackstopMs)), not counted as queries.
Counterexample find_counterexample(const PathContext& path, const Goal& goal, z3::solver& solver,
                                   const IndexTerms& terms, InstanceKeys& taken,
                                   unsigned timeout_ms);

} // namespace enso::verify
