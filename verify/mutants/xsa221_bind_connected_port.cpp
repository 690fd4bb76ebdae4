// XSA-221: missing state checks in event-channel operations (a NULL
// dereference on a port in an unexpected state). The copy of
// evtchn_bind_interdomain below binds to a remote port without checking
// that it is still unbound, stealing it from an existing channel.
// Hostile twin (the same attack from a real guest, which the core refuses):
// tests/hostile/evtchn_bind_not_offered.
#include "hvcore/core/event_channel_ops.hpp"
#include "verify/handler_catalog.hpp"
#include "verify/mutant.hpp"

namespace enso::verify {

namespace {

using namespace core;

struct Handler {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        auto d = a.u16(0);
        auto remote_dom = a.u16(1);
        auto remote_port = a.u32(2);
        auto local_port = a.u32(3);
        if (!domain_live<V>(s, d)) {
            return kESRCH;
        }
        auto rd = resolve_domid<V>(d, remote_dom);
        if (!domain_live<V>(s, rd)) {
            return kESRCH;
        }
        if (!port_valid<V>(remote_port)) {
            return kEINVAL;
        }
        auto ri = port_index<V>(rd, remote_port);
        // BUG: no check that the remote port is unbound and offered to d.
        if (s.evtchn.state.get(ri) == EVTCHNSTAT_closed) {
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
        s.evtchn.remote_dom.set(ri, d);
        s.evtchn.remote_port.set(ri, local_port);
        evtchn_set_pending<V>(s, d, local_port);
        return kOk;
    }
};

} // namespace

Mutant make_xsa221_bind_connected_port() {
    return {
        "xsa221_bind_connected_port",
        "XSA-221",
        "evtchn_bind_interdomain",
        "binding does not check the remote port's state: a connected port is taken over "
        "and its old peer is left pointing at it",
        {"evtchn_peers_consistent"},
        make_spec<Handler>("evtchn_bind_interdomain", "event", "mutant of evtchn_bind_interdomain",
                           {{"d", 16}, {"remote_dom", 16}, {"remote_port", 32}, {"local_port", 32}},
                           caller_is_live)};
}

} // namespace enso::verify
