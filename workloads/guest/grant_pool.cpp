#include "workloads/guest/grant_pool.hpp"

#include "workloads/guest/hypercall.hpp"
#include "workloads/guest/page_tables.hpp"
#include "workloads/guest/scratch_area.hpp"

namespace enso::guest {

namespace {

constexpr uint32_t kRefsPerFrame = 4096 / sizeof(grant_entry_v1_t);
constexpr uint32_t kPoolFrames = kGrantPoolEnd / kRefsPerFrame;

bool g_ready = false;
uint32_t g_free[kGrantPoolEnd - kGrantPoolFirst];
uint32_t g_nr_free = 0;

grant_entry_v1_t* entry(uint32_t ref) {
    const uint32_t frame = ref / kRefsPerFrame;
    auto* table = frame == 0 ? reinterpret_cast<grant_entry_v1_t*>(abi::kGrantTableVa)
                             : reinterpret_cast<grant_entry_v1_t*>(
                                   kGrantPoolVa + uint64_t{frame - 1} * abi::kPageSize);
    return table + ref % kRefsPerFrame;
}

} // namespace

long grant_pool_init() {
    if (g_ready) {
        return 0;
    }
    xen_pfn_t frames[kPoolFrames] = {};
    gnttab_setup_table_t op{};
    op.dom = DOMID_SELF;
    op.nr_frames = kPoolFrames;
    set_xen_guest_handle(op.frame_list, frames);
    if (const long rc = HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &op, 1); rc != 0) {
        return rc;
    }
    if (op.status != GNTST_okay) {
        return -XEN_ENOMEM;
    }
    if (const long rc = scratch_init(); rc != 0) {
        return rc;
    }
    for (uint32_t i = 1; i < kPoolFrames; ++i) {
        const uint64_t va = kGrantPoolVa + uint64_t{i - 1} * abi::kPageSize;
        uint64_t l1e = 0;
        if (long rc = ensure_l1_entry(va, &l1e); rc != 0) {
            return rc;
        }
        if (long rc = map_frame(va, frames[i], kPteData); rc != 0) {
            return rc;
        }
    }
    g_nr_free = 0;
    for (uint32_t ref = kGrantPoolEnd; ref-- > kGrantPoolFirst;) {
        g_free[g_nr_free++] = ref;
    }
    g_ready = true;
    return 0;
}

long gref_alloc() {
    if (g_nr_free == 0) {
        return -XEN_ENOSPC;
    }
    return g_free[--g_nr_free];
}

void gref_free(uint32_t ref) {
    if (ref >= kGrantPoolFirst && ref < kGrantPoolEnd &&
        g_nr_free < kGrantPoolEnd - kGrantPoolFirst) {
        g_free[g_nr_free++] = ref;
    }
}

uint32_t grefs_free() {
    return g_nr_free;
}

void gref_grant(uint32_t ref, domid_t to, uint64_t mfn, bool readonly) {
    volatile grant_entry_v1_t* e = entry(ref);
    e->frame = static_cast<uint32_t>(mfn);
    e->domid = to;
    // The grantee may act as soon as flags say permit_access: frame and
    // domid first (x86 keeps stores in order; this keeps the compiler from
    // reordering them).
    asm volatile("" : : : "memory");
    e->flags = static_cast<uint16_t>(GTF_permit_access | (readonly ? GTF_readonly : 0));
}

long gref_end(uint32_t ref) {
    uint16_t* flags = &entry(ref)->flags;
    uint16_t old = __atomic_load_n(flags, __ATOMIC_ACQUIRE);
    do {
        if ((old & (GTF_reading | GTF_writing)) != 0) {
            return -XEN_EBUSY;
        }
    } while (!__atomic_compare_exchange_n(flags, &old, uint16_t{0}, false, __ATOMIC_SEQ_CST,
                                          __ATOMIC_ACQUIRE));
    return 0;
}

} // namespace enso::guest
