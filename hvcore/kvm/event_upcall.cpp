// Event upcalls as interrupts for Enso's own kernel: its event callback goes
// into its IDT, and each upcall the core raises is injected through the
// domain's irqfd unless the guest masked events.
#include "hvcore/abi/guest_layout.hpp"
#include "hvcore/abi/hypercall_ports.hpp"
#include "hvcore/kvm/irq_setup.hpp"
#include "hvcore/kvm/monitor.hpp"

#include <cerrno>
#include <unistd.h>

namespace enso::kvm {

// Enso's own kernel takes its event upcall as an interrupt through a gate
// on its hypercall page.
long Monitor::install_upcall_gate(GuestDomain& g, std::uint64_t address) {
    const auto page = g.built.hypercall_page;
    if (!core_.owns_frame(g.domid, page)) {
        return -EINVAL; // it gave its hypercall page away: nowhere to put the IDT
    }
    write_idt_gate(memory_.frame(page) + abi::kIdtOffset, abi::kUpcallVector, address);
    g.upcall_registered = true;
    g.upcall_load_pending = true; // IDTR and IF, on the vCPU's thread
    return 0;
}

void Monitor::deliver_upcall(GuestDomain& g, const GuestDomain* self) {
    // The upcall as an interrupt, unless the guest masked it (Xen's virtual
    // IF: it looks at evtchn_upcall_pending when it unmasks). The core's
    // locked fetch_or of upcall_pending came first: a guest that unmasks
    // meanwhile sees it pending.
    if (g.upcall_registered && __atomic_load_n(g.upcall_mask, __ATOMIC_SEQ_CST) == 0) {
        const std::uint64_t one = 1;
        if (::write(g.upcall_fd.get(), &one, sizeof one) == sizeof one) {
            g.upcall_injections.fetch_add(1, std::memory_order_relaxed);
        }
    }
    { std::lock_guard wl(g.wait_mu); }
    g.wait_cv.notify_all();
    if (poller_ && g.transport == abi::kTransportExitless && &g != self) {
        poller_->wake();
    }
}

} // namespace enso::kvm
