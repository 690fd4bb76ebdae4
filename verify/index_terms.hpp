// The index terms a query mentions, sorted by what they index: frames, slots
// of a frame, domains, grant-table frame slots, grant entries, maptrack
// handles and event-channel ports. The prover instantiates each universally
// quantified invariant only at the terms of its binders' classes (the way an
// SMT solver's E-matching would, but bounded and quantifier-free), and the
// counterexample builder reads the model at exactly these points.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>
#include <z3++.h>

namespace enso::verify {

enum class IndexClass : unsigned { Frame, Slot, Dom, GrantFrame, Grant, Map, Port };
inline constexpr std::size_t kIndexClasses = 7;

const char* index_class_name(IndexClass c);
// Width of a binder of this class: 9 bits for slots, 32 for every array index.
unsigned index_bits(IndexClass c);
// The class of the indices of the state array named `name` (as
// make_symbolic_state names them), for arrays indexed by 32-bit values.
std::optional<IndexClass> class_of_array(std::string_view name);

class IndexTerms {
public:
    // Adds every index in e (and in its subterms) to its class.
    void collect(const z3::expr& e);
    void add(IndexClass c, const z3::expr& e);
    void add_entry(const z3::expr& frame, const z3::expr& slot);

    [[nodiscard]] const std::vector<z3::expr>& of(IndexClass c) const {
        return terms_[static_cast<std::size_t>(c)];
    }
    // (frame, slot) pairs read or written as one word of memory.
    [[nodiscard]] const std::vector<std::pair<z3::expr, z3::expr>>& entries() const {
        return entries_;
    }

private:
    void index_of(const z3::expr& node);

    std::array<std::vector<z3::expr>, kIndexClasses> terms_;
    std::array<std::unordered_set<unsigned>, kIndexClasses> seen_;
    std::vector<std::pair<z3::expr, z3::expr>> entries_;
    std::set<std::pair<unsigned, unsigned>> seen_entries_;
    std::unordered_set<unsigned> visited_;
};

// The named constant at the bottom of a chain of stores (and, for a word of
// memory, of the select that picked the frame), or nullopt.
std::optional<std::string> array_root_name(const z3::expr& array);

} // namespace enso::verify
