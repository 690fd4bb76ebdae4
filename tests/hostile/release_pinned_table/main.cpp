// XSA-252: decrease_reservation must not free (or implicitly unpin) what is
// in use. Gives back a pinned L1, its root L4, a linked L1, its shared_info
// and grant-table frames, its command page (still mapped), a victim's frame
// and frame 0: not one extent is released. A 2 MiB extent is refused too.
// Seeded-bug twin (the same bug planted in the core and killed by the prover):
// verify/mutants/xsa252_implicit_unpin.cpp, verify/mutants/xsa214_free_keeps_type.cpp.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/boot_info.hpp"
#include "workloads/guest/frame_allocator.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::hostile {

const char test_title[] = "release_pinned_table";

void test_main(Args a) {
    using namespace guest;
    const uint64_t pinned = alloc_frame();
    expect_errno("an empty table pinned as an L1",
                 make_table(pinned) == 0 ? mmuext(MMUEXT_PIN_L1_TABLE, pinned) : -1, 0);
    const uint64_t va = scratch_page(0);
    const long before = current_reservation();

    expect_value("extents released: the pinned L1", release_frame(pinned), 0);
    expect_value("extents released: its root L4", release_frame(current_root() >> kPageShift), 0);
    expect_value("extents released: a linked L1", release_frame(l1e_of(va) >> kPageShift), 0);
    expect_value("extents released: shared_info",
                 release_frame(start_info()->shared_info >> kPageShift), 0);
    expect_value(
        "extents released: the grant table",
        release_frame((read_entry(l1e_of(abi::kGrantTableVa)) & kPteAddrMask) >> kPageShift), 0);
    expect_value(
        "extents released: the command page (mapped)",
        release_frame((read_entry(l1e_of(abi::kCommandPageVa)) & kPteAddrMask) >> kPageShift), 0);
    expect_value("extents released: the victim's frame", release_frame(a[kArgVictimFrame]), 0);
    expect_value("extents released: frame 0", release_frame(0), 0);
    expect_value("pages it holds afterwards", static_cast<uint64_t>(current_reservation()),
                 static_cast<uint64_t>(before));
    expect_errno("the L1 is still pinned: unpin it", mmuext(MMUEXT_UNPIN_TABLE, pinned), 0);

    xen_pfn_t frame = 0;
    xen_memory_reservation_t r{};
    set_xen_guest_handle(r.extent_start, &frame);
    r.nr_extents = 1;
    r.extent_order = 9;
    r.domid = DOMID_SELF;
    expect_errno("populate_physmap of a 2 MiB extent",
                 HYPERVISOR_memory_op(XENMEM_populate_physmap, &r), -XEN_EINVAL);
}

} // namespace enso::hostile
