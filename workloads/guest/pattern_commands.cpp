// Known patterns in the guest's own memory, checked by the guest itself: the
// victim of the hostile tests (tests/hostile) fills frames before an attack
// and verifies them after it, so "no victim harmed" is the victim's word.
#include "workloads/guest/commands.hpp"
#include "workloads/guest/console.hpp"
#include "workloads/guest/frame_allocator.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::guest {

namespace {

constexpr uint64_t kWords = abi::kPageSize / 8;

// Different in every word and for every seed, so a stray write of any
// value, even a copy of another pattern frame, shows.
uint64_t pattern_word(uint64_t seed, uint64_t i) {
    uint64_t x = seed + i * 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    return x ^ (x >> 31);
}

} // namespace

void cmd_pattern_fill(Args a, Result& r) {
    const uint64_t mfn = alloc_frame();
    if (mfn == kNoMfn) {
        r.status = -XEN_ENOMEM;
        return;
    }
    volatile uint64_t* p = phys_ptr(mfn << kPageShift);
    for (uint64_t i = 0; i < kWords; ++i) {
        p[i] = pattern_word(a[0], i);
    }
    r.values[0] = mfn;
}

void cmd_pattern_check(Args a, Result& r) {
    if (a[2] > 1) {
        r.status = -XEN_EINVAL;
        return;
    }
    const volatile uint64_t* p = phys_ptr(a[0] << kPageShift);
    const uint64_t byte_word = 0x0101010101010101ULL * (a[1] & 0xff);
    for (uint64_t i = 0; i < kWords; ++i) {
        const uint64_t want = a[2] == 0 ? pattern_word(a[1], i) : byte_word;
        const uint64_t got = p[i];
        if (got != want) {
            printk("enso-guest: frame %lx differs at byte %lu: %lx, not %lx\n", a[0], i * 8, got,
                   want);
            r.status = -XEN_EIO;
            r.values[0] = i * 8;
            r.values[1] = got;
            return;
        }
    }
}

} // namespace enso::guest
