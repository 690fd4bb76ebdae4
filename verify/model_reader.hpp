// Reads a counterexample out of a z3 model: the arguments, the binders of
// the broken invariant, and the pre-state at every index the query
// mentions (plus the domains those records name).
#pragma once

#include "verify/counterexample.hpp"
#include "verify/handler_spec.hpp"
#include "verify/index_terms.hpp"

#include <string>
#include <utility>
#include <vector>

namespace enso::verify {

Counterexample read_model(const z3::model& model, const SState& before, const IndexTerms& terms,
                          const HandlerSpec& spec, const Args<Symbolic>& args,
                          const std::vector<std::pair<std::string, z3::expr>>& binders);

} // namespace enso::verify
