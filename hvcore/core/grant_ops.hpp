// Grant tables v1: the per-operation handlers behind GNTTABOP_setup_table,
// query_size, map_grant_ref, unmap_grant_ref and copy. Results are GNTST_*
// codes, as Xen puts them in each operation's status field.
#pragma once

#include "hvcore/core/memory_reservation.hpp"
#include "hvcore/core/pv_mmu.hpp"

namespace enso::core {

inline constexpr std::uint32_t kNoHandle = 0xffffffffU;

// grant_entry_v1_t as one little-endian word: flags | domid << 16 | frame << 32.
template <class V>
ENSO_INLINE typename V::U16 gentry_flags(typename V::U64 w) {
    return as_u16<V>(w & 0xffffU);
}
template <class V>
ENSO_INLINE typename V::U16 gentry_domid(typename V::U64 w) {
    return as_u16<V>((w >> 16) & 0xffffU);
}
template <class V>
ENSO_INLINE typename V::U32 gentry_frame(typename V::U64 w) {
    return as_u32<V>(w >> 32);
}

template <class V>
ENSO_INLINE typename V::U32 nr_grant_refs(const State<V>& s, typename V::U16 d) {
    return as_u32<V>(s.doms.gnttab_nr_frames.get(d)) << kGrantRefsPerFrameBits;
}

template <class V>
ENSO_INLINE typename V::U32 grant_entry_frame(const State<V>& s, typename V::U16 d,
                                              typename V::U32 ref) {
    return s.doms.gnttab_frame.get(gnttab_frame_index<V>(d, ref >> kGrantRefsPerFrameBits));
}

template <class V>
ENSO_INLINE typename V::U32 grant_entry_word(typename V::U32 ref) {
    return ref & ((1U << kGrantRefsPerFrameBits) - 1);
}

// GNTTABOP_setup_table grows the table one frame at a time.
template <class V>
ENSO_INLINE Rc gnttab_add_frame(State<V>& s, typename V::U16 d, typename V::U32 f) {
    if (!domain_live<V>(s, d)) {
        return kESRCH;
    }
    auto n = s.doms.gnttab_nr_frames.get(d);
    if (n >= kMaxGrantFrames) {
        return kEINVAL;
    }
    if (Rc rc = assign_xen_frame<V>(s, d, f); rc != kOk) {
        return rc;
    }
    s.doms.gnttab_frame.set(gnttab_frame_index<V>(d, as_u32<V>(n)), f);
    s.doms.gnttab_nr_frames.set(d, as_u8<V>(n + 1));
    return kOk;
}

// GNTTABOP_set_version. At version 2 a table keeps its entries' status bits
// in a frame of their own, which the guest maps (get_status_frames); one
// frame holds the status of every v2 entry Enso allows (kMaxGrantFrames
// frames of 256 entries, 2048 statuses a frame). Enso keeps the version and
// the status frame, not v2's entry layout: a table at version 2 grants
// nothing (grant_acquire). Going back to version 1 frees the status frame,
// which only a frame the guest no longer maps may do: XSA-255, where Xen
// freed it while the guest still mapped it. f is a free frame the driver
// chose, used only by a switch to version 2.
template <class V>
ENSO_INLINE Rc set_grant_version(State<V>& s, typename V::U16 d, typename V::U32 version,
                                 typename V::U32 f) {
    if (!domain_live<V>(s, d)) {
        return kESRCH;
    }
    if (version != 1 && version != 2) {
        return kEINVAL;
    }
    auto status = s.doms.gnttab_status.get(d);
    if (version == 2) {
        if (status != kNoFrame) {
            return kOk;
        }
        if (Rc rc = assign_xen_frame<V>(s, d, f); rc != kOk) {
            return rc;
        }
        s.doms.gnttab_status.set(d, f);
        return kOk;
    }
    if (status == kNoFrame) {
        return kOk;
    }
    // Only the core's own holds (assign_xen_frame): no mapping of the guest's.
    if (ENSO_CHECKED(V, kStatusFrameFreedMapped,
                     s.frames.count.get(status) != 2 || s.frames.type_count.get(status) != 1)) {
        return kEBUSY;
    }
    release_xen_frame<V>(s, status);
    frame_clear<V>(s, status, kFrameAllocated);
    put_page<V>(s, status);
    // A mapping d removed without a flush may still translate to the frame.
    add_effect<V>(s, d, kEffectTlbFlush);
    s.doms.gnttab_status.set(d, kNoFrame);
    return kOk;
}

// Sets the status bits for one more use of (gd, ref) by d and checks, on the
// entry as it was at that instant, that the use is permitted. Setting first
// and checking the old value is what makes the granter's end-of-access
// (a cmpxchg that fails while GTF_reading/GTF_writing are set) race-free.
// On success *frame is the granted frame.
template <class V>
ENSO_INLINE Rc grant_acquire(State<V>& s, typename V::U16 d, typename V::U16 gd,
                             typename V::U32 ref, typename V::Bool writable,
                             typename V::U32& frame) {
    if (!domain_live<V>(s, gd)) {
        return GNTST_bad_domain;
    }
    // A v2 entry is not read as v1 (set_grant_version): refused.
    if (s.doms.gnttab_status.get(gd) != kNoFrame) {
        return GNTST_general_error;
    }
    if (ref >= nr_grant_refs<V>(s, gd)) {
        return GNTST_bad_gntref;
    }
    auto gi = grant_index<V>(gd, ref);
    auto readers = s.grants.act_readers.get(gi);
    auto writers = s.grants.act_writers.get(gi);
    auto gframe = grant_entry_frame<V>(s, gd, ref);
    auto word = grant_entry_word<V>(ref);
    using U64 = typename V::U64;
    auto bits = V::select(writable, U64(GTF_reading | GTF_writing), U64(GTF_reading));
    auto old = s.mem.fetch_or64(gframe, word, bits);
    auto flags = gentry_flags<V>(old);
    Rc rc = GNTST_okay;
    // An entry that does not permit this use is GNTST_general_error, Xen's
    // answer (its _set_status_v1), which XTF's XSA-316 PoC checks for.
    if (ENSO_CHECKED(V, kGrantWithoutPermit, (flags & GTF_type_mask) != GTF_permit_access) ||
        ENSO_CHECKED(V, kGrantAnyGrantee, gentry_domid<V>(old) != d)) {
        rc = GNTST_general_error;
    } else if (ENSO_CHECKED(V, kGrantWritesReadonly, writable && (flags & GTF_readonly) != 0)) {
        rc = GNTST_general_error;
    } else if (readers + writers != 0) {
        if (s.grants.act_grantee.get(gi) != d) {
            rc = GNTST_general_error;
        }
        frame = s.grants.act_frame.get(gi);
    } else {
        frame = gentry_frame<V>(old);
        if (!owned_by<V>(s, frame, gd) || frame_has<V>(s, frame, kFrameXenRef)) {
            rc = GNTST_bad_page; // the core's shared pages are never granted
        }
    }
    // rc is a per-path constant, the conditions are values: test them apart.
    if (rc == GNTST_okay) {
        if (readers + writers >= kMaxRefCount || s.frames.count.get(frame) >= kMaxRefCount) {
            rc = GNTST_no_device_space;
        }
    }
    if (rc == GNTST_okay) {
        Rc trc = get_page_type_if<V>(s, frame, as_u8<V>(kTypeWritable), writable);
        if (trc == kNeedsTableWork) {
            rc = trc;
        } else if (trc != kOk) {
            rc = GNTST_general_error; // a page table is never writably granted
        }
    }
    if (rc != GNTST_okay) {
        // Only the bits this attempt added (chosen, not branched on: V::select).
        auto undo = (bits & ~old) & U64(GTF_reading | GTF_writing);
        s.mem.fetch_and64(gframe, word, ~undo);
        return rc;
    }
    get_page<V>(s, frame);
    using U32 = typename V::U32;
    s.grants.act_writers.set(gi, writers + V::select(writable, U32(1), U32(0)));
    s.grants.act_readers.set(gi, readers + V::select(writable, U32(0), U32(1)));
    s.grants.act_frame.set(gi, frame);
    s.grants.act_grantee.set(gi, d);
    return GNTST_okay;
}

// Drops one use of (gd, ref); clears status bits no remaining use needs.
template <class V>
ENSO_INLINE void grant_release(State<V>& s, typename V::U16 gd, typename V::U32 ref,
                               typename V::Bool writable) {
    auto gi = grant_index<V>(gd, ref);
    auto frame = s.grants.act_frame.get(gi);
    auto readers = s.grants.act_readers.get(gi);
    auto writers = s.grants.act_writers.get(gi);
    // The use dropped is a writer's (with its type reference) or a reader's,
    // chosen rather than branched on (V::select).
    using U32 = typename V::U32;
    writers = writers - V::select(writable, U32(1), U32(0));
    readers = readers - V::select(writable, U32(0), U32(1));
    s.grants.act_writers.set(gi, writers);
    s.grants.act_readers.set(gi, readers);
    s.frames.type_count.set(
        frame, s.frames.type_count.get(frame) -
                   V::select(ENSO_CHECKED(V, kReleaseKeepsTypeRef, writable), U32(1), U32(0)));
    if (s.doms.state.get(gd) == kDomLive) { // a dying granter's table is gone
        using U64 = typename V::U64;
        auto clear = V::select(writers == 0, U64(GTF_writing), U64(0)) |
                     V::select(ENSO_MUTATED(V, kStatusClearedEarly, readers + writers == 0,
                                            readers + writers == 0 || !writable),
                               U64(GTF_reading), U64(0));
        s.mem.fetch_and64(grant_entry_frame<V>(s, gd, ref),
                          grant_entry_word<V>(ENSO_MUTATED(V, kStatusWrongEntry, ref, ref ^ 1U)),
                          ~clear);
    }
    put_page<V>(s, frame);
}

// Resolves where a grantee's map installs its PTE: the machine address of a
// free slot in one of its own validated L1 tables, or 0 if there is none.
template <class V>
ENSO_INLINE typename V::U64 grant_pte_maddr(const State<V>& s, typename V::U16 d,
                                            typename V::U64 host_addr,
                                            typename V::Bool contains_pte) {
    typename V::U64 maddr = host_addr;
    if (!contains_pte) {
        maddr = l1_entry_maddr<V>(s, d, host_addr);
    }
    auto table = maddr_frame<V>(maddr);
    // The whole address names the frame: bits above the machine would be
    // dropped by maddr_frame and alias one of the caller's tables.
    if (maddr == 0 || (maddr & 7U) != 0 || (maddr >> kPageShift) >= as_u64<V>(s.nr_frames) ||
        ENSO_CHECKED(V, kGrantPteUncheckedTable, !owned_by<V>(s, table, d)) ||
        ENSO_CHECKED(V, kGrantPteUncheckedTable, s.frames.type.get(table) != kTypeL1) ||
        ENSO_CHECKED(V, kGrantPteUncheckedTable, !frame_has<V>(s, table, kFrameValidated))) {
        return 0; // XSA-227: the PTE address must be one of the caller's L1 slots
    }
    return maddr;
}

// GNTTABOP_map_grant_ref, one operation. handle is a free maptrack slot the
// driver chose (kNoHandle if none). Domain 0 (the monitor) maps without a PTE
// and reaches the frame at dev_bus_addr through machine memory.
template <class V>
ENSO_INLINE Rc grant_map(State<V>& s, typename V::U16 d, typename V::U16 granter,
                         typename V::U32 ref, typename V::U32 flags, typename V::U64 host_addr,
                         typename V::U32 handle, typename V::U64& dev_bus_addr) {
    if (!domain_live<V>(s, d)) {
        return GNTST_bad_domain; // a caller that is not live makes no calls
    }
    if ((flags & (GNTMAP_host_map | GNTMAP_device_map)) == 0) {
        return GNTST_bad_gntref;
    }
    if (handle >= kMaxMaptrack ||
        (s.grants.map_flags.get(maptrack_index<V>(d, handle)) & kMapInUse) != 0) {
        return GNTST_no_device_space;
    }
    auto gd = resolve_domid<V>(d, as_u16<V>(granter));
    auto writable = (flags & GNTMAP_readonly) == 0;
    auto contains_pte = (flags & GNTMAP_contains_pte) != 0;
    typename V::U64 pte_maddr = 0;
    typename V::U64 old_pte = 0;
    if (d != 0 && (flags & GNTMAP_host_map) != 0) {
        pte_maddr = grant_pte_maddr<V>(s, d, host_addr, contains_pte);
        if (pte_maddr == 0) {
            return GNTST_general_error;
        }
        // As Xen, the map replaces what the slot held. An own entry gives up
        // its references; a grant PTE leaves only by its own handle's unmap.
        old_pte = s.mem.load64(maddr_frame<V>(pte_maddr), maddr_slot<V>(pte_maddr));
        if (pte_present<V>(old_pte) && is_grant_pte<V>(s, d, old_pte)) {
            return GNTST_general_error;
        }
    }
    typename V::U32 frame{};
    if (Rc rc = grant_acquire<V>(s, d, gd, ref, writable, frame); rc != GNTST_okay) {
        return rc;
    }
    // The mapping's mode, chosen rather than branched on (V::select).
    using U8 = typename V::U8;
    using U64 = typename V::U64;
    auto mflags = as_u8<V>(V::select(writable, U8(kMapInUse), U8(kMapInUse | kMapReadonly)) |
                           V::select((flags & GNTMAP_host_map) != 0, U8(kMapHost), U8(0)) |
                           V::select((flags & GNTMAP_device_map) != 0, U8(kMapDevice), U8(0)));
    if (pte_maddr != 0) {
        mflags = mflags | kMapPte;
        auto pte = (as_u64<V>(frame) << kPageShift) | kPteP | kPteUS | kPteA | kPteNX |
                   V::select(writable, U64(kPteRW | kPteD), U64(0));
        // A self-grant's PTE maps one of d's own frames, and mmu_update may
        // replace it as an own entry: it holds an own entry's references too.
        if (!is_grant_pte<V>(s, d, pte)) {
            if (get_entry_refs<V>(s, d, kTypeL1, pte) != kOk) {
                grant_release<V>(s, gd, ref, writable);
                return GNTST_no_device_space;
            }
        }
        s.mem.store64(maddr_frame<V>(pte_maddr), maddr_slot<V>(pte_maddr), pte);
        put_entry_refs<V>(s, d, kTypeL1, old_pte);
    }
    auto mi = maptrack_index<V>(d, handle);
    s.grants.map_flags.set(mi, mflags);
    s.grants.map_granter.set(mi, gd);
    s.grants.map_ref.set(mi, ref);
    s.grants.map_host_addr.set(mi, pte_maddr);
    add_effect<V>(s, d, kEffectMemslots);
    dev_bus_addr = as_u64<V>(frame) << kPageShift;
    return GNTST_okay;
}

// The map a grantee's handle names, as its unmap and unmap_and_replace
// find it.
template <class V>
struct MapHandle {
    typename V::U32 mi{};
    typename V::U8 flags{};
    typename V::U16 granter{};
    typename V::U32 ref{};
    typename V::U32 frame{}; // the granted frame (the active entry's)
};

template <class V>
ENSO_INLINE Rc find_map(const State<V>& s, typename V::U16 d, typename V::U32 handle,
                        MapHandle<V>& m) {
    if (!domain_live<V>(s, d)) {
        return GNTST_bad_domain; // a caller that is not live makes no calls
    }
    if (handle >= kMaxMaptrack) {
        return GNTST_bad_handle;
    }
    m.mi = maptrack_index<V>(d, handle);
    m.flags = s.grants.map_flags.get(m.mi);
    if ((m.flags & kMapInUse) == 0) {
        return GNTST_bad_handle;
    }
    m.granter = s.grants.map_granter.get(m.mi);
    m.ref = s.grants.map_ref.get(m.mi);
    m.frame = s.grants.act_frame.get(grant_index<V>(m.granter, m.ref));
    return GNTST_okay;
}

// host_addr names the slot a map recorded: its machine address, or a
// virtual address of d's whose L1 entry is that slot.
template <class V>
ENSO_INLINE typename V::Bool names_map_slot(const State<V>& s, typename V::U16 d,
                                            typename V::U64 host_addr, typename V::U64 maddr) {
    return host_addr == maddr || l1_entry_maddr<V>(s, d, host_addr) == maddr;
}

// The grant PTE a map installed at maddr is still there: the slot is in a
// validated L1 table d still owns (it may have been freed and become
// another domain's since) and maps the granted frame.
template <class V>
ENSO_INLINE typename V::Bool grant_pte_in_place(const State<V>& s, typename V::U16 d,
                                                typename V::U64 maddr, typename V::U32 frame) {
    auto table = maddr_frame<V>(maddr);
    auto pte = s.mem.load64(table, maddr_slot<V>(maddr));
    return owned_by<V>(s, table, d) && s.frames.type.get(table) == kTypeL1 &&
           frame_has<V>(s, table, kFrameValidated) && pte_present<V>(pte) &&
           pte_frame<V>(pte) == frame;
}

// GNTTABOP_unmap_grant_ref, one operation. As in Xen, a non-zero host_addr
// unmaps the handle's host mapping and a non-zero dev_bus_addr (the granted
// frame's address) its device mapping; the grant is released with the last
// of the two. Both zero unmaps whatever the handle holds (Enso's back ends
// and domain destroy; Xen does nothing then). What is released is what the
// handle recorded (a read-only unmap cannot drop a writable reference,
// XSA-234); the PTE is cleared only if it is still the one the map made, in
// a table the caller still owns (the table may have been freed and become
// another domain's since, with that domain's own entry in the slot).
template <class V>
ENSO_INLINE Rc grant_unmap(State<V>& s, typename V::U16 d, typename V::U32 handle,
                           typename V::U64 host_addr, typename V::U64 dev_bus_addr) {
    MapHandle<V> m;
    if (Rc rc = find_map<V>(s, d, handle, m); rc != GNTST_okay) {
        return rc;
    }
    auto mi = m.mi;
    auto mflags = m.flags;
    auto gd = m.granter;
    auto ref = m.ref;
    auto frame = m.frame;
    if (dev_bus_addr != 0 && dev_bus_addr != (as_u64<V>(frame) << kPageShift)) {
        return GNTST_bad_dev_addr;
    }
    auto whole = host_addr == 0 && dev_bus_addr == 0;
    // A PTE is a host mapping whatever else the flags say.
    auto drop_host = (mflags & (kMapHost | kMapPte)) != 0 && (whole || host_addr != 0);
    auto drop_device = (mflags & kMapDevice) != 0 && (whole || dev_bus_addr != 0);
    if (drop_host && (mflags & kMapPte) != 0) {
        auto maddr = s.grants.map_host_addr.get(mi);
        if (host_addr != 0 && !names_map_slot<V>(s, d, host_addr, maddr)) {
            return GNTST_general_error; // not the mapping this handle made
        }
        auto table = maddr_frame<V>(maddr);
        auto slot = maddr_slot<V>(maddr);
        auto pte = s.mem.load64(table, slot);
        if (grant_pte_in_place<V>(s, d, maddr, frame)) {
            s.mem.store64(table, slot, 0);
            put_entry_refs<V>(s, d, kTypeL1, pte); // a self-grant's PTE held an own entry's
        }
    }
    using U8 = typename V::U8;
    auto left = as_u8<V>(mflags & ~(V::select(drop_host, U8(kMapHost | kMapPte), U8(0)) |
                                    V::select(drop_device, U8(kMapDevice), U8(0))));
    // The grantee may have cached a PTE mapping: it is flushed too. Chosen,
    // not branched on, so unmaps with and without a PTE end alike.
    auto flush = V::select(drop_host && (mflags & kMapPte) != 0, U8(kEffectTlbFlush), U8(0));
    add_effect<V>(s, d, as_u8<V>(flush | kEffectMemslots));
    if ((left & (kMapHost | kMapDevice | kMapPte)) != 0) {
        s.grants.map_flags.set(mi, left);
        return GNTST_okay; // the other mapping still holds the grant
    }
    s.grants.map_flags.set(mi, ENSO_MUTATED(V, kUnmapKeepsHandle, typename V::U8(0), mflags));
    grant_release<V>(
        s, gd, ref,
        ENSO_MUTATED(V, kUnmapWrongKind, (mflags & kMapReadonly) == 0, typename V::Bool(false)));
    return GNTST_okay;
}

// GNTTABOP_unmap_and_replace, one operation (Xen's replace_grant_pv_mapping):
// the PTE the handle's map installed at host_addr gives way to the entry
// that maps new_addr, whose slot is cleared, and the grant is released. The
// moved entry keeps the references it holds. Enso moves only an entry that
// maps one of d's own frames (or none): it records where each grant PTE is,
// so a grant PTE at new_addr is refused rather than moved.
template <class V>
ENSO_INLINE Rc grant_unmap_and_replace(State<V>& s, typename V::U16 d, typename V::U32 handle,
                                       typename V::U64 host_addr, typename V::U64 new_addr) {
    MapHandle<V> m;
    if (Rc rc = find_map<V>(s, d, handle, m); rc != GNTST_okay) {
        return rc;
    }
    auto mi = m.mi;
    auto mflags = m.flags;
    if ((mflags & kMapPte) == 0) {
        return GNTST_general_error; // nothing mapped at an address to replace
    }
    auto maddr = s.grants.map_host_addr.get(mi);
    if (!names_map_slot<V>(s, d, host_addr, maddr)) {
        return GNTST_general_error; // not the mapping this handle made
    }
    if (!grant_pte_in_place<V>(s, d, maddr, m.frame)) {
        return GNTST_general_error; // the grant's PTE is no longer there
    }
    auto table = maddr_frame<V>(maddr);
    auto slot = maddr_slot<V>(maddr);
    auto pte = s.mem.load64(table, slot);
    auto new_maddr = grant_pte_maddr<V>(s, d, new_addr, typename V::Bool(false));
    if (new_maddr == 0 || new_maddr == maddr) {
        return GNTST_general_error;
    }
    auto new_table = maddr_frame<V>(new_maddr);
    auto new_slot = maddr_slot<V>(new_maddr);
    auto moved = s.mem.load64(new_table, new_slot);
    if (pte_present<V>(moved) && is_grant_pte<V>(s, d, moved)) {
        return GNTST_general_error; // a grant PTE stays where its map recorded it
    }
    using U64 = typename V::U64;
    s.mem.store64(new_table, new_slot, 0);
    s.mem.store64(table, slot, V::select(pte_present<V>(moved), moved, U64(0)));
    put_entry_refs<V>(s, d, kTypeL1, pte); // a self-grant's PTE held an own entry's
    add_effect<V>(s, d, as_u8<V>(kEffectTlbFlush | kEffectMemslots));
    if ((mflags & kMapDevice) != 0) {
        s.grants.map_flags.set(mi, as_u8<V>(mflags & ~(kMapHost | kMapPte)));
        return GNTST_okay; // the device mapping still holds the grant
    }
    s.grants.map_flags.set(mi, typename V::U8(0));
    grant_release<V>(s, m.granter, m.ref, (mflags & kMapReadonly) == 0);
    return GNTST_okay;
}

// One side of a GNTTABOP_copy: a grant reference of another domain, or a
// frame of the caller's own.
template <class V>
struct CopySide {
    typename V::Bool is_gref;
    typename V::U32 ref_or_frame;
    typename V::U16 domid;
    typename V::U32 offset;
};

template <class V>
ENSO_INLINE Rc copy_side_acquire(State<V>& s, typename V::U16 d, const CopySide<V>& side,
                                 typename V::Bool writable, typename V::U32& frame) {
    if (side.is_gref) {
        return grant_acquire<V>(s, d, resolve_domid<V>(d, side.domid), side.ref_or_frame, writable,
                                frame);
    }
    if (resolve_domid<V>(d, side.domid) != d || !owned_by<V>(s, side.ref_or_frame, d) ||
        frame_has<V>(s, side.ref_or_frame, kFrameXenRef)) {
        return GNTST_bad_page; // the core never copies into or out of its shared pages
    }
    frame = side.ref_or_frame;
    if (writable) {
        Rc rc = get_page_type<V>(s, frame, as_u8<V>(kTypeWritable));
        if (rc == kNeedsTableWork) {
            return rc;
        }
        if (rc != kOk) {
            return GNTST_general_error;
        }
    }
    if (Rc rc = get_page<V>(s, frame); rc != kOk) {
        if (writable) {
            put_page_type<V>(s, frame);
        }
        return GNTST_no_device_space;
    }
    return GNTST_okay;
}

template <class V>
ENSO_INLINE void copy_side_release(State<V>& s, typename V::U16 d, const CopySide<V>& side,
                                   typename V::Bool writable, typename V::U32 frame) {
    if (side.is_gref) {
        grant_release<V>(s, resolve_domid<V>(d, side.domid), side.ref_or_frame, writable);
        return;
    }
    if (writable) {
        put_page_type<V>(s, frame);
    }
    put_page<V>(s, frame);
}

// GNTTABOP_copy, one operation: both sides are held (status bits set, the
// destination typed writable) for the duration of the copy.
template <class V>
ENSO_INLINE Rc grant_copy(State<V>& s, typename V::U16 d, const CopySide<V>& src,
                          const CopySide<V>& dst, typename V::U32 len) {
    if (!domain_live<V>(s, d)) {
        return GNTST_bad_domain; // a caller that is not live makes no calls
    }
    // In 64 bits, so a huge offset cannot wrap past the check.
    if (as_u64<V>(src.offset) + as_u64<V>(len) > kPageSize ||
        ENSO_MUTATED(V, kCopyPastFrameEnd, as_u64<V>(dst.offset) + as_u64<V>(len) > kPageSize,
                     as_u64<V>(dst.offset) > kPageSize)) {
        return GNTST_bad_copy_arg;
    }
    typename V::U32 sframe{};
    typename V::U32 dframe{};
    if (Rc rc = copy_side_acquire<V>(s, d, src, false, sframe); rc != GNTST_okay) {
        return rc;
    }
    if (Rc rc = copy_side_acquire<V>(s, d, dst, true, dframe); rc != GNTST_okay) {
        copy_side_release<V>(s, d, src, false, sframe);
        return rc;
    }
    s.mem.copy(dframe, dst.offset, sframe, src.offset, len);
    copy_side_release<V>(s, d, dst, true, dframe);
    copy_side_release<V>(s, d, src, false, sframe);
    return GNTST_okay;
}

} // namespace enso::core
