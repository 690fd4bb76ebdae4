// The concrete invariant checker: every rule of docs/design.md as a named
// check, walking the whole state. Returns every violation with the frames and
// domains involved (empty when the state is sound).
#pragma once

#include "hvcore/core/core.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace enso::core {

struct Violation {
    std::string check;  // one of invariant_names()
    std::string detail; // what is wrong, in words
    std::vector<std::uint32_t> frames;
    std::vector<std::uint16_t> domains;
};

// The names of all checks, in the order they run.
std::span<const std::string_view> invariant_names();

std::vector<Violation> check_invariants(const CState& s);

// One line per violation, for test failures and logs.
std::string describe(const std::vector<Violation>& violations);

} // namespace enso::core
