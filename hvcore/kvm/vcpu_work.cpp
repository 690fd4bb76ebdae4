// Work only a vCPU's own thread may do, before its guest goes on: load the
// descriptor tables and RFLAGS.IF for a registered upcall, replace memory
// slots an exitless call changed, and switch to a new root table.
#include "hvcore/abi/guest_layout.hpp"
#include "hvcore/abi/hypercall_ports.hpp"
#include "hvcore/kvm/monitor.hpp"

namespace enso::kvm {

void Monitor::do_vcpu_work(GuestDomain& g) {
    if (g.upcall_load_pending) {
        g.upcall_load_pending = false;
        auto& sregs = g.vcpu->sregs();
        sregs.gdt = {abi::kHypercallPageVa + abi::kGdtOffset, abi::kGdtLimit, {}};
        sregs.idt = {abi::kHypercallPageVa + abi::kIdtOffset, abi::kIdtLimit, {}};
        g.vcpu->sregs_changed();
        // IF for good: an interrupt gate or an STI would be needed to change
        // it, and under PVM neither works at CPL3 (irq_setup.hpp).
        g.vcpu->regs().rflags |= 1ULL << 9;
        g.vcpu->regs_changed();
    }
    if (g.memslots_pending) {
        g.memslots_pending = false;
        (void)sync_memslots(g);
    }
    if (root_changed(g)) {
        const std::uint64_t cr3 = std::uint64_t{core_.root_table(g.domid)} * abi::kPageSize;
        g.vcpu->sregs().cr3 = cr3;
        g.vcpu->sregs_changed();
        g.cr3 = cr3;
    }
}

} // namespace enso::kvm
