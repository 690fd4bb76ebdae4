// x86-64 page-table entry bits and the PV MMU's rules on which may be set.
#pragma once

#include "hvcore/core/state.hpp"

#include <cstdint>

namespace enso::core {

inline constexpr std::uint64_t kPteP = 1ULL << 0;
inline constexpr std::uint64_t kPteRW = 1ULL << 1;
inline constexpr std::uint64_t kPteUS = 1ULL << 2;
inline constexpr std::uint64_t kPtePWT = 1ULL << 3;
inline constexpr std::uint64_t kPtePCD = 1ULL << 4;
inline constexpr std::uint64_t kPteA = 1ULL << 5;
inline constexpr std::uint64_t kPteD = 1ULL << 6;
inline constexpr std::uint64_t kPtePSE = 1ULL << 7; // PAT in an L1 entry
inline constexpr std::uint64_t kPteG = 1ULL << 8;
inline constexpr std::uint64_t kPteAvail = 7ULL << 9;
inline constexpr std::uint64_t kPteNX = 1ULL << 63;
inline constexpr std::uint64_t kPteAddrMask = 0x000ffffffffff000ULL; // bits 12..51
// The address bits a 32-bit frame number can name (12..43). An entry with
// any of bits 44..51 set would be checked as one frame and map another, so
// those bits are not allowed (Xen refuses such an MFN as not valid).
inline constexpr std::uint64_t kPteFrameMask = 0x00000ffffffff000ULL;

// Leaf entries may carry only these (Xen's: P, RW, US, A, D, available, NX).
inline constexpr std::uint64_t kL1Allowed =
    kPteP | kPteRW | kPteUS | kPteA | kPteD | kPteAvail | kPteNX | kPteFrameMask;
// Upper levels: no PSE (no superpages for PV guests, XSA-148), no caching
// bits. D is allowed, as Xen allows it (the CPU ignores it above L1; XTF's
// tables set it).
inline constexpr std::uint64_t kLnAllowed =
    kPteP | kPteRW | kPteUS | kPteA | kPteD | kPteAvail | kPteNX | kPteFrameMask;
// An update that changes only these bits keeps the frame and its permissions,
// so it needs no revalidation (never RW, P or the frame: XSA-182).
inline constexpr std::uint64_t kFastPathBits = kPteA | kPteD | kPteAvail | kPteNX | kPteUS;

template <class V>
ENSO_INLINE typename V::U32 pte_frame(typename V::U64 pte) {
    return as_u32<V>((pte & kPteFrameMask) >> kPageShift);
}

// A page-table entry's machine address, and back: its frame and its slot.
template <class V>
ENSO_INLINE typename V::U32 maddr_frame(typename V::U64 maddr) {
    return as_u32<V>(maddr >> kPageShift);
}
template <class V>
ENSO_INLINE typename V::U32 maddr_slot(typename V::U64 maddr) {
    return as_u32<V>((maddr & (kPageSize - 1)) >> 3);
}
template <class V>
ENSO_INLINE typename V::U64 entry_maddr(typename V::U32 frame, typename V::U32 slot) {
    return (as_u64<V>(frame) << kPageShift) | (as_u64<V>(slot) << 3);
}

template <class V>
ENSO_INLINE typename V::Bool pte_present(typename V::U64 pte) {
    return (pte & kPteP) != 0;
}

template <class V>
ENSO_INLINE typename V::U64 allowed_bits(typename V::U8 level) {
    if (level == kTypeL1) {
        return kL1Allowed;
    }
    return kLnAllowed;
}

// Canonical x86-64 virtual address: bits 63..47 all equal.
template <class V>
ENSO_INLINE typename V::Bool canonical_va(typename V::U64 va) {
    auto top = va >> 47;
    return top == 0 || top == 0x1ffffULL;
}

template <class V>
ENSO_INLINE typename V::U32 va_slot(typename V::U64 va, unsigned level) {
    return as_u32<V>((va >> (kPageShift + 9 * (level - 1))) & 511U);
}

} // namespace enso::core
