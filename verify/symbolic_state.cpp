#include "verify/symbolic_state.hpp"

namespace enso::verify {

// One list of the fields, used to create them and to enumerate them.
#define ENSO_STATE_ARRAYS(X)                                                                       \
    X(frames.owner)                                                                                \
    X(frames.count)                                                                                \
    X(frames.type)                                                                                 \
    X(frames.type_count)                                                                           \
    X(frames.flags)                                                                                \
    X(doms.state)                                                                                  \
    X(doms.tot_pages)                                                                              \
    X(doms.max_pages)                                                                              \
    X(doms.baseptr)                                                                                \
    X(doms.shared_info)                                                                            \
    X(doms.gnttab_nr_frames)                                                                       \
    X(doms.gnttab_frame)                                                                           \
    X(doms.gnttab_status)                                                                          \
    X(doms.shutdown_code)                                                                          \
    X(doms.effects)                                                                                \
    X(doms.invlpg_va)                                                                              \
    X(grants.act_readers)                                                                          \
    X(grants.act_writers)                                                                          \
    X(grants.act_frame)                                                                            \
    X(grants.act_grantee)                                                                          \
    X(grants.map_flags)                                                                            \
    X(grants.map_granter)                                                                          \
    X(grants.map_ref)                                                                              \
    X(grants.map_host_addr)                                                                        \
    X(evtchn.state)                                                                                \
    X(evtchn.remote_dom)                                                                           \
    X(evtchn.remote_port)

SState make_symbolic_state() {
    SState s;
    s.nr_frames = Symbolic::U32(sym_ctx().bv_const("nr_frames", 32));
#define ENSO_FRESH(field) s.field = decltype(s.field)(#field);
    ENSO_STATE_ARRAYS(ENSO_FRESH)
#undef ENSO_FRESH
    s.mem = SymMemory("mem");
    return s;
}

std::vector<std::pair<std::string, z3::expr>> state_arrays(const SState& s) {
    std::vector<std::pair<std::string, z3::expr>> out;
#define ENSO_LIST(field) out.emplace_back(#field, s.field.expr());
    ENSO_STATE_ARRAYS(ENSO_LIST)
#undef ENSO_LIST
    out.emplace_back("mem", s.mem.expr());
    return out;
}

void restore_arrays(SState& after, const SState& before, const std::set<std::string>& names) {
#define ENSO_RESTORE(field)                                                                        \
    if (names.contains(#field)) {                                                                  \
        after.field = before.field;                                                                \
    }
    ENSO_STATE_ARRAYS(ENSO_RESTORE)
#undef ENSO_RESTORE
    if (names.contains("mem")) {
        after.mem = before.mem;
    }
}

z3::expr make_pte_witness() {
    auto& c = sym_ctx();
    return c.constant("ghost.pte_witness",
                      c.array_sort(c.bv_sort(32), c.array_sort(c.bv_sort(9), c.bv_sort(32))));
}

} // namespace enso::verify
