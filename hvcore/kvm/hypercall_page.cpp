#include "hvcore/kvm/hypercall_page.hpp"

#include "hvcore/abi/emulated_disk.hpp"
#include "hvcore/abi/exitless_slot.hpp"
#include "hvcore/abi/guest_layout.hpp"
#include "hvcore/abi/hypercall_ports.hpp"
#include "hvcore/kvm/irq_setup.hpp"

#include <xen/xen.h>

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <vector>

namespace enso::kvm {

namespace {

// Appends machine code at a cursor; rel8 jumps are patched by label.
class Emitter {
public:
    Emitter(HypercallPage& page, std::size_t at) : page_(page), at_(at) {}
    void bytes(std::initializer_list<std::uint8_t> b) {
        for (auto x : b) {
            page_.at(at_++) = x;
        }
    }
    void imm32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) {
            bytes({static_cast<std::uint8_t>(v >> (8 * i))});
        }
    }
    void imm64(std::uint64_t v) {
        imm32(static_cast<std::uint32_t>(v));
        imm32(static_cast<std::uint32_t>(v >> 32));
    }
    [[nodiscard]] std::size_t here() const { return at_; }
    // A short jump (opcode given) whose target is patched later.
    std::size_t jump8(std::uint8_t opcode) {
        bytes({opcode, 0});
        return at_ - 1;
    }
    void patch8(std::size_t field, std::size_t target) {
        page_.at(field) = static_cast<std::uint8_t>(static_cast<std::ptrdiff_t>(target) -
                                                    static_cast<std::ptrdiff_t>(field + 1));
    }
    void jump8_to(std::uint8_t opcode, std::size_t target) { patch8(jump8(opcode), target); }

private:
    HypercallPage& page_;
    std::size_t at_;
};

constexpr std::uint8_t kOut = 0xe7; // out %eax, $imm8
constexpr std::uint8_t kJe = 0x74;
constexpr std::uint8_t kJne = 0x75;
constexpr std::uint8_t kJmp = 0xeb;

// Offsets into abi::ExitlessSlot, as the code below addresses them.
constexpr std::uint8_t kReqSeq = offsetof(abi::ExitlessSlot, req_seq);
constexpr std::uint8_t kNr = offsetof(abi::ExitlessSlot, nr);
constexpr std::uint8_t kArg0 = offsetof(abi::ExitlessSlot, args);
constexpr std::uint8_t kRespSeq = offsetof(abi::ExitlessSlot, resp_seq);
constexpr std::uint8_t kResult = offsetof(abi::ExitlessSlot, result);
constexpr std::uint8_t kAsleep = offsetof(abi::ExitlessSlot, poller_asleep);
constexpr std::uint8_t kVcpuWork = offsetof(abi::ExitlessSlot, vcpu_work);
static_assert(kReqSeq == 0);

void emit_exitless_common(Emitter& e, std::uint64_t slot_va) {
    e.bytes({0x49, 0xbb}); // movabs $slot_va, %r11
    e.imm64(slot_va);
    e.bytes({0x49, 0x89, 0x43, kNr});                                   // mov %rax, nr(%r11)
    e.bytes({0x49, 0x89, 0x7b, static_cast<std::uint8_t>(kArg0 + 0)});  // mov %rdi
    e.bytes({0x49, 0x89, 0x73, static_cast<std::uint8_t>(kArg0 + 8)});  // mov %rsi
    e.bytes({0x49, 0x89, 0x53, static_cast<std::uint8_t>(kArg0 + 16)}); // mov %rdx
    e.bytes({0x4d, 0x89, 0x53, static_cast<std::uint8_t>(kArg0 + 24)}); // mov %r10
    e.bytes({0x4d, 0x89, 0x43, static_cast<std::uint8_t>(kArg0 + 32)}); // mov %r8
    e.bytes({0x49, 0x8b, 0x03});                // mov (%r11), %rax      (req_seq)
    e.bytes({0x48, 0xff, 0xc0});                // inc %rax
    e.bytes({0x49, 0x89, 0x03});                // mov %rax, (%r11)      publish the call
    e.bytes({0x0f, 0xae, 0xf0});                // mfence: the store above before the load below
    e.bytes({0x41, 0x83, 0x7b, kAsleep, 0x00}); // cmpl $0, poller_asleep(%r11)
    const auto awake = e.jump8(kJe);
    e.bytes({kOut, abi::kPortExitlessKick}); // wake the poller, in the kernel
    e.patch8(awake, e.here());
    const auto spin = e.here();
    e.bytes({0xb9}); // mov $budget, %ecx
    e.imm32(abi::kExitlessSpinBudget);
    const auto poll = e.here();
    e.bytes({0x49, 0x3b, 0x43, kRespSeq}); // cmp resp_seq(%r11), %rax
    const auto answered = e.jump8(kJe);
    e.bytes({0xf3, 0x90}); // pause
    e.bytes({0xff, 0xc9}); // dec %ecx
    e.jump8_to(kJne, poll);
    e.bytes({kOut, abi::kPortExitlessWait}); // late: sleep in the monitor until answered
    e.jump8_to(kJmp, spin);
    e.patch8(answered, e.here());
    e.bytes({0x41, 0x8b, 0x4b, kVcpuWork}); // mov vcpu_work(%r11), %ecx
    e.bytes({0x85, 0xc9});                  // test %ecx, %ecx
    const auto no_work = e.jump8(kJe);
    e.bytes({kOut, abi::kPortExitlessWait}); // the vCPU thread has work (a new CR3)
    e.patch8(no_work, e.here());
    e.bytes({0x49, 0x8b, 0x43, kResult}); // mov result(%r11), %rax
    e.bytes({0xc3});                      // ret
}

} // namespace

