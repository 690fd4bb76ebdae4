#include "verify/mutants/mutant_catalog.hpp"

namespace enso::verify {

// Defined one per file in this directory.
Mutant make_xsa148_superpage_fast_path();
Mutant make_xsa182_fast_path_rw();
Mutant make_xsa185_recursive_l4();
Mutant make_xsa240_linear_page_table();
Mutant make_xsa214_free_keeps_type();
Mutant make_xsa242_unpin_unpinned();
Mutant make_xsa252_implicit_unpin();
Mutant make_xsa401_retype_without_devalidation();
Mutant make_pin_nestable();
Mutant make_pin_any_level();
Mutant make_xsa218_unmap_keeps_handle();
Mutant make_xsa224_release_keeps_type_ref();
Mutant make_xsa234_unmap_wrong_kind();
Mutant make_xsa227_unchecked_pte_address();
Mutant make_xsa230_status_cleared_early();
Mutant make_xsa188_close_leaves_peer();
Mutant make_xsa221_bind_connected_port();
Mutant make_xsa317_port_out_of_range();

const std::vector<Mutant>& mutant_catalog() {
    static const std::vector<Mutant> all = {
        make_xsa148_superpage_fast_path(),
        make_xsa182_fast_path_rw(),
        make_xsa185_recursive_l4(),
        make_xsa240_linear_page_table(),
        make_xsa214_free_keeps_type(),
        make_xsa242_unpin_unpinned(),
        make_xsa252_implicit_unpin(),
        make_xsa401_retype_without_devalidation(),
        make_pin_nestable(),
        make_pin_any_level(),
        make_xsa218_unmap_keeps_handle(),
        make_xsa224_release_keeps_type_ref(),
        make_xsa234_unmap_wrong_kind(),
        make_xsa227_unchecked_pte_address(),
        make_xsa230_status_cleared_early(),
        make_xsa188_close_leaves_peer(),
        make_xsa221_bind_connected_port(),
        make_xsa317_port_out_of_range(),
    };
    return all;
}

const Mutant* find_mutant(std::string_view name) {
    for (const auto& m : mutant_catalog()) {
        if (m.name == name) {
            return &m;
        }
    }
    return nullptr;
}

} // namespace enso::verify
