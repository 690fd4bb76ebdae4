// Grant references beyond grant-table frame 0's 512, for drivers that grant
// per request (blkfront). The table is grown to the core's maximum of four
// frames (GNTTABOP_setup_table) and frames 1..3 are mapped at kGrantPoolVa,
// an L1 of the scratch area that scratch_area.hpp's layout leaves unused;
// their refs (512..2047) come from a free list, O(1) each. Frame 0 stays
// grants.hpp's.
#pragma once

#include "hvcore/abi/guest_layout.hpp"
#include "workloads/guest/xen.hpp"

namespace enso::guest {

inline constexpr uint64_t kGrantPoolVa = abi::kScratchVa + (4ULL << 20);
inline constexpr uint32_t kGrantPoolFirst = 512;
inline constexpr uint32_t kGrantPoolEnd = 2048;

// Grows the table and maps it (once; later calls return 0 at once).
long grant_pool_init();

// A free ref, or -ENOSPC.
long gref_alloc();
void gref_free(uint32_t ref);
[[nodiscard]] uint32_t grefs_free();

// Fills ref's entry: frame and domid, then the flags that make it live.
void gref_grant(uint32_t ref, domid_t to, uint64_t mfn, bool readonly);
// Ends access: 0 once the entry is invalid, -EBUSY while the grantee still
// has it mapped or is copying (GTF_reading/GTF_writing).
long gref_end(uint32_t ref);

} // namespace enso::guest
