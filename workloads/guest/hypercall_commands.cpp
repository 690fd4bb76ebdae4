// Commands that time one kind of hypercall (or the platform's floor under
// it), and kCmdHypercall, which makes any one call the monitor asks for.
#include "hvcore/abi/hypercall_ports.hpp"
#include "workloads/guest/boot_info.hpp"
#include "workloads/guest/commands.hpp"
#include "workloads/guest/console.hpp"
#include "workloads/guest/events.hpp"
#include "workloads/guest/hypercall.hpp"

namespace enso::guest {

namespace {

// The most entries one kCmdMulticall batches (its list lives in .bss).
constexpr uint64_t kMaxMulticall = 512;
multicall_entry_t g_multicall[kMaxMulticall];

} // namespace

void cmd_ping(Args a, Result& r) {
    r.values[0] = abi::kPingMagic ^ a[0];
}

// values[0] = what the last xen_version returned (the version word).
void cmd_null(Args a, Result& r) {
    long last = 0;
    timed_loop(r, a[0], [&] { return last = HYPERVISOR_xen_version(XENVER_version, nullptr); });
    r.values[0] = static_cast<uint64_t>(last);
}

void cmd_floor(Args a, Result& r) {
    timed_loop(r, a[0], [] { return hypercall_floor(); });
}

// A bare port write, without the stub: the cost of one exit to user space.
// The port goes in dx as a full 16-bit value (an 8-bit operand would leave
// dx's upper byte to the compiler), so any port number works.
void cmd_exit_floor(Args a, Result& r) {
    constexpr auto port = static_cast<uint16_t>(abi::kPortFloor);
    timed_loop(r, a[0], [] {
        asm volatile("outl %%eax, %%dx" : : "a"(0U), "d"(port) : "memory");
        return 0L;
    });
}

void cmd_evtchn_send(Args a, Result& r) {
    const evtchn_port_t port = command_page()->cmd_port;
    timed_loop(r, a[0], [&] { return evtchn_send(port); });
}

// args[1] entries of xen_version(XENVER_version) per multicall; values[0] =
// entries per call, values[1] = what the last entry returned.
void cmd_multicall(Args a, Result& r) {
    const uint64_t n = a[1];
    if (n == 0 || n > kMaxMulticall) {
        printk("enso-guest: multicall of %lu entries (1..%lu)\n", n, kMaxMulticall);
        r.status = -XEN_E2BIG;
        return;
    }
    for (uint64_t i = 0; i < n; ++i) {
        g_multicall[i] = multicall_entry_t{};
        g_multicall[i].op = __HYPERVISOR_xen_version;
        g_multicall[i].args[0] = XENVER_version;
    }
    timed_loop(r, a[0],
               [&] { return HYPERVISOR_multicall(g_multicall, static_cast<unsigned>(n)); });
    r.values[0] = n;
    r.values[1] = g_multicall[n - 1].result;
}

// status = rax, whatever it is: the caller judges it.
void cmd_hypercall(Args a, Result& r) {
    r.status = hypercall_raw(a[0], a[1], a[2], a[3], a[4], a[5]);
}

} // namespace enso::guest
