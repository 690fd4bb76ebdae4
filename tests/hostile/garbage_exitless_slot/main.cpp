// Writes garbage into the exitless transport's call slot (in shared_info's
// tail), which the monitor's poller thread reads: random hypercall numbers
// and arguments published with random sequence numbers, forged answers,
// poller_asleep and vcpu_work flags, kicks, and waits for answers that
// were never asked for. Then it makes ordinary hypercalls through its stubs
// again: they must still work. (Under the trap transport the slot is
// unused, and the same garbage must change nothing.) The garbage is a fixed
// pseudo-random sequence, so a run can be replayed.
#include "hvcore/abi/exitless_slot.hpp"
#include "hvcore/abi/hypercall_ports.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/boot_info.hpp"
#include "workloads/guest/hypercall.hpp"
#include "workloads/guest/tsc.hpp"

namespace enso::hostile {

const char test_title[] = "garbage_exitless_slot";

namespace {

uint64_t g_state = 0xbb67ae8584caa73bULL;

uint64_t next() {
    g_state += 0x9e3779b97f4a7c15ULL;
    uint64_t x = g_state;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    return x ^ (x >> 31);
}

// Numbers the core knows, with arguments that are mostly garbage: calls the
// poller really makes. sched_op is left out: a random SCHEDOP_shutdown
// would end the test early (its argument would have to point at a valid
// reason, which garbage rarely does, but "rarely" is not "never").
uint64_t garbage_nr() {
    static const uint64_t kNrs[] = {
        __HYPERVISOR_mmu_update,        __HYPERVISOR_mmuext_op,
        __HYPERVISOR_update_va_mapping, __HYPERVISOR_memory_op,
        __HYPERVISOR_grant_table_op,    __HYPERVISOR_event_channel_op,
        __HYPERVISOR_multicall,         __HYPERVISOR_console_io,
        __HYPERVISOR_xen_version,       40,
        abi::kFloorHypercall,           0xffffffffULL,
    };
    return kNrs[next() % (sizeof kNrs / sizeof kNrs[0])];
}

void out(uint8_t port) {
    asm volatile("outl %%eax, %%dx" : : "a"(0U), "d"(uint16_t{port}) : "memory");
}

} // namespace

void test_main(Args) {
    using namespace guest;
    auto* slot =
        reinterpret_cast<abi::ExitlessSlot*>(abi::kSharedInfoVa + abi::kExitlessSlotOffset);
    const uint64_t saved_req = slot->req_seq;
    for (unsigned i = 0; i < 3000; ++i) {
        slot->nr = garbage_nr();
        for (auto& arg : slot->args) {
            arg = (next() & 1) != 0 ? next() : next() & 0xffff;
        }
        if ((i % 7) == 0) {
            slot->resp_seq = next();
            slot->result = static_cast<int64_t>(next());
        }
        if ((i % 11) == 0) {
            slot->poller_asleep = static_cast<uint32_t>(next());
            slot->vcpu_work = static_cast<uint32_t>(next());
        }
        // Publish: one more than before, or anything at all.
        slot->req_seq = (i % 5) == 0 ? next() : slot->req_seq + 1;
        if ((i % 13) == 0) {
            out(abi::kPortExitlessKick);
        }
        const uint64_t until = rdtsc_ordered() + tsc_ticks_us(20);
        while (rdtsc_ordered() < until) {
            cpu_relax();
        }
    }
    // Let the poller catch up with the last published call, then leave the
    // slot as a fresh one would be: answered.
    const uint64_t last = slot->req_seq;
    const uint64_t until = rdtsc_ordered() + tsc_ticks_us(200000);
    while (slot->resp_seq != last && rdtsc_ordered() < until) {
        cpu_relax();
    }
    info("3000 garbage calls published (slot req_seq was %lu, now %lu)", saved_req, last);
    expect_value("xen_version through the stub afterwards",
                 static_cast<uint64_t>(HYPERVISOR_xen_version(XENVER_version, nullptr)),
                 (4UL << 16) | 17);
    expect_value("and again",
                 static_cast<uint64_t>(HYPERVISOR_xen_version(XENVER_version, nullptr)),
                 (4UL << 16) | 17);
}

} // namespace enso::hostile
