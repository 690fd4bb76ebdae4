#include "hvcore/kvm/irq_probe.hpp"

#include "hvcore/kvm/irq_setup.hpp"
#include "hvcore/kvm/kvm_probe.hpp"
#include "hvcore/kvm/unique_fd.hpp"

#include <fmt/format.h>
#include <linux/kvm.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <pthread.h>
#include <thread>
#include <unistd.h>

namespace enso::kvm {

namespace {

using Clock = std::chrono::steady_clock;

// The probe VM's guest-physical (= virtual) layout: 1 MiB of memory.
constexpr std::uint64_t kMemSize = 1ULL << 20;
constexpr std::uint64_t kPml4 = 0x1000;
constexpr std::uint64_t kPdpt = 0x2000;
constexpr std::uint64_t kPd = 0x3000;
constexpr std::uint64_t kPt = 0x4000; // 0 .. 1 MiB, 4 KiB pages
constexpr std::uint64_t kGdt = 0x6000;
constexpr std::uint64_t kIdt = 0x7000;
constexpr std::uint64_t kTss = 0x8000;
constexpr std::uint64_t kCode = 0x10000;
constexpr std::uint64_t kData = 0x20000; // counters the handler writes
constexpr std::uint64_t kStackTop = 0x30000;
constexpr std::uint8_t kVector = kUpcallPicBase + kUpcallPicPin;
constexpr std::uint32_t kInjections = 20;

// start (0x10000):  movq $1, kData+0x18; 1: pause; jmp 1b
// handler (+0x20):  push %rax; mov %cs, %eax; mov %rax, kData+8;
//                   mov 16(%rsp), %rax; mov %rax, kData+0x10; pop %rax;
//                   lock incq kData; iretq
// RFLAGS.IF is set by the monitor (an STI at CPL3 faults under PVM); the
// PIC is in auto-EOI mode, so the handler writes no EOI.
constexpr std::uint8_t kGuestCode[] = {
    0x48, 0xc7, 0x04, 0x25, 0x18, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0xf3, 0x90,
    0xeb, 0xfc, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x50, 0x8c, 0xc8, 0x48, 0x89, 0x04, 0x25, 0x08, 0x00, 0x02,
    0x00, 0x48, 0x8b, 0x44, 0x24, 0x10, 0x48, 0x89, 0x04, 0x25, 0x10, 0x00, 0x02, 0x00,
    0x58, 0xf0, 0x48, 0xff, 0x04, 0x25, 0x00, 0x00, 0x02, 0x00, 0x48, 0xcf};
constexpr std::uint64_t kHandlerOffset = 0x20;

constexpr std::uint64_t kPteP = 1;
constexpr std::uint64_t kPteRw = 2;
constexpr std::uint64_t kPteUser = 4;

void on_signal(int /*sig*/) {}

std::string exit_name(std::uint32_t reason) {
    switch (reason) {
    case KVM_EXIT_SHUTDOWN:
        return "a triple fault (KVM_EXIT_SHUTDOWN)";
    case KVM_EXIT_MMIO:
        return "an MMIO exit to user space";
    case KVM_EXIT_INTERNAL_ERROR:
        return "a KVM internal error";
    case KVM_EXIT_FAIL_ENTRY:
        return "a failed VM entry";
    case KVM_EXIT_HLT:
        return "HLT";
    case KVM_EXIT_IO:
        return "a port access";
    default:
        return fmt::format("KVM exit {}", reason);
    }
}

struct ProbeVm {
    UniqueFd vm;
    UniqueFd vcpu;
    kvm_run* run = nullptr;
    std::size_t run_size = 0;
    std::byte* mem = nullptr;
    UniqueFd irq_fd;

