// Latencies in a fixed log-linear histogram (16 buckets per power of two,
// so a percentile is within about 6% of the exact value), no allocation and
// no floating point: the guest kernel and the native twin keep theirs the
// same way. Values are whatever unit the caller uses (TSC ticks, ns).
#pragma once

#include <stdint.h>

namespace enso::blkio {

class LatencyHistogram {
public:
    static constexpr uint32_t kSubBits = 4;
    static constexpr uint32_t kSub = 1U << kSubBits;
    static constexpr uint32_t kBuckets = (64 - kSubBits + 1) * kSub;

    void clear() {
        for (uint32_t i = 0; i < kBuckets; ++i) {
            counts_[i] = 0;
        }
        n_ = 0;
        max_ = 0;
    }

    void add(uint64_t v) {
        ++counts_[bucket(v)];
        ++n_;
        max_ = v > max_ ? v : max_;
    }

    [[nodiscard]] uint64_t count() const { return n_; }
    [[nodiscard]] uint64_t max() const { return max_; }

    // The value below which num/den of the samples lie (the middle of the
    // bucket that holds that rank); 0 when empty.
    [[nodiscard]] uint64_t percentile(uint64_t num, uint64_t den) const {
        if (n_ == 0 || den == 0) {
            return 0;
        }
        uint64_t rank = (n_ * num + den - 1) / den; // 1-based
        rank = rank == 0 ? 1 : rank;
        uint64_t seen = 0;
        for (uint32_t b = 0; b < kBuckets; ++b) {
            seen += counts_[b];
            if (seen >= rank) {
                const uint64_t mid = lower(b) + (width(b) - 1) / 2;
                return mid < max_ ? mid : max_;
            }
        }
        return max_;
    }

private:
    static uint32_t bucket(uint64_t v) {
        if (v < kSub) {
            return static_cast<uint32_t>(v);
        }
        const uint32_t msb = 63U - static_cast<uint32_t>(__builtin_clzll(v));
        const uint32_t sub = static_cast<uint32_t>(v >> (msb - kSubBits)) & (kSub - 1);
        return (msb - kSubBits + 1) * kSub + sub;
    }
    static uint64_t lower(uint32_t b) {
        if (b < kSub) {
            return b;
        }
        const uint32_t msb = b / kSub + kSubBits - 1;
        return (uint64_t{1} << msb) | (uint64_t{b % kSub} << (msb - kSubBits));
    }
    static uint64_t width(uint32_t b) { return b < kSub ? 1 : uint64_t{1} << (b / kSub - 1); }

    uint32_t counts_[kBuckets] = {};
    uint64_t n_ = 0;
    uint64_t max_ = 0;
};

} // namespace enso::blkio
