#include "workloads/guest/scratch_area.hpp"

#include "workloads/guest/frame_allocator.hpp"
#include "workloads/guest/hypercall.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::guest {

namespace {

uint64_t g_buffer_pages = 0;
mmu_update_t g_batch[kEntriesPerTable];

} // namespace

long scratch_init() {
    uint64_t l1e = 0;
    return ensure_l1_entry(kScratchMmuVa, &l1e);
}

long scratch_buffer(uint64_t bytes, uint64_t** out) {
    if (bytes == 0 || bytes > kScratchBufferMaxBytes) {
        return -XEN_EINVAL;
    }
    const uint64_t pages = (bytes + abi::kPageSize - 1) / abi::kPageSize;
    // Refuse up front what cannot fit (the frames plus an L1 per 2 MiB and
    // an L2): a half-mapped buffer would keep frames other commands need.
    if (pages > g_buffer_pages &&
        pages - g_buffer_pages + pages / kEntriesPerTable + 2 > frames_left()) {
        return -XEN_ENOMEM;
    }
    while (g_buffer_pages < pages) {
        const uint64_t va = kScratchBufferVa + g_buffer_pages * abi::kPageSize;
        uint64_t l1e = 0;
        if (long rc = ensure_l1_entry(va, &l1e); rc != 0) {
            return rc;
        }
        // One mmu_update for the rest of this L1.
        const uint64_t room = kEntriesPerTable - va_slot(va, 1);
        const uint64_t want = pages - g_buffer_pages < room ? pages - g_buffer_pages : room;
        unsigned n = 0;
        for (; n < want; ++n) {
            const uint64_t mfn = alloc_frame();
            if (mfn == kNoMfn) {
                break;
            }
            g_batch[n].ptr = (l1e + n * 8) | MMU_NORMAL_PT_UPDATE;
            g_batch[n].val = (mfn << kPageShift) | kPteData;
        }
        unsigned done = 0;
        const long rc = n > 0 ? HYPERVISOR_mmu_update(g_batch, n, &done, DOMID_SELF) : 0;
        g_buffer_pages += done;
        for (unsigned i = done; i < n; ++i) {
            free_frame((g_batch[i].val & kPteAddrMask) >> kPageShift);
        }
        if (rc != 0) {
            return rc;
        }
        if (n < want) {
            return -XEN_ENOMEM;
        }
    }
    *out = reinterpret_cast<uint64_t*>(kScratchBufferVa);
    return 0;
}

long map_window(uint64_t slot, uint64_t mfn, void** out) {
    if (slot >= kScratchWindows) {
        return -XEN_EINVAL;
    }
    const uint64_t va = kScratchWindowVa + slot * abi::kPageSize;
    uint64_t l1e = 0;
    if (long rc = ensure_l1_entry(va, &l1e); rc != 0) {
        return rc;
    }
    if (long rc = map_frame(va, mfn, kPteData); rc != 0) {
        return rc;
    }
    *out = reinterpret_cast<void*>(va);
    return 0;
}

long unmap_window(uint64_t slot) {
    if (slot >= kScratchWindows) {
        return -XEN_EINVAL;
    }
    return unmap_frame(kScratchWindowVa + slot * abi::kPageSize);
}

} // namespace enso::guest
