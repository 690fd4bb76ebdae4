#include "verify/handler_spec.hpp"

namespace enso::verify {

Args<Symbolic>::Args(const std::vector<ArgSpec>& specs) {
    for (const auto& a : specs) {
        values_.push_back(sym_ctx().bv_const(("arg." + a.name).c_str(), a.bits));
    }
}

z3::expr Args<Symbolic>::at(std::size_t i, unsigned bits) const {
    return resize(values_.at(i), bits);
}

Symbolic::Bool Args<Symbolic>::flag(std::size_t i) const {
    return Symbolic::Bool(values_.at(i) == sym_ctx().bv_val(1, values_.at(i).get_sort().bv_size()));
}

} // namespace enso::verify
