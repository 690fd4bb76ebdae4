// What Enso adds to a Xen PV guest's address space (XTF's and other
// unmodified PV kernels): the monitor's exception machinery at a fixed
// address in the lower half (this host keeps the upper half, where Xen
// lives, from CPL3), in L4 slot 254 (XTF's tests use slot 255, the lower
// canonical boundary), and the ports its trampolines exit through.
#pragma once

#include <stdint.h>

namespace enso::abi {

// Frame 1 of the machinery: exception trampolines (from offset 0), the TSS
// with its I/O bitmap, the GDT. Frame 2: a 256-gate IDT. Frame 3: the stack
// every gate switches to (IST 1), so that an exception is taken whatever
// the guest's own stack pointer holds, as Xen takes it on its own stack.
inline constexpr uint64_t kXenPvMachineryVa = 0x00007f0000000000; // L4 slot 254
inline constexpr uint64_t kXenPvIdtVa = kXenPvMachineryVa + 0x1000;
inline constexpr uint64_t kXenPvIstVa = kXenPvMachineryVa + 0x2000;
inline constexpr uint32_t kXenPvMachineryPages = 3;
// Over the exitless transport: the common code of the hypercall stubs in
// frame 1 (between the trampolines and the GDT), and the domain's
// shared_info frame mapped writable after the machinery, for its slot (a
// Xen PV kernel maps shared_info wherever it likes, or not at all).
inline constexpr uint32_t kXenPvExitlessCommonOffset = 0x100;
inline constexpr uint64_t kXenPvSharedInfoVa = kXenPvMachineryVa + 0x3000;
inline constexpr uint32_t kXenPvIdtLimit = 256 * 16 - 1;

// Trampoline v (v < 32) is `out %al, $(kPortException + v)` at 4 * v: one
// exit naming the vector, every register as the exception left it.
inline constexpr uint8_t kPortException = 0x60;
inline constexpr uint32_t kExceptionVectors = 32;
inline constexpr uint32_t kTrampolineBytes = 4;

} // namespace enso::abi
