// Event channels, 2-level ABI. Without an upcall the guest reads the pending
// bits in shared_info itself and sleeps with SCHEDOP_block, which returns
// once an event is pending for vCPU 0. With one (events_enable_upcall, on a
// monitor that offers it), events arrive as an interrupt at CPL3, as Xen's
// event callback: the handler clears evtchn_upcall_pending, takes the
// selector word, scans pending & ~mask and calls each port's handler.
// vcpu_info.evtchn_upcall_mask is the virtual IF (the guest cannot clear
// RFLAGS.IF under PVM): while it is set the monitor injects nothing, and
// events_unmask runs whatever became pending meanwhile.
#pragma once

#include "workloads/guest/xen.hpp"

namespace enso::guest {

// Unmasks port (for the command channel) and vCPU 0's upcall mask, so a
// send to the guest raises evtchn_upcall_pending and ends a SCHEDOP_block.
long events_init(evtchn_port_t port);

long evtchn_send(evtchn_port_t port);

// Clears vCPU 0's evtchn_upcall_pending, the port's selector bit and the
// port's pending bit, with locked operations (the monitor sets them
// concurrently). Its last locked operation is also a full fence: whatever
// the caller reads next is read after the bits were cleared.
void evtchn_clear(evtchn_port_t port);

bool evtchn_pending(evtchn_port_t port);

// SCHEDOP_block: sleep until an event is pending.
long block();

// Registers the upcall entry with HYPERVISOR_callback_op (CALLBACKOP_register,
// CALLBACKTYPE_event), masked. 0, or the monitor's error (-ENOSYS: no
// interrupts here). Once registered, later calls return 0 at once.
long events_enable_upcall();
[[nodiscard]] bool events_upcall_enabled();
// The port's handler, run by the upcall with the upcall masked (nullptr:
// none; the port's bits are then left for the code that polls them).
using PortHandler = void (*)(evtchn_port_t port);
void events_set_handler(evtchn_port_t port, PortHandler handler);
void events_mask();
// Unmasks the upcall, then runs it if a handled port is already pending
// (an event that came while masked raised no interrupt).
void events_unmask();
// Upcall entries through the IDT (interrupts taken) so far.
[[nodiscard]] uint64_t events_interrupts();

} // namespace enso::guest
