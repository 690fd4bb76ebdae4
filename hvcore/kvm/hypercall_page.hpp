// The hypercall page the domain builder writes into every guest: one 32-byte
// stub per hypercall number, as Xen's, so one guest binary runs over either
// transport. Stubs keep Xen's x86-64 calling convention: arguments in rdi,
// rsi, rdx, r10, r8, result in rax, rcx and r11 clobbered.
#pragma once

#include "hvcore/abi/command_page.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace enso::kvm {

using HypercallPage = std::array<std::uint8_t, 4096>;

// trap: `mov $nr, %eax; out %eax, $kPortHypercall; ret`.
// exitless: `mov $nr, %eax; jmp common`; common fills the vCPU's slot at
// slot_va, kicks a sleeping poller, spins for the answer and falls back to
// an exit (kPortExitlessWait) when it is late or the vCPU has work.
HypercallPage make_hypercall_page(abi::Transport transport, std::uint64_t slot_va);

// A Xen PV kernel's hypercall page, written where its ELF note says: 128
// stubs of 32 bytes, as Xen's, with Xen's iret stub (push %rcx, %r11,
// %rax, then the call; it does not return: the monitor restores the frame).
// trap: every stub exits. exitless: every stub but iret calls the common
// code at common_va (the page has no room for it), keeping rcx and r11 as
// Xen's stubs do; iret always exits, since only the vCPU's own thread may
// restore its registers.
HypercallPage make_xen_hypercall_page(abi::Transport transport = abi::kTransportTrap,
                                      std::uint64_t common_va = 0);

// The exitless transport's common code (position independent but for the
// slot's address), for a page other than the hypercall page.
std::vector<std::uint8_t> exitless_common_code(std::uint64_t slot_va);

// A 64-bit TSS at tss whose I/O bitmap allows only the monitor's ports and
// the given extra ones (single bytes), kTssLimit + 1 bytes long.
void write_io_tss(std::uint8_t* tss, std::span<const std::uint8_t> extra_ports = {});

} // namespace enso::kvm
