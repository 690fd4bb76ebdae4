// Decoding of prefixes and ModRM memory operands (see x86_operand.hpp).
#include "hvcore/kvm/x86_operand.hpp"

#include <cstring>

namespace enso::kvm {

__u64& gpr(kvm_regs& r, unsigned n) {
    __u64* regs[16] = {&r.rax, &r.rcx, &r.rdx, &r.rbx, &r.rsp, &r.rbp, &r.rsi, &r.rdi,
                       &r.r8,  &r.r9,  &r.r10, &r.r11, &r.r12, &r.r13, &r.r14, &r.r15};
    return *regs[n & 15];
}

X86Prefixes decode_prefixes(const std::uint8_t* code, std::size_t n) {
    X86Prefixes p;
    while (p.length < n) {
        const std::uint8_t b = code[p.length];
        if (b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65) {
            p.segment = b;
        } else if (b == 0x66) {
            p.operand_size = true;
        } else if (b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3) {
            // address size, lock, rep: nothing the callers look at
        } else if ((b & 0xf0) == 0x40) {
            p.rex = b; // REX counts only as the last prefix
            ++p.length;
            break;
        } else {
            break;
        }
        ++p.length;
    }
    return p;
}

namespace {
std::int64_t disp32(const std::uint8_t* at) {
    std::int32_t d = 0;
    std::memcpy(&d, at, 4);
    return d;
}
} // namespace

bool decode_mem_operand(kvm_regs& r, const std::uint8_t* code, std::uint8_t rex,
                        std::uint64_t next_rip_base, MemOperand& out) {
    const std::uint8_t modrm = code[0];
    const unsigned mod = modrm >> 6;
    const unsigned rm = modrm & 7;
    if (mod == 3) {
        return false;
    }
    std::size_t at = 1;
    std::uint64_t address = 0;
    int base = -1;
    bool rip_relative = false;
    if (rm == 4) {
        const std::uint8_t sib = code[at++];
        const unsigned scale = sib >> 6;
        const unsigned index = ((sib >> 3) & 7) | ((rex & 2) != 0 ? 8 : 0);
        if (index != 4) {
            address += gpr(r, index) << scale;
        }
        if ((sib & 7) == 5 && mod == 0) {
            address += static_cast<std::uint64_t>(disp32(code + at));
            at += 4;
        } else {
            base = static_cast<int>((sib & 7) | ((rex & 1) != 0 ? 8 : 0));
            address += gpr(r, static_cast<unsigned>(base));
        }
    } else if (rm == 5 && mod == 0) {
        rip_relative = true;
        address = static_cast<std::uint64_t>(disp32(code + at));
        at += 4;
    } else {
        base = static_cast<int>(rm | ((rex & 1) != 0 ? 8 : 0));
        address = gpr(r, static_cast<unsigned>(base));
    }
    if (mod == 1) {
        address += static_cast<std::uint64_t>(
            static_cast<std::int64_t>(static_cast<std::int8_t>(code[at])));
        at += 1;
    } else if (mod == 2) {
        address += static_cast<std::uint64_t>(disp32(code + at));
        at += 4;
    }
    if (rip_relative) {
        address += next_rip_base + at;
    }
    out = {address, at, base};
    return true;
}

bool references_stack_segment(const X86Prefixes& p, const MemOperand& m) {
    if (p.segment == 0x64 || p.segment == 0x65) {
        return false;
    }
    return m.base == 4 || m.base == 5; // rsp, rbp (r12 and r13 are not)
}

} // namespace enso::kvm