    ~ProbeVm() {
        if (run != nullptr) {
            ::munmap(run, run_size);
        }
        if (mem != nullptr) {
            ::munmap(mem, kMemSize);
        }
    }
    template <class T>
    T* at(std::uint64_t gpa) {
        return reinterpret_cast<T*>(mem + gpa);
    }
    std::uint64_t load(std::uint64_t gpa) {
        return __atomic_load_n(at<std::uint64_t>(gpa), __ATOMIC_ACQUIRE);
    }
};

// Builds the VM; returns an empty string or what failed.
std::string build(int kvm_fd, ProbeVm& p) {
    p.vm.reset(::ioctl(kvm_fd, KVM_CREATE_VM, 0));
    if (!p.vm.valid()) {
        return fmt::format("KVM_CREATE_VM: {}", std::strerror(errno));
    }
    if (auto err = create_irqchip(p.vm.get()); !err.empty()) {
        return err;
    }
    void* m = ::mmap(nullptr, kMemSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        return fmt::format("mmap: {}", std::strerror(errno));
    }
    p.mem = static_cast<std::byte*>(m);
    kvm_userspace_memory_region region{};
    region.slot = 0;
    region.guest_phys_addr = 0;
    region.memory_size = kMemSize;
    region.userspace_addr = reinterpret_cast<std::uint64_t>(p.mem);
    if (::ioctl(p.vm.get(), KVM_SET_USER_MEMORY_REGION, &region) != 0) {
        return fmt::format("KVM_SET_USER_MEMORY_REGION: {}", std::strerror(errno));
    }
    p.vcpu.reset(::ioctl(p.vm.get(), KVM_CREATE_VCPU, 0UL));
    if (!p.vcpu.valid()) {
        return fmt::format("KVM_CREATE_VCPU: {}", std::strerror(errno));
    }
    const int size = ::ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    void* r = size > 0 ? ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ | PROT_WRITE,
                                MAP_SHARED, p.vcpu.get(), 0)
                       : MAP_FAILED;
    if (r == MAP_FAILED) {
        return fmt::format("mmap of kvm_run: {}", std::strerror(errno));
    }
    p.run = static_cast<kvm_run*>(r);
    p.run_size = static_cast<std::size_t>(size);
    if (auto err = enable_lapic(p.vcpu.get()); !err.empty()) {
        return err;
    }
    auto irq = bind_upcall_irqfd(p.vm.get());
    if (!irq.error.empty()) {
        return irq.error;
    }
    p.irq_fd = std::move(irq.fd);

    // Page tables: 0 .. 1 MiB identity, user, writable.
    auto* pml4 = p.at<std::uint64_t>(kPml4);
    auto* pdpt = p.at<std::uint64_t>(kPdpt);
    auto* pd = p.at<std::uint64_t>(kPd);
    auto* pt = p.at<std::uint64_t>(kPt);
    const std::uint64_t table = kPteP | kPteRw | kPteUser;
    pml4[0] = kPdpt | table;
    pdpt[0] = kPd | table;
    pd[0] = kPt | table;
    for (std::uint64_t i = 0; i < kMemSize / 4096; ++i) {
        pt[i] = i * 4096 | table;
    }

    write_gdt(p.at<std::byte>(kGdt), kTss);
    write_idt_gate(p.at<std::byte>(kIdt), kVector, kCode + kHandlerOffset);
    std::memcpy(p.at<std::byte>(kCode), kGuestCode, sizeof kGuestCode);

    kvm_sregs sregs{};
    if (::ioctl(p.vcpu.get(), KVM_GET_SREGS, &sregs) != 0) {
        return fmt::format("KVM_GET_SREGS: {}", std::strerror(errno));
    }
    set_cpl3_segments(sregs, kGdt, kIdt, kTss, 0x67);
    sregs.cr0 = 0x80010033; // PE MP ET NE WP PG
    sregs.cr4 = 0x620;      // PAE OSFXSR OSXMMEXCPT
    sregs.efer = 0xd00;     // LME LMA NXE
    sregs.cr3 = kPml4;
    if (::ioctl(p.vcpu.get(), KVM_SET_SREGS, &sregs) != 0) {
        return fmt::format("KVM_SET_SREGS: {}", std::strerror(errno));
    }
    kvm_regs regs{};
    regs.rip = kCode;
    regs.rsp = kStackTop;
    regs.rflags = 0x3202; // IOPL 3, IF
    if (::ioctl(p.vcpu.get(), KVM_SET_REGS, &regs) != 0) {
        return fmt::format("KVM_SET_REGS: {}", std::strerror(errno));
    }
    return {};
}

} // namespace

