// The trap transport: a hypercall is `out` to the hypercall port, one exit
// to user space, with its arguments in the registers KVM synced for us.
// SCHEDOP_block sleeps here until an event is pending.
#include "hvcore/abi/hypercall_ports.hpp"
#include "hvcore/kvm/monitor.hpp"

namespace enso::kvm {

bool Monitor::on_hypercall_port(GuestDomain& g) {
    auto& regs = g.vcpu->regs();
    const std::uint64_t nr = regs.rax;
    long rc = 0;
    CallEffects fx;
    if (nr != abi::kFloorHypercall) {
        const core::HypercallArgs args{regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8};
        rc = trap_call(g, nr, args, fx);
    }
    regs.rax = static_cast<std::uint64_t>(rc);
    g.vcpu->regs_changed();
    if (fx.block) {
        wait_for_event(g);
    }
    return !g.stop_requested.load();
}

long Monitor::trap_call(GuestDomain& g, std::uint64_t nr, const core::HypercallArgs& args,
                        CallEffects& fx) {
    std::lock_guard lock(mu_);
    g.pt_dirty = g.pt_dirty || core::Dispatcher::writes_page_tables(nr);
    calling_ = &g;
    const long rc = dispatcher_.call(g.domid, nr, args);
    calling_ = nullptr;
    fx = apply_effects(&g, Caller::vcpu_thread);
    return rc;
}

bool Monitor::event_pending(const GuestDomain& g) const {
    return __atomic_load_n(g.upcall_pending, __ATOMIC_ACQUIRE) != 0;
}

void Monitor::wait_for_event(GuestDomain& g) {
    g.where.store(GuestDomain::Where::waiting_event, std::memory_order_relaxed);
    std::unique_lock wl(g.wait_mu);
    while (!event_pending(g) && !g.stop_requested.load()) {
        g.wait_cv.wait_for(wl, std::chrono::milliseconds(50));
    }
}

} // namespace enso::kvm
