// Argument lists of the grant operations, shared by their mutants.
#pragma once

#include "verify/handler_spec.hpp"

namespace enso::verify::mutants {

inline std::vector<ArgSpec> unmap_args() {
    return {{"d", 16}, {"handle", 32}, {"host_addr", 64}};
}
inline std::vector<ArgSpec> map_args() {
    return {{"d", 16},     {"granter", 16},   {"ref", 32},
            {"flags", 32}, {"host_addr", 64}, {"handle", 32}};
}
inline std::vector<ArgSpec> copy_args() {
    return {{"d", 16},          {"src_is_gref", 1}, {"src_ref_or_frame", 32}, {"src_dom", 16},
            {"src_offset", 32}, {"dst_is_gref", 1}, {"dst_ref_or_frame", 32}, {"dst_dom", 16},
            {"dst_offset", 32}, {"len", 32}};
}

} // namespace enso::verify::mutants
