// Stopping a guest domain: record why (once), get its vCPU out of KVM_RUN,
// and wake everything that waits on it.
#include "hvcore/kvm/monitor.hpp"

#include <csignal>
#include <pthread.h>

namespace enso::kvm {

namespace {

constexpr std::size_t kConsoleTailLines = 12;

} // namespace

GuestStop Monitor::fault_stop(GuestDomain& g, StopKind kind, std::string reason) {
    GuestStop stop;
    stop.kind = kind;
    stop.reason = std::move(reason);
    stop.have_regs = true;
    stop.regs = g.vcpu->regs();
    stop.sregs = g.vcpu->sregs();
    return stop;
}

bool Monitor::fault(GuestDomain& g, std::string reason) {
    std::lock_guard lock(mu_);
    stop_domain(g, fault_stop(g, StopKind::fault, std::move(reason)));
    return false;
}

void Monitor::stop_domain(GuestDomain& g, GuestStop stop) {
    if (!g.stop) {
        stop.console_tail = last_lines(core_.console(g.domid), kConsoleTailLines);
        g.stop = std::move(stop);
    }
    g.stop_requested.store(true);
    kick(g);
    { std::lock_guard wl(g.wait_mu); }
    g.wait_cv.notify_all();
    dom0_cv_.notify_all();
    if (poller_) {
        poller_->wake();
    }
}

void Monitor::kick(GuestDomain& g) {
    g.vcpu->request_exit();
    if (g.running.load() && g.thread_handle.load() != pthread_self()) {
        ::pthread_kill(g.thread_handle.load(), SIGUSR1);
    }
}

} // namespace enso::kvm