HypercallPage make_hypercall_page(abi::Transport transport, std::uint64_t slot_va) {
    HypercallPage page{};
    page.fill(0xcc); // int3: a stray jump into the page faults, ending the guest
    constexpr std::size_t common = std::size_t{abi::kStubCommonEntry} * abi::kStubSize;
    for (std::uint32_t nr = 0; nr < abi::kStubCommonEntry; ++nr) {
        Emitter e(page, std::size_t{nr} * abi::kStubSize);
        e.bytes({0xb8}); // mov $nr, %eax
        e.imm32(nr);
        if (transport == abi::kTransportTrap) {
            e.bytes({kOut, abi::kPortHypercall});
            e.bytes({0xc3}); // ret
        } else {
            e.bytes({0xe9}); // jmp rel32 common
            const auto next = static_cast<std::int64_t>(e.here() + 4);
            e.imm32(static_cast<std::uint32_t>(static_cast<std::int64_t>(common) - next));
        }
    }
    if (transport == abi::kTransportExitless) {
        Emitter e(page, common);
        emit_exitless_common(e, slot_va);
    }
    write_io_tss(page.data() + abi::kTssOffset);
    // The GDT an upcall's IDT gate and IRETQ read, and an IDT with no gate
    // present until the guest registers its handler (irq_setup.hpp).
    auto* bytes = reinterpret_cast<std::byte*>(page.data());
    std::fill(page.data() + abi::kIdtOffset, page.data() + abi::kIdtOffset + abi::kIdtLimit + 1,
              std::uint8_t{0});
    write_gdt(bytes + abi::kGdtOffset, abi::kHypercallPageVa + abi::kTssOffset, abi::kTssLimit);
    return page;
}

// A 64-bit TSS whose I/O bitmap allows only the monitor's ports (a set bit
// denies a port; the byte past the bitmap must be all ones).
void write_io_tss(std::uint8_t* tss, std::span<const std::uint8_t> extra_ports) {
    std::fill(tss, tss + abi::kTssLimit + 1, std::uint8_t{0});
    tss[0x66] = static_cast<std::uint8_t>(abi::kTssIoBitmapOffset);
    tss[0x67] = static_cast<std::uint8_t>(abi::kTssIoBitmapOffset >> 8);
    std::uint8_t* bitmap = tss + abi::kTssIoBitmapOffset;
    std::fill(bitmap, bitmap + 256 / 8 + 1, std::uint8_t{0xff});
    const auto open = [bitmap](unsigned port) {
        for (unsigned p = port; p < port + 4U; ++p) { // 4-byte `out`
            bitmap[p / 8] = static_cast<std::uint8_t>(bitmap[p / 8] & ~(1U << (p % 8)));
        }
    };
    for (std::uint8_t port :
         {abi::kPortHypercall, abi::kPortExitlessKick, abi::kPortExitlessWait, abi::kPortFloor}) {
        open(port);
    }
    for (unsigned ring = 0; ring < abi::kMaxKickRings; ++ring) {
        open(abi::kPortRingKick + 4 * ring);
    }
    // The emulated disk's registers (the full-virtualization baseline).
    for (unsigned reg = 0; reg < abi::kEmuRegisters; ++reg) {
        open(abi::kPortEmuFirst + 4 * reg);
    }
    for (std::uint8_t port : extra_ports) {
        bitmap[port / 8] = static_cast<std::uint8_t>(bitmap[port / 8] & ~(1U << (port % 8)));
    }
}

HypercallPage make_xen_hypercall_page(abi::Transport transport, std::uint64_t common_va) {
    HypercallPage page{};
    page.fill(0xcc);
    for (std::uint32_t nr = 0; nr < page.size() / abi::kStubSize; ++nr) {
        Emitter e(page, std::size_t{nr} * abi::kStubSize);
        if (nr == __HYPERVISOR_iret) {
            e.bytes({0x51, 0x41, 0x53, 0x50}); // push %rcx; push %r11; push %rax
        }
        if (transport == abi::kTransportExitless && nr != __HYPERVISOR_iret) {
            // Xen's stubs keep rcx and r11 (guests such as XTF rely on it),
            // which the common code uses: saved around the call, as Xen's
            // stubs save them around SYSCALL.
            e.bytes({0x51, 0x41, 0x53}); // push %rcx; push %r11
            e.bytes({0xb8});             // mov $nr, %eax
            e.imm32(nr);
            e.bytes({0x49, 0xbb}); // movabs $common, %r11
            e.imm64(common_va);
            e.bytes({0x41, 0xff, 0xd3}); // call *%r11
            e.bytes({0x41, 0x5b, 0x59}); // pop %r11; pop %rcx
            e.bytes({0xc3});             // ret
            continue;
        }
        e.bytes({0xb8}); // mov $nr, %eax
        e.imm32(nr);
        e.bytes({kOut, abi::kPortHypercall});
        if (nr != __HYPERVISOR_iret) {
            e.bytes({0xc3}); // ret
        }
    }
    return page;
}

std::vector<std::uint8_t> exitless_common_code(std::uint64_t slot_va) {
    HypercallPage scratch{};
    Emitter e(scratch, 0);
    emit_exitless_common(e, slot_va);
    return {scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(e.here())};
}

} // namespace enso::kvm
