#include "hvcore/backends/blk_copy_path.hpp"

#include <algorithm>
#include <stdexcept>

namespace enso::backends {

BlkCopyPath::BlkCopyPath(CoreAccess& access, std::uint16_t domid, const DataPathLimits& limits)
    : access_(access), domid_(domid) {
    bool ok = true;
    access_.run([&](core::Core& core) {
        for (std::uint32_t i = 0; i <= limits.bounce_frames && ok; ++i) {
            std::uint32_t f = core::kNoFrame;
            ok = core.reserve_frame(0, f) == core::kOk;
            if (ok) {
                frames_.push_back(f);
            }
        }
        if (!ok) {
            for (auto f : frames_) {
                (void)core.release_frame(0, f);
            }
        }
    });
    if (!ok) {
        frames_.clear();
        throw std::runtime_error("copy path: domain 0 has too few free frames for its bounce "
                                 "buffers");
    }
    scratch_ = frames_.back();
    free_.assign(frames_.begin(), frames_.end() - 1);
}

bool BlkCopyPath::copy(core::Core& core, bool to_guest, grant_ref_t gref, std::uint32_t frame,
                       std::uint16_t offset, std::uint32_t bytes) {
    const core::CopySide<core::Concrete> guest{true, gref, domid_, offset};
    const core::CopySide<core::Concrete> local{false, frame, DOMID_SELF, offset};
    const core::Rc rc = to_guest ? core.grant_copy(0, local, guest, bytes)
                                 : core.grant_copy(0, guest, local, bytes);
    ++counters_.grant_copies;
    if (rc != GNTST_okay) {
        ++counters_.grant_failures;
        return false;
    }
    return true;
}

bool BlkCopyPath::reserve(const BlkIo& io, SegmentBuffers& b, bool& impossible) {
    const std::uint32_t need = io.nr_segments;
    impossible = need > frames_.size() - 1;
    if (impossible || free_.size() < need) {
        return false;
    }
    // Frames are taken now: the segments' count is known from the header,
    // also for an indirect request.
    for (std::uint32_t i = 0; i < need; ++i) {
        b.frame[i] = free_.back();
        free_.pop_back();
    }
    b.reserved = need;
    b.nr_handles = 0;
    return true;
}

void BlkCopyPath::unreserve(SegmentBuffers& b) {
    for (std::uint32_t i = 0; i < b.reserved; ++i) {
        free_.push_back(b.frame[i]);
    }
    b.reserved = 0;
}

bool BlkCopyPath::fetch_indirect(core::Core& core, const BlkIo& io, SegmentBuffers& /*b*/,
                                 blkif_request_segment* segs) {
    for (std::uint32_t p = 0; p < io.nr_indirect_pages; ++p) {
        const std::uint32_t first = p * kSegsPerIndirectPage;
        const std::uint32_t n = std::min(kSegsPerIndirectPage, io.nr_segments - first);
        const auto bytes = static_cast<std::uint32_t>(n * sizeof(blkif_request_segment));
        if (!copy(core, false, io.indirect_grefs[p], scratch_, 0, bytes)) {
            return false;
        }
        std::memcpy(segs + first, access_.frame(scratch_), bytes);
    }
    return true;
}

bool BlkCopyPath::acquire(core::Core& core, const BlkIo& io, SegmentBuffers& b) {
    for (std::uint32_t i = 0; i < io.nr_segments; ++i) {
        const auto& s = io.seg[i];
        if (io.op == BlkOp::write && !copy(core, false, s.gref, b.frame[i], s.offset, s.bytes)) {
            return false;
        }
        b.iov[i].iov_base = access_.frame(b.frame[i]) + s.offset;
        b.iov[i].iov_len = s.bytes;
    }
    return true;
}

bool BlkCopyPath::complete(core::Core& core, const BlkIo& io, SegmentBuffers& b, bool ok) {
    bool delivered = true;
    if (ok && io.op == BlkOp::read) {
        for (std::uint32_t i = 0; i < io.nr_segments && delivered; ++i) {
            const auto& s = io.seg[i];
            delivered = copy(core, true, s.gref, b.frame[i], s.offset, s.bytes);
        }
    }
    unreserve(b);
    return delivered;
}

bool BlkCopyPath::complete_fast(const BlkIo& io, SegmentBuffers& b, bool ok) {
    if (ok && io.op == BlkOp::read) {
        return false; // the data goes to the guest through GNTTABOP_copy
    }
    unreserve(b);
    return true;
}

void BlkCopyPath::teardown(core::Core& core) {
    for (auto f : frames_) {
        (void)core.release_frame(0, f);
    }
    frames_.clear();
    free_.clear();
}

} // namespace enso::backends
