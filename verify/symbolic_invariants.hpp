// The invariants of the core's state as z3 formulas over a symbolic state,
// named as the concrete checker names them (hvcore/core/invariants.hpp).
//
// Each invariant is a body over bound variables of given index classes (a
// frame, a slot, a domain, a grant, a maptrack handle, a port). The prover
// skolemizes the post-state's and instantiates the pre-state's at the index
// terms of the query, which keeps every query quantifier-free.
//
// `checks` names the concrete checks an invariant is part of; an invariant
// with none is auxiliary: a fact the concrete checker does not test but
// that makes the set inductive (a live domain's shared_info is its own
// frame, a maptrack entry names a grant in range, ...). Exact reference
// counts are not here: they are sums, see reference_counts.hpp.
#pragma once

#include "verify/index_terms.hpp"
#include "verify/state_view.hpp"

#include <functional>
#include <string>
#include <vector>

namespace enso::verify {

// Which index terms of a query the prover instantiates an invariant at.
enum class Instances {
    EveryCombination, // every combination of terms of the binders' classes
    // The binders (Frame, Slot) are one page-table word: only the words the
    // query reads or writes, not every frame with every slot.
    PerWord,
};

using InvariantBody = std::function<z3::expr(const StateView&, const std::vector<z3::expr>&)>;

struct Invariant {
    std::string name;                // unique; "check" or "check/part" or "aux/..."
    std::vector<std::string> checks; // concrete checks it belongs to; empty: auxiliary
    std::vector<IndexClass> binders;
    Instances instances = Instances::EveryCombination;
    InvariantBody body;
};

// Every invariant the prover proves of each handler, in a fixed order.
const std::vector<Invariant>& state_invariants();

// Rules over words a guest may rewrite (the status bits the core keeps in a
// granter's entry): no invariant, since the guest step may break them, but
// each handler is proved to keep them where they held (a goal "held before
// at x => holds after at x", never assumed of the pre-state). The guest step
// is exempt: the words are the guest's.
const std::vector<Invariant>& core_kept_rules();

// Facts of the state that need no induction: the machine has at least one
// frame and at most kMaxMachineFrames.
z3::expr state_assumptions(const StateView& v);

} // namespace enso::verify
