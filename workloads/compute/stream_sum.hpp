// The memory-bandwidth compute kernel: sequential reads of a buffer (four
// independent sums, so loads overlap and bandwidth, not latency, limits it).
// Header-only and freestanding (only <stdint.h>), no allocation: the caller
// passes the buffer. The guest kernel and the native twin compile this same
// source.
#pragma once

#include <stdint.h>

namespace enso::compute {

// Words read by stream_sum(words, reps).
constexpr uint64_t stream_steps(uint64_t words, uint64_t reps) {
    return words * reps;
}

// Fills the buffer so the sum is known: word i holds i.
inline void stream_prepare(uint64_t* buf, uint64_t words) {
    for (uint64_t i = 0; i < words; ++i) {
        buf[i] = i;
    }
}

// reps passes over words words (a multiple of 4).
[[gnu::noinline]] inline uint64_t stream_sum(const uint64_t* buf, uint64_t words, uint64_t reps) {
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (uint64_t r = 0; r < reps; ++r) {
        for (uint64_t i = 0; i + 3 < words; i += 4) {
            s0 += buf[i];
            s1 += buf[i + 1];
            s2 += buf[i + 2];
            s3 += buf[i + 3];
        }
    }
    return s0 + s1 + s2 + s3;
}

} // namespace enso::compute
