#include "workloads/guest/frame_allocator.hpp"

#include "workloads/guest/console.hpp"

namespace enso::guest {

namespace {

constexpr uint32_t kFreeListSize = 512;

const uint64_t* g_mfn_list = nullptr;
uint64_t g_next_pfn = 0;
uint64_t g_end_pfn = 0;
uint64_t g_free_list[kFreeListSize];
uint32_t g_free_count = 0;

} // namespace

void frames_init(const uint64_t* mfn_list, uint64_t first_free_pfn, uint64_t nr_pages) {
    g_mfn_list = mfn_list;
    g_next_pfn = first_free_pfn;
    g_end_pfn = nr_pages;
    g_free_count = 0;
}

uint64_t alloc_frame() {
    if (g_free_count > 0) {
        return g_free_list[--g_free_count];
    }
    if (g_mfn_list == nullptr || g_next_pfn >= g_end_pfn) {
        return kNoMfn;
    }
    return g_mfn_list[g_next_pfn++];
}

void free_frame(uint64_t mfn) {
    if (g_free_count < kFreeListSize) {
        g_free_list[g_free_count++] = mfn;
        return;
    }
    // Losing a frame costs a page; saying so beats a silent leak.
    printk("enso-guest: free list full, frame %lx not reused\n", mfn);
}

uint64_t frames_left() {
    return g_free_count + (g_next_pfn < g_end_pfn ? g_end_pfn - g_next_pfn : 0);
}

} // namespace enso::guest
