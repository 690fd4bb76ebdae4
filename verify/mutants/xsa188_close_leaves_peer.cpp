// XSA-188: a use-after-free in the event-channel code, where one end of a
// channel outlived the other. The copy of evtchn_close below closes the
// caller's end and leaves the peer bound to it.
// Hostile twin (the same attack from a real guest, which the core refuses):
// tests/hostile/evtchn_send_closed.
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
        auto port = a.u32(1);
        if (!domain_live<V>(s, d)) {
            return kESRCH;
        }
        if (!port_valid<V>(port)) {
            return kEINVAL;
        }
        auto pi = port_index<V>(d, port);
        if (s.evtchn.state.get(pi) == EVTCHNSTAT_closed) {
            return kEINVAL;
        }
        // BUG: the peer of an interdomain channel is not told.
        s.evtchn.state.set(pi, as_u8<V>(EVTCHNSTAT_closed));
        s.evtchn.remote_dom.set(pi, 0);
        s.evtchn.remote_port.set(pi, 0);
        return kOk;
    }
};

} // namespace

Mutant make_xsa188_close_leaves_peer() {
    return {"xsa188_close_leaves_peer",
            "XSA-188",
            "evtchn_close",
            "closing one end of an interdomain channel leaves the other end bound to a closed "
            "port",
            {"evtchn_peers_consistent"},
            make_spec<Handler>("evtchn_close", "event", "mutant of evtchn_close",
                               {{"d", 16}, {"port", 32}}, caller_is_live)};
}

} // namespace enso::verify
