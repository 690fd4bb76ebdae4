// The integer compute kernel: a serial chain of 64-bit multiply, xor and
// shift steps (splitmix64's finalizer). No memory traffic and no hypercalls,
// so a guest's time over a native process's is what it pays for pure CPU
// work. Header-only and freestanding (only <stdint.h>): the guest kernel and
// the native twin compile this same source.
#pragma once

#include <stdint.h>

namespace enso::compute {

inline constexpr uint64_t kIntMixSeed = 0x9e3779b97f4a7c15ULL;

constexpr uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

// The steps int_mix(size, reps) runs: what a per-step time divides by.
constexpr uint64_t int_mix_steps(uint64_t size, uint64_t reps) {
    return size * reps;
}

// size * reps steps, each needing the previous one's result, so neither the
// compiler nor the CPU can overlap or fold them. Out of line, so the guest
// and the native twin time the same machine code whatever calls it.
[[gnu::noinline]] inline uint64_t int_mix(uint64_t size, uint64_t reps) {
    uint64_t h = kIntMixSeed;
    for (uint64_t r = 0; r < reps; ++r) {
        for (uint64_t i = 0; i < size; ++i) {
            h = mix64(h + i);
        }
        h ^= r;
    }
    return h;
}

} // namespace enso::compute
