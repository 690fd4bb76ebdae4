// Reaches into the victim's event channels: allocates a port in the victim's
// table, asks for the status of the victim's command port (-EPERM: only
// domain 0 acts on another domain's ports), names domains that do not
// exist as the remote end (-ESRCH), and unmasks and closes ports past the
// table (-EINVAL).
// Seeded-bug twin (the same bug planted in the core and killed by the prover):
// verify/mutants/xsa317_port_out_of_range.cpp.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"

namespace enso::hostile {

const char test_title[] = "evtchn_foreign_port";

void test_main(Args a) {
    using namespace guest;
    const auto victim = static_cast<domid_t>(a[kArgVictim]);
    evtchn_port_t p = 0;
    expect_errno("alloc_unbound in the victim's table", evtchn_alloc_unbound(victim, 0, &p),
                 -XEN_EPERM);
    expect_errno("alloc_unbound in the table of domain 40", evtchn_alloc_unbound(40, 0, &p),
                 -XEN_EPERM);
    expect_errno("alloc_unbound for remote domain 40", evtchn_alloc_unbound(DOMID_SELF, 40, &p),
                 -XEN_ESRCH);
    expect_errno("alloc_unbound for remote DOMID_INVALID",
                 evtchn_alloc_unbound(DOMID_SELF, DOMID_INVALID, &p), -XEN_ESRCH);
    evtchn_status_t st{};
    st.dom = victim;
    st.port = static_cast<evtchn_port_t>(a[kArgExtra]);
    expect_errno("status of the victim's command port",
                 HYPERVISOR_event_channel_op(EVTCHNOP_status, &st), -XEN_EPERM);
    evtchn_unmask_t um{};
    um.port = 4096;
    expect_errno("unmask port 4096", HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &um),
                 -XEN_EINVAL);
    expect_errno("close port 1024", evtchn_close(1024), -XEN_EINVAL);
    expect_errno("close port 0", evtchn_close(0), -XEN_EINVAL);
    expect_errno("event_channel_op 99", HYPERVISOR_event_channel_op(99, &st), -XEN_ENOSYS);
}

} // namespace enso::hostile
