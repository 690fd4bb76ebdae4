// Xen's public guest ABI, taken from Xen's own headers (Debian libxen-dev).
// Everything guest-visible (hypercall numbers, structures, flags, error codes)
// comes from here; Enso never re-declares it.
#pragma once

#include <cstdint>

#ifndef __XEN_INTERFACE_VERSION__
#define __XEN_INTERFACE_VERSION__ 0x00040e00 // the newest interface these headers describe
#endif

#include <xen/callback.h>
#include <xen/errno.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/version.h>
#include <xen/xen.h>

namespace enso::core {

// Hypercall return codes: 0 or a negative Xen errno.
using Rc = int;

inline constexpr Rc kOk = 0;
inline constexpr Rc kEPERM = -XEN_EPERM;
inline constexpr Rc kESRCH = -XEN_ESRCH;
inline constexpr Rc kEFAULT = -XEN_EFAULT;
inline constexpr Rc kEBUSY = -XEN_EBUSY;
inline constexpr Rc kEEXIST = -XEN_EEXIST;
inline constexpr Rc kEINVAL = -XEN_EINVAL;
inline constexpr Rc kENOENT = -XEN_ENOENT;
inline constexpr Rc kENOMEM = -XEN_ENOMEM;
inline constexpr Rc kENOSPC = -XEN_ENOSPC;
inline constexpr Rc kENOSYS = -XEN_ENOSYS;
inline constexpr Rc kEAGAIN = -XEN_EAGAIN;
inline constexpr Rc kE2BIG = -XEN_E2BIG;
inline constexpr Rc kEOVERFLOW = -XEN_EOVERFLOW;

// Not a guest-visible code: a handler that needs whole-table work first (a page
// table must be devalidated, or validated) returns this with the frame named in
// State::pending_table; the concrete driver does the work in per-entry steps and
// retries. This is how Xen's -ERESTART continuations keep handlers small.
inline constexpr Rc kNeedsTableWork = -100000;

inline constexpr std::uint64_t kPageShift = 12;
inline constexpr std::uint64_t kPageSize = 1ULL << kPageShift;
inline constexpr std::uint32_t kEntriesPerTable = 512;

} // namespace enso::core
