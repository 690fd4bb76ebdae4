// What a query may assume of the pre-state, quantifier-free: the invariants,
// the coverage lemmas and the handler's assumed rules instantiated at the
// query's index terms, and the count families' sum bounds. All are
// instances of facts true of every pre-state, so assuming them is sound.
#pragma once

#include "verify/index_terms.hpp"
#include "verify/path_context.hpp"

#include <cstddef>
#include <set>
#include <utility>
#include <vector>

namespace enso::verify {

// The instances taken so far: (position of the rule, ids of its binders).
using InstanceKeys = std::set<std::vector<unsigned>>;

// A count family's target a goal names: (index into count_families(), x).
using FamilyTarget = std::pair<std::size_t, z3::expr>;

// The index terms of a query: its own, the path condition's, those of the
// facts so far, and the words the path wrote (memory reads are
// if-then-else chains over them, so they appear in no select).
IndexTerms query_terms(const PathContext& path, const z3::expr& query,
                       const z3::expr_vector& facts);

// Appends the pre-state rules at `terms`, each instance not in `taken`
// yet, in `rounds` rounds: the terms of one round's facts are added for
// the next.
void add_instances(const PathContext& path, z3::expr_vector& facts, IndexTerms& terms,
                   unsigned rounds, InstanceKeys& taken);

// Appends, for each count family, counter(x) >= the sum over distinct
// objects, at the targets whose counter the path wrote and at `targets`,
// over the objects the path changed and the `named` ones.
void add_sum_bounds(const PathContext& path, z3::expr_vector& facts,
                    const std::vector<Object>& named, const std::vector<FamilyTarget>& targets);

} // namespace enso::verify
