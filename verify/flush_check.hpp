// The owed-TLB-flush rule (flush_goals.hpp) checked on one concrete call,
// from the state before to the state after, as the concrete checker checks
// an invariant on one state: the replay of a counterexample to a flush goal
// is confirmed by it. Violations are named as the goals: "flush/owed",
// "flush/kept".
#pragma once

#include "hvcore/core/invariants.hpp"

#include <vector>

namespace enso::verify {

std::vector<core::Violation> check_owed_flushes(const core::CState& before,
                                                const core::CState& after);

} // namespace enso::verify
