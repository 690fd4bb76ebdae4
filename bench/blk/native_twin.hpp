// The native twin of a guest I/O run: this host process doing exactly the
// same pattern (workloads/blkio: offsets, generations, checks) on the same
// image with the same engine and open flags, at the same queue depth, and
// waiting for completions the same way (polling, as the guest polls its
// ring). Timed with the host clock; latencies per I/O in a histogram.
#pragma once

#include "hvcore/backends/blkback.hpp"
#include "workloads/blkio/io_pattern.hpp"

#include <cstdint>
#include <string>

namespace enso::bench {

struct NativeParams {
    blkio::Pattern pattern = blkio::Pattern::randread;
    std::uint64_t io_bytes = 4096;
    std::uint64_t queue_depth = 1;
    std::uint64_t count = 1;
    std::uint64_t seed = 1;
    std::uint64_t span_bytes = 0; // 0: the whole file
    backends::EngineKind engine = backends::EngineKind::uring;
    bool direct = true;
    bool verify_writes = false; // read back what a write run wrote (untimed)
};

struct NativeResult {
    double seconds = 0; // the timed loop
    std::uint64_t ios = 0;
    std::uint64_t bytes = 0;
    std::uint64_t io_errors = 0;
    std::uint64_t bad_blocks = 0;
    std::uint64_t checked_blocks = 0;
    std::uint64_t readback_bad = 0;
    double lat_p50_us = 0;
    double lat_p99_us = 0;
    double cpu_seconds = 0; // this process's user + system time during the loop
};

// Throws std::runtime_error when the file or engine cannot be set up.
NativeResult run_native(const std::string& image, const NativeParams& p);

} // namespace enso::bench
