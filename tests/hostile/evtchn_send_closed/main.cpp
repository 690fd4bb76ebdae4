// Event channels after use (XSA-343-style use after close): sends on a port
// never opened, on port 0 and past the table, on a port it closed, and on a
// loopback channel after either end closed; closes twice. Sending on a
// closed port is -EINVAL (on an unbound one it is a no-op, as in Xen);
// SCHEDOP_poll and the FIFO ABI (XSA-221, XSA-188) are not offered: -ENOSYS.
// Seeded-bug twin (the same bug planted in the core and killed by the prover):
// verify/mutants/xsa188_close_leaves_peer.cpp.
#include "tests/hostile/common/calls.hpp"
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/events.hpp"

namespace enso::hostile {

const char test_title[] = "evtchn_send_closed";

void test_main(Args) {
    using namespace guest;
    expect_errno("send on port 77, never opened", evtchn_send(77), -XEN_EINVAL);
    expect_errno("send on port 0", evtchn_send(0), -XEN_EINVAL);
    expect_errno("send on port 1024, past the table", evtchn_send(1024), -XEN_EINVAL);
    expect_errno("send on port 0xffffffff", evtchn_send(0xffffffffU), -XEN_EINVAL);

    evtchn_port_t p = 0;
    expect_errno("alloc_unbound for domain 0", evtchn_alloc_unbound(DOMID_SELF, 0, &p), 0);
    expect_errno("close it", evtchn_close(p), 0);
    expect_errno("send on it after close", evtchn_send(p), -XEN_EINVAL);
    expect_errno("close it again", evtchn_close(p), -XEN_EINVAL);

    evtchn_port_t a = 0;
    evtchn_port_t b = 0;
    expect_errno("a loopback channel: alloc_unbound for itself",
                 evtchn_alloc_unbound(DOMID_SELF, DOMID_SELF, &a), 0);
    expect_errno("and bind to it", evtchn_bind(DOMID_SELF, a, &b), 0);
    expect_errno("send on one end", evtchn_send(b), 0);
    expect_errno("close that end", evtchn_close(a), 0);
    expect_errno("send on the closed end", evtchn_send(a), -XEN_EINVAL);
    expect_errno("send on the other end, now unbound", evtchn_send(b), 0);
    expect_errno("close the other end", evtchn_close(b), 0);
    expect_errno("send on it", evtchn_send(b), -XEN_EINVAL);

    evtchn_port_t ports[1] = {5000};
    sched_poll_t poll{};
    set_xen_guest_handle(poll.ports, ports);
    poll.nr_ports = 1;
    poll.timeout = 0;
    expect_errno("SCHEDOP_poll on port 5000", HYPERVISOR_sched_op(SCHEDOP_poll, &poll),
                 -XEN_ENOSYS);
    // The FIFO ABI is not offered; its arguments are still checked first,
    // as Xen checks them: frame 0 is not the guest's.
    evtchn_init_control_t init{};
    init.control_gfn = 0;
    expect_errno("EVTCHNOP_init_control (FIFO ABI) on a frame not its own",
                 HYPERVISOR_event_channel_op(EVTCHNOP_init_control, &init), -XEN_EINVAL);
    init.control_gfn = ~0ULL - 1;
    expect_errno("EVTCHNOP_init_control (FIFO ABI) on an impossible frame",
                 HYPERVISOR_event_channel_op(EVTCHNOP_init_control, &init), -XEN_EINVAL);
}

} // namespace enso::hostile
