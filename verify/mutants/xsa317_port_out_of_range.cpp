// XSA-317: incorrect error handling in event-channel port allocation. The
// copy of evtchn_alloc_unbound below accepts a port number beyond the
// table, whose index then lands in another domain's ports.
// Hostile twin (the same attack from a real guest, which the core refuses):
// tests/hostile/evtchn_foreign_port.
#include "hvcore/core/event_channel_ops.hpp"
#include "verify/handler_catalog.hpp"
#include "verify/mutant.hpp"

namespace enso::verify {

namespace {

using namespace core;

struct Handler {
    template <class V>
    static Rc run(State<V>& s, const Args<V>& a) {
        auto caller = a.u16(0);
        auto ld = resolve_domid<V>(caller, a.u16(1));
        if (ld != caller && caller != 0) {
            return kEPERM;
        }
        if (!domain_live<V>(s, ld)) {
            return kESRCH;
        }
        auto rd = resolve_domid<V>(ld, a.u16(2));
        if (rd >= kMaxDomains) {
            return kESRCH;
        }
        auto port = a.u32(3);
        // BUG: the port is checked against zero only, not against the table.
        if (port == 0 || port >= (kMaxPorts << kDomainBits) ||
            s.evtchn.state.get(port_index<V>(ld, port)) != EVTCHNSTAT_closed) {
            return kENOSPC;
        }
        auto pi = port_index<V>(ld, port);
        s.evtchn.state.set(pi, as_u8<V>(EVTCHNSTAT_unbound));
        s.evtchn.remote_dom.set(pi, rd);
        s.evtchn.remote_port.set(pi, 0);
        return kOk;
    }
};

} // namespace

Mutant make_xsa317_port_out_of_range() {
    return {"xsa317_port_out_of_range",
            "XSA-317",
            "evtchn_alloc_unbound",
            "a port number beyond the table is accepted; its index aliases a port of another "
            "domain, which may be dead",
            {"no_leak_after_destroy", "evtchn_peers_consistent"},
            make_spec<Handler>("evtchn_alloc_unbound", "event", "mutant of evtchn_alloc_unbound",
                               {{"caller", 16}, {"dom", 16}, {"remote_dom", 16}, {"port", 32}},
                               caller_is_live)};
}

} // namespace enso::verify
