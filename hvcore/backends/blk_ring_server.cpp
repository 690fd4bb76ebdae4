#include "hvcore/backends/blk_ring_server.hpp"

#include <cstdio>
#include <stdexcept>

namespace enso::backends {

BlkRingServer::BlkRingServer(CoreAccess& access, IoEngine& engine, std::uint16_t domid,
                             std::uint64_t disk_sectors, const BlkServerConfig& config)
    : access_(access), engine_(engine),
      domid_(domid), limits_{disk_sectors, config.max_indirect_segments},
      path_(make_data_path(config.path, access, domid, config.path_limits)), pending_(kBlkRingSize),
      done_(2 * kBlkRingSize + 8), segs_(kMaxIndirectSegments) {
    if (engine.capacity() < kBlkRingSize) {
        throw std::runtime_error("blkback: the I/O engine must take a ring's worth of requests");
    }
    for (std::uint32_t s = kBlkRingSize; s-- > 0;) {
        free_slots_.push_back(s);
    }
    batch_.reserve(kBlkRingSize);
}

BlkRingServer::~BlkRingServer() {
    disconnect();
}

std::int16_t BlkRingServer::connect(grant_ref_t ring_ref, std::uint32_t dom0_port) {
    if (connected()) {
        return GNTST_general_error;
    }
    core::Rc rc = GNTST_general_error;
    std::uint32_t handle = kNoHandle;
    std::uint64_t bus = 0;
    access_.run([&](core::Core& core) {
        rc = core.grant_map(0, domid_, ring_ref, GNTMAP_host_map, 0, handle, bus);
    });
    ++stats_.core_calls;
    if (rc != GNTST_okay) {
        return static_cast<std::int16_t>(rc);
    }
    ring_handle_ = handle;
    dom0_port_ = dom0_port;
    ring_ = BlkBackRing(
        reinterpret_cast<blkif_sring*>(access_.frame(static_cast<std::uint32_t>(bus >> 12))));
    return GNTST_okay;
}

void BlkRingServer::answer(std::uint64_t id, std::uint8_t operation, std::int16_t status) {
    ring_.respond(id, operation, status);
    ++stats_.responses;
    unpushed_ = true;
}

void BlkRingServer::push_responses() {
    if (!unpushed_) {
        return;
    }
    unpushed_ = false;
    if (ring_.push() && dom0_port_ != 0) {
        access_.run([&](core::Core& core) { (void)core.evtchn_send(0, dom0_port_); });
        ++stats_.core_calls;
        ++stats_.notifies;
    }
}

void BlkRingServer::reap() {
    const unsigned n = engine_.reap(done_.data(), static_cast<unsigned>(done_.size()));
    if (n == 0) {
        return;
    }
    // Release what each request held: without the core where the path can,
    // else in one core call for all of them.
    bool delivered[2 * kBlkRingSize + 8];
    bool slow[2 * kBlkRingSize + 8];
    bool any_slow = false;
    for (unsigned i = 0; i < n; ++i) {
        Pending& p = pending_[done_[i].tag];
        delivered[i] = true;
        slow[i] = false;
        if (p.acquired) {
            const bool ok = done_[i].result == static_cast<std::int64_t>(p.io.bytes);
            slow[i] = !path_->complete_fast(p.io, p.buffers, ok);
            any_slow = any_slow || slow[i];
            p.acquired = slow[i];
        }
    }
    if (any_slow) {
        access_.run([&](core::Core& core) {
            for (unsigned i = 0; i < n; ++i) {
                if (!slow[i]) {
                    continue;
                }
                Pending& p = pending_[done_[i].tag];
                const bool ok = done_[i].result == static_cast<std::int64_t>(p.io.bytes);
                delivered[i] = path_->complete(core, p.io, p.buffers, ok);
                p.acquired = false;
            }
        });
        ++stats_.core_calls;
    }
    for (unsigned i = 0; i < n; ++i) {
        const auto slot = static_cast<std::uint32_t>(done_[i].tag);
        Pending& p = pending_[slot];
        const std::int64_t want =
            p.io.op == BlkOp::flush ? 0 : static_cast<std::int64_t>(p.io.bytes);
        const bool io_ok = done_[i].result == want;
        stats_.io_errors += io_ok ? 0 : 1;
        stats_.grant_errors += delivered[i] ? 0 : 1;
        if (io_ok && delivered[i]) {
            stats_.bytes += p.io.bytes;
        }
        answer(p.io.id, p.io.operation, io_ok && delivered[i] ? BLKIF_RSP_OKAY : BLKIF_RSP_ERROR);
        free_slots_.push_back(slot);
        --in_flight_;
    }
}

void BlkRingServer::take_requests() {
    if (!connected()) {
        return;
    }
    take_off_ring();
    if (batch_.empty()) {
        return;
    }
    ++stats_.batches;
    // Descriptors and grants: without the core where the path can (pages
    // kept mapped), the rest in one core call for the whole batch.
    if (acquire_without_core()) {
        access_.run([&](core::Core& core) {
            for (Taken& t : batch_) {
                if (t.slow) {
                    acquire_in_core(core, t);
                }
            }
        });
        ++stats_.core_calls;
    }
    submit_batch();
}

BlkRingServer::Admission BlkRingServer::admit_head(Pending& p, std::int16_t& refusal) {
    blkif_request raw{};
    ring_.peek(raw);
    const BlkCheck check = parse_request(raw, limits_, p.io);
    if (check != BlkCheck::ok) {
        refusal = blk_status(check);
        return Admission::refuse;
    }
    if (p.io.op == BlkOp::flush) {
        return Admission::take;
    }
    bool impossible = false;
    if (path_->reserve(p.io, p.buffers, impossible)) {
        return Admission::take;
    }
    if (!impossible) {
        return Admission::stall;
    }
    refusal = BLKIF_RSP_ERROR;
    return Admission::refuse;
}

void BlkRingServer::take_off_ring() {
    batch_.clear();
    for (unsigned avail = ring_.pending(); avail > 0 && !free_slots_.empty(); --avail) {
        const std::uint32_t slot = free_slots_.back();
        Pending& p = pending_[slot];
        std::int16_t refusal = BLKIF_RSP_OKAY;
        const Admission admission = admit_head(p, refusal);
        if (admission == Admission::stall) {
            ++stats_.stalls; // stays on the ring until completions free budget
            break;
        }
        ring_.skip();
        ++stats_.requests;
        if (admission == Admission::refuse) {
            ++stats_.refused;
            answer(p.io.id, p.io.operation, refusal);
            continue;
        }
        free_slots_.pop_back();
        p.acquired = false;
        batch_.push_back(Taken{slot});
    }
}

bool BlkRingServer::segments_valid(Taken& t, Pending& p) {
    const BlkCheck check = parse_segments(segs_.data(), limits_, p.io);
    if (check == BlkCheck::ok) {
        return true;
    }
    t.status = blk_status(check);
    ++stats_.refused;
    return false;
}

bool BlkRingServer::acquire_without_core() {
    bool any_slow = false;
    for (Taken& t : batch_) {
        Pending& p = pending_[t.slot];
        if (p.io.op == BlkOp::flush) {
            continue;
        }
        if (p.io.indirect) {
            t.fetched = path_->fetch_indirect_fast(p.io, segs_.data());
            if (t.fetched && !segments_valid(t, p)) {
                path_->unreserve(p.buffers);
                continue;
            }
        }
        if ((!p.io.indirect || t.fetched) && path_->acquire_fast(p.io, p.buffers)) {
            p.acquired = true;
            continue;
        }
        t.slow = true;
        any_slow = true;
    }
    return any_slow;
}

void BlkRingServer::acquire_in_core(core::Core& core, Taken& t) {
    Pending& p = pending_[t.slot];
    bool ok = true;
    if (p.io.indirect && !t.fetched) {
        ok = path_->fetch_indirect(core, p.io, p.buffers, segs_.data());
        if (ok && !segments_valid(t, p)) {
            (void)path_->complete(core, p.io, p.buffers, false);
            return;
        }
    }
    ok = ok && path_->acquire(core, p.io, p.buffers);
    if (!ok) {
        t.status = BLKIF_RSP_ERROR;
        ++stats_.grant_errors;
        (void)path_->complete(core, p.io, p.buffers, false);
        return;
    }
    p.acquired = true;
}

namespace {

IoRequest io_request(const BlkIo& io, const SegmentBuffers& buffers, std::uint32_t tag) {
    IoRequest r;
    r.kind = io.op == BlkOp::read    ? IoKind::read
             : io.op == BlkOp::write ? IoKind::write
                                     : IoKind::flush;
    r.offset = io.offset;
    r.iov = buffers.iov;
    r.iovcnt = io.op == BlkOp::flush ? 0 : io.nr_segments;
    r.bytes = io.bytes;
    r.tag = tag;
    return r;
}

} // namespace

void BlkRingServer::submit_batch() {
    for (const Taken& t : batch_) {
        Pending& p = pending_[t.slot];
        if (t.status != BLKIF_RSP_OKAY) {
            answer(p.io.id, p.io.operation, t.status);
            free_slots_.push_back(t.slot);
            continue;
        }
        if (engine_.submit(io_request(p.io, p.buffers, t.slot))) {
            ++in_flight_;
            continue;
        }
        // Cannot happen with capacity >= the ring's size; answered, not lost.
        if (p.acquired) {
            access_.run(
                [&](core::Core& core) { (void)path_->complete(core, p.io, p.buffers, false); });
            p.acquired = false;
        }
        ++stats_.io_errors;
        answer(p.io.id, p.io.operation, BLKIF_RSP_ERROR);
        free_slots_.push_back(t.slot);
    }
    engine_.commit();
}

bool BlkRingServer::poll_once() {
    const std::uint64_t before = stats_.requests + stats_.responses;
    reap();
    take_requests();
    push_responses();
    return stats_.requests + stats_.responses != before;
}

void BlkRingServer::disconnect(std::chrono::milliseconds timeout) {
    // Pages under I/O stay held until the kernel is done with them, however
    // long that takes: releasing them early would let the disk write into
    // frames the guest got back.
    const auto warn_at = std::chrono::steady_clock::now() + timeout;
    bool warned = false;
    while (in_flight_ > 0) {
        engine_.wait(std::chrono::milliseconds(1));
        reap();
        if (!warned && std::chrono::steady_clock::now() > warn_at) {
            std::fprintf(stderr, "blkback: domain %u: %u requests still in flight at disconnect\n",
                         domid_, in_flight_);
            warned = true;
        }
    }
    push_responses();
    if (path_ == nullptr) {
        return;
    }
    access_.run([&](core::Core& core) {
        path_->teardown(core); // idempotent
        if (connected()) {
            (void)core.grant_unmap(0, ring_handle_, 0);
        }
    });
    ++stats_.core_calls;
    ring_handle_ = kNoHandle;
    ring_ = BlkBackRing{};
}

} // namespace enso::backends
