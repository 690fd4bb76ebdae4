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

namespace enso::kvm {

using HypercallPage = std::array<std::uint8_t, 4096>;

// trap: `mov $nr, %eax; out %eax, $kPortHypercall; ret`.
// exitless: `mov $nr, %eax; jmp common`; common fills the vCPU's slot at
// slot_va, kicks a sleeping poller, spins for the answer and falls back to
// an exit (kPortExitlessWait) when it is late or the vCPU has work.
HypercallPage make_hypercall_page(abi::Transport transport, std::uint64_t slot_va);

// A Xen PV kernel's hypercall page, written where its ELF note says: 128
// trap stubs of 32 bytes, as Xen's, with Xen's iret stub (push %rcx, %r11,
// %rax, then the call; it does not return: the monitor restores the frame).
HypercallPage make_xen_hypercall_page();

// A 64-bit TSS at tss whose I/O bitmap allows only the monitor's ports and
// the given extra ones (single bytes), kTssLimit + 1 bytes long.
void write_io_tss(std::uint8_t* tss, std::span<const std::uint8_t> extra_ports = {});

} // namespace enso::kvm
