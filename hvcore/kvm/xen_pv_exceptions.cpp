// A Xen PV guest's exceptions. Its IDT (the monitor's, read-only) sends each
// of vectors 0-31 to a trampoline that exits through the vector's port with
// the hardware frame on the guest's stack. The monitor then does what Xen
// does for a PV guest: emulates what Xen emulates (the forced-emulation
// prefix before cpuid, loads of Xen's flat selectors, reads of control
// registers) or bounces the exception to the handler in the guest's trap
// table, with Xen's frame (rcx, r11, [error code], rip, cs, rflags, rsp, ss).
// An exception with no handler, or a frame that cannot be written, ends the
// guest, as Xen crashes the domain. One exit per exception.
#include "hvcore/abi/guest_layout.hpp"
#include "hvcore/kvm/monitor.hpp"
#include "hvcore/kvm/x86_operand.hpp"

#include <fmt/format.h>
#include <xen/xen.h>

#include <array>
#include <cpuid.h>
#include <cstddef>
#include <cstring>

namespace enso::kvm {

namespace {

constexpr std::uint64_t kRflagsTf = 1ULL << 8;
constexpr std::uint64_t kRflagsIf = 1ULL << 9;
constexpr std::uint64_t kRflagsIopl = 3ULL << 12;
constexpr std::uint64_t kRflagsNt = 1ULL << 14;
constexpr std::uint64_t kRflagsRf = 1ULL << 16;
constexpr std::uint64_t kPfecUser = 1ULL << 2;
constexpr std::uint64_t kMsrDebugCtl = 0x1d9;
constexpr std::uint32_t kVectorDb = 1;
constexpr std::uint32_t kVectorUd = 6;
constexpr std::uint32_t kVectorGp = 13;
constexpr std::uint32_t kVectorPf = 14;
// Not a vector: SYSCALL, delivered to the syscall callback (bounce()).
constexpr std::uint32_t kSyscallVector = 256;
// Xen's reserved GDT entries start at index 0x1c00: its flat selectors.
constexpr std::uint16_t kFirstXenSelector = 0xe000;
// What a guest in kernel mode sees in a frame: Xen clears the RPL.
constexpr std::uint64_t kKernelCs = FLAT_KERNEL_CS & ~3ULL;
constexpr std::uint64_t kKernelSs = FLAT_KERNEL_SS & ~3ULL;

bool has_error_code(std::uint32_t vector) {
    return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 ||
           vector == 29 || vector == 30;
}

const char* vector_name(std::uint32_t v) {
    if (v == kSyscallVector) {
        return "syscall";
    }
    static constexpr const char* kNames[32] = {
        "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS",
        "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE",  "#CP",
        "#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31"};
    return v < 32 ? kNames[v] : "?";
}

// The guest's view of CPUID: the host's, marked as running on a hypervisor
// without virtualization extensions of its own, and Xen's leaves.
void emulate_cpuid(kvm_regs& regs) {
    const auto leaf = static_cast<std::uint32_t>(regs.rax);
    const auto sub = static_cast<std::uint32_t>(regs.rcx);
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (leaf >= 0x40000000 && leaf < 0x40010000) {
        switch (leaf & 0xff) {
        case 0: // "XenVMMXenVMM", leaves up to 0x40000005
            a = 0x40000005;
            b = 0x566e6558;
            c = 0x65584d4d;
            d = 0x4d4d566e;
            break;
        case 1:
            a = (4U << 16) | 17U;
            break;
        case 2: // one hypercall page, MSR base (unused by PV guests)
            a = 1;
            b = 0x40000000;
            break;
        default:
            break;
        }
    } else {
        __cpuid_count(leaf, sub, a, b, c, d);
        if (leaf == 1) {
            c &= ~(1U << 5); // no VMX
            c &= ~(1U << 3); // no MONITOR: a PV guest cannot use it
            c |= 1U << 31;   // a hypervisor is present
        }
        if (leaf == 7 && sub == 0) {
            // No FSGSBASE. Xen offers it to a PV guest with CR4.FSGSBASE
            // under the guest's control (clear at start: the instructions
            // fault until the kernel sets it). Enso does not emulate that
            // bit, and a PVM host runs the guest's CPL3 code under its own
            // CR4, where they never fault; offering the feature would tell
            // the guest a control exists that does not.
            b &= ~1U;
        }
    }
    regs.rax = a;
    regs.rbx = b;
    regs.rcx = c;
    regs.rdx = d;
}

} // namespace

// A load from Xen's read-only M2P. This host keeps the upper half of the
// address space from a CPL3 guest (PVM's own), so the table the builder
// maps there faults on every read; the monitor reads it for the guest:
// `mov m64/m32, r` (8b /r), the form XTF's mfn_to_virt compiles to.
bool Monitor::emulate_m2p_load(GuestDomain& g, std::uint64_t rip, std::uint64_t cr2) {
    auto& regs = g.vcpu->regs();
    const std::uint64_t m2p_end = MACH2PHYS_VIRT_START + std::uint64_t{core_.nr_frames()} * 8;
    if (cr2 < MACH2PHYS_VIRT_START || cr2 >= m2p_end) {
        return false;
    }
    std::array<std::uint8_t, 16> code{};
    if (!read_guest(g, rip, code)) {
        return false;
    }
    std::size_t i = 0;
    std::uint8_t rex = 0;
    if ((code[i] & 0xf0) == 0x40) {
        rex = code[i++];
    }
    if (code[i] != 0x8b) {
        return false;
    }
    MemOperand mem;
    if (!decode_mem_operand(regs, code.data() + i + 1, rex, rip + i + 1, mem) ||
        mem.address < MACH2PHYS_VIRT_START || mem.address + 8 > m2p_end) {
        return false;
    }
    const unsigned dest = ((code[i + 1] >> 3) & 7) | ((rex & 4) != 0 ? 8 : 0);
    std::uint64_t value = 0;
    if (!read_guest(g, mem.address, value)) { // through its own read-only mapping
        return false;
    }
    gpr(regs, dest) = (rex & 8) != 0 ? value : (value & 0xffffffffULL);
    regs.rip = rip + i + 1 + mem.length;
    return true;
}

bool Monitor::on_exception_port(GuestDomain& g, std::uint32_t vector) {
    auto& regs = g.vcpu->regs();
    std::unique_lock lock(mu_);
    ++g.pv.exceptions;
    // The frame the gate pushed on the IST stack.
    std::array<std::uint64_t, 6> f{};
    const bool ec = has_error_code(vector);
    const std::size_t words = ec ? 6 : 5;
    if (core_.guest_read(g.domid, regs.rsp, std::as_writable_bytes(std::span(f.data(), words))) !=
        core::kOk) {
        stop_domain(g, fault_stop(g, StopKind::fault,
                                  fmt::format("{} with its frame at {:#x} unreadable",
                                              vector_name(vector), regs.rsp)));
        return false;
    }
    std::uint64_t error = ec ? f[0] : 0;
    const std::uint64_t rip = f[ec ? 1 : 0];
    const std::uint64_t rflags = f[ec ? 3 : 2];
    const std::uint64_t rsp = f[ec ? 4 : 3];
    regs.rsp = rsp;
    regs.rflags = rflags;
    // SYSCALL jumps to LSTAR, which this host does not let the monitor set
    // (KVM_SET_MSRS is refused; trap_probe): it lands at 0 and faults there.
    // A fetch fault at 0 whose RCX follows a SYSCALL is one; Xen sends it to
    // the syscall callback with RCX and R11 as the instruction left them.
    std::array<std::uint8_t, 2> before{};
    if (vector == kVectorPf && rip == 0 && g.vcpu->sregs().cr2 == 0 && regs.rcx >= 2 &&
        read_guest(g, regs.rcx - 2, before) && before[0] == 0x0f && before[1] == 0x05) {
        // In kernel mode SYSCALL is a hypercall (the 64-bit PV ABI; XTF's
        // xsa-213 makes one directly): it returns to RCX with R11's flags,
        // unless the call itself (iret) moves the vCPU elsewhere.
        if (g.pv.kernel_mode) {
            g.pv.code_selector = 0; // SYSRET loads the flat segment
            regs.rip = regs.rcx;
            regs.rflags = (regs.r11 | kRflagsIf) & ~(kRflagsNt | kRflagsRf);
            lock.unlock();
            return on_hypercall_port(g);
        }
        // A return address off the canonical range (SYSCALL as the last
        // instruction below it): Xen, mitigated against XSA-7, gives the
        // guest #GP(0) there rather than returning to it.
        const bool canonical = regs.rcx < (1ULL << 47) || regs.rcx >= 0xffff800000000000ULL;
        const bool ok = canonical ? bounce(g, kSyscallVector, 0, false, regs.rcx, regs.r11, rsp)
                                  : bounce(g, kVectorGp, 0, true, regs.rcx, regs.r11, rsp);
        return ok && !g.stop_requested.load();
    }
    // `int $n` (n != 3) arrives here as #UD at the instruction on this host
    // (trap_probe): deliver it as Xen does, through the trap table's gate
    // if its DPL lets the current mode in, else as #GP(n * 8 + 2).
    std::array<std::uint8_t, 2> insn{};
    if (vector == kVectorUd && read_guest(g, rip, insn) && insn[0] == 0xcd) {
        const std::uint32_t n = insn[1];
        const auto& gate = g.pv.traps[n];
        const bool allowed = gate.address != 0 && (g.pv.kernel_mode || (gate.flags & 3) == 3);
        const bool ok = allowed ? bounce(g, n, 0, false, rip + 2, rflags, rsp)
                                : bounce(g, kVectorGp, n * 8 + 2, true, rip, rflags, rsp);
        return ok && !g.stop_requested.load();
    }
    if (vector == kVectorDb) {
        note_debug_exception(g);
    }
    correct_platform_fault(g, vector, error, rip);
    const bool emulated =
        ((vector == kVectorUd || vector == kVectorGp) && emulate(g, vector, rip)) ||
        (vector == kVectorGp && error == 0 && emulate_iopl_insn(g, rip)) ||
        (vector == kVectorPf && emulate_m2p_load(g, rip, g.vcpu->sregs().cr2));
    if (emulated) {
        ++g.pv.emulated;
        g.vcpu->regs_changed();
        return !g.stop_requested.load();
    }
    return bounce(g, vector, error, ec, rip, rflags, rsp) && !g.stop_requested.load();
}

// What Xen emulates for a PV guest, as far as XTF's start of day needs it.
// On success regs.rip is past the instruction.
bool Monitor::emulate(GuestDomain& g, std::uint32_t vector, std::uint64_t rip) {
    auto& regs = g.vcpu->regs();
    std::array<std::uint8_t, 16> code{};
    if (!read_guest(g, rip, code)) {
        return false;
    }
    // The forced-emulation prefix: ud2a; .ascii "xen"; then the instruction.
    if (vector == kVectorUd) {
        if (code[0] == 0x0f && code[1] == 0x0b && code[2] == 'x' && code[3] == 'e' &&
            code[4] == 'n' && code[5] == 0x0f && code[6] == 0xa2) {
            emulate_cpuid(regs);
            regs.rip = rip + 7;
            return true;
        }
        return false;
    }
    std::size_t i = 0;
    while (i < 4 && (code[i] == 0x66 || (code[i] & 0xf0) == 0x40)) {
        ++i; // operand-size and REX prefixes
    }
    const bool rex_b = i > 0 && (code[i - 1] & 0xf0) == 0x40 && (code[i - 1] & 1) != 0;
    const bool rex_r = i > 0 && (code[i - 1] & 0xf0) == 0x40 && (code[i - 1] & 4) != 0;
    const bool rex_w = i > 0 && (code[i - 1] & 0xf0) == 0x40 && (code[i - 1] & 8) != 0;
    // lretq: its target selector is in the guest's GDT, which the monitor's
    // is not, so the CPU refuses it; the guest's own GDT would have served.
    if (code[i] == 0xcb && rex_w && vector == kVectorGp) {
        return emulate_far_return(g);
    }
    // mov %reg, %sreg of one of Xen's flat selectors (or null): the monitor's
    // GDT's flat segments already stand for them.
    if (code[i] == 0x8e && (code[i + 1] & 0xc0) == 0xc0) {
        const unsigned sreg = (code[i + 1] >> 3) & 7;
        const auto sel = static_cast<std::uint16_t>(gpr(regs, (code[i + 1] & 7) | (rex_b ? 8 : 0)));
        if (sreg != 1 && sreg <= 5 && (sel < 4 || sel >= kFirstXenSelector)) {
            regs.rip = rip + i + 2;
            return true;
        }
        return false;
    }
    // mov %drN, %reg and mov %reg, %drN (xen_pv_debug_regs.cpp).
    if (code[i] == 0x0f && (code[i + 1] == 0x21 || code[i + 1] == 0x23) &&
        (code[i + 2] & 0xc0) == 0xc0) {
        const unsigned dr = ((code[i + 2] >> 3) & 7) | (rex_r ? 8 : 0);
        auto& reg = gpr(regs, (code[i + 2] & 7) | (rex_b ? 8 : 0));
        std::uint64_t value = reg;
        if (!emulate_mov_dr(g, code[i + 1] == 0x23, dr, value)) {
            return false;
        }
        reg = value;
        regs.rip = rip + i + 3;
        return true;
    }
    // mov %reg, %cr4: the bits a PV guest controls (xen_pv_debug_regs.cpp).
    if (code[i] == 0x0f && code[i + 1] == 0x22 && (code[i + 2] & 0xc0) == 0xc0 &&
        (((code[i + 2] >> 3) & 7) | (rex_r ? 8 : 0)) == 4) {
        set_guest_cr4(g, gpr(regs, (code[i + 2] & 7) | (rex_b ? 8 : 0)));
        regs.rip = rip + i + 3;
        return true;
    }
    // rdmsr of MSR_DEBUGCTL: Xen shows a PV guest 0 (it offers no branch
    // tracing); any other rdmsr is #GP, reflected.
    if (code[i] == 0x0f && code[i + 1] == 0x32 && (regs.rcx & 0xffffffffULL) == kMsrDebugCtl) {
        regs.rax = 0;
        regs.rdx = 0;
        regs.rip = rip + i + 2;
        return true;
    }
    // mov %crN, %reg: the values Xen shows a PV guest.
    if (code[i] == 0x0f && code[i + 1] == 0x20 && (code[i + 2] & 0xc0) == 0xc0) {
        const unsigned cr = ((code[i + 2] >> 3) & 7) | (rex_r ? 8 : 0);
        std::uint64_t value = 0;
        switch (cr) {
        case 0:
            value = g.vcpu->sregs().cr0;
            break;
        case 2: // the last page fault's address, as Xen keeps it for the guest
            value = reinterpret_cast<shared_info_t*>(memory_.frame(g.built.shared_info))
                        ->vcpu_info[0]
                        .arch.cr2;
            break;
        case 3:
            value = std::uint64_t{core_.root_table(g.domid)} * abi::kPageSize;
            break;
        case 4:
            value = guest_cr4(g);
            break;
        default:
            return false;
        }
        gpr(regs, (code[i + 2] & 7) | (rex_b ? 8 : 0)) = value;
        regs.rip = rip + i + 3;
        return true;
    }
    return false;
}

bool Monitor::guest_code_segment(const GuestDomain& g, std::uint64_t sel) {
    constexpr std::uint64_t kPresent = 1ULL << 47;
    constexpr std::uint64_t kDpl3 = 3ULL << 45;
    constexpr std::uint64_t kCodeSegment = 3ULL << 43; // S and executable
    constexpr std::uint64_t kLong = 1ULL << 53;
    constexpr std::uint64_t kDefault32 = 1ULL << 54;
    const std::uint64_t index = sel >> 3;
    // RPL 3 and the GDT (not the LDT); Xen's own selectors are not the guest's.
    if ((sel & 7) != 3 || sel > 0xffff || sel >= kFirstXenSelector || index == 0 ||
        index >= g.pv.gdt_entries || index / 512 >= g.pv.gdt_frames.size()) {
        return false;
    }
    const std::uint64_t frame = g.pv.gdt_frames[index / 512];
    if (frame == 0 || frame >= memory_.nr_frames()) {
        return false;
    }
    std::uint64_t desc = 0;
    std::memcpy(&desc, memory_.frame(static_cast<std::uint32_t>(frame)) + (index % 512) * 8,
                sizeof desc);
    const std::uint64_t want = kPresent | kDpl3 | kCodeSegment | kLong;
    return (desc & (want | kDefault32)) == want;
}

// A far return to ring 3, as the CPU would take it with the guest's GDT:
// pops rip and cs; a selector that is not a 64-bit ring-3 code segment of
// the guest's (or Xen's flat one) is #GP, reflected.
bool Monitor::emulate_far_return(GuestDomain& g) {
    auto& regs = g.vcpu->regs();
    std::array<std::uint64_t, 2> top{};
    if (!read_guest(g, regs.rsp, top)) {
        return false;
    }
    const std::uint64_t sel = top[1] & 0xffff;
    const bool flat = sel == FLAT_RING3_CS64;
    if (!flat && !guest_code_segment(g, sel)) {
        return false;
    }
    g.pv.code_selector = flat ? 0 : static_cast<std::uint16_t>(sel);
    regs.rip = top[0];
    regs.rsp += sizeof top;
    return true;
}

// Xen's bounce frame onto the guest kernel's stack (the current one in
// kernel mode, the stack_switch one from user mode), 16-byte aligned. On
// success the vCPU's registers are marked changed.
bool Monitor::bounce(GuestDomain& g, std::uint32_t vector, std::uint64_t error_code, bool has_error,
                     std::uint64_t rip, std::uint64_t rflags, std::uint64_t rsp) {
    auto& regs = g.vcpu->regs();
    const bool syscall = vector == kSyscallVector;
    const auto& callback = g.pv.callbacks[CALLBACKTYPE_syscall];
    const XenPvVcpu::Trap trap =
        syscall ? XenPvVcpu::Trap{static_cast<std::uint8_t>(
                                      (callback.flags & CALLBACKF_mask_events) != 0 ? 4 : 0),
                                  0, callback.address}
                : g.pv.traps[vector];
    if (trap.address == 0) {
        stop_domain(g, fault_stop(g, StopKind::fault,
                                  fmt::format("{} (vector {}, error {:#x}) at rip {:#x} with no "
                                              "handler in its trap table (Xen crashes the "
                                              "domain)",
                                              vector_name(vector), vector, error_code, rip)));
        return false;
    }
    const bool from_kernel = g.pv.kernel_mode;
    auto* si = reinterpret_cast<shared_info_t*>(memory_.frame(g.built.shared_info));
    if (vector == kVectorPf) {
        si->vcpu_info[0].arch.cr2 = g.vcpu->sregs().cr2;
        if (from_kernel) {
            error_code &= ~kPfecUser; // the guest kernel runs at ring 3; Xen hides it
        }
    }
    const std::uint8_t mask = __atomic_load_n(g.upcall_mask, __ATOMIC_SEQ_CST);
    const std::uint64_t flat_cs = from_kernel ? kKernelCs : FLAT_USER_CS;
    const std::uint64_t shown_cs =
        g.pv.code_selector == 0 ? flat_cs
                                : (from_kernel ? g.pv.code_selector & ~3U : g.pv.code_selector);
    const std::uint64_t cs = shown_cs | (std::uint64_t{mask} << 32);
    const std::uint64_t ss = from_kernel ? kKernelSs : FLAT_USER_SS;
    // Under the architectural-IOPL assist the frame shows the virtual IOPL,
    // so that the kernel's iret keeps it.
    const std::uint64_t shown_iopl =
        g.pv.architectural_iopl ? std::uint64_t{g.pv.iopl} << 12 : (rflags & kRflagsIopl);
    const std::uint64_t shown_rflags =
        (rflags & ~(kRflagsIf | kRflagsIopl)) | (mask != 0 ? 0 : kRflagsIf) | shown_iopl;
    std::uint64_t sp = (from_kernel ? rsp : g.pv.kernel_sp) & ~std::uint64_t{15};
    std::array<std::uint64_t, 8> frame{};
    std::size_t n = 0;
    frame[n++] = regs.rcx;
    frame[n++] = regs.r11;
    if (has_error) {
        frame[n++] = error_code;
    }
    for (std::uint64_t w : {rip, cs, shown_rflags, rsp, ss}) {
        frame[n++] = w;
    }
    sp -= n * 8;
    if (core_.guest_write(g.domid, sp, std::as_bytes(std::span(frame.data(), n))) != core::kOk) {
        stop_domain(g, fault_stop(g, StopKind::fault,
                                  fmt::format("{} at rip {:#x}: its bounce frame at {:#x} cannot "
                                              "be written (Xen crashes the domain)",
                                              vector_name(vector), rip, sp)));
        return false;
    }
    g.pv.kernel_mode = true;
    g.pv.code_selector = 0; // the handler runs on the trap table's (flat) segment
    regs.rsp = sp;
    regs.rip = trap.address;
    regs.rflags = (rflags | kRflagsIf) & ~(kRflagsTf | kRflagsNt | kRflagsRf);
    if ((trap.flags & 4) != 0) {
        __atomic_store_n(g.upcall_mask, 1, __ATOMIC_SEQ_CST);
    }
    g.vcpu->regs_changed();
    return true;
}

} // namespace enso::kvm
