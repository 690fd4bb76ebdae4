// The memory-bound compute kernel: a pointer chase through one random cycle
// over every cache line of a buffer, so each load waits for the previous one
// and misses the caches (and, past the TLB's reach, the TLB) as the buffer
// grows. Header-only and freestanding (only <stdint.h>), no allocation: the
// caller passes the buffer. The guest kernel and the native twin compile this
// same source.
#pragma once

#include <stdint.h>

namespace enso::compute {

// One node per 64-byte cache line; its first word links to the next node.
inline constexpr uint64_t kChaseNodeBytes = 64;
inline constexpr uint64_t kChaseNodeWords = kChaseNodeBytes / sizeof(uint64_t);
inline constexpr uint64_t kChaseSeed = 0x656e736f63686173ULL;

constexpr uint64_t chase_nodes(uint64_t bytes) {
    return bytes / kChaseNodeBytes;
}

// A buffer of `bytes` can be chased when it holds at least two nodes.
constexpr bool chase_size_ok(uint64_t bytes) {
    return chase_nodes(bytes) >= 2;
}

// xorshift64*: enough randomness for a shuffle, and the same on every host.
constexpr uint64_t chase_random(uint64_t& state) {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545f4914f6cdd1dULL;
}

// Links the nodes of buf (bytes long, 8-byte aligned, chase_size_ok) into one
// cycle through all of them, in random order (Sattolo's algorithm, in place).
// Links are word indices, not pointers, so the checksum does not depend on
// where the buffer lives (guest scratch mapping or host heap). Not timed.
inline void chase_prepare(uint64_t* buf, uint64_t bytes, uint64_t seed = kChaseSeed) {
    const uint64_t n = chase_nodes(bytes);
    for (uint64_t i = 0; i < n; ++i) {
        buf[i * kChaseNodeWords] = i * kChaseNodeWords;
    }
    uint64_t state = seed | 1; // xorshift must not start at 0
    for (uint64_t i = n - 1; i > 0; --i) {
        const uint64_t j = chase_random(state) % i;
        const uint64_t t = buf[i * kChaseNodeWords];
        buf[i * kChaseNodeWords] = buf[j * kChaseNodeWords];
        buf[j * kChaseNodeWords] = t;
    }
}

// steps dependent loads from node 0; returns the sum of the word indices
// visited. Over k whole cycles of n nodes that is k * 8 * n * (n - 1) / 2,
// whatever the order. Out of line, so guest and native time the same code.
[[gnu::noinline]] inline uint64_t chase_run(const uint64_t* buf, uint64_t steps) {
    uint64_t at = 0;
    uint64_t sum = 0;
    for (uint64_t s = 0; s < steps; ++s) {
        at = buf[at];
        sum += at;
    }
    return sum;
}

} // namespace enso::compute
