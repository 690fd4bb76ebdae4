// Arguments that start in its last mapped page and run past its end into
// unmapped memory. Structures the core reads whole are -EFAULT with nothing
// done (no port allocated, no text printed, nothing written back); batches
// run the entries that lie wholly inside and stop at the first that does
// not (mmu_update: -EFAULT with the done count; multicall: the first entry's
// result is written).
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/frame_allocator.hpp"
#include "workloads/guest/page_tables.hpp"
#include "workloads/guest/string.hpp"

namespace enso::hostile {

const char test_title[] = "args_straddle_end";

void test_main(Args) {
    using namespace guest;
    const uint64_t page = scratch_page(10);
    expect("a scratch page", page != 0 && scratch_page(11) != 0);
    expect_errno("map one frame there, the next page left unmapped",
                 map_frame(page, alloc_frame(), kPteData), 0);
    const uint64_t end = page + abi::kPageSize;
    auto* bytes = reinterpret_cast<volatile uint8_t*>(page);
    for (uint64_t i = 0; i < abi::kPageSize; ++i) {
        bytes[i] = 0xaa;
    }

    evtchn_port_t first = 0;
    expect_errno("alloc_unbound (to learn the lowest free port)",
                 evtchn_alloc_unbound(DOMID_SELF, 0, &first), 0);
    expect_errno("and close it", evtchn_close(first), 0);
    expect_errno(
        "alloc_unbound straddling the end",
        HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, reinterpret_cast<void*>(end - 4)),
        -XEN_EFAULT);
    evtchn_port_t again = 0;
    expect_errno("alloc_unbound after it", evtchn_alloc_unbound(DOMID_SELF, 0, &again), 0);
    expect_value("the port it got (none was taken by the straddling call)", again, first);
    evtchn_close(again);

    memcpy(reinterpret_cast<void*>(end - 5), "XSTRA", 5);
    expect_errno("console_io of 10 bytes from 5 before the end",
                 HYPERVISOR_console_io(CONSOLEIO_write, 10, reinterpret_cast<const char*>(end - 5)),
                 -XEN_EFAULT);
    expect_errno("xen_version(extraversion) written across the end",
                 HYPERVISOR_xen_version(XENVER_extraversion, reinterpret_cast<void*>(end - 8)),
                 -XEN_EFAULT);
    expect_value("the bytes before the end, untouched", bytes[abi::kPageSize - 9], 0xaa);

    // Three mmu_update requests, the third past the end: two are done.
    const uint64_t t1 = scratch_page(20);
    const uint64_t t2 = scratch_page(21);
    const uint64_t t3 = scratch_page(22);
    auto* reqs = reinterpret_cast<mmu_update_t*>(end - 2 * sizeof(mmu_update_t));
    reqs[0].ptr = l1e_of(t1);
    reqs[0].val = (alloc_frame() << kPageShift) | kPteData;
    reqs[1].ptr = l1e_of(t2);
    reqs[1].val = (alloc_frame() << kPageShift) | kPteData;
    unsigned done = 0;
    expect_errno("mmu_update of 3 requests, the third past the end",
                 HYPERVISOR_mmu_update(reqs, 3, &done, DOMID_SELF), -XEN_EFAULT);
    expect_value("requests done", done, 2);
    expect("the first two took effect",
           (read_entry(l1e_of(t1)) & kPteP) != 0 && (read_entry(l1e_of(t2)) & kPteP) != 0);
    expect_value("the third slot", read_entry(l1e_of(t3)), 0);

    auto* calls = reinterpret_cast<multicall_entry_t*>(end - sizeof(multicall_entry_t));
    *calls = multicall_entry_t{};
    calls->op = __HYPERVISOR_xen_version;
    calls->args[0] = XENVER_version;
    expect_errno("multicall of 2 entries, the second past the end", HYPERVISOR_multicall(calls, 2),
                 -XEN_EFAULT);
    expect_value("the first entry's result", calls->result, (4UL << 16) | 17);
}

} // namespace enso::hostile
