// Unpins the L4 it runs on. That is allowed (the base pointer holds its own
// type reference, as in Xen), but nothing more may follow: a writable
// mapping of it (-EINVAL), releasing it (no extent), a second unpin and a
// new_baseptr to it while unpinned (-EINVAL). Re-pinning works, and the
// guest runs on throughout.
// Seeded-bug twin (the same bug planted in the core and killed by the prover):
// verify/mutants/xsa242_unpin_unpinned.cpp, verify/mutants/pin_nestable.cpp.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::hostile {

const char test_title[] = "unpin_live_root";

void test_main(Args) {
    using namespace guest;
    const uint64_t va = scratch_page(0);
    const uint64_t root = current_root();
    const uint64_t mfn = root >> kPageShift;
    expect("a scratch page", va != 0);

    expect_errno("unpin the live root (allowed)", mmuext(MMUEXT_UNPIN_TABLE, mfn), 0);
    expect_errno("map it writable", HYPERVISOR_update_va_mapping(va, root | kPteData, UVMF_INVLPG),
                 -XEN_EINVAL);
    expect_value("extents released by decrease_reservation of it", release_frame(mfn), 0);
    expect_errno("unpin it again", mmuext(MMUEXT_UNPIN_TABLE, mfn), -XEN_EINVAL);
    expect_errno("new_baseptr to it, unpinned", mmuext(MMUEXT_NEW_BASEPTR, mfn), -XEN_EINVAL);
    expect_errno("pin it as an L1", mmuext(MMUEXT_PIN_L1_TABLE, mfn), -XEN_EINVAL);
    expect_errno("pin it again as an L4", mmuext(MMUEXT_PIN_L4_TABLE, mfn), 0);
    expect_errno("new_baseptr to it, pinned", mmuext(MMUEXT_NEW_BASEPTR, mfn), 0);
    expect_value("xen_version after all that", HYPERVISOR_xen_version(XENVER_version, nullptr),
                 (4UL << 16) | 17);
}

} // namespace enso::hostile
