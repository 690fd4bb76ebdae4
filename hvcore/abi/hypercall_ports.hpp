// I/O ports the guest uses to reach the monitor. The guest runs at CPL3 with
// IOPL 3, so a port write is its only way to exit; each port has one meaning.
// All are below 256 so `out %eax, $port` needs no register but rax.
#pragma once

#include <stdint.h>

namespace enso::abi {

// Trap transport: `mov $nr, %eax; out %eax, $kPortHypercall`. Arguments are in
// Xen's registers (rdi, rsi, rdx, r10, r8), the result comes back in rax.
inline constexpr uint8_t kPortHypercall = 0xd0;
// Exitless transport: the poller is asleep; wake it (an ioeventfd, handled in
// the kernel - the vCPU does not return to user space).
inline constexpr uint8_t kPortExitlessKick = 0xd4;
// Exitless transport: the answer has not come within the spin budget, or it
// says the vCPU has work to pick up (a new CR3): exit and let the vCPU thread
// wait for it.
inline constexpr uint8_t kPortExitlessWait = 0xd8;
// A bare exit that the monitor answers without touching the core.
inline constexpr uint8_t kPortFloor = 0xdc;
// Split-driver kicks: a front end tells its back end a ring has work. Each
// is an ioeventfd the back end registered (handled in the kernel, no exit to
// user space); up to 8 rings per domain, ports kPortRingKick + 4 * ring.
inline constexpr uint8_t kPortRingKick = 0xe0;
inline constexpr uint32_t kMaxKickRings = 8;

// The hypercall number the monitor answers at once with 0, without the core:
// through the trap stub it is the exit floor, through the exitless stub the
// ring floor. Unused by Xen (its numbers stop at 55).
inline constexpr uint32_t kFloorHypercall = 63;

// The hypercall page holds one 32-byte stub per hypercall number, as Xen's;
// entries from kStubCommonEntry on hold the transport's shared code.
inline constexpr uint32_t kStubSize = 32;
inline constexpr uint32_t kStubCommonEntry = 64;

// The vCPU's task-state segment sits in the hypercall page's tail: its I/O
// bitmap opens exactly the ports above. PVM ignores IOPL and checks the
// bitmap; on VMX/SVM, IOPL 3 already allows the ports.
inline constexpr uint32_t kTssOffset = 0xf00;
inline constexpr uint32_t kTssIoBitmapOffset = 0x68;                // right after the 104-byte TSS
inline constexpr uint32_t kTssLimit = kTssIoBitmapOffset + 256 / 8; // ports 0-255, then 0xff

// Event upcalls as interrupts (HYPERVISOR_callback_op, CALLBACKTYPE_event):
// the monitor's GDT and IDT for the vCPU sit in the hypercall page too,
// loaded once the guest registers its handler. The guest maps that page
// read-only, but it owns the frame and may map it writable through
// mmu_update, so it can rewrite them (and the TSS) and reach ring 0 of its
// own VM. That stays inside its memslots (the frames it owns, grants as
// mapped), which are the isolation on KVM; it does bypass the PV MMU for
// its own tables. Xen gives such frames a segment-descriptor type that no
// writable mapping can take: not built here. The IDT holds gates 0..kUpcallVector; only the
// upcall's is present (any exception still ends the guest).
inline constexpr uint32_t kUpcallVector = 0x23; // the virtual PIC's pin 3, irq_base 0x20
inline constexpr uint32_t kIdtOffset = 0xc00;
inline constexpr uint32_t kIdtLimit = 16 * (kUpcallVector + 1) - 1;
inline constexpr uint32_t kGdtOffset = 0xe80;
inline constexpr uint32_t kGdtLimit = 0x4f; // entries 0-9: user data, user code, the TSS
static_assert(kIdtOffset + kIdtLimit < kGdtOffset && kGdtOffset + kGdtLimit < kTssOffset);

} // namespace enso::abi
