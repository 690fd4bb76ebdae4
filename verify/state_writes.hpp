// What one path of a handler wrote: for every array of the state, the
// indices of its stores (read off the chain of stores the symbolic arrays
// build over the pre-state), and for memory the words written and the
// frames overwritten whole (cleared or copied into).
#pragma once

#include "verify/reference_counts.hpp"
#include "verify/symbolic_state.hpp"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace enso::verify {

struct StateWrites {
    std::map<std::string, std::vector<z3::expr>> indices; // array name -> stored indices
    std::vector<std::pair<z3::expr, z3::expr>> words;     // (frame, slot) of each word stored
    std::vector<z3::expr> whole_frames;                   // frames replaced whole

    [[nodiscard]] bool wrote(const std::string& array) const;
    [[nodiscard]] const std::vector<z3::expr>& of(const std::string& array) const;
    // The objects of kind k whose defining fields were stored (for a
    // page-table word: the word itself; its table's type or owner changing
    // is what the locality check is for).
    [[nodiscard]] std::vector<Object> changed(ObjectKind k) const;
};

StateWrites diff_states(const SState& before, const SState& after);

} // namespace enso::verify
