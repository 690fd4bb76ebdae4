// The persistent-grant data path (feature-persistent): a gref is mapped the
// first time a request names it and stays mapped until the ring
// disconnects; the front end reuses the same granted pages. Each kept map
// is read-write when the front end allows it (read-only otherwise, and then
// usable only for writes to disk). Past max_persistent, pages are mapped per
// request as on the map path.
#pragma once

#include "hvcore/backends/blk_map_path.hpp"

#include <vector>

namespace enso::backends {

class BlkPersistentPath final : public BlkMapPath {
public:
    BlkPersistentPath(CoreAccess& access, std::uint16_t domid, const DataPathLimits& limits);
    [[nodiscard]] DataPath kind() const override { return DataPath::persistent; }
    bool reserve(const BlkIo& io, SegmentBuffers& b, bool& impossible) override;
    bool fetch_indirect(core::Core& core, const BlkIo& io, SegmentBuffers& b,
                        blkif_request_segment* segs) override;
    bool acquire(core::Core& core, const BlkIo& io, SegmentBuffers& b) override;
    void teardown(core::Core& core) override;
    bool fetch_indirect_fast(const BlkIo& io, blkif_request_segment* segs) override;
    bool acquire_fast(const BlkIo& io, SegmentBuffers& b) override;
    bool complete_fast(const BlkIo& io, SegmentBuffers& b, bool ok) override;
    [[nodiscard]] std::uint32_t kept() const { return kept_; }

private:
    struct Entry {
        bool valid = false;
        bool writable = false;
        std::uint32_t handle = 0;
        std::uint32_t frame = 0;
    };
    [[nodiscard]] bool cached(grant_ref_t gref) const {
        return gref < cache_.size() && cache_[gref].valid;
    }
    // The guest frame of gref, mapped writable if needed: from the cache, or
    // mapped now and kept (room permitting) or held for this request only
    // (b's handles). False when refused.
    bool frame_of(core::Core& core, grant_ref_t gref, bool writable, SegmentBuffers& b,
                  std::uint32_t& frame);

    std::vector<Entry> cache_; // indexed by gref
    std::uint32_t kept_ = 0;
};

} // namespace enso::backends
