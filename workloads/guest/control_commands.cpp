// Commands that test the monitor rather than time anything: reading and
// writing arbitrary addresses (a fault there stops the guest, which is the
// point), shutting down, and spinning past the monitor's deadline.
#include "workloads/guest/commands.hpp"
#include "workloads/guest/console.hpp"
#include "workloads/guest/events.hpp"
#include "workloads/guest/hypercall.hpp"

namespace enso::guest {

void cmd_read(Args a, Result& r) {
    r.values[0] = *reinterpret_cast<const volatile uint64_t*>(a[0]);
}

void cmd_write(Args a, Result& r) {
    *reinterpret_cast<volatile uint64_t*>(a[0]) = a[1];
    r.values[0] = a[1];
}

// SCHEDOP_shutdown(args[0]). Once it succeeded the domain is over: the
// command is never answered (the guest blocks until the monitor stops it).
// A refused shutdown is answered with its error.
void cmd_shutdown(Args a, Result& r) {
    sched_shutdown_t arg{};
    arg.reason = static_cast<unsigned>(a[0]);
    const long rc = HYPERVISOR_sched_op(SCHEDOP_shutdown, &arg);
    if (rc != 0) {
        r.status = rc;
        return;
    }
    for (;;) {
        block();
    }
}

// Spins without a hypercall; the asm keeps the loop (an empty infinite loop
// is undefined behaviour in C++).
void cmd_spin(Args, Result&) {
    for (;;) {
        asm volatile("pause" : : : "memory");
    }
}

} // namespace enso::guest
