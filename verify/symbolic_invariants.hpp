// The page-table invariants of ANCHORS.md as z3 formulas over a symbolic
// state, named as the concrete checker names them (hvcore/core/invariants.hpp).
//
// Each invariant is a body over bound variables (a frame t or f, a slot i, a
// domain d): the prover skolemizes the post-state's and instantiates the
// pre-state's at the terms the handler touched, which keeps every query
// quantifier-free.
//
// Two kinds:
//  - structural invariants (types, hierarchy, flags, ownership, no writable
//    page table, pins, base pointers): proved preserved by each handler;
//  - reference-count coverage (an entry's target holds a reference beside
//    its allocation reference; a writable or upper-level entry's target a
//    type reference): assumed of the pre-state. It follows from the exact
//    counting the concrete checker checks (type_count_matches,
//    refcount_covers_uses); proving the counting itself symbolically is the
//    next step (see verify/README.md).
#pragma once

#include "verify/symbolic_state.hpp"

#include <functional>
#include <string>
#include <vector>

namespace enso::verify {

// The bound variables of one invariant: frames (32 bits), slots (9 bits),
// domains (16 bits).
struct Binders {
    std::vector<z3::expr> frames;
    std::vector<z3::expr> slots;
    std::vector<z3::expr> doms;
};

struct Invariant {
    std::string name;
    unsigned frames = 0; // how many bound variables of each kind
    unsigned slots = 0;
    unsigned doms = 0;
    std::function<z3::expr(const SState&, const Binders&)> body;
};

const std::vector<Invariant>& structural_invariants();
const std::vector<Invariant>& refcount_coverage();

} // namespace enso::verify
