// What the platform keeps per vCPU that the core does not model: where event
// upcalls and exceptions are delivered, the kernel stack, the descriptor
// tables, and the vCPU's registers (for iret). The dispatcher decodes and
// checks a guest's arguments; the platform (the KVM monitor) installs them.
#pragma once

#include "hvcore/core/xen_abi.hpp"

#include <cstdint>
#include <span>

namespace enso::core {

class VcpuPlatform {
public:
    virtual ~VcpuPlatform() = default;

    // Whether d's vCPU takes callbacks at all (-ENOSYS otherwise, before
    // any argument is read: an Enso kernel without an irqchip polls).
    [[nodiscard]] virtual bool accepts_callbacks(std::uint16_t d) const = 0;
    // A callback whose type is one of Xen's four and whose address the
    // dispatcher checked; returns 0 or -errno.
    virtual long register_callback(std::uint16_t d, const callback_register& cb) = 0;
    // set_trap_table: entries up to the sentinel (at most 256); none and
    // `clear`: the guest passed NULL, which empties the table.
    virtual long set_trap_table(std::uint16_t d, std::span<const trap_info> entries,
                                bool clear) = 0;
    virtual long stack_switch(std::uint16_t d, std::uint64_t ss, std::uint64_t sp) = 0;
    virtual long set_gdt(std::uint16_t d, std::span<const std::uint64_t> frames,
                         std::uint32_t entries) = 0;
    // HYPERVISOR_iret on the calling vCPU: restores the frame its stack
    // holds and returns the saved rax (or -errno).
    virtual long iret(std::uint16_t d) = 0;
    // PHYSDEVOP_set_iopl: the virtual I/O privilege level (0-3, checked)
    // that the platform's emulation of cli/sti/in/out compares with.
    virtual long set_iopl(std::uint16_t d, unsigned iopl) = 0;
    // VMASST_TYPE_architectural_iopl on or off (the only assist offered).
    virtual long set_architectural_iopl(std::uint16_t d, bool on) = 0;
    // How many vCPUs d has; only vCPU 0 runs.
    [[nodiscard]] virtual unsigned vcpu_count(std::uint16_t d) const = 0;
    // The root frame VCPUOP_initialise gave vCPU `vcpu` (>= 1), 0 if none yet.
    [[nodiscard]] virtual std::uint64_t vcpu_root(std::uint16_t d, unsigned vcpu) const = 0;
    // Records it, once the core holds the root's references.
    virtual void set_vcpu_root(std::uint16_t d, unsigned vcpu, std::uint64_t frame) = 0;
};

} // namespace enso::core
