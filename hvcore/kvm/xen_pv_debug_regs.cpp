// A Xen PV guest's debug registers and the control bits that govern them, as
// Xen emulates them: `mov` to and from %drN and %cr4 fault at ring 3 and are
// emulated here; the values are kept per vCPU (xen_pv_vcpu.hpp) and, as Xen
// loads a PV guest's breakpoints into the hardware while it runs, loaded
// into the vCPU with KVM_SET_DEBUGREGS. Whether a breakpoint then fires is
// the host's business: on this PVM host none does (the trap probe's
// db.guest_dr7 and db.monitor_watch cases), on VMX/SVM hosts it does and the
// #DB reaches the guest's trap table like any other exception.
#include "hvcore/kvm/monitor.hpp"

#include <linux/kvm.h>
#include <sys/ioctl.h>

namespace enso::kvm {

namespace {

constexpr std::uint64_t kCr4De = 1ULL << 3;
constexpr std::uint64_t kDr6Fixed = 0xffff0ff0ULL;  // DR6's reserved bits read as 1
constexpr std::uint64_t kDr6Status = 0x0000f00fULL; // B0-B3, BD, BS, BT
constexpr std::uint64_t kDr7Fixed = 0x400ULL;
constexpr std::uint64_t kDr7Writable = 0xffff2fffULL;
constexpr std::uint64_t kDr7Enables = 0xffULL; // L0-L3, G0-G3
constexpr std::uint64_t kDr7GeneralDetect = 1ULL << 13;
constexpr unsigned kDr7RwIo = 2; // RWn = 10: an I/O breakpoint, defined only with CR4.DE

// DR7 without the enables of its I/O breakpoints: Xen emulates those for
// port accesses it emulates, the hardware never sees them.
std::uint64_t hardware_dr7(std::uint64_t dr7) {
    for (unsigned n = 0; n < 4; ++n) {
        if (((dr7 >> (16 + 4 * n)) & 3) == kDr7RwIo) {
            dr7 &= ~(3ULL << (2 * n));
        }
    }
    return dr7;
}

} // namespace

std::uint64_t Monitor::guest_cr4(GuestDomain& g) {
    return (g.vcpu->sregs().cr4 & ~kCr4De) | g.pv.cr4_guest_bits;
}

// Xen keeps the guest's own choice of the bits it lets a PV guest control
// and discards the rest; of those, Enso offers DE (it changes nothing but
// what DR7 accepts).
void Monitor::set_guest_cr4(GuestDomain& g, std::uint64_t value) {
    g.pv.cr4_guest_bits = value & kCr4De;
}

bool Monitor::emulate_mov_dr(GuestDomain& g, bool to_dr, unsigned dr, std::uint64_t& reg) {
    if (dr > 7) {
        return false;
    }
    dr = dr == 4 ? 6 : dr == 5 ? 7 : dr; // DR4/DR5 alias DR6/DR7 without CR4.DE
    auto& debug = g.pv.debug;
    if (!to_dr) {
        reg = debug[dr];
        return true;
    }
    if (dr == 6) {
        debug[6] = (reg & kDr6Status) | kDr6Fixed;
    } else if (dr == 7) {
        // Xen's set_debugreg: general detect is refused, and an enabled I/O
        // breakpoint needs CR4.DE; either way the old value stays.
        const std::uint64_t value = reg;
        if ((value & kDr7GeneralDetect) != 0) {
            return false;
        }
        for (unsigned n = 0; n < 4; ++n) {
            const bool io = ((value >> (16 + 4 * n)) & 3) == kDr7RwIo;
            if (io && (value & kDr7Enables) != 0 && (guest_cr4(g) & kCr4De) == 0) {
                return false;
            }
        }
        debug[7] = (value & kDr7Writable) | kDr7Fixed;
    } else {
        debug[dr] = reg;
    }
    load_debug_registers(g);
    return true;
}

void Monitor::load_debug_registers(GuestDomain& g) {
    kvm_debugregs regs{};
    for (unsigned n = 0; n < 4; ++n) {
        regs.db[n] = g.pv.debug[n];
    }
    regs.dr6 = g.pv.debug[6];
    regs.dr7 = hardware_dr7(g.pv.debug[7]);
    // Refused only if KVM has no debug registers for this vCPU; the guest
    // then keeps its values without breakpoints, as on a host that drops them.
    (void)::ioctl(g.vcpu->fd(), KVM_SET_DEBUGREGS, &regs);
}

// A #DB from the hardware: the status the hardware set joins the guest's
// DR6, as Xen accumulates it.
void Monitor::note_debug_exception(GuestDomain& g) {
    kvm_debugregs regs{};
    if (::ioctl(g.vcpu->fd(), KVM_GET_DEBUGREGS, &regs) == 0) {
        g.pv.debug[6] |= regs.dr6 & kDr6Status;
    }
}

} // namespace enso::kvm
