// The monitor's side of the vCPU hypercalls (core::VcpuPlatform): callbacks,
// the trap table, the kernel stack, the GDT frames, iret, and the virtual IOPL. For a Xen PV
// kernel they are recorded as Xen keeps them (xen_pv_vcpu.hpp); Enso's own
// kernel takes only an event callback, as an interrupt (event_upcall.cpp).
#include "hvcore/kvm/monitor.hpp"

#include <fmt/format.h>
#include <xen/xen.h>

#include <cerrno>

namespace enso::kvm {

namespace {

constexpr std::uint64_t kRflagsIf = 1ULL << 9;
constexpr std::uint64_t kRflagsIopl = 3ULL << 12;
constexpr std::uint64_t kRflagsVm = 1ULL << 17;

} // namespace

GuestDomain* Monitor::MonitorVcpuPlatform::xen_pv(std::uint16_t d) const {
    GuestDomain* g = m_.find_domain(d);
    return g != nullptr && g->xen_pv ? g : nullptr;
}

bool Monitor::MonitorVcpuPlatform::accepts_callbacks(std::uint16_t d) const {
    const GuestDomain* g = m_.find_domain(d);
    // An Enso kernel without an irqchip polls for events.
    return g != nullptr && (g->xen_pv || g->upcall_fd.valid());
}

long Monitor::MonitorVcpuPlatform::register_callback(std::uint16_t d, const callback_register& cb) {
    GuestDomain* g = m_.find_domain(d);
    if (g == nullptr) {
        return -ESRCH;
    }
    if (g->xen_pv) {
        if (cb.type >= g->pv.callbacks.size()) {
            return -EINVAL;
        }
        g->pv.callbacks[cb.type] = {cb.address, cb.flags};
        return 0;
    }
    if (cb.type != CALLBACKTYPE_event) {
        return -EINVAL;
    }
    return m_.install_upcall_gate(*g, cb.address);
}

long Monitor::MonitorVcpuPlatform::set_trap_table(std::uint16_t d,
                                                  std::span<const trap_info> entries, bool clear) {
    GuestDomain* g = xen_pv(d);
    if (g == nullptr) {
        return -ENOSYS;
    }
    if (clear) {
        g->pv.traps = {};
    }
    for (const auto& e : entries) {
        g->pv.traps[e.vector] = {e.flags, e.cs, e.address};
    }
    return 0;
}

long Monitor::MonitorVcpuPlatform::stack_switch(std::uint16_t d, std::uint64_t ss,
                                                std::uint64_t sp) {
    GuestDomain* g = xen_pv(d);
    if (g == nullptr) {
        return -ENOSYS;
    }
    g->pv.kernel_ss = ss;
    g->pv.kernel_sp = sp;
    return 0;
}

// Recorded, not loaded: the vCPU runs on the monitor's GDT, whose flat
// selectors stand in for Xen's (xen_pv_exceptions.cpp emulates their loads).
long Monitor::MonitorVcpuPlatform::set_gdt(std::uint16_t d, std::span<const std::uint64_t> frames,
                                           std::uint32_t entries) {
    GuestDomain* g = xen_pv(d);
    if (g == nullptr) {
        return -ENOSYS;
    }
    g->pv.gdt_frames.assign(frames.begin(), frames.end());
    g->pv.gdt_entries = entries;
    return 0;
}

// Xen's do_iret: the stub pushed rcx, r11 and rax over the guest's frame
// (struct iret_context); a frame that cannot be read crashes the domain.
long Monitor::MonitorVcpuPlatform::iret(std::uint16_t d) {
    GuestDomain* g = m_.calling_;
    if (g == nullptr || g->domid != d || !g->xen_pv) {
        return -ENOSYS; // no vCPU thread in this call (the exitless transport)
    }
    auto& regs = g->vcpu->regs();
    iret_context ctx{};
    if (!m_.read_guest(*g, regs.rsp, ctx)) {
        m_.stop_domain(*g, m_.fault_stop(*g, StopKind::fault,
                                         fmt::format("iret: its frame at {:#x} cannot be read "
                                                     "(Xen crashes the domain)",
                                                     regs.rsp)));
        return -EFAULT;
    }
    g->pv.kernel_mode = (ctx.cs & 3) != 3;
    g->pv.code_selector =
        m_.guest_code_segment(*g, ctx.cs | 3) ? static_cast<std::uint16_t>(ctx.cs | 3) : 0;
    regs.rip = ctx.rip;
    regs.rsp = ctx.rsp;
    regs.rflags =
        (ctx.rflags & ~(kRflagsIopl | kRflagsVm)) | kRflagsIf | (regs.rflags & kRflagsIopl);
    if ((ctx.flags & VGCF_in_syscall) == 0) {
        regs.r11 = ctx.r11;
        regs.rcx = ctx.rcx;
    }
    if (g->pv.architectural_iopl) {
        g->pv.iopl = static_cast<std::uint8_t>((ctx.rflags & kRflagsIopl) >> 12);
    }
    __atomic_store_n(g->upcall_mask, (ctx.rflags & kRflagsIf) == 0 ? 1 : 0, __ATOMIC_SEQ_CST);
    return static_cast<long>(ctx.rax);
}

long Monitor::MonitorVcpuPlatform::set_iopl(std::uint16_t d, unsigned iopl) {
    GuestDomain* g = xen_pv(d);
    if (g == nullptr) {
        return -ENOSYS;
    }
    g->pv.iopl = static_cast<std::uint8_t>(iopl);
    return 0;
}

long Monitor::MonitorVcpuPlatform::set_architectural_iopl(std::uint16_t d, bool on) {
    GuestDomain* g = xen_pv(d);
    if (g == nullptr) {
        return -EINVAL; // not offered to Enso's own kernel
    }
    g->pv.architectural_iopl = on;
    return 0;
}

unsigned Monitor::MonitorVcpuPlatform::vcpu_count(std::uint16_t d) const {
    const GuestDomain* g = m_.find_domain(d);
    return g == nullptr ? 0 : 1 + static_cast<unsigned>(g->idle_vcpu_roots.size());
}

std::uint64_t Monitor::MonitorVcpuPlatform::vcpu_root(std::uint16_t d, unsigned vcpu) const {
    const GuestDomain* g = m_.find_domain(d);
    return g == nullptr || vcpu == 0 || vcpu > g->idle_vcpu_roots.size()
               ? 0
               : g->idle_vcpu_roots[vcpu - 1];
}

void Monitor::MonitorVcpuPlatform::set_vcpu_root(std::uint16_t d, unsigned vcpu,
                                                 std::uint64_t frame) {
    GuestDomain* g = m_.find_domain(d);
    if (g != nullptr && vcpu >= 1 && vcpu <= g->idle_vcpu_roots.size()) {
        g->idle_vcpu_roots[vcpu - 1] = frame;
    }
}

} // namespace enso::kvm
