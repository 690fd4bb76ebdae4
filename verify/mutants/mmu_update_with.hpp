// mmu_update_entry (hvcore/core/pv_mmu.hpp) with its per-entry update and
// its type-taking step as parameters, so a mutant of mod_entry or of
// get_page_type is reached through the same request decoding. Verifier
// only; the body is the core's, line for line.
#pragma once

#include "hvcore/core/pv_mmu.hpp"

namespace enso::verify::mutants {

template <class V, class ModEntry, class GetPageType>
core::Rc mmu_update_with(core::State<V>& s, typename V::U16 d, typename V::U64 ptr,
                         typename V::U64 val, ModEntry mod_entry, GetPageType get_page_type) {
    using namespace core;
    auto cmd = ptr & 3U;
    if (cmd != MMU_NORMAL_PT_UPDATE && cmd != MMU_PT_UPDATE_PRESERVE_AD) {
        return kENOSYS;
    }
    auto table = maddr_frame<V>(ptr);
    auto slot = maddr_slot<V>(ptr);
    if ((ptr >> kPageShift) >= as_u64<V>(s.nr_frames)) {
        return kEINVAL;
    }
    if (!owned_by<V>(s, table, d)) {
        return kEPERM;
    }
    if (cmd == MMU_PT_UPDATE_PRESERVE_AD) {
        val = val | (s.mem.load64(table, slot) & (kPteA | kPteD));
    }
    auto type = s.frames.type.get(table);
    if (is_pagetable_type<V>(type) && frame_has<V>(s, table, kFrameValidated)) {
        auto tc = s.frames.type_count.get(table);
        if (tc >= kMaxRefCount) {
            return kEOVERFLOW;
        }
        s.frames.type_count.set(table, tc + 1);
        Rc rc = mod_entry(s, d, table, type, slot, val);
        put_page_type<V>(s, table);
        return rc;
    }
    if (frame_has<V>(s, table, kFrameXenRef)) {
        return kEPERM;
    }
    if (Rc rc = get_page_type(s, table, as_u8<V>(kTypeWritable)); rc != kOk) {
        return rc;
    }
    s.mem.store64(table, slot, val);
    put_page_type<V>(s, table);
    if (type == kTypeNone && s.frames.type_count.get(table) == 0) {
        s.frames.type.set(table, as_u8<V>(kTypeNone));
    }
    return kOk;
}

// The core's own steps, as callables for mmu_update_with.
struct CoreModEntry {
    template <class V, class... A>
    core::Rc operator()(core::State<V>& s, A... a) const {
        return core::mod_entry<V>(s, a...);
    }
};
struct CoreGetPageType {
    template <class V, class... A>
    core::Rc operator()(core::State<V>& s, A... a) const {
        return core::get_page_type<V>(s, a...);
    }
};

} // namespace enso::verify::mutants
