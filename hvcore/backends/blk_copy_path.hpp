// The grant-copy data path: the engine reads and writes bounce frames of
// domain 0's own; GNTTABOP_copy moves a write's data in from the guest's
// page before the I/O and a read's data out to it after. No grant stays
// mapped, at the price of a copy (QEMU's qdisk back end works this way).
#pragma once

#include "hvcore/backends/blk_data_path.hpp"
#include "hvcore/backends/core_access.hpp"

#include <vector>

namespace enso::backends {

class BlkCopyPath final : public BlkDataPath {
public:
    // Takes limits.bounce_frames + 1 frames from domain 0 (one is the
    // scratch page indirect descriptors are copied into).
    BlkCopyPath(CoreAccess& access, std::uint16_t domid, const DataPathLimits& limits);
    [[nodiscard]] DataPath kind() const override { return DataPath::copy; }
    bool reserve(const BlkIo& io, SegmentBuffers& b, bool& impossible) override;
    bool fetch_indirect(core::Core& core, const BlkIo& io, SegmentBuffers& b,
                        blkif_request_segment* segs) override;
    bool acquire(core::Core& core, const BlkIo& io, SegmentBuffers& b) override;
    bool complete(core::Core& core, const BlkIo& io, SegmentBuffers& b, bool ok) override;
    void unreserve(SegmentBuffers& b) override;
    void teardown(core::Core& core) override;
    bool complete_fast(const BlkIo& io, SegmentBuffers& b, bool ok) override;

private:
    // One GNTTABOP_copy between the guest's gref and a frame of domain 0.
    bool copy(core::Core& core, bool to_guest, grant_ref_t gref, std::uint32_t frame,
              std::uint16_t offset, std::uint32_t bytes);

    CoreAccess& access_;
    std::uint16_t domid_;
    std::vector<std::uint32_t> frames_; // every bounce frame
    std::vector<std::uint32_t> free_;
    std::uint32_t scratch_ = core::kNoFrame;
};

} // namespace enso::backends
