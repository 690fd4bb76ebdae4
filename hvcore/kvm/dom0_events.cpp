// Domain 0's events: the monitor is domain 0's kernel, so it takes domain
// 0's pending bits itself, counts them per port, signals a back end's
// eventfd for its port, and wakes a command waiting for its answer.
#include "hvcore/kvm/kvm_error.hpp"
#include "hvcore/kvm/monitor.hpp"

#include <sys/eventfd.h>
#include <xen/io/console.h>

#include <unistd.h>

namespace enso::kvm {

void Monitor::consume_dom0_events() {
    bool wake = false;
    core_.take_pending_ports(0, [&](std::uint32_t port) {
        ++dom0_port_events_[port];
        signal_dom0_port(port);
        for (auto& [id, g] : domains_) {
            if (g->xen_pv && g->built.dom0_console_port == port) {
                drain_console(*g);
            }
        }
        const auto w = dom0_waiters_.find(port);
        if (w != dom0_waiters_.end() &&
            __atomic_load_n(&w->second.page->done_seq, __ATOMIC_ACQUIRE) == w->second.seq) {
            w->second.answered = true;
            wake = true;
        }
    });
    if (wake) {
        dom0_cv_.notify_all();
    }
}

// A Xen PV kernel's console ring (xenconsoled's job): the monitor consumes
// it so that the kernel, which waits for its output to be taken, goes on.
// The text itself arrives through console_io too (XTF writes to both), so
// the ring's copy is dropped.
void Monitor::drain_console(GuestDomain& g) {
    auto* ring = reinterpret_cast<xencons_interface*>(memory_.frame(g.built.console_page));
    const auto prod = __atomic_load_n(&ring->out_prod, __ATOMIC_ACQUIRE);
    __atomic_store_n(&ring->out_cons, prod, __ATOMIC_RELEASE);
}

int Monitor::dom0_port_fd(std::uint32_t port) {
    std::lock_guard lock(mu_);
    auto& fd = dom0_port_fds_[port];
    if (!fd.valid()) {
        fd.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        if (!fd.valid()) {
            dom0_port_fds_.erase(port);
            throw_errno("eventfd for domain 0's port");
        }
    }
    return fd.get();
}

void Monitor::release_dom0_port_fd(std::uint32_t port) {
    std::lock_guard lock(mu_);
    dom0_port_fds_.erase(port);
}

void Monitor::signal_dom0_port(std::uint32_t port) {
    const auto it = dom0_port_fds_.find(port);
    if (it != dom0_port_fds_.end()) {
        const std::uint64_t one = 1;
        (void)::write(it->second.get(), &one, sizeof one);
    }
}

} // namespace enso::kvm
