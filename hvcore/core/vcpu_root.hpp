// The page-table root VCPUOP_initialise gives a vCPU before it runs. As
// Xen's guest_table, it holds a general and an L4 type reference (so the
// frame stays a validated L4 that no writable mapping can reach); the frame
// is marked kFrameVcpuRoot so that destroy gives them back, and so that the
// guest cannot drop them as it drops a pin.
#pragma once

#include "hvcore/core/frame_refs.hpp"

namespace enso::core {

template <class V>
ENSO_INLINE Rc hold_vcpu_root(State<V>& s, typename V::U16 d, typename V::U32 f) {
    if (!domain_live<V>(s, d) || !owned_by<V>(s, f, d)) {
        return kEINVAL;
    }
    if (frame_has<V>(s, f, kFrameVcpuRoot)) {
        return kEBUSY; // one vCPU root a frame: its flag holds one reference
    }
    if (s.frames.count.get(f) >= kMaxRefCount) {
        return kEOVERFLOW;
    }
    if (!ENSO_MUTATION(V, kVcpuRootUntyped)) {
        if (Rc rc = get_page_type<V>(s, f, as_u8<V>(kTypeL4)); rc != kOk) {
            return rc;
        }
    }
    get_page<V>(s, f);
    frame_set<V>(s, f, kFrameVcpuRoot);
    return kOk;
}

// Destroy's step: the references the root held go back.
template <class V>
ENSO_INLINE Rc release_vcpu_root(State<V>& s, typename V::U16 d, typename V::U32 f) {
    if (!owned_by<V>(s, f, d) || !frame_has<V>(s, f, kFrameVcpuRoot)) {
        return kEINVAL;
    }
    frame_clear<V>(s, f, kFrameVcpuRoot);
    put_page_type<V>(s, f);
    put_page<V>(s, f);
    return kOk;
}

} // namespace enso::core
