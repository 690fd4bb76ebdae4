// grant_unmap and grant_copy (hvcore/core/grant_ops.hpp) with the step that
// drops a use of a grant (grant_release) as a parameter, so a mutant of that
// step is reached through the core's own operations. Verifier only.
#pragma once

#include "hvcore/core/grant_ops.hpp"

namespace enso::verify::mutants {

template <class V, class Release>
core::Rc grant_unmap_with(core::State<V>& s, typename V::U16 d, typename V::U32 handle,
                          typename V::U64 host_addr, Release release) {
    using namespace core;
    if (!domain_live<V>(s, d)) {
        return GNTST_bad_domain;
    }
    if (handle >= kMaxMaptrack) {
        return GNTST_bad_handle;
    }
    auto mi = maptrack_index<V>(d, handle);
    auto mflags = s.grants.map_flags.get(mi);
    if ((mflags & kMapInUse) == 0) {
        return GNTST_bad_handle;
    }
    auto gd = s.grants.map_granter.get(mi);
    auto ref = s.grants.map_ref.get(mi);
    auto frame = s.grants.act_frame.get(grant_index<V>(gd, ref));
    if ((mflags & kMapPte) != 0) {
        auto maddr = s.grants.map_host_addr.get(mi);
        if (host_addr != 0 && host_addr != maddr && l1_entry_maddr<V>(s, d, host_addr) != maddr) {
            return GNTST_general_error;
        }
        auto table = maddr_frame<V>(maddr);
        auto slot = maddr_slot<V>(maddr);
        auto pte = s.mem.load64(table, slot);
        if (owned_by<V>(s, table, d) && s.frames.type.get(table) == kTypeL1 &&
            frame_has<V>(s, table, kFrameValidated) && pte_present<V>(pte) &&
            pte_frame<V>(pte) == frame) {
            s.mem.store64(table, slot, 0);
        }
        add_effect<V>(s, d, kEffectTlbFlush);
    }
    s.grants.map_flags.set(mi, 0);
    release(s, gd, ref, (mflags & kMapReadonly) == 0);
    add_effect<V>(s, d, kEffectMemslots);
    return GNTST_okay;
}

template <class V, class Release>
core::Rc grant_copy_with(core::State<V>& s, typename V::U16 d, const core::CopySide<V>& src,
                         const core::CopySide<V>& dst, typename V::U32 len, Release release) {
    using namespace core;
    auto side_release = [&](const CopySide<V>& side, typename V::Bool writable,
                            typename V::U32 frame) {
        if (side.is_gref) {
            release(s, resolve_domid<V>(d, side.domid), side.ref_or_frame, writable);
            return;
        }
        if (writable) {
            put_page_type<V>(s, frame);
        }
        put_page<V>(s, frame);
    };
    if (!domain_live<V>(s, d)) {
        return GNTST_bad_domain;
    }
    if (as_u64<V>(src.offset) + as_u64<V>(len) > kPageSize ||
        as_u64<V>(dst.offset) + as_u64<V>(len) > kPageSize) {
        return GNTST_bad_copy_arg;
    }
    typename V::U32 sframe{};
    typename V::U32 dframe{};
    if (Rc rc = copy_side_acquire<V>(s, d, src, false, sframe); rc != GNTST_okay) {
        return rc;
    }
    if (Rc rc = copy_side_acquire<V>(s, d, dst, true, dframe); rc != GNTST_okay) {
        side_release(src, false, sframe);
        return rc;
    }
    s.mem.copy(dframe, dst.offset, sframe, src.offset, len);
    side_release(dst, true, dframe);
    side_release(src, false, sframe);
    return GNTST_okay;
}

// The core's grant_release, as a callable.
struct CoreRelease {
    template <class V, class... A>
    void operator()(core::State<V>& s, A... a) const {
        core::grant_release<V>(s, a...);
    }
};

} // namespace enso::verify::mutants
