// A symbolic state: every field of the core's state a fresh z3 array named
// after it, so the handlers start from an arbitrary state (which the
// invariants then constrain).
#pragma once

#include "hvcore/core/state.hpp"
#include "verify/symbolic_domain.hpp"

namespace enso::verify {

using SState = core::State<Symbolic>;

SState make_symbolic_state();

} // namespace enso::verify
