// The frame table: for every machine frame, who owns it, how many references
// it has, and what it is typed as (Xen's struct page_info, split per field).
#pragma once

#include "hvcore/core/value_domain.hpp"

#include <cstdint>

namespace enso::core {

// A frame's type. A page-table type is only held after the frame's entries
// were validated; while type_count > 0 the type cannot change.
enum PageType : std::uint8_t {
    kTypeNone = 0,
    kTypeL1 = 1,
    kTypeL2 = 2,
    kTypeL3 = 3,
    kTypeL4 = 4,
    kTypeSegDesc = 5,
    kTypeWritable = 6,
};

enum FrameFlag : std::uint8_t {
    kFrameAllocated = 1U << 0, // owned by a domain; holds one general reference
    kFramePinned = 1U << 1,    // MMUEXT_PIN_*: one general and one type reference
    kFrameValidated = 1U << 2, // entries validated for the current page-table type
    kFrameXenRef = 1U << 3,    // a frame the core holds for itself: one general and
                               // one type reference, writable (shared_info, grant-table
                               // frames) or descriptor (the platform's GDT/IDT/TSS)
    kFrameVcpuRoot = 1U << 4,  // the root of a vCPU that does not run yet
                               // (VCPUOP_initialise): one general, one L4 type reference
};

template <class V>
struct FrameTable {
    typename V::template Array<typename V::U16> owner;
    typename V::template Array<typename V::U32> count;      // general references
    typename V::template Array<typename V::U8> type;        // PageType
    typename V::template Array<typename V::U32> type_count; // typed references
    typename V::template Array<typename V::U8> flags;       // FrameFlag bits
};

} // namespace enso::core
