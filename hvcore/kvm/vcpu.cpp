#include "hvcore/kvm/vcpu.hpp"

#include "hvcore/kvm/irq_setup.hpp"
#include "hvcore/kvm/kvm_error.hpp"

#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

namespace enso::kvm {

namespace {

constexpr std::uint64_t kCr0Pe = 1ULL << 0;
constexpr std::uint64_t kCr0Mp = 1ULL << 1;
constexpr std::uint64_t kCr0Et = 1ULL << 4;
constexpr std::uint64_t kCr0Ne = 1ULL << 5;
constexpr std::uint64_t kCr0Wp = 1ULL << 16;
constexpr std::uint64_t kCr0Pg = 1ULL << 31;
constexpr std::uint64_t kCr4Pae = 1ULL << 5;
constexpr std::uint64_t kCr4Osfxsr = 1ULL << 9;
constexpr std::uint64_t kCr4Osxmmexcpt = 1ULL << 10;
constexpr std::uint64_t kEferLme = 1ULL << 8;
constexpr std::uint64_t kEferLma = 1ULL << 10;
constexpr std::uint64_t kEferNxe = 1ULL << 11;
constexpr std::uint64_t kRflagsFixed = 1ULL << 1;
constexpr std::uint64_t kRflagsIopl3 = 3ULL << 12;

// The vCPU sees the host's CPU features KVM supports (NX among them, which
// the guest's page tables use). PVM does not offer the list (EINVAL); its
// vCPUs run with the host's features as they are.
void set_supported_cpuid(int kvm_fd, int vcpu_fd) {
    constexpr std::uint32_t kMaxEntries = 256;
    std::vector<std::byte> buf(sizeof(kvm_cpuid2) + kMaxEntries * sizeof(kvm_cpuid_entry2));
    auto* cpuid = reinterpret_cast<kvm_cpuid2*>(buf.data());
    cpuid->nent = kMaxEntries;
    if (::ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) != 0) {
        if (errno == EINVAL) {
            return;
        }
        throw_errno("KVM_GET_SUPPORTED_CPUID");
    }
    if (::ioctl(vcpu_fd, KVM_SET_CPUID2, cpuid) != 0) {
        throw_errno("KVM_SET_CPUID2");
    }
}

} // namespace

Vcpu::Vcpu(int kvm_fd, int vm_fd, std::uint32_t id) : id_(id) {
    fd_.reset(::ioctl(vm_fd, KVM_CREATE_VCPU, static_cast<unsigned long>(id)));
    if (!fd_.valid()) {
        throw_errno("KVM_CREATE_VCPU");
    }
    const int size = ::ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size <= 0) {
        throw_errno("KVM_GET_VCPU_MMAP_SIZE");
    }
    run_size_ = static_cast<std::size_t>(size);
    void* p = ::mmap(nullptr, run_size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0);
    if (p == MAP_FAILED) {
        throw_errno("mmap of kvm_run");
    }
    run_ = static_cast<kvm_run*>(p);
    set_supported_cpuid(kvm_fd, fd_.get());
    stats_ = std::make_unique<VcpuStats>(fd_.get());
}

Vcpu::~Vcpu() {
    if (run_ != nullptr) {
        ::munmap(run_, run_size_);
    }
}

void Vcpu::start_pv(const VcpuStart& start) {
    kvm_sregs sregs{};
    if (::ioctl(fd_.get(), KVM_GET_SREGS, &sregs) != 0) {
        throw_errno("KVM_GET_SREGS");
    }
    // No usable GDT or IDT in guest memory yet (their bases are 0), and the
    // TSS's stack pointers are zero: an exception cannot be delivered, so it
    // becomes a triple fault that the monitor reports. The TSS is there for
    // its I/O bitmap. An event upcall (irq_setup) loads a real GDT and IDT.
    set_cpl3_segments(sregs, start.gdt_base, start.idt_base, start.tss_base, start.tss_limit,
                      start.idt_limit);
    if (start.gdt_base != 0) {
        sregs.gdt.limit = start.gdt_limit;
    }
    sregs.cr0 = kCr0Pe | kCr0Mp | kCr0Et | kCr0Ne | kCr0Wp | kCr0Pg;
    sregs.cr4 = kCr4Pae | kCr4Osfxsr | kCr4Osxmmexcpt;
    sregs.efer = kEferLme | kEferLma | kEferNxe;
    sregs.cr3 = start.cr3;
    if (::ioctl(fd_.get(), KVM_SET_SREGS, &sregs) != 0) {
        throw_errno("KVM_SET_SREGS");
    }
    kvm_regs regs{};
    regs.rip = start.rip;
    regs.rsp = start.rsp;
    regs.rsi = start.rsi;
    regs.rflags = kRflagsFixed | kRflagsIopl3;
    if (::ioctl(fd_.get(), KVM_SET_REGS, &regs) != 0) {
        throw_errno("KVM_SET_REGS");
    }
    run_->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
    run_->kvm_dirty_regs = 0;
}

std::uint64_t Vcpu::tsc_khz() const {
    const int khz = ::ioctl(fd_.get(), KVM_GET_TSC_KHZ, 0);
    return khz > 0 ? static_cast<std::uint64_t>(khz) : 0;
}

int Vcpu::run() {
    if (::ioctl(fd_.get(), KVM_RUN, 0) != 0) {
        return errno;
    }
    return 0;
}

} // namespace enso::kvm
