// HYPERVISOR_update_descriptor: one 8-byte segment descriptor written into a
// frame of the caller's, checked as Xen checks it. The guest keeps its GDT
// and LDT read-only mapped; this is how it changes an entry.
#pragma once

#include "hvcore/core/frame_refs.hpp"

namespace enso::core {

inline constexpr std::uint64_t kDescPresent = 1ULL << 47;
inline constexpr std::uint64_t kDescCodeData = 1ULL << 44; // S: not a system descriptor
inline constexpr std::uint64_t kDescDplShift = 45;
inline constexpr std::uint64_t kDescDpl = 3ULL << kDescDplShift;
inline constexpr std::uint64_t kDescSystemType = 0xfULL << 40;

// Xen's check_descriptor for a 64-bit PV guest: a descriptor that is not
// present, or a system descriptor of type 0 (a call gate's upper half), is
// harmless; a code or data descriptor is accepted with its DPL raised to 3,
// the guest kernel's ring. Everything else is refused, call gates too (Xen
// accepts one whose target is a guest selector; Enso emulates no gates).
// On success *fixed is what is written.
template <class V>
ENSO_INLINE typename V::Bool descriptor_ok(typename V::U64 desc, typename V::U64& fixed) {
    using U64 = typename V::U64;
    auto code_data = (desc & kDescCodeData) != 0;
    fixed = V::select((desc & kDescPresent) != 0 && code_data, desc | U64(kDescDpl), desc);
    return (desc & kDescPresent) == 0 || code_data || (desc & kDescSystemType) == 0;
}

// maddr is the machine address of the descriptor (a PV guest's frame
// numbers are machine frames). The frame must be the caller's and able to
// take a writable type, as Xen requires: never a page table in use, never
// one of the core's frames (the platform's descriptor tables among them).
template <class V>
ENSO_INLINE Rc update_descriptor(State<V>& s, typename V::U16 d, typename V::U64 maddr,
                                 typename V::U64 desc) {
    if (!domain_live<V>(s, d)) {
        return kESRCH;
    }
    typename V::U64 fixed{};
    if ((maddr & 7) != 0 || (maddr >> kPageShift) >= as_u64<V>(s.nr_frames) ||
        !descriptor_ok<V>(desc, fixed)) {
        return kEINVAL;
    }
    auto f = as_u32<V>(maddr >> kPageShift);
    if (!owned_by<V>(s, f, d) || frame_has<V>(s, f, kFrameXenRef)) {
        return kEINVAL;
    }
    if (!ENSO_MUTATION(V, kDescriptorAnyType)) {
        Rc rc = get_page_type<V>(s, f, as_u8<V>(kTypeWritable));
        if (rc == kNeedsTableWork) {
            return rc;
        }
        if (rc != kOk) {
            return kEINVAL;
        }
        put_page_type<V>(s, f);
    }
    s.mem.store64(f, as_u32<V>((maddr >> 3) & (kEntriesPerTable - 1)), fixed);
    return kOk;
}

} // namespace enso::core
