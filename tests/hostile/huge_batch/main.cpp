// Counts meant to hold the core for a long time or to overflow a size: 2^32-1
// and 2^63 requests to mmu_update, mmuext_op, multicall, grant_table_op and
// memory_op (-E2BIG: batches are bounded at 4096), a 1 MiB console write
// (-EINVAL), and full batches of 4096 that are served to the end (valid
// mmu_update pairs, xen_version multicalls) or stop at the first bad entry.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/frame_allocator.hpp"
#include "workloads/guest/page_tables.hpp"
#include "workloads/guest/scratch_area.hpp"

namespace enso::hostile {

const char test_title[] = "huge_batch";

void test_main(Args) {
    using namespace guest;
    constexpr unsigned kBatch = 4096;
    uint64_t* buf = nullptr;
    expect_errno("a 256 KiB buffer", scratch_buffer(kBatch * sizeof(multicall_entry_t), &buf), 0);
    auto* reqs = reinterpret_cast<mmu_update_t*>(buf);
    auto* ops = reinterpret_cast<struct mmuext_op*>(buf);
    auto* calls = reinterpret_cast<multicall_entry_t*>(buf);
    const unsigned big = 0xffffffffU;

    expect_errno("mmu_update of 2^32-1", HYPERVISOR_mmu_update(reqs, big, nullptr, DOMID_SELF),
                 -XEN_E2BIG);
    expect_errno("mmu_update of 2^63",
                 _hypercall4<__HYPERVISOR_mmu_update>(ptr_arg(reqs), 1ULL << 63, 0, DOMID_SELF),
                 -XEN_E2BIG);
    expect_errno("mmu_update of 4097", HYPERVISOR_mmu_update(reqs, kBatch + 1, nullptr, DOMID_SELF),
                 -XEN_E2BIG);
    expect_errno("mmuext_op of 2^32-1", HYPERVISOR_mmuext_op(ops, big, nullptr, DOMID_SELF),
                 -XEN_E2BIG);
    expect_errno("multicall of 2^32-1", HYPERVISOR_multicall(calls, big), -XEN_E2BIG);
    expect_errno("multicall of 2^40",
                 _hypercall2<__HYPERVISOR_multicall>(ptr_arg(calls), 1ULL << 40), -XEN_E2BIG);
    expect_errno("grant_table_op of 2^32-1",
                 HYPERVISOR_grant_table_op(GNTTABOP_query_size, buf, big), -XEN_E2BIG);
    xen_pfn_t frame = 0;
    xen_memory_reservation_t r{};
    set_xen_guest_handle(r.extent_start, &frame);
    r.nr_extents = 0xffffffffffffULL;
    r.domid = DOMID_SELF;
    expect_errno("increase_reservation of 2^48-1 extents",
                 HYPERVISOR_memory_op(XENMEM_increase_reservation, &r), -XEN_E2BIG);
    expect_errno("console_io of 1 MiB",
                 HYPERVISOR_console_io(CONSOLEIO_write, 1U << 20, reinterpret_cast<char*>(buf)),
                 -XEN_EINVAL);

    // 4096 requests that map and unmap one scratch page in turn: all done.
    const uint64_t l1e = l1e_of(scratch_page(0));
    const uint64_t data = (alloc_frame() << kPageShift) | kPteData;
    for (unsigned i = 0; i < kBatch; ++i) {
        reqs[i].ptr = l1e;
        reqs[i].val = (i % 2 == 0) ? data : 0;
    }
    unsigned done = 0;
    expect_errno("mmu_update of 4096 valid requests",
                 HYPERVISOR_mmu_update(reqs, kBatch, &done, DOMID_SELF), 0);
    expect_value("requests done", done, kBatch);
    // 4096 requests naming frame 0: the first is refused, the rest never run.
    for (unsigned i = 0; i < kBatch; ++i) {
        reqs[i].ptr = 8 * i;
        reqs[i].val = 0;
    }
    expect_errno("mmu_update of 4096 requests on frame 0",
                 HYPERVISOR_mmu_update(reqs, kBatch, &done, DOMID_SELF), -XEN_EPERM);
    expect_value("requests done", done, 0);
    for (unsigned i = 0; i < kBatch; ++i) {
        calls[i] = multicall_entry_t{};
        calls[i].op = __HYPERVISOR_xen_version;
        calls[i].args[0] = XENVER_version;
    }
    expect_errno("multicall of 4096 xen_version", HYPERVISOR_multicall(calls, kBatch), 0);
    expect_value("the last entry's result", calls[kBatch - 1].result, (4UL << 16) | 17);
}

} // namespace enso::hostile
