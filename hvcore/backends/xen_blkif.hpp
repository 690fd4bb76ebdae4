// Xen's blkif protocol (<xen/io/blkif.h>, <xen/io/ring.h>) for the host
// side. ring.h leaves the barriers to its user (interface versions past
// 0x00030208): on x86 only a store followed by a load needs a fence, so
// xen_mb is a full fence and the others only stop the compiler.
#pragma once

#include "hvcore/core/xen_abi.hpp"

#include <cstddef> // __CONST_RING_SIZE uses offsetof
#include <cstring> // SHARED_RING_INIT uses memset

#ifndef xen_mb
#define xen_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_signal_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_signal_fence(__ATOMIC_RELEASE)
#endif

#include <xen/io/blkif.h>
#include <xen/io/ring.h>

namespace enso::backends {

inline constexpr std::uint32_t kSectorShift = 9;
inline constexpr std::uint32_t kSectorsPerPage = 4096 >> kSectorShift;
// Segment descriptors one indirect page holds.
inline constexpr std::uint32_t kSegsPerIndirectPage = 4096 / sizeof(blkif_request_segment);
// What this back end offers as feature-max-indirect-segments: 1 MiB per request.
inline constexpr std::uint32_t kMaxIndirectSegments = 256;
// Requests a one-page blkif ring holds (__CONST_RING_SIZE(blkif, 4096)).
inline constexpr std::uint32_t kBlkRingSize = __CONST_RING_SIZE(blkif, 4096);
static_assert(kBlkRingSize == 32);

} // namespace enso::backends
