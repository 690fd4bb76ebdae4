// Every symbolic invariant (symbolic_invariants.hpp, the auxiliary ones
// too) evaluated on a concrete state: each field of the state becomes a z3
// constant array with the state's values, the grant-PTE witness is read off
// the maptrack, and the solver is asked for binders that break each
// invariant. A state the core reaches must satisfy every one; otherwise the
// proofs assume something of the pre-state that real states do not give.
#pragma once

#include "hvcore/core/concrete_domain.hpp"
#include "hvcore/core/state.hpp"

#include <string>
#include <vector>

namespace enso::verify {

struct ConcreteInvariantCheck {
    std::string invariant;
    bool holds = false;
    std::string detail; // the binders that break it, or the solver's answer
};

// One entry per invariant, in state_invariants() order. Throws
// std::logic_error if the symbolic state has a field this file does not
// convert (a field added to the state must be added here too).
std::vector<ConcreteInvariantCheck>
check_symbolic_invariants(const core::State<core::Concrete>& s);

} // namespace enso::verify
