#include "hvcore/backends/blk_request.hpp"

namespace enso::backends {

namespace {

// Fills out.seg from descriptors and checks them and the disk range. The
// sectors of a request are contiguous on disk, segment after segment.
BlkCheck take_segments(const blkif_request_segment* segs, std::uint32_t n, const BlkLimits& limits,
                       std::uint64_t sector, BlkIo& out) {
    std::uint64_t sectors = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
        const auto& s = segs[i];
        if (s.first_sect > s.last_sect || s.last_sect >= kSectorsPerPage) {
            return BlkCheck::bad_segment;
        }
        out.seg[i].gref = s.gref;
        out.seg[i].offset = static_cast<std::uint16_t>(std::uint32_t{s.first_sect} << kSectorShift);
        out.seg[i].bytes = static_cast<std::uint16_t>(std::uint32_t{s.last_sect - s.first_sect + 1U}
                                                      << kSectorShift);
        sectors += s.last_sect - s.first_sect + 1U;
    }
    // Written so that nothing wraps: sectors <= 2048 here.
    if (sector > limits.disk_sectors || sectors > limits.disk_sectors - sector) {
        return BlkCheck::past_end;
    }
    out.offset = sector << kSectorShift;
    out.bytes = sectors << kSectorShift;
    return BlkCheck::ok;
}

} // namespace

std::string_view blk_check_name(BlkCheck c) {
    switch (c) {
    case BlkCheck::ok:
        return "ok";
    case BlkCheck::unsupported_operation:
        return "unsupported operation";
    case BlkCheck::bad_segment_count:
        return "bad segment count";
    case BlkCheck::bad_segment:
        return "bad segment";
    case BlkCheck::past_end:
        return "past the end of the disk";
    case BlkCheck::bad_indirect:
        return "bad indirect request";
    }
    return "unknown";
}

std::int16_t blk_status(BlkCheck c) {
    switch (c) {
    case BlkCheck::ok:
        return BLKIF_RSP_OKAY;
    case BlkCheck::unsupported_operation:
        return BLKIF_RSP_EOPNOTSUPP;
    default:
        return BLKIF_RSP_ERROR;
    }
}

BlkCheck parse_request(const blkif_request& raw, const BlkLimits& limits, BlkIo& out) {
    out.id = raw.id;
    out.operation = raw.operation;
    out.sector = raw.sector_number;
    out.indirect = false;
    out.nr_indirect_pages = 0;
    out.offset = 0;
    out.bytes = 0;
    out.nr_segments = 0;
    switch (raw.operation) {
    case BLKIF_OP_READ:
    case BLKIF_OP_WRITE:
        out.op = raw.operation == BLKIF_OP_READ ? BlkOp::read : BlkOp::write;
        if (raw.nr_segments == 0 || raw.nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST) {
            return BlkCheck::bad_segment_count;
        }
        out.nr_segments = raw.nr_segments;
        return take_segments(raw.seg, raw.nr_segments, limits, raw.sector_number, out);
    case BLKIF_OP_FLUSH_DISKCACHE:
        // A flush here carries no data (the front end writes first, then
        // flushes what completed); one that does is refused, not half done.
        out.op = BlkOp::flush;
        return raw.nr_segments == 0 ? BlkCheck::ok : BlkCheck::bad_segment_count;
    case BLKIF_OP_INDIRECT: {
        if (limits.max_indirect_segments == 0) {
            return BlkCheck::unsupported_operation;
        }
        blkif_request_indirect ind{};
        static_assert(sizeof ind <= sizeof raw);
        std::memcpy(&ind, &raw, sizeof ind);
        out.id = ind.id;
        out.sector = ind.sector_number;
        if (ind.indirect_op != BLKIF_OP_READ && ind.indirect_op != BLKIF_OP_WRITE) {
            return BlkCheck::bad_indirect;
        }
        out.op = ind.indirect_op == BLKIF_OP_READ ? BlkOp::read : BlkOp::write;
        if (ind.nr_segments == 0 || ind.nr_segments > limits.max_indirect_segments ||
            ind.nr_segments > kMaxIndirectSegments) {
            return BlkCheck::bad_segment_count;
        }
        out.nr_segments = ind.nr_segments;
        out.nr_indirect_pages = (ind.nr_segments + kSegsPerIndirectPage - 1) / kSegsPerIndirectPage;
        for (std::uint32_t i = 0; i < out.nr_indirect_pages; ++i) {
            out.indirect_grefs[i] = ind.indirect_grefs[i];
        }
        out.indirect = true;
        return BlkCheck::ok;
    }
    default:
        return BlkCheck::unsupported_operation;
    }
}

BlkCheck parse_segments(const blkif_request_segment* segs, const BlkLimits& limits, BlkIo& out) {
    if (!out.indirect || out.nr_segments == 0 || out.nr_segments > kMaxIndirectSegments) {
        return BlkCheck::bad_indirect;
    }
    return take_segments(segs, out.nr_segments, limits, out.sector, out);
}

} // namespace enso::backends
