// What Xen keeps per vCPU of a PV guest and Enso's core does not: the trap
// table, the registered callbacks, the kernel stack, the descriptor table
// frames the guest named, and whether it runs in kernel or user mode.
// Guarded by the monitor's lock.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace enso::kvm {

struct XenPvVcpu {
    struct Trap {
        std::uint8_t flags = 0; // bits 0-1: the DPL `int n` needs; bit 2: mask events
        std::uint16_t cs = 0;
        std::uint64_t address = 0; // 0: no handler
    };
    std::array<Trap, 256> traps{};
    struct Callback {
        std::uint64_t address = 0;
        std::uint16_t flags = 0; // CALLBACKF_mask_events
    };
    std::array<Callback, 8> callbacks{}; // by CALLBACKTYPE_*
    std::uint64_t kernel_ss = 0;
    std::uint64_t kernel_sp = 0;
    std::vector<std::uint64_t> gdt_frames;
    std::uint32_t gdt_entries = 0;
    bool kernel_mode = true;
    // A code selector of the guest's GDT that an emulated far return (or an
    // iret) left the vCPU on; 0: Xen's flat one for its mode. The vCPU runs
    // on the monitor's flat segment either way; the selector is what the
    // frames the monitor builds show, until a SYSCALL or an exception loads
    // a flat one again.
    std::uint16_t code_selector = 0;
    // The virtual IOPL (PHYSDEVOP_set_iopl, or iret under the architectural
    // assist): the monitor emulates cli, sti, in and out at a virtual CPL
    // (kernel 1, or 0 under the assist; user 3) that it admits. The real
    // IOPL stays 0, so each of these faults to the monitor.
    std::uint8_t iopl = 0;
    bool architectural_iopl = false;
    // The debug registers as the guest sees them, from their reset values;
    // loaded into the vCPU too (xen_pv_debug_regs.cpp).
    std::array<std::uint64_t, 8> debug = {0, 0, 0, 0, 0, 0, 0xffff0ff0, 0x400};
    // The CR4 bits the guest controls (DE); the rest of CR4 is the monitor's.
    std::uint64_t cr4_guest_bits = 0;
    std::uint64_t exceptions = 0; // reached the monitor
    std::uint64_t emulated = 0;   // of those, instructions the monitor emulated
};

} // namespace enso::kvm
