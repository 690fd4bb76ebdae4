// Can this host deliver an interrupt, injected through an irqfd, to a
// handler that runs at guest CPL3? The blk suite's interrupt path
// (kBlkRunWaitIrq) needs exactly that: the guest kernel runs at CPL3, the
// monitor gives it a GDT and an IDT whose gate for the upcall vector targets
// a DPL 3 code segment (an intra-privilege interrupt: no stack switch, the
// handler returns with IRETQ at CPL3), an in-kernel LAPIC (KVM_CREATE_IRQCHIP)
// and an MSI route bound to an eventfd (KVM_IRQFD).
//
// The probe builds a VM of a few pages that does just that - a CPL3 loop
// with interrupts enabled (IOPL 3 allows STI), a handler that counts and
// writes the xAPIC EOI register through a mapping of the APIC page - and
// signals the eventfd a few times. The answer says what happened, in words
// (a triple fault, nothing delivered, only the first one delivered because
// the EOI did not reach the LAPIC, ...). Errors are values: nothing throws.
#pragma once

#include <cstdint>
#include <string>

namespace enso::kvm {

struct IrqProbe {
    bool delivered = false;     // every injected vector reached the CPL3 handler
    std::uint32_t injected = 0; // eventfd writes
    std::uint32_t handled = 0;  // handler runs the guest counted
    double max_wait_us = 0;     // the slowest injection-to-handler time seen
    std::string detail;         // what was observed, one sentence or two
};

// Runs the probe on the KVM device (default: kvm_device_path()), about
// 1 s at most. Not cached.
IrqProbe probe_cpl3_irq(const std::string& device_path = {});

// probe_cpl3_irq() once per process.
const IrqProbe& cpl3_irq_support();

} // namespace enso::kvm
