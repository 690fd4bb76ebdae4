// The concrete domain the verifier replays counterexamples in: the running
// core's (plain integers, the same state layout), except that it reads the
// thread's active seeded bug (mutation_switch.hpp), so the replay of a
// mutant runs the mutated handler. core::Concrete itself stays constant-false.
#pragma once

#include "hvcore/core/concrete_domain.hpp"
#include "hvcore/core/state.hpp"
#include "verify/mutation_switch.hpp"

namespace enso::verify {

struct ReplayConcrete : core::Concrete {
    static constexpr bool kMutable = true;
    static bool mutation(core::Mutation m) { return active_mutation() == m; }
};

} // namespace enso::verify

namespace enso::core {

// The replay's state is the concrete state itself (the concrete checker,
// model reader and drawing take it as such); only the handlers see the other
// domain.
template <>
struct State<verify::ReplayConcrete> : State<Concrete> {};

} // namespace enso::core

namespace enso::verify {
using RState = core::State<ReplayConcrete>;
} // namespace enso::verify
