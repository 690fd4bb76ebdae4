// Closes its command channel, masks every event and sleeps in SCHEDOP_block
// forever: no event can wake it and it never answers. The monitor's command
// must still end at its deadline (StopKind deadline), and stopping a vCPU
// asleep in the monitor must work.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/boot_info.hpp"
#include "workloads/guest/events.hpp"

namespace enso::hostile {

const char test_title[] = "never_answers";

void test_main(Args) {
    using namespace guest;
    shared_info_t* si = shared_info();
    expect_errno("close its command channel", evtchn_close(command_page()->cmd_port), 0);
    __atomic_store_n(&si->vcpu_info[0].evtchn_upcall_mask, uint8_t{1}, __ATOMIC_SEQ_CST);
    for (auto& m : si->evtchn_mask) {
        __atomic_store_n(&m, ~xen_ulong_t{0}, __ATOMIC_SEQ_CST);
    }
    info("asleep for good");
    for (;;) {
        __atomic_store_n(&si->vcpu_info[0].evtchn_upcall_pending, uint8_t{0}, __ATOMIC_SEQ_CST);
        block();
    }
}

} // namespace enso::hostile
