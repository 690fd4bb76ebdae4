#include "workloads/guest/events.hpp"

#include "workloads/guest/boot_info.hpp"
#include "workloads/guest/hypercall.hpp"

namespace enso::guest {

namespace {

constexpr unsigned kBitsPerWord = sizeof(xen_ulong_t) * 8;

xen_ulong_t port_bit(evtchn_port_t port) {
    return xen_ulong_t{1} << (port % kBitsPerWord);
}

} // namespace

long events_init(evtchn_port_t port) {
    shared_info_t* si = shared_info();
    __atomic_store_n(&si->vcpu_info[0].evtchn_upcall_mask, uint8_t{0}, __ATOMIC_SEQ_CST);
    if ((__atomic_load_n(&si->evtchn_mask[port / kBitsPerWord], __ATOMIC_SEQ_CST) &
         port_bit(port)) == 0) {
        return 0;
    }
    evtchn_unmask_t op{};
    op.port = port;
    return HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &op);
}

long evtchn_send(evtchn_port_t port) {
    evtchn_send_t op{};
    op.port = port;
    return HYPERVISOR_event_channel_op(EVTCHNOP_send, &op);
}

void evtchn_clear(evtchn_port_t port) {
    shared_info_t* si = shared_info();
    const unsigned word = port / kBitsPerWord;
    __atomic_store_n(&si->vcpu_info[0].evtchn_upcall_pending, uint8_t{0}, __ATOMIC_SEQ_CST);
    __atomic_fetch_and(&si->vcpu_info[0].evtchn_pending_sel, ~(xen_ulong_t{1} << word),
                       __ATOMIC_SEQ_CST);
    __atomic_fetch_and(&si->evtchn_pending[word], ~port_bit(port), __ATOMIC_SEQ_CST);
}

bool evtchn_pending(evtchn_port_t port) {
    const shared_info_t* si = shared_info();
    return (__atomic_load_n(&si->evtchn_pending[port / kBitsPerWord], __ATOMIC_SEQ_CST) &
            port_bit(port)) != 0;
}

long block() {
    return HYPERVISOR_sched_op(SCHEDOP_block, nullptr);
}

} // namespace enso::guest
