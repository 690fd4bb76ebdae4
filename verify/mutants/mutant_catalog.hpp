// The seeded bugs (see mutant.hpp), one translation unit each in this
// directory. Only the verifier links them.
#pragma once

#include "verify/mutant.hpp"

#include <string_view>
#include <vector>

namespace enso::verify {

const std::vector<Mutant>& mutant_catalog();
const Mutant* find_mutant(std::string_view name);

} // namespace enso::verify
