// A symbolic state: every field of the core's state a fresh z3 array named
// after it, so the handlers start from an arbitrary state (which the
// invariants then constrain).
#pragma once

#include "hvcore/core/state.hpp"
#include "verify/symbolic_domain.hpp"

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace enso::verify {

using SState = core::State<Symbolic>;

SState make_symbolic_state();

// Every array of the state with its name ("frames.owner", ..., "mem").
std::vector<std::pair<std::string, z3::expr>> state_arrays(const SState& s);

// Sets the arrays of `after` named in `names` back to `before`'s (for a
// path whose stores to them the solver shows leave them as they were).
void restore_arrays(SState& after, const SState& before, const std::set<std::string>& names);

// Ghost: for each page-table word (frame -> slot), the maptrack index of the
// grant map that installed it, if it is a grant PTE. A skolem function for
// the existential in the L1 ownership rule; never part of the core's state.
z3::expr make_pte_witness();

// Machine memory is never larger than this many frames (1 TiB): an
// assumption of every proof, so frame numbers near kNoFrame are never real.
inline constexpr std::uint32_t kMaxMachineFrames = 1U << 28;

} // namespace enso::verify
