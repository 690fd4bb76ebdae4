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
    unsigned avail = ring_.pending();
    batch_.clear();
    while (avail > 0 && !free_slots_.empty()) {
        blkif_request raw{};
        ring_.peek(raw);
        const std::uint32_t slot = free_slots_.back();
        Pending& p = pending_[slot];
        const BlkCheck check = parse_request(raw, limits_, p.io);
        if (check != BlkCheck::ok) {
            ring_.skip();
            --avail;
            ++stats_.requests;
            ++stats_.refused;
            answer(p.io.id, p.io.operation, blk_status(check));
            continue;
        }
        if (p.io.op != BlkOp::flush) {
            bool impossible = false;
            if (!path_->reserve(p.io, p.buffers, impossible)) {
                if (!impossible) {
                    ++stats_.stalls; // stays on the ring until completions free budget
                    break;
                }
                ring_.skip();
                --avail;
                ++stats_.requests;
                ++stats_.refused;
                answer(p.io.id, p.io.operation, BLKIF_RSP_ERROR);
                continue;
            }
        }
        ring_.skip();
        --avail;
        ++stats_.requests;
        free_slots_.pop_back();
        p.acquired = false;
        batch_.push_back(slot);
    }
    if (batch_.empty()) {
        return;
    }
    ++stats_.batches;

    // Descriptors and grants: without the core where the path can (pages
    // kept mapped), the rest in one core call for the whole batch.
    std::int16_t status[kBlkRingSize];
    bool fetched[kBlkRingSize];
    bool slow[kBlkRingSize];
    bool any_slow = false;
    for (std::size_t k = 0; k < batch_.size(); ++k) {
        Pending& p = pending_[batch_[k]];
        status[k] = BLKIF_RSP_OKAY;
        fetched[k] = false;
        slow[k] = false;
        if (p.io.op == BlkOp::flush) {
            continue;
        }
        if (p.io.indirect) {
            fetched[k] = path_->fetch_indirect_fast(p.io, segs_.data());
            if (fetched[k]) {
                const BlkCheck check = parse_segments(segs_.data(), limits_, p.io);
                if (check != BlkCheck::ok) {
                    status[k] = blk_status(check);
                    ++stats_.refused;
                    path_->unreserve(p.buffers);
                    continue;
                }
            }
        }
        if ((!p.io.indirect || fetched[k]) && path_->acquire_fast(p.io, p.buffers)) {
            p.acquired = true;
            continue;
        }
        slow[k] = true;
        any_slow = true;
    }
    if (any_slow) {
        access_.run([&](core::Core& core) {
            for (std::size_t k = 0; k < batch_.size(); ++k) {
                if (!slow[k]) {
                    continue;
                }
                Pending& p = pending_[batch_[k]];
                bool ok = true;
                if (p.io.indirect && !fetched[k]) {
                    ok = path_->fetch_indirect(core, p.io, p.buffers, segs_.data());
                    if (ok) {
                        const BlkCheck check = parse_segments(segs_.data(), limits_, p.io);
                        if (check != BlkCheck::ok) {
                            status[k] = blk_status(check);
                            ++stats_.refused;
                            (void)path_->complete(core, p.io, p.buffers, false);
                            continue;
                        }
                    }
                }
                ok = ok && path_->acquire(core, p.io, p.buffers);
                if (!ok) {
                    status[k] = BLKIF_RSP_ERROR;
                    ++stats_.grant_errors;
                    (void)path_->complete(core, p.io, p.buffers, false);
                    continue;
                }
                p.acquired = true;
            }
        });
        ++stats_.core_calls;
    }

    for (std::size_t k = 0; k < batch_.size(); ++k) {
        const std::uint32_t slot = batch_[k];
        Pending& p = pending_[slot];
        if (status[k] != BLKIF_RSP_OKAY) {
            answer(p.io.id, p.io.operation, status[k]);
            free_slots_.push_back(slot);
            continue;
        }
        IoRequest r;
        r.kind = p.io.op == BlkOp::read    ? IoKind::read
                 : p.io.op == BlkOp::write ? IoKind::write
                                           : IoKind::flush;
        r.offset = p.io.offset;
        r.iov = p.buffers.iov;
        r.iovcnt = p.io.op == BlkOp::flush ? 0 : p.io.nr_segments;
        r.bytes = p.io.bytes;
        r.tag = slot;
        if (!engine_.submit(r)) {
            // Cannot happen with capacity >= the ring's size; answered, not lost.
            if (p.acquired) {
                access_.run(
                    [&](core::Core& core) { (void)path_->complete(core, p.io, p.buffers, false); });
                p.acquired = false;
            }
            ++stats_.io_errors;
            answer(p.io.id, p.io.operation, BLKIF_RSP_ERROR);
            free_slots_.push_back(slot);
            continue;
        }
        ++in_flight_;
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
