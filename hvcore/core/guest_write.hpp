// A guest step: a domain stores one word of a frame it can write. Not a
// hypercall; the verifier proves that no such store, by any domain at any
// time, breaks the core's invariants (verify/guest_step.hpp).
#pragma once

#include "hvcore/core/grant_ops.hpp"

namespace enso::core {

// Whether d can write frame f now: a frame of its own typed writable (only
// such a frame can be mapped writable; its shared_info and grant-table
// frames are), or a frame it maps writable through its grant handle
// `handle` (kNoHandle: none), while that map is in place.
template <class V>
ENSO_INLINE typename V::Bool guest_can_write(const State<V>& s, typename V::U16 d,
                                             typename V::U32 f, typename V::U32 handle) {
    auto own = owned_by<V>(s, f, d) &&
               ENSO_MUTATED(V, kGuestWritesTable, s.frames.type.get(f) == kTypeWritable,
                            typename V::Bool(true));
    if (handle >= kMaxMaptrack) {
        return own;
    }
    auto mi = maptrack_index<V>(d, handle);
    auto mflags = s.grants.map_flags.get(mi);
    if (ENSO_MUTATED(V, kGuestWritesReadonlyMap, (mflags & (kMapInUse | kMapReadonly)) != kMapInUse,
                     (mflags & kMapInUse) == 0)) {
        return own; // no map, or a read-only one
    }
    // What the map reaches is the core's record of the grant, never the
    // granter's entry (which it may have rewritten since).
    auto gi = grant_index<V>(s.grants.map_granter.get(mi), s.grants.map_ref.get(mi));
    return own || s.grants.act_frame.get(gi) == f;
}

template <class V>
ENSO_INLINE Rc guest_write_word(State<V>& s, typename V::U16 d, typename V::U32 f,
                                typename V::U32 word, typename V::U64 value,
                                typename V::U32 handle) {
    if (!domain_live<V>(s, d) || f >= s.nr_frames || word >= kEntriesPerTable) {
        return kEINVAL;
    }
    if (!guest_can_write<V>(s, d, f, handle)) {
        return kEPERM;
    }
    s.mem.store64(f, word, value);
    return kOk;
}

} // namespace enso::core
