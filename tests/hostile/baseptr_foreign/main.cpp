// Switches to, pins or unpins the victim's root page table, and names the
// victim as the foreign domain of an mmuext_op: a domain's tables are its
// own (-EINVAL for new_baseptr and unpin, -EPERM for pin and foreigndom).
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"

namespace enso::hostile {

const char test_title[] = "baseptr_foreign";

void test_main(Args a) {
    const uint64_t l4 = a[kArgVictimL4];
    const auto victim = static_cast<domid_t>(a[kArgVictim]);
    expect_errno("new_baseptr to the victim's L4", mmuext(MMUEXT_NEW_BASEPTR, l4), -XEN_EINVAL);
    expect_errno("pin the victim's L4", mmuext(MMUEXT_PIN_L4_TABLE, l4), -XEN_EPERM);
    expect_errno("unpin the victim's L4", mmuext(MMUEXT_UNPIN_TABLE, l4), -XEN_EINVAL);
    expect_errno("pin the victim's data frame as an L1",
                 mmuext(MMUEXT_PIN_L1_TABLE, a[kArgVictimFrame]), -XEN_EPERM);
    expect_errno("new_baseptr with the victim as foreign domain",
                 mmuext(MMUEXT_NEW_BASEPTR, l4, victim), -XEN_EPERM);
    expect_errno("unpin with the victim as foreign domain", mmuext(MMUEXT_UNPIN_TABLE, l4, victim),
                 -XEN_EPERM);
}

} // namespace enso::hostile
