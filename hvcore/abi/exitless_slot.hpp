// The exitless transport's per-vCPU call slot. It lives in the unused tail of
// the domain's shared_info page: the core holds that page for the domain's
// whole life, so the poller never reads a frame the guest has given away.
#pragma once

#include <stdint.h>

namespace enso::abi {

struct alignas(64) ExitlessSlot {
    // Written by the guest: the call, then req_seq (one higher per call).
    volatile uint64_t req_seq;
    uint64_t nr;
    uint64_t args[5]; // rdi, rsi, rdx, r10, r8
    uint64_t pad0;
    // Written by the monitor: result first, then resp_seq = req_seq.
    volatile uint64_t resp_seq;
    volatile int64_t result;
    // Non-zero while the poller sleeps: the stub kicks kPortExitlessKick.
    volatile uint32_t poller_asleep;
    // Non-zero in an answer: the vCPU has work only its own thread can do
    // (load a new CR3), so the stub exits through kPortExitlessWait.
    volatile uint32_t vcpu_work;
    uint64_t pad1[5];
};
static_assert(sizeof(ExitlessSlot) == 128);

inline constexpr uint32_t kExitlessSlotOffset = 0xe00; // past shared_info_t (3136 bytes)
inline constexpr uint32_t kMaxExitlessVcpus = 4;       // slots that fit in the page
static_assert(kExitlessSlotOffset + kMaxExitlessVcpus * sizeof(ExitlessSlot) <= 4096);

// Spins of the stub (each a `pause`) before it exits to wait (kPortExitlessWait).
inline constexpr uint32_t kExitlessSpinBudget = 200000;

} // namespace enso::abi
