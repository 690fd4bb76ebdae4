// Domain 0's events: the monitor is domain 0's kernel, so it takes domain
// 0's pending bits itself, counts them per port, signals a back end's
// eventfd for its port, and wakes a command waiting for its answer.
#include "hvcore/kvm/kvm_error.hpp"
#include "hvcore/kvm/monitor.hpp"

#include <sys/eventfd.h>

#include <unistd.h>

namespace enso::kvm {

void Monitor::consume_dom0_events() {
    bool wake = false;
    core_.take_pending_ports(0, [&](std::uint32_t port) {
        ++dom0_port_events_[port];
        signal_dom0_port(port);
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
