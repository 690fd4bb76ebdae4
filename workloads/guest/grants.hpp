// Granting this guest's frames to other domains, Xen's v1 protocol, in
// grant-table frame 0 (grant_entry_v1_t[512] at kGrantTableVa, which the
// builder set up and mapped). Refs below GNTTAB_NR_RESERVED_ENTRIES are left
// to tools, as in Linux.
#pragma once

#include "workloads/guest/xen.hpp"

namespace enso::guest {

inline constexpr uint32_t kGrantRefs = 4096 / sizeof(grant_entry_v1_t);

// Offers mfn to domain `to` (read-only if readonly): writes the entry's frame
// and domid, then its flags last. Returns the ref, or -ENOSPC.
long grant_access(domid_t to, uint64_t mfn, bool readonly);

// Ends a grant made by grant_access: 0 once the entry is invalid, -EBUSY
// while the grantee still maps or copies it (GTF_reading/GTF_writing),
// -EINVAL for a ref this guest did not grant.
long grant_end_access(uint32_t ref);

// The frame behind a ref this guest granted (0 if none).
uint64_t grant_frame(uint32_t ref);

} // namespace enso::guest
