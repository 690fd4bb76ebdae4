// Reference counting on frames: general references (the frame stays
// allocated) and type references (the frame keeps its type). Mirrors Xen's
// get_page / put_page / get_page_type / put_page_type.
#pragma once

#include "hvcore/core/state.hpp"

namespace enso::core {

inline constexpr std::uint32_t kMaxRefCount = 0x7fffffffU;

template <class V>
ENSO_INLINE typename V::Bool is_pagetable_type(typename V::U8 t) {
    return t >= kTypeL1 && t <= kTypeL4;
}

template <class V>
ENSO_INLINE typename V::Bool frame_has(const State<V>& s, typename V::U32 f, std::uint8_t flag) {
    return (s.frames.flags.get(f) & flag) != 0;
}

template <class V>
ENSO_INLINE void frame_set(State<V>& s, typename V::U32 f, std::uint8_t flag) {
    s.frames.flags.set(f, as_u8<V>(s.frames.flags.get(f) | flag));
}

template <class V>
ENSO_INLINE void frame_clear(State<V>& s, typename V::U32 f, std::uint8_t flag) {
    s.frames.flags.set(f, as_u8<V>(s.frames.flags.get(f) & ~flag));
}

// A frame the domain may name: in range and allocated to it.
template <class V>
ENSO_INLINE typename V::Bool owned_by(const State<V>& s, typename V::U32 f, typename V::U16 d) {
    return f < s.nr_frames && frame_has<V>(s, f, kFrameAllocated) && s.frames.owner.get(f) == d;
}

template <class V>
ENSO_INLINE Rc get_page(State<V>& s, typename V::U32 f) {
    auto c = s.frames.count.get(f);
    if (c >= kMaxRefCount) {
        return kEOVERFLOW;
    }
    s.frames.count.set(f, c + 1);
    return kOk;
}

// Returns the frame to the free pool once nothing references it (when
// `now`; otherwise every field is written back unchanged). The caller
// guarantees a frame reaching zero holds no type references. Written without
// a branch: put_page runs on nearly every handler's success path, and each
// `if` here would double the verifier's paths through all of them.
// f is allocated (the caller held a reference), so its owner indexes doms.
template <class V>
ENSO_INLINE void free_frame_if(State<V>& s, typename V::U32 f, typename V::Bool now) {
    using U8 = typename V::U8;
    using U16 = typename V::U16;
    using U32 = typename V::U32;
    auto d = s.frames.owner.get(f);
    s.frames.owner.set(f, V::select(now, U16(DOMID_INVALID), d));
    auto retype = ENSO_CHECKED(V, kFreeKeepsType, now);
    s.frames.type.set(f, V::select(retype, U8(kTypeNone), s.frames.type.get(f)));
    s.frames.type_count.set(f, V::select(retype, U32(0), s.frames.type_count.get(f)));
    s.frames.flags.set(f, V::select(now, U8(0), s.frames.flags.get(f)));
    auto pages = s.doms.tot_pages.get(d) - V::select(now, U32(1), U32(0));
    s.doms.tot_pages.set(d, pages);
    auto effects = s.doms.effects.get(d);
    s.doms.effects.set(d, V::select(now, as_u8<V>(effects | kEffectMemslots), effects));
    auto state = s.doms.state.get(d);
    s.doms.state.set(d, V::select(now && pages == 0 && state == kDomDying, U8(kDomFree), state));
}

template <class V>
ENSO_INLINE void put_page(State<V>& s, typename V::U32 f) {
    auto c = s.frames.count.get(f) - 1;
    s.frames.count.set(f, c);
    free_frame_if<V>(s, f, c == 0);
}

// Asks the driver for whole-table work on f before the caller can proceed.
template <class V>
ENSO_INLINE Rc need_table_work(State<V>& s, std::uint8_t work, typename V::U32 f,
                               typename V::U8 type) {
    s.work = work;
    s.work_frame = f;
    s.work_type = type;
    return kNeedsTableWork;
}

// Whether f can take a type reference of type t (kOk), and if not why. A
// page-table type needs validated contents: a frame not yet validated as t
// is sent to the driver for validation, and a frame still holding another
// table's validated entries (type count zero, kept lazily) is sent for
// devalidation first.
template <class V>
ENSO_INLINE Rc check_page_type(State<V>& s, typename V::U32 f, typename V::U8 t) {
    auto tc = s.frames.type_count.get(f);
    auto cur = s.frames.type.get(f);
    auto validated = frame_has<V>(s, f, kFrameValidated);
    if (tc >= kMaxRefCount) {
        return kEOVERFLOW;
    }
    if (tc == 0) {
        if (is_pagetable_type<V>(cur) && !validated) {
            return kEINVAL; // being validated right now: a self-reference
        }
        if (cur != t) {
            if (ENSO_CHECKED(V, kRetypeLiveTable, is_pagetable_type<V>(cur))) {
                return need_table_work<V>(s, kWorkDevalidate, f, cur);
            }
            if (is_pagetable_type<V>(t)) {
                return need_table_work<V>(s, kWorkValidate, f, t);
            }
        }
    } else if (cur != t) {
        return kEINVAL;
    }
    return kOk;
}

// Takes a type reference of type t on f when `wanted` (see check_page_type);
// otherwise leaves f alone. The type is t afterwards whether it was already
// or is set here, and the stores are made on every path, their values
// chosen (V::select): paths that differ only in whether or how the type was
// taken end in the same state, which the verifier proves once.
template <class V>
ENSO_INLINE Rc get_page_type_if(State<V>& s, typename V::U32 f, typename V::U8 t,
                                typename V::Bool wanted) {
    using U32 = typename V::U32;
    if (wanted) {
        if (Rc rc = check_page_type<V>(s, f, t); rc != kOk) {
            return rc;
        }
    }
    s.frames.type.set(f, V::select(wanted, t, s.frames.type.get(f)));
    s.frames.type_count.set(f, s.frames.type_count.get(f) + V::select(wanted, U32(1), U32(0)));
    return kOk;
}

template <class V>
ENSO_INLINE Rc get_page_type(State<V>& s, typename V::U32 f, typename V::U8 t) {
    if (Rc rc = check_page_type<V>(s, f, t); rc != kOk) {
        return rc;
    }
    s.frames.type.set(f, t);
    s.frames.type_count.set(f, s.frames.type_count.get(f) + 1);
    return kOk;
}

// Page-table types stay validated at count zero (their entries keep their
// references) until the frame is needed as something else; see get_page_type.
template <class V>
ENSO_INLINE void put_page_type(State<V>& s, typename V::U32 f) {
    s.frames.type_count.set(f, s.frames.type_count.get(f) - 1);
}

} // namespace enso::core
