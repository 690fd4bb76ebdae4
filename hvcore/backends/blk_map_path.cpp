#include "hvcore/backends/blk_map_path.hpp"

#include <algorithm>

namespace enso::backends {

bool BlkMapPath::map_one(core::Core& core, grant_ref_t gref, bool writable, std::uint32_t& handle,
                         std::uint32_t& frame) {
    std::uint64_t bus = 0;
    const std::uint32_t flags = GNTMAP_host_map | (writable ? 0U : std::uint32_t{GNTMAP_readonly});
    const core::Rc rc = core.grant_map(0, domid_, gref, flags, 0, handle, bus);
    if (rc != GNTST_okay) {
        ++counters_.grant_failures;
        return false;
    }
    ++counters_.grant_maps;
    frame = static_cast<std::uint32_t>(bus >> core::kPageShift);
    return true;
}

void BlkMapPath::unmap_all(core::Core& core, SegmentBuffers& b) {
    for (std::uint32_t i = 0; i < b.nr_handles; ++i) {
        (void)core.grant_unmap(0, b.handle[i], 0);
        ++counters_.grant_unmaps;
    }
    b.nr_handles = 0;
}

void BlkMapPath::trim(SegmentBuffers& b) {
    mapped_ -= b.reserved - b.nr_handles;
    b.reserved = b.nr_handles;
}

void BlkMapPath::copy_descriptors(const BlkIo& io, std::uint32_t page, std::uint32_t frame,
                                  blkif_request_segment* segs) const {
    const std::uint32_t first = page * kSegsPerIndirectPage;
    const std::uint32_t n = std::min(kSegsPerIndirectPage, io.nr_segments - first);
    std::memcpy(segs + first, access_.frame(frame), n * sizeof(blkif_request_segment));
}

bool BlkMapPath::reserve(const BlkIo& io, SegmentBuffers& b, bool& impossible) {
    const std::uint32_t need = io.nr_segments + io.nr_indirect_pages;
    impossible = need > limits_.max_mapped;
    if (impossible || mapped_ + need > limits_.max_mapped) {
        return false;
    }
    mapped_ += need;
    b.reserved = need;
    b.nr_handles = 0;
    return true;
}

void BlkMapPath::unreserve(SegmentBuffers& b) {
    mapped_ -= b.reserved;
    b.reserved = 0;
}

bool BlkMapPath::fetch_indirect(core::Core& core, const BlkIo& io, SegmentBuffers& /*b*/,
                                blkif_request_segment* segs) {
    for (std::uint32_t p = 0; p < io.nr_indirect_pages; ++p) {
        std::uint32_t handle = 0;
        std::uint32_t frame = 0;
        if (!map_one(core, io.indirect_grefs[p], false, handle, frame)) {
            return false;
        }
        copy_descriptors(io, p, frame, segs);
        (void)core.grant_unmap(0, handle, 0);
        ++counters_.grant_unmaps;
    }
    return true;
}

bool BlkMapPath::acquire(core::Core& core, const BlkIo& io, SegmentBuffers& b) {
    const bool writable = io.op == BlkOp::read; // the disk's data lands in guest memory
    for (std::uint32_t i = 0; i < io.nr_segments; ++i) {
        std::uint32_t frame = 0;
        if (!map_one(core, io.seg[i].gref, writable, b.handle[b.nr_handles], frame)) {
            unmap_all(core, b);
            return false;
        }
        ++b.nr_handles;
        b.frame[i] = frame;
        b.iov[i].iov_base = access_.frame(frame) + io.seg[i].offset;
        b.iov[i].iov_len = io.seg[i].bytes;
    }
    trim(b);
    return true;
}

bool BlkMapPath::complete(core::Core& core, const BlkIo& /*io*/, SegmentBuffers& b, bool /*ok*/) {
    unmap_all(core, b);
    unreserve(b);
    return true;
}

} // namespace enso::backends
