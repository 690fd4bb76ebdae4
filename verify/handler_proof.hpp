// Proving that a handler keeps the structural invariants: on every feasible
// path, from any state that satisfies them and the reference-count coverage,
// the handler ends in a state that satisfies them again.
//
// Queries stay quantifier-free: the post-state invariant's bound variables
// become fresh constants (a would-be counterexample), and the pre-state
// invariants are instantiated at every frame, slot and domain term that the
// path and that counterexample mention (twice, so terms the instances bring
// in are covered too). Instantiating a universal assumption is sound, so
// "unsat" is a proof; "sat" is a counterexample of the instantiated query,
// which replay against the concrete checker must confirm.
#pragma once

#include "verify/path_explorer.hpp"
#include "verify/symbolic_invariants.hpp"

#include <functional>
#include <string>
#include <vector>

namespace enso::verify {

struct Counterexample {
    std::string invariant;
    std::string model; // the solver's model, as text
};

struct ProofResult {
    std::size_t paths = 0;
    std::size_t queries = 0;
    std::vector<Counterexample> failures; // counterexamples and unknowns
    double seconds = 0;
};

struct ProofOptions {
    std::size_t max_paths = 2000;
    unsigned timeout_ms = 20000;
    bool trace = false; // one line per query on stderr
};

ProofResult prove_keeps_invariants(const std::function<void(SState&)>& handler,
                                   const ProofOptions& options = {});

} // namespace enso::verify
