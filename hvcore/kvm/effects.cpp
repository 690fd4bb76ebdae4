// Applying the effects the core leaves for the platform, before the caller's
// guest goes on: a shutdown, new memory slots, a TLB flush, an upcall, a
// blocked caller, a new root table.
#include "hvcore/abi/guest_layout.hpp"
#include "hvcore/kvm/memslot_plan.hpp"
#include "hvcore/kvm/monitor.hpp"

#include <fmt/format.h>
#include <xen/sched.h>

namespace enso::kvm {

namespace {

std::string_view shutdown_reason_name(int code) {
    switch (code) {
    case SHUTDOWN_poweroff:
        return "poweroff";
    case SHUTDOWN_reboot:
        return "reboot";
    case SHUTDOWN_suspend:
        return "suspend";
    case SHUTDOWN_crash:
        return "crash";
    case SHUTDOWN_watchdog:
        return "watchdog";
    default:
        return "unknown";
    }
}

} // namespace

Monitor::CallEffects Monitor::apply_effects(GuestDomain* self, Caller caller) {
    CallEffects fx;
    if ((core_.take_effects(0) & core::kEffectUpcall) != 0) {
        consume_dom0_events();
    }
    for (auto& [id, g] : domains_) {
        if (const std::uint8_t e = core_.take_effects(id); e != 0) {
            apply_domain_effects(*g, e, self, caller, fx);
        }
    }
    // The caller's own vCPU state: only its thread may change it.
    if (self != nullptr && !self->stop_requested.load() &&
        (root_changed(*self) || self->upcall_load_pending)) {
        if (caller == Caller::vcpu_thread) {
            do_vcpu_work(*self);
        } else {
            fx.vcpu_work = true;
        }
    }
    return fx;
}

void Monitor::apply_domain_effects(GuestDomain& g, std::uint8_t effects, GuestDomain* self,
                                   Caller caller, CallEffects& fx) {
    if ((effects & core::kEffectShutdown) != 0) {
        const int code = core_.shutdown_code(g.domid);
        GuestStop stop;
        stop.kind = StopKind::shutdown;
        stop.shutdown_code = code;
        stop.reason = fmt::format("SCHEDOP_shutdown ({})", shutdown_reason_name(code));
        stop_domain(g, std::move(stop));
        return;
    }
    update_translations(g, effects, self, caller, fx);
    if ((effects & core::kEffectUpcall) != 0) {
        deliver_upcall(g, self);
    }
    if ((effects & core::kEffectBlock) != 0 && &g == self) {
        fx.block = true;
    }
}

// New memory slots, or a flush of what the vCPU may have cached of a page
// table the monitor wrote (GuestDomain::pt_dirty).
void Monitor::update_translations(GuestDomain& g, std::uint8_t effects, GuestDomain* self,
                                  Caller caller, CallEffects& fx) {
    bool flushed = false;
    if ((effects & core::kEffectMemslots) != 0) {
        // A running vCPU could touch a slot while it is replaced: the
        // poller leaves the change to the vCPU thread, which makes it
        // before the guest sees its answer.
        if (&g == self && caller == Caller::poller) {
            g.memslots_pending = true;
            fx.vcpu_work = true;
        } else {
            flushed = sync_memslots(g);
        }
    }
    if (flushed) {
        g.pt_dirty = false;
    } else if ((effects & (core::kEffectTlbFlush | core::kEffectInvlpg)) != 0 && g.pt_dirty) {
        g.vm->flush_translations();
        g.pt_dirty = false;
    }
}

// The slots are the only place the monitor reads the core's state directly:
// which frames the domain may reach, and how (memslot_plan.hpp).
bool Monitor::sync_memslots(GuestDomain& g) {
    return g.vm->sync_memslots(frame_access(core_.state(), g.domid));
}

bool Monitor::root_changed(const GuestDomain& g) const {
    const auto base = core_.root_table(g.domid);
    return base != core::kNoFrame && std::uint64_t{base} * abi::kPageSize != g.cr3;
}

} // namespace enso::kvm
