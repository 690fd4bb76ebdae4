// The security policy (policy.hpp) checked on one concrete call, as the
// concrete checker checks the invariants on one state: what a call by d
// changed of any other domain e must be allowed by a row of the table, a
// successful grant use or port bind must have had e's consent, and a frame
// that became a domain's must hold only zeros. Violations are named as the
// policy goals (policy/...), so that the replay of a counterexample to a
// policy goal confirms it the way it confirms an invariant's.
//
// Where the symbolic goal reads what the path stored (which grants it
// used), this check, which sees only the two states, allows what any
// grant of e to d would: it may accept a change the goal refutes, never the
// reverse. Noninterference (two runs) has no concrete check.
#pragma once

#include "hvcore/core/invariants.hpp"
#include "verify/handler_spec.hpp"

#include <cstdint>
#include <vector>

namespace enso::verify {

// The violations of the policy by the call `spec(args)` that took `before`
// to `after` and returned rc. None for an entry whose first argument is not
// a domain (16 bits), as the symbolic goals.
std::vector<core::Violation> check_policy(const HandlerSpec& spec, const CState& before,
                                          const CState& after,
                                          const std::vector<std::uint64_t>& args, core::Rc rc);

} // namespace enso::verify
