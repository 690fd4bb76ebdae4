// Event channels, 2-level ABI, without interrupts: the guest reads the
// pending bits in shared_info itself and sleeps with SCHEDOP_block, which
// returns once an event is pending for vCPU 0.
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

} // namespace enso::guest
