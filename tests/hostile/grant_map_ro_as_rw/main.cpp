// The victim grants it a frame read-only (kArgRef). It maps it writable
// (GNTST_general_error), then read-only (allowed) and tries to make
// that mapping writable or remove it through the PV MMU (-EPERM: grant
// mappings change only through grant unmap), and to copy into the grant
// (GNTST_general_error). It reads the frame's contents (the fill byte,
// kArgExtra) and unmaps.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::hostile {

const char test_title[] = "grant_map_ro_as_rw";

void test_main(Args a) {
    using namespace guest;
    const auto victim = static_cast<domid_t>(a[kArgVictim]);
    const auto ref = static_cast<grant_ref_t>(a[kArgRef]);
    const uint64_t frame = a[kArgRefFrame] << kPageShift;
    const uint64_t va = scratch_page(0);
    const uint64_t l1e = l1e_of(va);
    grant_handle_t h = 0;

    expect_gntst("map the read-only grant writable",
                 grant_map(victim, ref, GNTMAP_host_map, va, &h), GNTST_general_error);
    expect_gntst("map it writable into a PTE",
                 grant_map(victim, ref, GNTMAP_host_map | GNTMAP_contains_pte, l1e, &h),
                 GNTST_general_error);
    expect_gntst("map it read-only (allowed)",
                 grant_map(victim, ref, GNTMAP_host_map | GNTMAP_readonly, va, &h), GNTST_okay);
    const uint64_t pte = read_entry(l1e);
    expect("the mapping is read-only", (pte & kPteP) != 0 && (pte & kPteRW) == 0);
    expect_value("a word read through it", *reinterpret_cast<volatile uint64_t*>(va + 808),
                 0x0101010101010101ULL * (a[kArgExtra] & 0xff));
    expect_errno("update_va_mapping setting RW on the grant PTE",
                 HYPERVISOR_update_va_mapping(va, frame | kPteData, UVMF_INVLPG), -XEN_EPERM);
    expect_errno("mmu_update setting RW on the grant PTE", mmu_update1(l1e, pte | kPteRW),
                 -XEN_EPERM);
    expect_errno("update_va_mapping removing the grant PTE",
                 HYPERVISOR_update_va_mapping(va, 0, UVMF_INVLPG), -XEN_EPERM);
    gnttab_copy_t op{};
    op.source.u.gmfn = l1e >> kPageShift; // any own frame: the copy must not get that far
    op.source.domid = DOMID_SELF;
    op.dest.u.ref = ref;
    op.dest.domid = victim;
    op.flags = GNTCOPY_dest_gref;
    op.len = 8;
    expect_errno("copy into the read-only grant", HYPERVISOR_grant_table_op(GNTTABOP_copy, &op, 1),
                 0);
    expect_gntst("the copy's status", op.status, GNTST_general_error);
    expect_gntst("unmap", grant_unmap(h, va), GNTST_okay);
    expect_value("the L1 entry afterwards", read_entry(l1e), 0);
}

} // namespace enso::hostile
