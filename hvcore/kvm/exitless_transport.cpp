// The exitless transport's monitor side: the poller's hooks into the
// monitor, the calls it runs, and a vCPU that exits to wait for its answer
// (after spinning too long, or when the answer needs its own thread).
#include "hvcore/abi/hypercall_ports.hpp"
#include "hvcore/kvm/cpu_affinity.hpp"
#include "hvcore/kvm/monitor.hpp"

namespace enso::kvm {

void Monitor::attach_to_poller(GuestDomain& g) {
    auto kick = g.vm->add_ioeventfd(abi::kPortExitlessKick);
    if (!poller_) {
        poller_ =
            std::make_unique<ExitlessPoller>(poller_hooks(), config_.poller_idle,
                                             exitless_cpus(config_.pin_exitless_threads).poller);
    }
    poller_->add(g.domid, g.slot, std::move(kick));
}

ExitlessPoller::Hooks Monitor::poller_hooks() {
    ExitlessPoller::Hooks hooks;
    hooks.call = [this](std::uint16_t d, std::uint64_t nr, const core::HypercallArgs& args) {
        return exitless_call(d, nr, args);
    };
    // A blocked call may be answered once an event is pending or the
    // domain is going away.
    hooks.ready = [this](std::uint16_t d) {
        std::lock_guard lock(mu_);
        const GuestDomain* g = find_domain(d);
        return g == nullptr || g->stop_requested.load() || event_pending(*g);
    };
    hooks.answered = [this](std::uint16_t d) {
        GuestDomain* g = nullptr;
        {
            std::lock_guard lock(mu_);
            g = find_domain(d);
        }
        if (g != nullptr) {
            { std::lock_guard wl(g->wait_mu); }
            g->wait_cv.notify_all();
        }
    };
    return hooks;
}

CallOutcome Monitor::exitless_call(std::uint16_t d, std::uint64_t nr,
                                   const core::HypercallArgs& args) {
    std::lock_guard lock(mu_);
    GuestDomain* g = find_domain(d);
    if (g == nullptr || g->stop_requested.load()) {
        return {-ESRCH, false, false};
    }
    g->pt_dirty = g->pt_dirty || core::Dispatcher::writes_page_tables(nr);
    CallOutcome out;
    out.result = dispatcher_.call(d, nr, args);
    const auto fx = apply_effects(g, Caller::poller);
    out.block = fx.block;
    out.vcpu_work = fx.vcpu_work;
    return out;
}

// The stub exited to wait: its answer needs the vCPU's own thread (vcpu_work),
// or it spun for too long.
bool Monitor::on_exitless_wait_port(GuestDomain& g) {
    wait_for_answer(g);
    std::lock_guard lock(mu_);
    do_vcpu_work(g);
    g.slot->vcpu_work = 0;
    return !g.stop_requested.load();
}

// Reached only if the kick's ioeventfd is not (yet) registered.
bool Monitor::on_exitless_kick_port(GuestDomain& /*g*/) {
    if (poller_) {
        poller_->wake();
    }
    return true;
}

void Monitor::wait_for_answer(GuestDomain& g) {
    g.where.store(GuestDomain::Where::waiting_answer, std::memory_order_relaxed);
    std::unique_lock wl(g.wait_mu);
    while (__atomic_load_n(&g.slot->resp_seq, __ATOMIC_ACQUIRE) != g.slot->req_seq &&
           !g.stop_requested.load()) {
        g.wait_cv.wait_for(wl, std::chrono::milliseconds(50));
    }
}

} // namespace enso::kvm
