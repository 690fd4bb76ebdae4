// The I/O patterns of the blk suite, as functions of the I/O's index: the
// guest and its native twin issue the same offsets in the same order and
// write the same generations. Freestanding (<stdint.h> only).
#pragma once

#include "workloads/blkio/block_integrity.hpp"

#include <stdint.h>

namespace enso::blkio {

enum class Pattern : uint32_t {
    seqread = 0,
    seqwrite = 1,
    randread = 2,
    randwrite = 3,
};
inline constexpr uint32_t kPatterns = 4;

inline constexpr bool is_write(Pattern p) {
    return p == Pattern::seqwrite || p == Pattern::randwrite;
}
inline constexpr bool is_random(Pattern p) {
    return p == Pattern::randread || p == Pattern::randwrite;
}
inline constexpr const char* pattern_name(Pattern p) {
    switch (p) {
    case Pattern::seqread:
        return "seqread";
    case Pattern::seqwrite:
        return "seqwrite";
    case Pattern::randread:
        return "randread";
    case Pattern::randwrite:
        return "randwrite";
    }
    return "unknown";
}

// The byte offset of I/O number i (io_bytes a multiple of kBlockSize, span
// at least io_bytes): sequential I/Os walk the span and wrap, random ones
// land anywhere in it, aligned to their size.
inline uint64_t io_offset(Pattern p, uint64_t i, uint64_t io_bytes, uint64_t span_bytes,
                          uint64_t seed) {
    const uint64_t slots = span_bytes / io_bytes;
    if (slots == 0) {
        return 0;
    }
    if (is_random(p)) {
        return (mix64(seed ^ (i * 0x9e3779b97f4a7c15ULL)) % slots) * io_bytes;
    }
    return (i % slots) * io_bytes;
}

// The generation write number i of a run with this seed stamps on its
// blocks: never 0 (the image fill's), and the run is readable from it.
inline uint64_t write_generation(uint64_t seed, uint64_t i) {
    return ((seed & 0xffffffffULL) << 32) | ((i + 1) & 0xffffffffULL);
}
inline uint64_t generation_seed(uint64_t generation) {
    return generation >> 32;
}

// Fills (before a write) or checks (after a read) the blocks of one I/O at
// byte offset `offset`; `block(k)` gives the k-th 4 KiB block of its buffer
// (buffers need not be contiguous). check_io returns the number of bad blocks.
template <class BlockAt>
inline void fill_io(BlockAt&& block, uint64_t offset, uint64_t io_bytes, uint64_t generation) {
    const uint64_t first = offset / kBlockSize;
    for (uint64_t k = 0; k < io_bytes / kBlockSize; ++k) {
        fill_block(block(k), first + k, generation);
    }
}

template <class BlockAt>
inline uint64_t check_io(BlockAt&& block, uint64_t offset, uint64_t io_bytes) {
    const uint64_t first = offset / kBlockSize;
    uint64_t bad = 0;
    for (uint64_t k = 0; k < io_bytes / kBlockSize; ++k) {
        uint64_t gen = 0;
        bad += check_block(block(k), first + k, &gen) == BlockVerdict::ok ? 0 : 1;
    }
    return bad;
}

} // namespace enso::blkio
