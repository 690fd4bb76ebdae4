// Request validation: from a request copied off the ring to the I/O it asks
// for, or the reason it is refused. Pure (no core, no files), so every rule
// is unit-tested and fuzzed on its own. Two steps for BLKIF_OP_INDIRECT: the
// header first (parse_request), then the segment descriptors the back end
// fetched from the indirect pages (parse_segments).
#pragma once

#include "hvcore/backends/xen_blkif.hpp"

#include <cstdint>
#include <string_view>

namespace enso::backends {

enum class BlkOp : std::uint8_t { read, write, flush };

enum class BlkCheck : std::uint8_t {
    ok,
    unsupported_operation, // answered BLKIF_RSP_EOPNOTSUPP (barriers, discard, unknown)
    bad_segment_count,     // 0 or too many segments (or segments on a flush)
    bad_segment,           // first_sect > last_sect, or past the page
    past_end,              // the sectors are not all on the disk
    bad_indirect,          // an indirect request the back end does not take
};
std::string_view blk_check_name(BlkCheck c);

struct BlkSegment {
    grant_ref_t gref;
    std::uint16_t offset; // bytes into the page
    std::uint16_t bytes;
};

// One validated request.
struct BlkIo {
    std::uint64_t id = 0;
    std::uint8_t operation = 0; // echoed in the response
    BlkOp op = BlkOp::read;
    std::uint64_t sector = 0; // as the request names it
    std::uint64_t offset = 0; // bytes into the disk (once the segments are checked)
    std::uint64_t bytes = 0;
    std::uint32_t nr_segments = 0;
    // BLKIF_OP_INDIRECT: the pages holding the descriptors (fetched before
    // parse_segments fills seg).
    bool indirect = false;
    std::uint32_t nr_indirect_pages = 0;
    grant_ref_t indirect_grefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST]{};
    BlkSegment seg[kMaxIndirectSegments]{};
};

struct BlkLimits {
    std::uint64_t disk_sectors = 0;
    std::uint32_t max_indirect_segments = kMaxIndirectSegments; // 0: no indirect requests
};

// Checks the request's header (and, for direct requests, its segments).
// For an indirect request it stops after the header: out.indirect is set and
// the caller fetches out.nr_segments descriptors from out.indirect_grefs.
BlkCheck parse_request(const blkif_request& raw, const BlkLimits& limits, BlkIo& out);

// Checks the segments of an indirect request (segs: out.nr_segments
// descriptors, already copied out of the guest's pages) and completes out.
BlkCheck parse_segments(const blkif_request_segment* segs, const BlkLimits& limits, BlkIo& out);

// The response status for a check that failed.
std::int16_t blk_status(BlkCheck c);

} // namespace enso::backends
