// Hypercall arguments that point where it has no memory, or none it may
// write: unmapped, non-canonical and kernel-half addresses, NULL, where the
// victim's frame would be in its phys map, and, for arguments the core
// writes back, its read-only pages (hypercall page, mfn list, its own L4).
// Each is -EFAULT (a reservation whose list cannot be written gives no
// extent), the read-only pages are unchanged, and it still runs.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/page_tables.hpp"
#include "workloads/guest/string.hpp"

namespace enso::hostile {

const char test_title[] = "args_outside_memory";

namespace {

uint64_t g_l4_before[512];

template <class T>
T* at(uint64_t va) {
    return reinterpret_cast<T*>(va);
}

} // namespace

void test_main(Args a) {
    using namespace guest;
    const uint64_t unmapped = abi::kScratchVa + (5ULL << 30);
    const uint64_t noncanonical = 0x8000000000000000ULL;
    const uint64_t kernel_half = 0xffff800000000000ULL;
    const uint64_t victim_view = abi::kPhysMapVa + (a[kArgVictimFrame] << kPageShift);
    const uint64_t root_va = abi::kPhysMapVa + current_root();
    memcpy(g_l4_before, phys_ptr(current_root()), sizeof g_l4_before);

    expect_errno("console_io from an unmapped address",
                 HYPERVISOR_console_io(CONSOLEIO_write, 16, at<const char>(unmapped)), -XEN_EFAULT);
    expect_errno("console_io from a non-canonical address",
                 HYPERVISOR_console_io(CONSOLEIO_write, 16, at<const char>(noncanonical)),
                 -XEN_EFAULT);
    expect_errno("console_io from the kernel half",
                 HYPERVISOR_console_io(CONSOLEIO_write, 16, at<const char>(kernel_half)),
                 -XEN_EFAULT);
    expect_errno("console_io from where the victim's frame would be",
                 HYPERVISOR_console_io(CONSOLEIO_write, 16, at<const char>(victim_view)),
                 -XEN_EFAULT);
    expect_errno("alloc_unbound with a NULL argument",
                 HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, nullptr), -XEN_EFAULT);
    expect_errno(
        "alloc_unbound written back into the hypercall page",
        HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, at<void>(abi::kHypercallPageVa)),
        -XEN_EFAULT);
    expect_errno("alloc_unbound written back into the mfn list",
                 HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, at<void>(abi::kMfnListVa)),
                 -XEN_EFAULT);
    expect_errno("alloc_unbound written back into its own L4",
                 HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, at<void>(root_va + 3000)),
                 -XEN_EFAULT);
    expect_errno("xen_version(extraversion) into its own L4",
                 HYPERVISOR_xen_version(XENVER_extraversion, at<void>(root_va + 3000)),
                 -XEN_EFAULT);
    expect_errno("mmu_update with an unmapped request list",
                 HYPERVISOR_mmu_update(at<mmu_update_t>(unmapped), 1, nullptr, DOMID_SELF),
                 -XEN_EFAULT);
    gnttab_query_size_t* q = at<gnttab_query_size_t>(kernel_half);
    expect_errno("grant query_size in the kernel half",
                 HYPERVISOR_grant_table_op(GNTTABOP_query_size, q, 1), -XEN_EFAULT);
    expect_errno("multicall with an unmapped list",
                 HYPERVISOR_multicall(at<multicall_entry_t>(unmapped), 1), -XEN_EFAULT);
    expect_errno("SCHEDOP_shutdown with an unmapped argument",
                 HYPERVISOR_sched_op(SCHEDOP_shutdown, at<void>(unmapped)), -XEN_EFAULT);
    expect_errno("increase_reservation with an unmapped argument",
                 HYPERVISOR_memory_op(XENMEM_increase_reservation, at<void>(unmapped)),
                 -XEN_EFAULT);
    const long pages = current_reservation();
    xen_memory_reservation_t r{};
    set_xen_guest_handle(r.extent_start, at<xen_pfn_t>(abi::kMfnListVa));
    r.nr_extents = 1;
    r.domid = DOMID_SELF;
    expect_errno("populate_physmap writing into the mfn list: extents",
                 HYPERVISOR_memory_op(XENMEM_populate_physmap, &r), 0);
    expect_value("pages it holds afterwards", static_cast<uint64_t>(current_reservation()),
                 static_cast<uint64_t>(pages));
    expect("its L4 is unchanged",
           memcmp(g_l4_before, phys_ptr(current_root()), sizeof g_l4_before) == 0);
}

} // namespace enso::hostile
