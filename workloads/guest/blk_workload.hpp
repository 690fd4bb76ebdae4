// The block I/O workloads the blk suite and tests run in the guest: an I/O
// pattern at a queue depth, timed with the TSC, every written block stamped
// (workloads/blkio) and every read block checked; and the crash test's
// write stream with flushes. The device is blkfront or the emulated disk;
// the native twin (bench/blk/native_twin.hpp) runs the same patterns and
// checks on the host.
#pragma once

#include "hvcore/abi/blk.hpp"
#include "workloads/blkio/io_pattern.hpp"
#include "workloads/guest/blkfront.hpp"

namespace enso::guest {

struct BlkRunParams {
    blkio::Pattern pattern = blkio::Pattern::randread;
    uint32_t device = abi::kBlkDevicePv;
    uint64_t options = 0; // kBlkRun* bits
    uint64_t io_bytes = 4096;
    uint64_t queue_depth = 1;
    uint64_t count = 1;
    uint64_t seed = 1;
    uint64_t span_bytes = 0; // 0: the whole disk
};

// Runs the pattern. Returns 0 or an errno (stats hold what was done);
// *tsc_cycles the timed part, *qd the queue depth it could use.
long blk_run(const BlkRunParams& p, abi::BlkRunStats& stats, uint64_t* tsc_cycles, uint64_t* qd);

// The write stream: writes i = 0.. at byte i * io_bytes, generation
// write_generation(seed, i), a flush after every flush_every acknowledged
// writes; progress published as it goes.
long blk_stream(uint64_t io_bytes, uint64_t queue_depth, uint64_t count, uint64_t flush_every,
                uint64_t seed, abi::BlkStreamProgress& progress);

// The disk's size in sectors for the device (blkfront: as connected).
uint64_t blk_disk_sectors(uint32_t device);

} // namespace enso::guest
