// Isolation as a theorem, stated apart from the invariants it follows from:
// in every state that satisfies them (so, since every handler keeps them, in
// every state the handlers reach from one that does),
//   - read: a present entry of a validated L1 table of domain d maps a frame
//     d owns, or one a grant mapping of d records for exactly that entry;
//   - write: a writable such entry maps a frame typed writable, and if the
//     frame is not d's, the grant mapping that records it is not read-only;
//   - no page-table frame (typed L1..L4) is mapped writable by anyone.
// Also the sanity check that keeps every proof from being vacuous: the
// invariants are satisfiable, by a state with a live domain whose pinned L4
// root holds a present entry.
#pragma once

#include <string>
#include <vector>

namespace enso::verify {

struct TheoremResult {
    std::string name;
    std::string statement;
    // For a theorem: unsat of its negation under the invariants. For the
    // satisfiability check: sat.
    bool holds = false;
    std::string solver_result; // "unsat", "sat", "unknown"
    double seconds = 0;
};

std::vector<TheoremResult> prove_isolation();
TheoremResult invariants_satisfiable();

} // namespace enso::verify
