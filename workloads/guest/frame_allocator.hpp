// The frames a workload may use: pfns first_free_pfn .. nr_pages of
// start_info's mfn_list, each mapped read-write (only) in the phys map.
// A bump allocator plus a small free list for frames given back (grants that
// ended); frames made into page tables are never given back.
#pragma once

#include <stdint.h>

namespace enso::guest {

inline constexpr uint64_t kNoMfn = ~uint64_t{0};

void frames_init(const uint64_t* mfn_list, uint64_t first_free_pfn, uint64_t nr_pages);

// A free machine frame, or kNoMfn when none is left.
uint64_t alloc_frame();

// Returns a frame from alloc_frame that is again plain memory, mapped only
// read-write in the phys map.
void free_frame(uint64_t mfn);

uint64_t frames_left();

} // namespace enso::guest
