// The goals of one end state: each invariant the path may break and each
// count family's delta and locality, negated, so that "sat" is a
// counterexample and "unsat" a proof.
#pragma once

#include "verify/path_context.hpp"
#include "verify/pre_state_facts.hpp"

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace enso::verify {

struct Goal {
    std::string name;                // the invariant, or "<family>/delta", "<family>/locality"
    std::vector<std::string> checks; // the concrete checks that correspond
    z3::expr negated;                // sat: a counterexample
    std::vector<Object> named;       // objects the goal names, for its sum bounds
    std::vector<FamilyTarget> targets;
    std::vector<std::pair<std::string, z3::expr>> binders; // the would-be counterexample
};

// The goals in a fixed order: the invariants (state_invariants()), then the
// families. `skipped` counts the invariants and families that read nothing
// the path wrote, which are no goals.
std::vector<Goal> path_goals(const PathContext& path, std::size_t& skipped);

} // namespace enso::verify
