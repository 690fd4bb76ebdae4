// Multicalls that nest or misbehave: a multicall entry that is itself a
// multicall (of itself, or of a huge list) is refused for that entry
// (-EINVAL) while its neighbours run; unknown hypercall numbers are -ENOSYS
// per entry; an entry with a huge batch gets -E2BIG; and a list it cannot
// write back is -EFAULT before any entry runs (its reservation entry
// leaves the page count unchanged).
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/frame_allocator.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::hostile {

const char test_title[] = "multicall_nesting";

namespace {

multicall_entry_t g_calls[6];
xen_pfn_t g_frame;
xen_memory_reservation_t g_res;

multicall_entry_t call(uint64_t op, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0,
                       uint64_t a3 = 0) {
    multicall_entry_t e{};
    e.op = op;
    e.args[0] = a0;
    e.args[1] = a1;
    e.args[2] = a2;
    e.args[3] = a3;
    e.result = 0x5a5a;
    return e;
}

} // namespace

void test_main(Args) {
    using namespace guest;
    constexpr uint64_t kVersion = (4UL << 16) | 17;
    const uint64_t self = reinterpret_cast<uint64_t>(g_calls);
    g_calls[0] = call(__HYPERVISOR_xen_version, XENVER_version);
    g_calls[1] = call(__HYPERVISOR_multicall, self, 6);
    g_calls[2] = call(__HYPERVISOR_multicall, self, 1ULL << 40);
    g_calls[3] = call(0xffffffffULL);
    g_calls[4] = call(__HYPERVISOR_mmu_update, self, 0xffffffffULL, 0, DOMID_SELF);
    g_calls[5] = call(__HYPERVISOR_xen_version, XENVER_version);
    expect_errno("a multicall of 6 entries", HYPERVISOR_multicall(g_calls, 6), 0);
    expect_value("entry 0 (xen_version)", g_calls[0].result, kVersion);
    expect_value("entry 1 (a multicall of this very list)", g_calls[1].result,
                 static_cast<uint64_t>(-XEN_EINVAL));
    expect_value("entry 2 (a multicall of 2^40 entries)", g_calls[2].result,
                 static_cast<uint64_t>(-XEN_EINVAL));
    expect_value("entry 3 (hypercall 0xffffffff)", g_calls[3].result,
                 static_cast<uint64_t>(-XEN_ENOSYS));
    expect_value("entry 4 (mmu_update of 2^32-1)", g_calls[4].result,
                 static_cast<uint64_t>(-XEN_E2BIG));
    expect_value("entry 5 (xen_version)", g_calls[5].result, kVersion);

    // The same list in a page mapped read-only: results cannot be written back.
    const uint64_t mfn = alloc_frame();
    auto* list = reinterpret_cast<multicall_entry_t*>(phys_ptr(mfn << kPageShift));
    set_xen_guest_handle(g_res.extent_start, &g_frame);
    g_res.nr_extents = 1;
    g_res.domid = DOMID_SELF;
    list[0] = call(__HYPERVISOR_memory_op, XENMEM_increase_reservation,
                   reinterpret_cast<uint64_t>(&g_res));
    const uint64_t va = scratch_page(0);
    expect_errno("that list mapped read-only", map_frame(va, mfn, kPteP | kPteUS | kPteNX), 0);
    const long pages = current_reservation();
    expect_errno("a multicall from the read-only list",
                 HYPERVISOR_multicall(reinterpret_cast<multicall_entry_t*>(va), 1), -XEN_EFAULT);
    expect_value("pages it holds (the entry never ran)",
                 static_cast<uint64_t>(current_reservation()), static_cast<uint64_t>(pages));
}

} // namespace enso::hostile
