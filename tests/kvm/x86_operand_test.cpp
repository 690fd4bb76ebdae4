// The monitor's operand decoder: effective addresses, base registers and
// which segment a 64-bit access goes through, on the encodings XTF's
// memop-seg test uses (no /dev/kvm needed).
#include "hvcore/kvm/x86_operand.hpp"

#include <catch2/catch.hpp>

#include <vector>

namespace {

using enso::kvm::decode_mem_operand;
using enso::kvm::decode_prefixes;
using enso::kvm::MemOperand;
using enso::kvm::references_stack_segment;

struct Decoded {
    bool ok = false;
    MemOperand m;
    bool stack = false;
};

Decoded decode(const std::vector<std::uint8_t>& code, kvm_regs r = {}) {
    const auto p = decode_prefixes(code.data(), code.size());
    Decoded d;
    d.ok = decode_mem_operand(r, code.data() + p.length + 1, p.rex, 0x1000 + p.length + 1, d.m);
    d.stack = d.ok && references_stack_segment(p, d.m);
    return d;
}

} // namespace

TEST_CASE("x86 operand: the base register decides the default segment") {
    kvm_regs r{};
    r.rax = 0x100;
    r.rbp = 0x200;
    r.r13 = 0x300;
    // movb $0, %ss:(%rax): the override is ignored, so %ds
    auto d = decode({0x36, 0xc6, 0x00, 0x00}, r);
    REQUIRE(d.ok);
    CHECK(d.m.address == 0x100);
    CHECK(d.m.base == 0);
    CHECK_FALSE(d.stack);
    // movb $0, (%rbp): mod 01 with disp8 0, %ss by default
    d = decode({0xc6, 0x45, 0x00, 0x00}, r);
    REQUIRE(d.ok);
    CHECK(d.m.address == 0x200);
    CHECK(d.stack);
    // movb $0, (%r13): REX.B makes base 5 into r13, which is not %rbp
    d = decode({0x41, 0xc6, 0x45, 0x00, 0x00}, r);
    REQUIRE(d.ok);
    CHECK(d.m.address == 0x300);
    CHECK(d.m.base == 13);
    CHECK_FALSE(d.stack);
    // movb $0, %fs:(%rsp): an %fs override counts in 64-bit mode
    d = decode({0x64, 0xc6, 0x04, 0x24, 0x00}, r);
    REQUIRE(d.ok);
    CHECK(d.m.base == 4);
    CHECK_FALSE(d.stack);
    // movb $0, %es:(%rsp): an %es override does not
    d = decode({0x26, 0xc6, 0x04, 0x24, 0x00}, r);
    REQUIRE(d.ok);
    CHECK(d.stack);
}

TEST_CASE("x86 operand: rip-relative, SIB without base, and register operands") {
    kvm_regs r{};
    r.rcx = 0x10;
    // mov 0x20(%rip), %eax: the address counts from the next instruction
    auto d = decode({0x8b, 0x05, 0x20, 0x00, 0x00, 0x00}, r);
    REQUIRE(d.ok);
    CHECK(d.m.length == 5);
    CHECK(d.m.address == 0x1001 + 5 + 0x20);
    CHECK(d.m.base == -1);
    // mov 0x40(,%rcx,4), %eax: no base
    d = decode({0x8b, 0x04, 0x8d, 0x40, 0x00, 0x00, 0x00}, r);
    REQUIRE(d.ok);
    CHECK(d.m.address == 0x40 + 0x10 * 4);
    CHECK(d.m.base == -1);
    CHECK_FALSE(d.stack);
    // mov %ecx, %eax: no memory operand
    CHECK_FALSE(decode({0x8b, 0xc1}, r).ok);
}
