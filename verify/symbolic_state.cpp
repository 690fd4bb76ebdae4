#include "verify/symbolic_state.hpp"

namespace enso::verify {

SState make_symbolic_state() {
    SState s;
    s.nr_frames = Symbolic::U32(sym_ctx().bv_const("nr_frames", 32));
#define ENSO_FRESH(field) s.field = decltype(s.field)(#field)
    ENSO_FRESH(frames.owner);
    ENSO_FRESH(frames.count);
    ENSO_FRESH(frames.type);
    ENSO_FRESH(frames.type_count);
    ENSO_FRESH(frames.flags);
    ENSO_FRESH(doms.state);
    ENSO_FRESH(doms.tot_pages);
    ENSO_FRESH(doms.max_pages);
    ENSO_FRESH(doms.baseptr);
    ENSO_FRESH(doms.shared_info);
    ENSO_FRESH(doms.gnttab_nr_frames);
    ENSO_FRESH(doms.gnttab_frame);
    ENSO_FRESH(doms.shutdown_code);
    ENSO_FRESH(doms.effects);
    ENSO_FRESH(doms.invlpg_va);
    ENSO_FRESH(grants.act_readers);
    ENSO_FRESH(grants.act_writers);
    ENSO_FRESH(grants.act_frame);
    ENSO_FRESH(grants.act_grantee);
    ENSO_FRESH(grants.map_flags);
    ENSO_FRESH(grants.map_granter);
    ENSO_FRESH(grants.map_ref);
    ENSO_FRESH(grants.map_host_addr);
    ENSO_FRESH(evtchn.state);
    ENSO_FRESH(evtchn.remote_dom);
    ENSO_FRESH(evtchn.remote_port);
#undef ENSO_FRESH
    s.mem = SymMemory("mem");
    return s;
}

} // namespace enso::verify
