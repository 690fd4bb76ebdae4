// One vCPU: its file, its shared kvm_run page with the registers KVM syncs on
// every exit (KVM_CAP_SYNC_REGS: a hypercall costs one exit and no ioctl),
// and the PV start state - 64-bit mode, CPL3, IOPL 3, no IDT, so any fault
// ends the guest.
#pragma once

#include "hvcore/kvm/unique_fd.hpp"
#include "hvcore/kvm/vcpu_stats.hpp"

#include <linux/kvm.h>

#include <cstdint>
#include <memory>

namespace enso::kvm {

struct VcpuStart {
    std::uint64_t rip = 0;
    std::uint64_t rsp = 0;
    std::uint64_t rsi = 0;
    std::uint64_t cr3 = 0;
    std::uint64_t tss_base = 0; // a TSS whose I/O bitmap opens the monitor's ports
    std::uint32_t tss_limit = 0x67;
    // Descriptor tables from the start (a Xen PV kernel's exception
    // machinery); 0: none until the guest registers an upcall.
    std::uint64_t gdt_base = 0;
    std::uint16_t gdt_limit = 0;
    std::uint64_t idt_base = 0;
    std::uint16_t idt_limit = 0;
};

class Vcpu {
public:
    Vcpu(int kvm_fd, int vm_fd, std::uint32_t id);
    Vcpu(const Vcpu&) = delete;
    Vcpu& operator=(const Vcpu&) = delete;
    ~Vcpu();

    void start_pv(const VcpuStart& start);

    // KVM_RUN once. Returns 0, or errno (EINTR when kicked).
    int run();
    [[nodiscard]] kvm_run& state() { return *run_; }

    // The registers KVM synced at the last exit; mark what you change.
    kvm_regs& regs() { return run_->s.regs.regs; }
    kvm_sregs& sregs() { return run_->s.regs.sregs; }
    void regs_changed() { run_->kvm_dirty_regs |= KVM_SYNC_X86_REGS; }
    void sregs_changed() { run_->kvm_dirty_regs |= KVM_SYNC_X86_SREGS; }

    // Makes the next (or current, with a signal to the thread) KVM_RUN return.
    void request_exit() { __atomic_store_n(&run_->immediate_exit, 1, __ATOMIC_SEQ_CST); }
    void clear_exit_request() { __atomic_store_n(&run_->immediate_exit, 0, __ATOMIC_SEQ_CST); }

    [[nodiscard]] const VcpuStats& stats() const { return *stats_; }
    // The guest's TSC frequency (KVM_GET_TSC_KHZ); 0 when unknown.
    [[nodiscard]] std::uint64_t tsc_khz() const;
    [[nodiscard]] std::uint32_t id() const { return id_; }
    [[nodiscard]] int fd() const { return fd_.get(); }

private:
    UniqueFd fd_;
    std::uint32_t id_;
    kvm_run* run_ = nullptr;
    std::size_t run_size_ = 0;
    std::unique_ptr<VcpuStats> stats_;
};

} // namespace enso::kvm
