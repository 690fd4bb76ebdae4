// How the guest uses the scratch area (kScratchVa, L4 slot 2 up), which the
// builder leaves unmapped. Every region is under one L4 slot, so once that
// slot is linked (scratch_init) the roots never need another L4 change.
//
//   kScratchMmuVa     one L1 (2 MiB): kCmdMmuUpdate maps and unmaps its slots
//   kScratchWindowVa  one L1 (2 MiB): single-page windows (map_window)
//   kScratchBufferVa  up to 1 GiB: buffers of free frames, virtually contiguous
#pragma once

#include "hvcore/abi/guest_layout.hpp"

#include <stdint.h>

namespace enso::guest {

inline constexpr uint64_t kScratchMmuVa = abi::kScratchVa;
inline constexpr uint64_t kScratchWindowVa = abi::kScratchVa + (2ULL << 20);
inline constexpr uint64_t kScratchWindows = 512;
inline constexpr uint64_t kScratchBufferVa = abi::kScratchVa + (1ULL << 30);
inline constexpr uint64_t kScratchBufferMaxBytes = 1ULL << 30;

// Links the scratch L3 into every root (idempotent).
long scratch_init();

// Maps free frames at kScratchBufferVa until at least `bytes` are mapped;
// the buffer only grows, and what was mapped stays (its contents too).
long scratch_buffer(uint64_t bytes, uint64_t** out);

// Maps mfn read-write at window `slot` (< kScratchWindows) and returns its
// address; unmap_window removes it.
long map_window(uint64_t slot, uint64_t mfn, void** out);
long unmap_window(uint64_t slot);

} // namespace enso::guest
