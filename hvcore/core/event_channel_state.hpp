// Event-channel state (2-level ABI). Pending and mask bits live in each
// domain's shared_info page; the connection of each port lives here.
#pragma once

#include "hvcore/core/value_domain.hpp"

namespace enso::core {

template <class V>
struct EventChannelState {
    // Indexed (domain << kPortBits) | port.
    typename V::template Array<typename V::U8> state; // EVTCHNSTAT_*
    typename V::template Array<typename V::U16> remote_dom;
    typename V::template Array<typename V::U32> remote_port;
};

} // namespace enso::core
