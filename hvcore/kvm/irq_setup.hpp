// What a guest at CPL3 needs to take interrupts, as the monitor sets it up
// (and the interrupt probe, irq_probe.hpp): an in-kernel irqchip whose
// virtual PIC, in auto-EOI mode, turns a write to an eventfd (KVM_IRQFD on
// its pin 3) into vector abi::kUpcallVector through the LAPIC's LINT0
// (ExtINT), so the guest never writes an EOI - it could not: the xAPIC EOI
// register needs a mapping of the APIC page, which the PV MMU does not give,
// and the x2APIC's is a WRMSR (CPL0); a GDT with the DPL 3 code and data
// segments the vCPU already runs on (selectors 0x33 and 0x2b) and its TSS;
// and an IDT gate for the vector that targets the DPL 3 code segment, so the
// interrupt is intra-privilege (no stack switch, the handler runs at CPL3
// and returns with IRETQ).
//
// What PVM taught (irq_probe's experiment, on this host):
// - The gate must be a trap gate. Through an interrupt gate PVM clears its
//   virtual IF, and the handler's IRETQ at CPL3 cannot set it again (RFLAGS
//   read back 0x2): the second vector stays in the IRR for good. The guest
//   cannot STI either (PVM ignores IOPL: STI at CPL3 is a #GP, here a triple
//   fault). So RFLAGS.IF is set by the monitor and never cleared; the guest
//   masks its upcall the Xen way (vcpu_info.evtchn_upcall_mask).
// - KVM_SET_GSI_ROUTING is refused (ENOTTY) although KVM_CAP_IRQ_ROUTING
//   says 4096: no MSI route. The default routing's PIC and IOAPIC pins work;
//   the IOAPIC would need an EOI, the auto-EOI PIC does not.
// Errors are values (an empty string: none); nothing here throws.
#pragma once

#include "hvcore/kvm/unique_fd.hpp"

#include <linux/kvm.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace enso::kvm {

inline constexpr std::uint16_t kUserCodeSelector = 0x33; // GDT entry 6, RPL 3
inline constexpr std::uint16_t kUserDataSelector = 0x2b; // GDT entry 5, RPL 3
inline constexpr std::uint16_t kTssSelector = 0x40;      // GDT entries 8-9
inline constexpr std::uint32_t kGdtBytes = 0x50;         // entries 0-9
inline constexpr std::uint32_t kIdtGateBytes = 16;

inline constexpr std::uint32_t kUpcallPicPin = 3;
inline constexpr std::uint8_t kUpcallPicBase = 0x20; // vector = base + pin

// KVM_CREATE_IRQCHIP on the VM (before its vCPUs exist).
std::string create_irqchip(int vm_fd);
// The vCPU's LAPIC, software-enabled (SVR bit 8, spurious vector 0xff),
// task priority 0, LINT0 unmasked in ExtINT mode (the PIC's output).
std::string enable_lapic(int vcpu_fd);

struct IrqFd {
    UniqueFd fd;
    std::string error;
};
// Programs the master PIC (vectors from kUpcallPicBase, auto-EOI, edge,
// every pin masked but kUpcallPicPin) and binds a new eventfd to that pin:
// each write injects kUpcallPicBase + kUpcallPicPin.
IrqFd bind_upcall_irqfd(int vm_fd);

// Writes GDT entries 0-9 at gdt (kGdtBytes): user data (DPL 3, accessed),
// 64-bit user code (DPL 3, accessed) and a busy 64-bit TSS at tss_base.
// The accessed and busy bits are set so the CPU never writes the table (it
// may be mapped read-only).
void write_gdt(std::byte* gdt, std::uint64_t tss_base, std::uint32_t tss_limit = 0x67);
// Writes the IDT gate for vector at idt (an array of 16-byte gates): a trap
// gate (IF stays set, see above), DPL 3, to handler in the user code
// segment, no IST.
void write_idt_gate(std::byte* idt, std::uint8_t vector, std::uint64_t handler);
// The vCPU's segments for 64-bit CPL3 over that GDT, and GDTR/IDTR
// (idt_limit: the IDT's last byte, kIdtGateBytes * (vector + 1) - 1).
void set_cpl3_segments(kvm_sregs& sregs, std::uint64_t gdt_base, std::uint64_t idt_base,
                       std::uint64_t tss_base, std::uint32_t tss_limit,
                       std::uint16_t idt_limit = 0xfff);

} // namespace enso::kvm
