// Event channels, 2-level ABI: EVTCHNOP_alloc_unbound, bind_interdomain,
// send, close, status, unmask. Pending and mask bits live in each domain's
// shared_info page, where the guest reads (and masks) them.
#pragma once

#include "hvcore/core/frame_refs.hpp"

#include <cstddef>

namespace enso::core {

inline constexpr std::uint32_t kEvtchnPendingWord = offsetof(shared_info_t, evtchn_pending) / 8;
inline constexpr std::uint32_t kEvtchnMaskWord = offsetof(shared_info_t, evtchn_mask) / 8;
inline constexpr std::uint32_t kUpcallPendingWord =
    offsetof(shared_info_t, vcpu_info[0].evtchn_upcall_pending) / 8;
inline constexpr std::uint32_t kPendingSelWord =
    offsetof(shared_info_t, vcpu_info[0].evtchn_pending_sel) / 8;
static_assert(offsetof(shared_info_t, vcpu_info[0].evtchn_upcall_pending) % 8 == 0);

template <class V>
ENSO_INLINE typename V::U64 port_bit(typename V::U32 port) {
    return typename V::U64{1} << as_u64<V>(port & 63U);
}

// Tells vCPU 0 of d that a port in selector word `word` is pending, and asks
// the platform to kick it.
template <class V>
ENSO_INLINE void raise_upcall(State<V>& s, typename V::U16 d, typename V::U32 si,
                              typename V::U32 word) {
    s.mem.fetch_or64(si, kPendingSelWord, typename V::U64{1} << as_u64<V>(word));
    s.mem.fetch_or64(si, kUpcallPendingWord, 1);
    add_effect<V>(s, d, kEffectUpcall);
}

// Marks port pending in d; if it was newly pending and not masked, raises the
// selector bit and the upcall flag, and asks the platform to kick the vCPU.
template <class V>
ENSO_INLINE void evtchn_set_pending(State<V>& s, typename V::U16 d, typename V::U32 port) {
    auto si = s.doms.shared_info.get(d);
    auto word = port >> 6;
    auto bit = port_bit<V>(port);
    auto old = s.mem.fetch_or64(si, kEvtchnPendingWord + word, bit);
    if ((old & bit) != 0 || (s.mem.load64(si, kEvtchnMaskWord + word) & bit) != 0) {
        return;
    }
    raise_upcall<V>(s, d, si, word);
}

template <class V>
ENSO_INLINE typename V::Bool port_valid(typename V::U32 port) {
    return port != 0 && port < kMaxPorts; // Xen never allocates port 0
}

// EVTCHNOP_alloc_unbound. port is a free port the driver chose (0 if none).
// Only domain 0 may allocate in another domain.
template <class V>
ENSO_INLINE Rc evtchn_alloc_unbound(State<V>& s, typename V::U16 caller, typename V::U16 dom,
                                    typename V::U16 remote_dom, typename V::U32 port) {
    auto ld = resolve_domid<V>(caller, dom);
    if (ENSO_CHECKED(V, kAllocForeignPort, ld != caller && caller != 0)) {
        return kEPERM;
    }
    if (!domain_live<V>(s, ld)) {
        return kESRCH;
    }
    auto rd = resolve_domid<V>(ld, remote_dom);
    if (rd >= kMaxDomains) {
        return kESRCH;
    }
    if (!ENSO_MUTATED(V, kPortOutOfRange, port_valid<V>(port),
                      port != 0 && port < (kMaxPorts << kDomainBits)) ||
        s.evtchn.state.get(port_index<V>(ld, port)) != EVTCHNSTAT_closed) {
        return kENOSPC;
    }
    auto pi = port_index<V>(ld, port);
    s.evtchn.state.set(pi, as_u8<V>(EVTCHNSTAT_unbound));
    s.evtchn.remote_dom.set(pi, rd);
    s.evtchn.remote_port.set(pi, 0);
    return kOk;
}

// EVTCHNOP_bind_interdomain: connects a free local port to the remote's
// unbound port that was offered to the caller.
template <class V>
ENSO_INLINE Rc evtchn_bind_interdomain(State<V>& s, typename V::U16 d, typename V::U16 remote_dom,
                                       typename V::U32 remote_port, typename V::U32 local_port) {
    if (!domain_live<V>(s, d)) {
        return kESRCH; // a caller that is not live makes no calls
    }
    auto rd = resolve_domid<V>(d, remote_dom);
    if (!domain_live<V>(s, rd)) {
        return kESRCH;
    }
    if (!port_valid<V>(remote_port)) {
        return kEINVAL;
    }
    auto ri = port_index<V>(rd, remote_port);
    if (ENSO_MUTATED(V, kBindConnectedPort,
                     s.evtchn.state.get(ri) != EVTCHNSTAT_unbound ||
                         ENSO_CHECKED(V, kBindUnofferedPort, s.evtchn.remote_dom.get(ri) != d),
                     s.evtchn.state.get(ri) == EVTCHNSTAT_closed)) {
        return kEINVAL;
    }
    if (!port_valid<V>(local_port) ||
        s.evtchn.state.get(port_index<V>(d, local_port)) != EVTCHNSTAT_closed ||
        (rd == d && local_port == remote_port)) {
        return kENOSPC;
    }
    auto li = port_index<V>(d, local_port);
    s.evtchn.state.set(li, as_u8<V>(EVTCHNSTAT_interdomain));
    s.evtchn.remote_dom.set(li, rd);
    s.evtchn.remote_port.set(li, remote_port);
    s.evtchn.state.set(ri, as_u8<V>(EVTCHNSTAT_interdomain));
    s.evtchn.remote_port.set(ri, local_port);
    // As Xen: the new local port starts pending so no event is lost.
    evtchn_set_pending<V>(s, d, local_port);
    return kOk;
}

template <class V>
ENSO_INLINE Rc evtchn_send(State<V>& s, typename V::U16 d, typename V::U32 port) {
    if (!domain_live<V>(s, d)) {
        return kESRCH; // a caller that is not live makes no calls
    }
    if (!port_valid<V>(port)) {
        return kEINVAL;
    }
    auto pi = port_index<V>(d, port);
    auto st = s.evtchn.state.get(pi);
    if (st == EVTCHNSTAT_interdomain) {
        evtchn_set_pending<V>(s, s.evtchn.remote_dom.get(pi),
                              ENSO_MUTATED(V, kSendWrongPort, s.evtchn.remote_port.get(pi), port));
        return kOk;
    }
    if (st == EVTCHNSTAT_unbound) {
        return kOk; // nobody to tell yet, as in Xen
    }
    return kEINVAL;
}

// EVTCHNOP_close: the peer of an interdomain channel falls back to unbound,
// waiting for the caller again.
template <class V>
ENSO_INLINE Rc evtchn_close(State<V>& s, typename V::U16 d, typename V::U32 port) {
    if (!domain_live<V>(s, d)) {
        return kESRCH; // a caller that is not live makes no calls
    }
    if (!port_valid<V>(port)) {
        return kEINVAL;
    }
    auto pi = port_index<V>(d, port);
    auto st = s.evtchn.state.get(pi);
    if (st == EVTCHNSTAT_closed) {
        return kEINVAL;
    }
    if (ENSO_CHECKED(V, kCloseLeavesPeer, st == EVTCHNSTAT_interdomain)) {
        auto ri = port_index<V>(s.evtchn.remote_dom.get(pi), s.evtchn.remote_port.get(pi));
        s.evtchn.state.set(ri, as_u8<V>(EVTCHNSTAT_unbound));
        s.evtchn.remote_dom.set(ri, d);
        s.evtchn.remote_port.set(ri, 0);
    }
    s.evtchn.state.set(pi, as_u8<V>(EVTCHNSTAT_closed));
    s.evtchn.remote_dom.set(pi, 0);
    s.evtchn.remote_port.set(pi, 0);
    if (s.doms.state.get(d) == kDomLive) {
        auto bit = port_bit<V>(port);
        s.mem.fetch_and64(s.doms.shared_info.get(d), kEvtchnPendingWord + (port >> 6), ~bit);
    }
    return kOk;
}

template <class V>
struct EvtchnStatus {
    typename V::U8 status;
    typename V::U16 dom;
    typename V::U32 port;
};

template <class V>
ENSO_INLINE Rc evtchn_status(const State<V>& s, typename V::U16 caller, typename V::U16 dom,
                             typename V::U32 port, EvtchnStatus<V>& out) {
    auto d = resolve_domid<V>(caller, dom);
    if (d != caller && caller != 0) {
        return kEPERM;
    }
    if (!domain_live<V>(s, d)) {
        return kESRCH;
    }
    if (port >= kMaxPorts) {
        return kEINVAL;
    }
    auto pi = port_index<V>(d, port);
    out.status = s.evtchn.state.get(pi);
    out.dom = s.evtchn.remote_dom.get(pi);
    out.port = s.evtchn.remote_port.get(pi);
    return kOk;
}

// EVTCHNOP_unmask: clears the mask bit and delivers what was pending.
template <class V>
ENSO_INLINE Rc evtchn_unmask(State<V>& s, typename V::U16 d, typename V::U32 port) {
    if (!domain_live<V>(s, d)) {
        return kESRCH; // a caller that is not live makes no calls
    }
    if (port >= kMaxPorts) {
        return kEINVAL;
    }
    auto si = s.doms.shared_info.get(d);
    auto word = port >> 6;
    auto bit = port_bit<V>(port);
    auto old = s.mem.fetch_and64(si, kEvtchnMaskWord + word, ~bit);
    if ((old & bit) != 0 && (s.mem.load64(si, kEvtchnPendingWord + word) & bit) != 0) {
        raise_upcall<V>(s, d, si, word);
    }
    return kOk;
}

} // namespace enso::core
