// The policy's goals for one end state (policy.hpp): integrity (every
// field of another domain the path changed, changed only as a table row
// allows), consent (a successful grant use or port bind had the other
// domain's permission in the pre-state) and fresh frames (a frame handed to
// a domain holds nothing of its previous owner). Written over what the
// path wrote, not per handler, except consent, which reads the handler's
// arguments.
#pragma once

#include "verify/handler_proof.hpp"
#include "verify/path_context.hpp"
#include "verify/proof_goals.hpp"

#include <string>
#include <vector>

namespace enso::verify {

// Appends the policy goals (named "policy/...") of the path.
void add_policy_goals(const PathContext& path, std::vector<Goal>& goals);

[[nodiscard]] bool is_policy_goal(const std::string& name);

// The handler's proof holds for the policy goals: it ran, has a successful
// path, and no "policy/..." goal failed.
[[nodiscard]] bool policy_proved(const ProofResult& r);

} // namespace enso::verify
