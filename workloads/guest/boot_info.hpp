// Where the domain builder put what the guest is given at boot
// (hvcore/abi/guest_layout.hpp): typed pointers to the fixed pages.
#pragma once

#include "hvcore/abi/command_page.hpp"
#include "hvcore/abi/guest_layout.hpp"
#include "workloads/guest/xen.hpp"

namespace enso::guest {

inline start_info_t* start_info() {
    return reinterpret_cast<start_info_t*>(abi::kStartInfoVa);
}

inline shared_info_t* shared_info() {
    return reinterpret_cast<shared_info_t*>(abi::kSharedInfoVa);
}

inline abi::CommandPage* command_page() {
    return reinterpret_cast<abi::CommandPage*>(abi::kCommandPageVa);
}

// Grant-table frame 0: the v1 entries this guest offers to other domains.
inline grant_entry_v1_t* grant_table() {
    return reinterpret_cast<grant_entry_v1_t*>(abi::kGrantTableVa);
}

// pfn -> machine frame, for every frame the domain was built with.
inline const uint64_t* mfn_list() {
    return reinterpret_cast<const uint64_t*>(abi::kMfnListVa);
}

} // namespace enso::guest
