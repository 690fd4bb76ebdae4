// The map data path: each segment's grant mapped for its request and
// unmapped at completion (see blk_data_path.hpp). Shared by the persistent
// path for pages it does not keep.
#pragma once

#include "hvcore/backends/blk_data_path.hpp"
#include "hvcore/backends/core_access.hpp"

namespace enso::backends {

class BlkMapPath : public BlkDataPath {
public:
    BlkMapPath(CoreAccess& access, std::uint16_t domid, const DataPathLimits& limits)
        : access_(access), domid_(domid), limits_(limits) {}
    [[nodiscard]] DataPath kind() const override { return DataPath::map; }
    bool reserve(const BlkIo& io, SegmentBuffers& b, bool& impossible) override;
    bool fetch_indirect(core::Core& core, const BlkIo& io, SegmentBuffers& b,
                        blkif_request_segment* segs) override;
    bool acquire(core::Core& core, const BlkIo& io, SegmentBuffers& b) override;
    bool complete(core::Core& core, const BlkIo& io, SegmentBuffers& b, bool ok) override;
    void unreserve(SegmentBuffers& b) override;
    void teardown(core::Core& /*core*/) override {}

protected:
    // One grant map by domain 0 of (domid_, gref); read-only unless
    // writable. On success *frame is the guest frame.
    bool map_one(core::Core& core, grant_ref_t gref, bool writable, std::uint32_t& handle,
                 std::uint32_t& frame);
    void unmap_all(core::Core& core, SegmentBuffers& b);
    // After acquire: gives back the budget the request reserved but does
    // not hold (pages found kept, indirect pages already unmapped).
    void trim(SegmentBuffers& b);
    // Copies the descriptors of indirect page `page` (mapped at guest frame
    // `frame`) into segs.
    void copy_descriptors(const BlkIo& io, std::uint32_t page, std::uint32_t frame,
                          blkif_request_segment* segs) const;

    CoreAccess& access_;
    std::uint16_t domid_;
    DataPathLimits limits_;
    std::uint32_t mapped_ = 0; // budget units reserved by requests in flight
};

} // namespace enso::backends
