// Binds to event channels not offered to it: a port of the victim's that
// domain 0 allocated for itself (kArgExtra), the victim's command port,
// already bound to domain 0 (kArgRef), its own command port, port 0 and one
// past the table (-EINVAL), and a domain that does not exist (-ESRCH).
// Seeded-bug twin (the same bug planted in the core and killed by the prover):
// verify/mutants/xsa221_bind_connected_port.cpp.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/boot_info.hpp"

namespace enso::hostile {

const char test_title[] = "evtchn_bind_not_offered";

void test_main(Args a) {
    const auto victim = static_cast<domid_t>(a[kArgVictim]);
    evtchn_port_t local = 0;
    expect_errno("bind to the victim's port offered to domain 0",
                 evtchn_bind(victim, static_cast<evtchn_port_t>(a[kArgExtra]), &local),
                 -XEN_EINVAL);
    expect_errno("bind to the victim's command port",
                 evtchn_bind(victim, static_cast<evtchn_port_t>(a[kArgRef]), &local), -XEN_EINVAL);
    expect_errno("bind to its own command port",
                 evtchn_bind(DOMID_SELF, guest::command_page()->cmd_port, &local), -XEN_EINVAL);
    expect_errno("bind to the victim's port 0", evtchn_bind(victim, 0, &local), -XEN_EINVAL);
    expect_errno("bind to the victim's port 1024", evtchn_bind(victim, 1024, &local), -XEN_EINVAL);
    expect_errno("bind to domain 29's port 1", evtchn_bind(29, 1, &local), -XEN_ESRCH);
    expect_errno("bind to domain 0's port 1", evtchn_bind(0, 1, &local), -XEN_EINVAL);
}

} // namespace enso::hostile
