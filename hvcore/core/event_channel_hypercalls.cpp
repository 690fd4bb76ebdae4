// event_channel_op: one operation per call, its structure read from and
// written back to guest memory.
#include "hvcore/core/event_channel_ops.hpp"
#include "hvcore/core/guest_memory.hpp"
#include "hvcore/core/hypercall_dispatch.hpp"

namespace enso::core {

namespace {

template <class Arg, class Fn>
long with_arg(const GuestMemory& guest, std::uint64_t at, Fn&& run) {
    return with_guest_arg<Arg>(guest, at, WriteBack::kOnSuccess, std::forward<Fn>(run));
}

} // namespace

long Dispatcher::event_channel_op(std::uint16_t d, const HypercallArgs& a) {
    const GuestMemory guest(core_.state(), d);
    const std::uint64_t at = a[1];
    switch (a[0]) {
    case EVTCHNOP_alloc_unbound:
        return with_arg<evtchn_alloc_unbound_t>(guest, at, [&](evtchn_alloc_unbound_t& op) {
            std::uint32_t port = 0;
            const Rc rc = core_.evtchn_alloc_unbound(d, op.dom, op.remote_dom, port);
            op.port = port;
            return rc;
        });
    case EVTCHNOP_bind_interdomain:
        return with_arg<evtchn_bind_interdomain_t>(guest, at, [&](evtchn_bind_interdomain_t& op) {
            std::uint32_t port = 0;
            const Rc rc = core_.evtchn_bind_interdomain(d, op.remote_dom, op.remote_port, port);
            op.local_port = port;
            return rc;
        });
    case EVTCHNOP_send:
        return with_arg<evtchn_send_t>(
            guest, at, [&](evtchn_send_t& op) { return core_.evtchn_send(d, op.port); });
    case EVTCHNOP_close:
        return with_arg<evtchn_close_t>(
            guest, at, [&](evtchn_close_t& op) { return core_.evtchn_close(d, op.port); });
    case EVTCHNOP_unmask:
        return with_arg<evtchn_unmask_t>(
            guest, at, [&](evtchn_unmask_t& op) { return core_.evtchn_unmask(d, op.port); });
    case EVTCHNOP_status:
        return with_arg<evtchn_status_t>(guest, at, [&](evtchn_status_t& op) {
            EvtchnStatus<Concrete> st{};
            const Rc rc = evtchn_status<Concrete>(core_.state(), d, op.dom, op.port, st);
            op.status = st.status;
            op.vcpu = 0;
            if (st.status == EVTCHNSTAT_unbound) {
                op.u.unbound.dom = st.dom;
            } else if (st.status == EVTCHNSTAT_interdomain) {
                op.u.interdomain.dom = st.dom;
                op.u.interdomain.port = st.port;
            }
            return rc;
        });
    case EVTCHNOP_init_control:
        return with_arg<evtchn_init_control_t>(
            guest, at, [&](evtchn_init_control_t& op) { return fifo_init_control(d, op); });
    default:
        return kENOSYS;
    }
}

// The FIFO ABI is not offered (two-level event channels only), but its
// arguments are checked as Xen checks them first, so a bad call is refused
// for what it is: a misaligned or overlong offset or a frame the domain
// does not own is -EINVAL, a vCPU it does not have -ENOENT; a good call is
// -ENOSYS.
Rc Dispatcher::fifo_init_control(std::uint16_t d, const evtchn_init_control_t& op) {
    constexpr std::uint64_t kControlBlockBytes = 64; // evtchn_fifo_control_block
    if ((op.offset & 7) != 0 || op.offset > kPageSize - kControlBlockBytes) {
        return kEINVAL;
    }
    if (op.vcpu != 0) {
        return kENOENT;
    }
    if (op.control_gfn >= core_.nr_frames() ||
        !core_.owns_frame(d, static_cast<std::uint32_t>(op.control_gfn))) {
        return kEINVAL;
    }
    return kENOSYS;
}

} // namespace enso::core
