// Time in the guest: the TSC, at the frequency the host measured and wrote
// into the command page (tsc_khz). CR4.TSD is clear, so rdtsc works at CPL3
// without an exit.
#pragma once

#include "workloads/guest/boot_info.hpp"

namespace enso::guest {

// rdtsc fenced on both sides (lfence), so the work being timed can neither
// start before the first read nor finish after the second.
inline uint64_t rdtsc_ordered() {
    uint32_t lo;
    uint32_t hi;
    asm volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
    return (uint64_t{hi} << 32) | lo;
}

inline uint64_t tsc_khz() {
    return command_page()->tsc_khz;
}

// TSC ticks in us microseconds (a fallback of 1 GHz if the host gave none).
inline uint64_t tsc_ticks_us(uint64_t us) {
    const uint64_t khz = tsc_khz() != 0 ? tsc_khz() : 1000000;
    return us * khz / 1000;
}

inline void cpu_relax() {
    asm volatile("pause" : : : "memory");
}

} // namespace enso::guest
