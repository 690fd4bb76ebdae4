// Sizes and clears every table of a state with arrays that can be sized
// (concrete ones; a symbolic state is unconstrained instead).
#pragma once

#include "hvcore/core/state.hpp"

#include <cstddef>

namespace enso::core {

template <class V>
void init_state(State<V>& s, std::uint32_t nr_frames) {
    using U8 = typename V::U8;
    using U16 = typename V::U16;
    using U32 = typename V::U32;
    using U64 = typename V::U64;
    s.nr_frames = nr_frames;
    s.frames.owner.resize(nr_frames, U16(DOMID_INVALID));
    s.frames.count.resize(nr_frames, U32(0));
    s.frames.type.resize(nr_frames, U8(kTypeNone));
    s.frames.type_count.resize(nr_frames, U32(0));
    s.frames.flags.resize(nr_frames, U8(0));

    s.doms.state.resize(kMaxDomains, U8(kDomFree));
    s.doms.tot_pages.resize(kMaxDomains, U32(0));
    s.doms.max_pages.resize(kMaxDomains, U32(0));
    s.doms.baseptr.resize(kMaxDomains, U32(kNoFrame));
    s.doms.shared_info.resize(kMaxDomains, U32(kNoFrame));
    s.doms.gnttab_nr_frames.resize(kMaxDomains, U8(0));
    s.doms.gnttab_frame.resize(std::size_t{kMaxDomains} * kMaxGrantFrames, U32(kNoFrame));
    s.doms.gnttab_status.resize(kMaxDomains, U32(kNoFrame));
    s.doms.shutdown_code.resize(kMaxDomains, U8(kNotShutDown));
    s.doms.effects.resize(kMaxDomains, U8(0));
    s.doms.invlpg_va.resize(kMaxDomains, U64(0));

    const std::size_t grants = std::size_t{kMaxDomains} * kMaxGrantRefs;
    s.grants.act_readers.resize(grants, U32(0));
    s.grants.act_writers.resize(grants, U32(0));
    s.grants.act_frame.resize(grants, U32(kNoFrame));
    s.grants.act_grantee.resize(grants, U16(DOMID_INVALID));
    const std::size_t maps = std::size_t{kMaxDomains} * kMaxMaptrack;
    s.grants.map_flags.resize(maps, U8(0));
    s.grants.map_granter.resize(maps, U16(0));
    s.grants.map_ref.resize(maps, U32(0));
    s.grants.map_host_addr.resize(maps, U64(0));

    const std::size_t ports = std::size_t{kMaxDomains} * kMaxPorts;
    s.evtchn.state.resize(ports, U8(EVTCHNSTAT_closed));
    s.evtchn.remote_dom.resize(ports, U16(0));
    s.evtchn.remote_port.resize(ports, U32(0));
}

} // namespace enso::core
