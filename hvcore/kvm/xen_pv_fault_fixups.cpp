// Faults this platform reports differently from the architecture, put right
// before the guest sees them. PVM runs a guest's CPL3 code natively but
// delivers some faults through its own handling, and two differ from what
// hardware (and so Xen) gives a PV guest; XTF's memop-seg and xsa-298 tests
// observe both. Each correction re-derives the architectural result from
// the faulting instruction and leaves any form it does not decode alone.
#include "hvcore/kvm/monitor.hpp"
#include "hvcore/kvm/x86_operand.hpp"

#include <array>
#include <cpuid.h>

namespace enso::kvm {

namespace {

constexpr std::uint32_t kVectorSs = 12;
constexpr std::uint32_t kVectorGp = 13;
constexpr std::uint16_t kSelectorTi = 4; // the selector names the LDT
constexpr std::uint16_t kSelectorRplMask = 3;

bool amd_like() {
    unsigned a = 0, b = 0, c = 0, d = 0;
    __cpuid(0, a, b, c, d);
    return b == 0x68747541 /* "Auth"enticAMD */ || b == 0x6f677948 /* "Hygo"nGenuine */;
}

} // namespace

void Monitor::correct_platform_fault(GuestDomain& g, std::uint32_t& vector, std::uint64_t& error,
                                     std::uint64_t rip) {
    if ((vector != kVectorSs && vector != kVectorGp) || error != 0) {
        return;
    }
    auto& regs = g.vcpu->regs();
    std::array<std::uint8_t, 16> code{};
    if (!read_guest(g, rip, code)) {
        return;
    }
    const X86Prefixes p = decode_prefixes(code.data(), code.size());
    const std::size_t op = p.length;
    // A non-canonical access: 64-bit mode ignores an %ss override, so only a
    // %rsp or %rbp base makes it an #SS; this platform reports #SS for any access
    // with the override. Forms: mov to/from memory (88-8b, c6, c7) and
    // movabs (a0-a3, never through %ss without an override that is ignored).
    if (vector == kVectorSs && p.segment == 0x36) {
        const std::uint8_t opcode = code[op];
        MemOperand m;
        const bool modrm_form =
            (opcode >= 0x88 && opcode <= 0x8b) || opcode == 0xc6 || opcode == 0xc7;
        if ((opcode >= 0xa0 && opcode <= 0xa3) ||
            (modrm_form && decode_mem_operand(regs, code.data() + op + 1, p.rex, rip + op + 1, m) &&
             !references_stack_segment(p, m))) {
            vector = kVectorGp;
        }
        return;
    }
    // A far call or jump through an LDT selector while the guest has no LDT
    // (Enso gives PV guests none): the selector is outside the table, which
    // is #GP(selector); this platform reports #GP(0). The far pointer is m16:64 with
    // REX.W on Intel, m16:32 on AMD, which ignores REX.W here.
    if (vector == kVectorGp && code[op] == 0xff) {
        const unsigned reg = (code[op + 1] >> 3) & 7;
        MemOperand m;
        if ((reg != 3 && reg != 5) ||
            !decode_mem_operand(regs, code.data() + op + 1, p.rex, rip + op + 1, m)) {
            return;
        }
        const std::uint64_t offset_bytes =
            p.operand_size ? 2 : ((p.rex & 8) != 0 && !amd_like() ? 8 : 4);
        std::uint16_t selector = 0;
        if (read_guest(g, m.address + offset_bytes, selector) && (selector & kSelectorTi) != 0) {
            error = selector & ~kSelectorRplMask;
        }
    }
}

} // namespace enso::kvm
