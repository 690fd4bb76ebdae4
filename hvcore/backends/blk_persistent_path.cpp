#include "hvcore/backends/blk_persistent_path.hpp"

#include "hvcore/core/limits.hpp"

namespace enso::backends {

BlkPersistentPath::BlkPersistentPath(CoreAccess& access, std::uint16_t domid,
                                     const DataPathLimits& limits)
    : BlkMapPath(access, domid, limits), cache_(core::kMaxGrantRefs) {}

bool BlkPersistentPath::reserve(const BlkIo& io, SegmentBuffers& b, bool& impossible) {
    // A map for every gref not kept yet (an upper bound: a gref named twice
    // counts twice); the ones kept move out of the request's budget as they
    // are made.
    std::uint32_t need = 0;
    if (io.indirect) {
        for (std::uint32_t p = 0; p < io.nr_indirect_pages; ++p) {
            need += cached(io.indirect_grefs[p]) ? 0 : 1;
        }
        need += io.nr_segments; // not known before the descriptors are read
    } else {
        for (std::uint32_t i = 0; i < io.nr_segments; ++i) {
            need += cached(io.seg[i].gref) ? 0 : 1;
        }
    }
    impossible = kept_ + need > limits_.max_mapped;
    if (impossible || kept_ + mapped_ + need > limits_.max_mapped) {
        return false;
    }
    mapped_ += need;
    b.reserved = need;
    b.nr_handles = 0;
    return true;
}

bool BlkPersistentPath::frame_of(core::Core& core, grant_ref_t gref, bool writable,
                                 SegmentBuffers& b, std::uint32_t& frame) {
    if (cached(gref)) {
        const Entry& e = cache_[gref];
        if (writable && !e.writable) {
            ++counters_.grant_failures;
            return false;
        }
        ++counters_.persistent_hits;
        frame = e.frame;
        return true;
    }
    if (b.reserved == 0) {
        return false; // cannot happen: reserve() counted every miss
    }
    if (gref < cache_.size() && kept_ < limits_.max_persistent) {
        Entry e;
        // Kept maps are read-write if the grant allows: the next request
        // naming this page may read into it.
        if (map_one(core, gref, true, e.handle, e.frame)) {
            e.writable = true;
        } else if (writable || !map_one(core, gref, false, e.handle, e.frame)) {
            return false;
        }
        e.valid = true;
        cache_[gref] = e;
        ++kept_;
        --b.reserved; // the kept map no longer counts against requests
        --mapped_;
        frame = e.frame;
        return true;
    }
    if (!map_one(core, gref, writable, b.handle[b.nr_handles], frame)) {
        return false;
    }
    ++b.nr_handles;
    return true;
}

bool BlkPersistentPath::fetch_indirect(core::Core& core, const BlkIo& io, SegmentBuffers& b,
                                       blkif_request_segment* segs) {
    for (std::uint32_t p = 0; p < io.nr_indirect_pages; ++p) {
        std::uint32_t frame = 0;
        if (!frame_of(core, io.indirect_grefs[p], false, b, frame)) {
            unmap_all(core, b);
            return false;
        }
        copy_descriptors(io, p, frame, segs);
    }
    return true;
}

bool BlkPersistentPath::acquire(core::Core& core, const BlkIo& io, SegmentBuffers& b) {
    const bool writable = io.op == BlkOp::read;
    for (std::uint32_t i = 0; i < io.nr_segments; ++i) {
        std::uint32_t frame = 0;
        if (!frame_of(core, io.seg[i].gref, writable, b, frame)) {
            unmap_all(core, b);
            return false;
        }
        b.frame[i] = frame;
        b.iov[i].iov_base = access_.frame(frame) + io.seg[i].offset;
        b.iov[i].iov_len = io.seg[i].bytes;
    }
    trim(b);
    return true;
}

bool BlkPersistentPath::fetch_indirect_fast(const BlkIo& io, blkif_request_segment* segs) {
    for (std::uint32_t p = 0; p < io.nr_indirect_pages; ++p) {
        if (!cached(io.indirect_grefs[p])) {
            return false;
        }
    }
    for (std::uint32_t p = 0; p < io.nr_indirect_pages; ++p) {
        ++counters_.persistent_hits;
        copy_descriptors(io, p, cache_[io.indirect_grefs[p]].frame, segs);
    }
    return true;
}

bool BlkPersistentPath::acquire_fast(const BlkIo& io, SegmentBuffers& b) {
    const bool writable = io.op == BlkOp::read;
    for (std::uint32_t i = 0; i < io.nr_segments; ++i) {
        const grant_ref_t gref = io.seg[i].gref;
        if (!cached(gref) || (writable && !cache_[gref].writable)) {
            return false; // the slow path maps it, or refuses it
        }
    }
    counters_.persistent_hits += io.nr_segments;
    for (std::uint32_t i = 0; i < io.nr_segments; ++i) {
        b.frame[i] = cache_[io.seg[i].gref].frame;
        b.iov[i].iov_base = access_.frame(b.frame[i]) + io.seg[i].offset;
        b.iov[i].iov_len = io.seg[i].bytes;
    }
    trim(b);
    return true;
}

bool BlkPersistentPath::complete_fast(const BlkIo& /*io*/, SegmentBuffers& b, bool /*ok*/) {
    if (b.nr_handles != 0) {
        return false;
    }
    unreserve(b);
    return true;
}

void BlkPersistentPath::teardown(core::Core& core) {
    for (auto& e : cache_) {
        if (e.valid) {
            (void)core.grant_unmap(0, e.handle, 0);
            ++counters_.grant_unmaps;
            e = Entry{};
        }
    }
    kept_ = 0;
}

} // namespace enso::backends
