// Grant-table state the core keeps for itself (Xen's active entries and
// maptrack). The granted entries themselves live in the granter's grant-table
// frames in machine memory, where the guest writes them.
#pragma once

#include "hvcore/core/value_domain.hpp"

#include <cstdint>

namespace enso::core {

enum MaptrackFlag : std::uint8_t {
    kMapInUse = 1U << 0,
    kMapReadonly = 1U << 1,
    kMapPte = 1U << 2, // the map installed a PTE at host_addr (machine address)
    // Which of Xen's two mappings the handle still holds (GNTMAP_host_map,
    // GNTMAP_device_map); each is unmapped on its own, and the grant is
    // released with the last.
    kMapHost = 1U << 3,
    kMapDevice = 1U << 4,
};

template <class V>
struct GrantState {
    // Active entries, indexed (granter << kGrantRefBits) | ref.
    typename V::template Array<typename V::U32> act_readers; // read-only maps
    typename V::template Array<typename V::U32> act_writers; // writable maps
    typename V::template Array<typename V::U32> act_frame;
    typename V::template Array<typename V::U16> act_grantee;
    // Maptrack, indexed (grantee << kMaptrackBits) | handle.
    typename V::template Array<typename V::U8> map_flags; // MaptrackFlag bits
    typename V::template Array<typename V::U16> map_granter;
    typename V::template Array<typename V::U32> map_ref;
    typename V::template Array<typename V::U64> map_host_addr;
};

} // namespace enso::core