IrqProbe probe_cpl3_irq(const std::string& device_path) {
    IrqProbe out;
    const std::string path = device_path.empty() ? kvm_device_path() : device_path;
    UniqueFd kvm(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!kvm.valid()) {
        out.detail = fmt::format("cannot open {}: {}", path, std::strerror(errno));
        return out;
    }
    ProbeVm p;
    if (auto err = build(kvm.get(), p); !err.empty()) {
        out.detail = "setting up the probe VM failed: " + err;
        return out;
    }
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGUSR2, &sa, nullptr);

    std::atomic<bool> stop{false};
    std::atomic<bool> ended{false};
    std::uint32_t exit_reason = 0;
    int run_errno = 0;
    const pthread_t* thread_ptr = nullptr;
    pthread_t thread_id{};
    std::thread t([&] {
        thread_id = pthread_self();
        while (!stop.load()) {
            if (::ioctl(p.vcpu.get(), KVM_RUN, 0) != 0) {
                if (errno == EINTR || errno == EAGAIN) {
                    continue;
                }
                run_errno = errno;
                break;
            }
            if (p.run->exit_reason == KVM_EXIT_INTR) {
                continue;
            }
            exit_reason = p.run->exit_reason;
            break;
        }
        ended.store(true);
    });
    thread_ptr = &thread_id;
    const auto wait_for = [&](auto pred, std::chrono::milliseconds limit) {
        const auto until = Clock::now() + limit;
        while (!pred() && !ended.load() && Clock::now() < until) {
            // Sleeps, not spins: on a 2-CPU host a spinning waiter delays the
            // kernel's irqfd work by a tick (milliseconds).
            std::this_thread::sleep_for(std::chrono::microseconds(10));
        }
        return pred();
    };
    const bool started =
        wait_for([&] { return p.load(kData + 0x18) != 0; }, std::chrono::milliseconds(2000));
    if (started) {
        for (std::uint32_t i = 0; i < kInjections; ++i) {
            const auto t0 = Clock::now();
            const std::uint64_t one = 1;
            (void)::write(p.irq_fd.get(), &one, sizeof one);
            ++out.injected;
            const bool got =
                wait_for([&] { return p.load(kData) > i; }, std::chrono::milliseconds(1000));
            const double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
            if (!got) {
                break;
            }
            out.max_wait_us = us > out.max_wait_us ? us : out.max_wait_us;
        }
    }
    out.handled = static_cast<std::uint32_t>(p.load(kData));
    stop.store(true);
    __atomic_store_n(&p.run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    while (!ended.load()) {
        ::pthread_kill(*thread_ptr, SIGUSR2);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    t.join();
    kvm_regs regs{};
    (void)::ioctl(p.vcpu.get(), KVM_GET_REGS, &regs);
    const std::uint64_t handler_cs = p.load(kData + 8);
    const std::string where =
        fmt::format("guest rip {:#x}, rflags {:#x} after it", regs.rip, regs.rflags) +
        (exit_reason != 0 ? ", ended by " + exit_name(exit_reason) : std::string()) +
        (run_errno != 0 ? fmt::format(", KVM_RUN failed: {}", std::strerror(run_errno))
                        : std::string());
    if (!started) {
        out.detail = "the probe guest never ran its first instruction (" + where + ")";
    } else if (out.handled == 0) {
        out.detail = fmt::format(
            "an irqfd-injected vector {:#x} (virtual PIC, auto-EOI) never reached the guest's "
            "CPL3 IDT handler within 1 s ({})",
            kVector, where);
    } else if (out.handled < out.injected || out.injected < kInjections) {
        out.detail = fmt::format(
            "only {} of {} injected vectors reached the CPL3 handler (handler CS {:#x}; {})",
            out.handled, out.injected, handler_cs, where);
    } else {
        out.delivered = true;
        out.detail = fmt::format(
            "{} irqfd-injected vectors (virtual PIC, auto-EOI) reached the CPL3 handler "
            "through a DPL 3 trap gate (handler CS {:#x}, interrupted CS {:#x}); slowest {:.0f} "
            "us from the eventfd write to the handler",
            out.handled, handler_cs, p.load(kData + 0x10), out.max_wait_us);
    }
    return out;
}

const IrqProbe& cpl3_irq_support() {
    static const IrqProbe probe = probe_cpl3_irq();
    return probe;
}

} // namespace enso::kvm
