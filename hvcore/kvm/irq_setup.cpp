#include "hvcore/kvm/irq_setup.hpp"

#include <fmt/format.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

namespace enso::kvm {

namespace {

constexpr std::uint32_t kApicTpr = 0x80;
constexpr std::uint32_t kApicSvr = 0xf0;
constexpr std::uint32_t kApicLvt0 = 0x350;
constexpr std::uint32_t kLvtExtInt = 7U << 8; // delivery mode ExtINT, unmasked
constexpr std::uint32_t kSvrEnable = 1U << 8;

std::string errno_text(const char* what) {
    return fmt::format("{}: {}", what, std::strerror(errno));
}

void put64(std::byte* at, std::uint64_t v) {
    std::memcpy(at, &v, sizeof v);
}

} // namespace

std::string create_irqchip(int vm_fd) {
    if (::ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0) != 0) {
        return errno_text("KVM_CREATE_IRQCHIP");
    }
    return {};
}

std::string enable_lapic(int vcpu_fd) {
    kvm_lapic_state lapic{};
    if (::ioctl(vcpu_fd, KVM_GET_LAPIC, &lapic) != 0) {
        return errno_text("KVM_GET_LAPIC");
    }
    const std::uint32_t svr = kSvrEnable | 0xff;
    const std::uint32_t tpr = 0;
    std::memcpy(lapic.regs + kApicSvr, &svr, sizeof svr);
    std::memcpy(lapic.regs + kApicTpr, &tpr, sizeof tpr);
    std::memcpy(lapic.regs + kApicLvt0, &kLvtExtInt, sizeof kLvtExtInt);
    if (::ioctl(vcpu_fd, KVM_SET_LAPIC, &lapic) != 0) {
        return errno_text("KVM_SET_LAPIC");
    }
    return {};
}

IrqFd bind_upcall_irqfd(int vm_fd) {
    IrqFd out;
    kvm_irqchip chip{};
    chip.chip_id = KVM_IRQCHIP_PIC_MASTER;
    if (::ioctl(vm_fd, KVM_GET_IRQCHIP, &chip) != 0) {
        out.error = errno_text("KVM_GET_IRQCHIP (PIC)");
        return out;
    }
    auto& pic = chip.chip.pic;
    pic.irq_base = kUpcallPicBase;
    pic.imr = static_cast<std::uint8_t>(~(1U << kUpcallPicPin));
    pic.irr = 0;
    pic.isr = 0;
    pic.auto_eoi = 1;
    pic.init_state = 0;
    pic.init4 = 1;
    pic.elcr = 0; // every pin edge-triggered
    if (::ioctl(vm_fd, KVM_SET_IRQCHIP, &chip) != 0) {
        out.error = errno_text("KVM_SET_IRQCHIP (PIC)");
        return out;
    }
    out.fd.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!out.fd.valid()) {
        out.error = errno_text("eventfd");
        return out;
    }
    kvm_irqfd irqfd{};
    irqfd.fd = static_cast<std::uint32_t>(out.fd.get());
    irqfd.gsi = kUpcallPicPin; // the default routing: GSI n < 16 is PIC pin n
    if (::ioctl(vm_fd, KVM_IRQFD, &irqfd) != 0) {
        out.error = errno_text("KVM_IRQFD");
        out.fd.reset(-1);
    }
    return out;
}

void write_gdt(std::byte* gdt, std::uint64_t tss_base, std::uint32_t tss_limit) {
    std::memset(gdt, 0, kGdtBytes);
    put64(gdt + kUserDataSelector / 8 * 8, 0x00cff3000000ffffULL); // data, DPL 3, accessed
    put64(gdt + kUserCodeSelector / 8 * 8, 0x00affb000000ffffULL); // code, L, DPL 3, accessed
    const std::uint64_t lo = (tss_limit & 0xffffULL) | ((tss_base & 0xffffffULL) << 16) |
                             (0x8bULL << 40) | ((std::uint64_t{tss_limit} >> 16 & 0xf) << 48) |
                             ((tss_base >> 24 & 0xff) << 56);
    put64(gdt + kTssSelector, lo); // busy 64-bit TSS, present, DPL 0
    put64(gdt + kTssSelector + 8, tss_base >> 32);
}

void write_idt_gate(std::byte* idt, std::uint8_t vector, std::uint64_t handler) {
    std::byte* g = idt + std::size_t{vector} * kIdtGateBytes;
    const std::uint64_t lo = (handler & 0xffff) | (std::uint64_t{kUserCodeSelector} << 16) |
                             (0xefULL << 40) | // present, DPL 3, 64-bit trap gate
                             ((handler >> 16 & 0xffff) << 48);
    put64(g, lo);
    put64(g + 8, handler >> 32);
}

void set_cpl3_segments(kvm_sregs& sregs, std::uint64_t gdt_base, std::uint64_t idt_base,
                       std::uint64_t tss_base, std::uint32_t tss_limit, std::uint16_t idt_limit) {
    kvm_segment code{};
    code.limit = 0xffffffff;
    code.selector = kUserCodeSelector;
    code.type = 11; // execute/read, accessed
    code.present = 1;
    code.dpl = 3;
    code.s = 1;
    code.l = 1;
    code.g = 1;
    kvm_segment data{};
    data.limit = 0xffffffff;
    data.selector = kUserDataSelector;
    data.type = 3; // read/write, accessed
    data.present = 1;
    data.dpl = 3;
    data.db = 1;
    data.s = 1;
    data.g = 1;
    sregs.cs = code;
    sregs.ss = data;
    sregs.ds = data;
    sregs.es = data;
    sregs.fs = data;
    sregs.gs = data;
    sregs.tr = {};
    sregs.tr.base = tss_base;
    sregs.tr.limit = tss_limit;
    sregs.tr.selector = kTssSelector;
    sregs.tr.type = 11; // busy 64-bit TSS
    sregs.tr.present = 1;
    sregs.ldt = {};
    sregs.ldt.unusable = 1;
    sregs.gdt = {gdt_base, static_cast<std::uint16_t>(kGdtBytes - 1), {}};
    sregs.idt = {idt_base, idt_limit, {}};
}

} // namespace enso::kvm
