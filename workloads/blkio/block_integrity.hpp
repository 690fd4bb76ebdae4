// What every written 4 KiB block carries, so every read can be checked: a
// header (magic, the block's own address, the write's generation, a checksum
// of the body) and a body that is a pattern of (lba, generation). A block
// read from the wrong place, a torn or stale-but-garbled block, or a write
// that never landed all show. Freestanding (<stdint.h> only): the guest's
// blkfront workload and the native twin run this same code.
#pragma once

#include <stdint.h>

namespace enso::blkio {

inline constexpr uint32_t kBlockSize = 4096;
inline constexpr uint32_t kSectorSize = 512;
inline constexpr uint32_t kSectorsPerBlock = kBlockSize / kSectorSize;
inline constexpr uint64_t kBlockMagic = 0x656e736f2d626c6bULL; // "enso-blk"

struct BlockHeader {
    uint64_t magic;
    uint64_t lba;        // the block's address in 4 KiB blocks
    uint64_t generation; // 0: written by the image fill; else the write's
    uint64_t checksum;   // of the body (block_checksum)
};
inline constexpr uint32_t kBodyWords = (kBlockSize - sizeof(BlockHeader)) / 8;

inline uint64_t mix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

// The body's first word; word i is first + i * step. An arithmetic
// progression is cheap enough that checking a block costs about as much as
// reading it once, on either side of a twin pair.
inline uint64_t body_first(uint64_t lba, uint64_t generation) {
    return mix64(lba * 0x2545f4914f6cdd1dULL ^ generation);
}
inline constexpr uint64_t kBodyStep = 0xd1b54a32d192ed03ULL;

inline uint64_t* body_of(void* block) {
    return reinterpret_cast<uint64_t*>(static_cast<unsigned char*>(block) + sizeof(BlockHeader));
}
inline const uint64_t* body_of(const void* block) {
    return reinterpret_cast<const uint64_t*>(static_cast<const unsigned char*>(block) +
                                             sizeof(BlockHeader));
}

// Sum and xor of the words, folded: cheap, and any single changed word
// changes it.
inline uint64_t block_checksum(const uint64_t* body) {
    uint64_t sum = 0;
    uint64_t x = 0;
    for (uint32_t i = 0; i < kBodyWords; ++i) {
        sum += body[i];
        x ^= body[i];
    }
    return sum ^ (x * 0x9e3779b97f4a7c15ULL);
}

inline void fill_block(void* block, uint64_t lba, uint64_t generation) {
    uint64_t* body = body_of(block);
    const uint64_t first = body_first(lba, generation);
    for (uint32_t i = 0; i < kBodyWords; ++i) {
        body[i] = first + i * kBodyStep;
    }
    auto* h = static_cast<BlockHeader*>(block);
    h->magic = kBlockMagic;
    h->lba = lba;
    h->generation = generation;
    h->checksum = block_checksum(body);
}

enum class BlockVerdict : uint32_t {
    ok = 0,
    bad_magic = 1,    // not a block this workload wrote (or garbage)
    wrong_lba = 2,    // a block from elsewhere on the disk
    bad_checksum = 3, // the body does not match its checksum
    bad_pattern = 4,  // checksum fine, body not the pattern of (lba, generation)
};

// Checks a block read from lba: header, checksum and pattern. *generation
// receives the generation it claims (also when it fails later checks).
inline BlockVerdict check_block(const void* block, uint64_t lba, uint64_t* generation) {
    const auto* h = static_cast<const BlockHeader*>(block);
    *generation = h->generation;
    if (h->magic != kBlockMagic) {
        return BlockVerdict::bad_magic;
    }
    if (h->lba != lba) {
        return BlockVerdict::wrong_lba;
    }
    const uint64_t* body = body_of(block);
    const uint64_t first = body_first(lba, h->generation);
    uint64_t sum = 0;
    uint64_t x = 0;
    uint64_t diff = 0;
    for (uint32_t i = 0; i < kBodyWords; ++i) {
        sum += body[i];
        x ^= body[i];
        diff |= body[i] ^ (first + i * kBodyStep);
    }
    if ((sum ^ (x * 0x9e3779b97f4a7c15ULL)) != h->checksum) {
        return BlockVerdict::bad_checksum;
    }
    return diff == 0 ? BlockVerdict::ok : BlockVerdict::bad_pattern;
}

} // namespace enso::blkio
