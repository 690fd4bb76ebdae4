// Data paths: how the pages a request's segments name become memory the
// I/O engine reads or writes. Three, as in Xen's back ends:
//   map         each segment's grant mapped for the request, unmapped when
//               it completes (Linux blkback without persistent grants);
//   copy        GNTTABOP_copy between the guest's page and a bounce frame
//               of domain 0's own, before a write or after a read (QEMU's
//               qdisk);
//   persistent  the front end grants a fixed set of pages and reuses them;
//               the back end maps each once and keeps it (feature-persistent).
// Every grant operation runs inside a CoreAccess call the ring server makes
// for a whole batch; the paths hold only their own bookkeeping.
#pragma once

#include "hvcore/backends/blk_request.hpp"
#include "hvcore/core/core.hpp"

#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <string_view>

namespace enso::backends {

enum class DataPath : std::uint8_t { map, copy, persistent };
std::string_view data_path_name(DataPath p);

struct DataPathLimits {
    // Grant maps domain 0 may hold for this ring at once (its maptrack,
    // kMaxMaptrack, is shared by every back end), persistent ones included.
    std::uint32_t max_mapped = 900;
    // Persistent grants kept; the rest of max_mapped stays for requests
    // whose pages are not (yet) persistent, so one always fits.
    std::uint32_t max_persistent = 900 - (kMaxIndirectSegments + 8);
    // Domain 0 frames the copy path bounces through.
    std::uint32_t bounce_frames = 1024;
};

// What one request holds while in flight.
struct SegmentBuffers {
    iovec iov[kMaxIndirectSegments];
    // Per segment: the guest frame (map, persistent) or the bounce frame (copy).
    std::uint32_t frame[kMaxIndirectSegments];
    // Maps to undo at completion: one per segment, plus (persistent path,
    // past its cache) one per indirect page.
    std::uint32_t handle[kMaxIndirectSegments + BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
    std::uint32_t nr_handles = 0;
    std::uint32_t reserved = 0; // budget units reserve() took
};

class BlkDataPath {
public:
    virtual ~BlkDataPath() = default;
    [[nodiscard]] virtual DataPath kind() const = 0;

    // Before a request leaves the ring: takes the budget it will need, or
    // returns false (it stays on the ring until completions free some).
    // impossible is set when it could never fit: it is refused instead.
    virtual bool reserve(const BlkIo& io, SegmentBuffers& b, bool& impossible) = 0;
    // Inside a core call: copies an indirect request's descriptors out of
    // the guest's pages (io.nr_segments of them) into segs. False: a grant
    // was refused (nothing is held but the reservation).
    virtual bool fetch_indirect(core::Core& core, const BlkIo& io, SegmentBuffers& b,
                                blkif_request_segment* segs) = 0;
    // Inside a core call: makes every segment reachable (b.iov) and, for a
    // write, holds its data. False: a grant was refused (nothing is held).
    virtual bool acquire(core::Core& core, const BlkIo& io, SegmentBuffers& b) = 0;
    // Inside a core call, after the I/O (ok: it succeeded): for a read,
    // delivers the data; releases what acquire took and the budget. Returns
    // false when delivering failed (the response is then an error).
    virtual bool complete(core::Core& core, const BlkIo& io, SegmentBuffers& b, bool ok) = 0;
    // Gives back a reservation for a request refused before acquire.
    virtual void unreserve(SegmentBuffers& b) = 0;

    // Without the core, where a path can: fetch_indirect and acquire when
    // every page is already mapped (persistent grants), complete when
    // nothing is to be unmapped or copied. False: nothing was done, make
    // the call inside a core call instead.
    virtual bool fetch_indirect_fast(const BlkIo& /*io*/, blkif_request_segment* /*segs*/) {
        return false;
    }
    virtual bool acquire_fast(const BlkIo& /*io*/, SegmentBuffers& /*b*/) { return false; }
    virtual bool complete_fast(const BlkIo& /*io*/, SegmentBuffers& /*b*/, bool /*ok*/) {
        return false;
    }
    // Inside a core call, with nothing in flight: releases everything kept
    // (persistent maps, bounce frames).
    virtual void teardown(core::Core& core) = 0;

    struct Counters {
        std::uint64_t grant_maps = 0;
        std::uint64_t grant_unmaps = 0;
        std::uint64_t grant_copies = 0;
        std::uint64_t persistent_hits = 0;
        std::uint64_t grant_failures = 0;
    };
    [[nodiscard]] const Counters& counters() const { return counters_; }

protected:
    Counters counters_;
};

class CoreAccess;

// The path of that kind for the ring of domain `domid`. The copy path takes
// its bounce frames from domain 0 now (core call); it throws
// std::runtime_error when domain 0 has none left.
std::unique_ptr<BlkDataPath> make_data_path(DataPath kind, CoreAccess& access, std::uint16_t domid,
                                            const DataPathLimits& limits);

} // namespace enso::backends
