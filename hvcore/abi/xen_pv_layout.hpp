// What Enso adds to a Xen PV guest's address space (XTF's and other
// unmodified PV kernels): the monitor's exception machinery, two frames
// mapped read-only at a fixed address the kernels Enso runs do not use, and
// the ports its trampolines exit through.
#pragma once

#include <stdint.h>

namespace enso::abi {

// Frame 1 of the machinery: exception trampolines (from offset 0), the TSS
// with its I/O bitmap, the GDT. Frame 2: a 256-gate IDT. Frame 3: the stack
// every gate switches to (IST 1), so that an exception is taken whatever
// the guest's own stack pointer holds, as Xen takes it on its own stack.
inline constexpr uint64_t kXenPvMachineryVa = 0x00007fffff000000;
inline constexpr uint64_t kXenPvIdtVa = kXenPvMachineryVa + 0x1000;
inline constexpr uint64_t kXenPvIstVa = kXenPvMachineryVa + 0x2000;
inline constexpr uint32_t kXenPvMachineryPages = 3;
inline constexpr uint32_t kXenPvIdtLimit = 256 * 16 - 1;

// Trampoline v (v < 32) is `out %al, $(kPortException + v)` at 4 * v: one
// exit naming the vector, every register as the exception left it.
inline constexpr uint8_t kPortException = 0x60;
inline constexpr uint32_t kExceptionVectors = 32;
inline constexpr uint32_t kTrampolineBytes = 4;

} // namespace enso::abi
