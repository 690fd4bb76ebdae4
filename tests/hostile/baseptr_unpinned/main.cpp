// MMUEXT_NEW_BASEPTR needs a pinned L4 of the caller's own. Tries a faithful
// but unpinned copy of its own L4, a plain data frame, a pinned L1, frame 0
// and a frame beyond machine memory: -EINVAL each, and the guest keeps
// running on its old root.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/frame_allocator.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::hostile {

const char test_title[] = "baseptr_unpinned";

void test_main(Args) {
    using namespace guest;
    const uint64_t root = current_root();
    const uint64_t copy = alloc_frame();
    const uint64_t data = alloc_frame();
    const uint64_t l1 = alloc_frame();
    expect_errno("a copy of its L4 made a (read-only) table", make_table(copy, phys_ptr(root)), 0);
    expect_errno("new_baseptr to the unpinned copy", mmuext(MMUEXT_NEW_BASEPTR, copy), -XEN_EINVAL);
    expect_errno("new_baseptr to a data frame", mmuext(MMUEXT_NEW_BASEPTR, data), -XEN_EINVAL);
    expect_errno("an empty table pinned as an L1",
                 make_table(l1) == 0 ? mmuext(MMUEXT_PIN_L1_TABLE, l1) : -1, 0);
    expect_errno("new_baseptr to the pinned L1", mmuext(MMUEXT_NEW_BASEPTR, l1), -XEN_EINVAL);
    expect_errno("new_baseptr to frame 0", mmuext(MMUEXT_NEW_BASEPTR, 0), -XEN_EINVAL);
    expect_errno("new_baseptr beyond machine memory", mmuext(MMUEXT_NEW_BASEPTR, 1ULL << 40),
                 -XEN_EINVAL);
    expect_value("the root it runs on", current_root(), root);
    expect_errno("unpin the L1", mmuext(MMUEXT_UNPIN_TABLE, l1), 0);
}

} // namespace enso::hostile
