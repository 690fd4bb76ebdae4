// The instructions IOPL governs (cli, sti, in, out), emulated for a Xen PV
// guest as Xen does: its kernel runs at ring 3 with the real IOPL 0, so each
// faults (#GP(0)) to the monitor, which admits it when the virtual CPL
// (kernel 1, or 0 under VMASST_TYPE_architectural_iopl; user 3) is at most
// the virtual IOPL. cli and sti set and clear the event mask, as Xen maps
// them; the guest has no I/O ports, so `in` reads all ones and `out` is
// dropped, as Xen treats a port a domain was not given.
#include "hvcore/kvm/monitor.hpp"
#include "hvcore/kvm/x86_operand.hpp"

#include <array>

namespace enso::kvm {

bool Monitor::emulate_iopl_insn(GuestDomain& g, std::uint64_t rip) {
    std::array<std::uint8_t, 16> code{};
    if (!read_guest(g, rip, code)) {
        return false;
    }
    const X86Prefixes p = decode_prefixes(code.data(), code.size());
    const std::uint8_t op = code[p.length];
    std::size_t length = p.length + 1;
    const bool cli_sti = op == 0xfa || op == 0xfb;
    const bool in_imm = op == 0xe4 || op == 0xe5;
    const bool out_imm = op == 0xe6 || op == 0xe7;
    const bool in_dx = op == 0xec || op == 0xed;
    const bool out_dx = op == 0xee || op == 0xef;
    if (!cli_sti && !in_imm && !out_imm && !in_dx && !out_dx) {
        return false;
    }
    const unsigned cpl = g.pv.kernel_mode ? (g.pv.architectural_iopl ? 0 : 1) : 3;
    if (cpl > g.pv.iopl) {
        return false; // the #GP(0) it raised is the guest's
    }
    auto& regs = g.vcpu->regs();
    if (cli_sti) {
        __atomic_store_n(g.upcall_mask, op == 0xfa ? 1 : 0, __ATOMIC_SEQ_CST);
    } else if (in_imm || in_dx) {
        const bool byte = op == 0xe4 || op == 0xec;
        const std::uint64_t ones = byte ? 0xff : p.operand_size ? 0xffff : 0xffffffff;
        regs.rax = byte || p.operand_size ? (regs.rax & ~ones) | ones : ones;
    }
    if (in_imm || out_imm) {
        ++length; // the port byte
    }
    regs.rip = rip + length;
    return true;
}

} // namespace enso::kvm
