// Maps a frame of the victim into its own address space, read-only and
// writable, through each PV MMU path: update_va_mapping, mmu_update of its
// own L1 entry, and a batch whose first entry is good. An L1 entry may map
// only frames the table's owner owns (or was granted): -EPERM each time.
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/frame_allocator.hpp"
#include "workloads/guest/hypercall.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::hostile {

const char test_title[] = "map_foreign_frame";

void test_main(Args a) {
    using namespace guest;
    const uint64_t victim = a[kArgVictimFrame] << kPageShift;
    const uint64_t va = scratch_page(0);
    const uint64_t l1e = l1e_of(va);
    expect("a scratch page with an L1 entry", va != 0 && l1e != 0);

    expect_errno("update_va_mapping of the victim's frame, read-only",
                 HYPERVISOR_update_va_mapping(va, victim | kPteP | kPteUS, UVMF_INVLPG),
                 -XEN_EPERM);
    expect_errno("update_va_mapping of the victim's frame, writable",
                 HYPERVISOR_update_va_mapping(va, victim | kPteData, UVMF_INVLPG), -XEN_EPERM);
    expect_errno("mmu_update of its L1 entry to the victim's frame",
                 set_entry(l1e, victim | kPteData), -XEN_EPERM);

    // A batch: the first entry is fine (an own free frame), the second not.
    mmu_update_t reqs[2] = {};
    reqs[0].ptr = l1e | MMU_NORMAL_PT_UPDATE;
    reqs[0].val = (alloc_frame() << kPageShift) | kPteData;
    reqs[1].ptr = (l1e + 8) | MMU_NORMAL_PT_UPDATE;
    reqs[1].val = victim | kPteData;
    unsigned done = 99;
    expect_errno("a batch whose second entry maps the victim's frame",
                 HYPERVISOR_mmu_update(reqs, 2, &done, DOMID_SELF), -XEN_EPERM);
    expect_value("entries done before the refusal", done, 1);
    expect_value("the L1 entry after the refusal", read_entry(l1e + 8), 0);
    set_entry(l1e, 0);
}

} // namespace enso::hostile
