#include "workloads/guest/grants.hpp"

#include "workloads/guest/boot_info.hpp"

namespace enso::guest {

namespace {

// Which refs this guest handed out, and the frame of each (0: free).
uint64_t g_granted[kGrantRefs];
bool g_in_use[kGrantRefs];

} // namespace

long grant_access(domid_t to, uint64_t mfn, bool readonly) {
    grant_entry_v1_t* table = grant_table();
    for (uint32_t ref = GNTTAB_NR_RESERVED_ENTRIES; ref < kGrantRefs; ++ref) {
        if (g_in_use[ref]) {
            continue;
        }
        g_in_use[ref] = true;
        g_granted[ref] = mfn;
        volatile grant_entry_v1_t& e = table[ref];
        e.frame = static_cast<uint32_t>(mfn);
        e.domid = to;
        // The grantee may act as soon as flags say permit_access: frame and
        // domid must be visible first (x86 keeps stores in order; this keeps
        // the compiler from reordering them).
        asm volatile("" : : : "memory");
        e.flags = static_cast<uint16_t>(GTF_permit_access | (readonly ? GTF_readonly : 0));
        return ref;
    }
    return -XEN_ENOSPC;
}

long grant_end_access(uint32_t ref) {
    if (ref >= kGrantRefs || !g_in_use[ref]) {
        return -XEN_EINVAL;
    }
    uint16_t* flags = &grant_table()[ref].flags;
    uint16_t old = __atomic_load_n(flags, __ATOMIC_ACQUIRE);
    do {
        if ((old & (GTF_reading | GTF_writing)) != 0) {
            return -XEN_EBUSY;
        }
        // A grantee sets reading/writing with an atomic or on the same word:
        // the exchange fails if it did so after our load, and we look again.
    } while (!__atomic_compare_exchange_n(flags, &old, uint16_t{0}, false, __ATOMIC_SEQ_CST,
                                          __ATOMIC_ACQUIRE));
    g_in_use[ref] = false;
    g_granted[ref] = 0;
    return 0;
}

uint64_t grant_frame(uint32_t ref) {
    return ref < kGrantRefs ? g_granted[ref] : 0;
}

} // namespace enso::guest
