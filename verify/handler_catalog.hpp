// Every handler the verifier proves: the per-entry handlers of the PV MMU,
// the grant-table and event-channel operations, memory_op's extents, and
// the steps of domain create and destroy. Each entry instantiates the
// core's own template (hvcore/core) in both value domains.
#pragma once

#include "verify/handler_spec.hpp"

#include <string_view>
#include <vector>

namespace enso::verify {

const std::vector<HandlerSpec>& handler_catalog();
const HandlerSpec* find_handler(std::string_view name);

// Shared by handlers and mutants: the caller (argument 0) is a live domain,
// which the dispatcher guarantees for every guest hypercall.
z3::expr caller_is_live(const SState& s, const Args<Symbolic>& a);

} // namespace enso::verify
