// Decoding of the few x86-64 instruction forms the monitor must look into
// when a Xen PV guest faults: prefixes, and a ModRM memory operand's
// effective address and base register. Not an emulator: a form it does not
// know is reported as such and the fault is delivered as it came.
#pragma once

#include <linux/kvm.h>

#include <cstddef>
#include <cstdint>

namespace enso::kvm {

// General-purpose register n (0 rax ... 15 r15) as the ModRM/SIB number it.
__u64& gpr(kvm_regs& r, unsigned n);

// Legacy and REX prefixes before the opcode.
struct X86Prefixes {
    std::size_t length = 0;
    std::uint8_t segment = 0; // 0x26 es, 0x2e cs, 0x36 ss, 0x3e ds, 0x64 fs, 0x65 gs; 0 none
    std::uint8_t rex = 0;
    bool operand_size = false; // 0x66
};
X86Prefixes decode_prefixes(const std::uint8_t* code, std::size_t n);

// A ModRM memory operand.
struct MemOperand {
    std::uint64_t address = 0; // effective address, no segment base
    std::size_t length = 0;    // ModRM, SIB and displacement bytes
    int base = -1;             // base register, -1 for none (absolute or rip-relative)
};
// `code` points at the ModRM byte; `next_rip_base` is the address of that
// byte (rip-relative forms add the length). False for a register operand.
bool decode_mem_operand(kvm_regs& r, const std::uint8_t* code, std::uint8_t rex,
                        std::uint64_t next_rip_base, MemOperand& out);

// Whether a 64-bit mode memory access goes through %ss: %fs and %gs
// overrides count, the other overrides are ignored, and with none the
// stack segment is the default exactly for a %rsp or %rbp base.
bool references_stack_segment(const X86Prefixes& p, const MemOperand& m);

} // namespace enso::kvm
