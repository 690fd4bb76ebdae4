// A blkif ring served in-process, without KVM: a core of its own over heap
// memory, a guest domain that grants a ring page and data pages the way
// blkfront does (grant entries written straight into its grant table), a
// BlkRingServer over that core and a memfd disk with the synchronous
// engine. The request-handling tests and the blkback fuzzer drive it; no
// test framework here, so the fuzzer can include it.
#pragma once

#include "hvcore/backends/blk_ring_server.hpp"
#include "hvcore/backends/core_access.hpp"
#include "hvcore/backends/sync_engine.hpp"
#include "hvcore/core/core.hpp"
#include "hvcore/core/invariants.hpp"

#include <sys/mman.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

namespace enso::test {

class InProcessBlk {
public:
    static constexpr std::uint16_t kGuest = 1;
    static constexpr std::uint16_t kOther = 2; // a third domain, for grants not meant for dom0

    explicit InProcessBlk(backends::DataPath path, std::uint64_t disk_bytes = 1ULL << 20,
                          backends::DataPathLimits limits = small_limits(),
                          std::uint32_t frames = 1024)
        : memory_(std::size_t{frames} * 4096), core_(memory_),
          access_(core_, std::span<std::byte>(memory_)), disk_bytes_(disk_bytes) {
        check(core_.create_domain(0, 2 * frames / 3), "domain 0");
        check(core_.create_domain(kGuest, frames / 4), "guest");
        check(core_.create_domain(kOther, 8), "other");
        std::vector<std::uint32_t> gframes;
        if (core_.grant_setup_table(kGuest, 4, gframes) != GNTST_okay) {
            throw std::runtime_error("grant table");
        }
        disk_fd_ = ::memfd_create("enso-blk-test-disk", MFD_CLOEXEC);
        if (disk_fd_ < 0 || ::ftruncate(disk_fd_, static_cast<off_t>(disk_bytes)) != 0) {
            throw std::runtime_error("memfd disk");
        }
        engine_ = std::make_unique<backends::SyncEngine>(disk_fd_, backends::kBlkRingSize);
        ring_frame_ = frame();
        auto* sring = reinterpret_cast<blkif_sring_t*>(mem(ring_frame_));
        SHARED_RING_INIT(sring);
        // __RING_SIZE computes in long; the value (32) fits nr_ents.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
        FRONT_RING_INIT(&front_, sring, 4096);
#pragma GCC diagnostic pop
        ring_ref_ = grant(ring_frame_, false);
        dom0_base_pages_ = core_.state().doms.tot_pages.get(0);
        backends::BlkServerConfig config;
        config.path = path;
        config.path_limits = limits;
        server_ = std::make_unique<backends::BlkRingServer>(access_, *engine_, kGuest,
                                                            disk_bytes >> 9, config);
    }
    ~InProcessBlk() {
        server_.reset();
        if (disk_fd_ >= 0) {
            ::close(disk_fd_);
        }
    }
    InProcessBlk(const InProcessBlk&) = delete;
    InProcessBlk& operator=(const InProcessBlk&) = delete;

    // Limits small enough for a 1024-frame machine.
    static backends::DataPathLimits small_limits() {
        backends::DataPathLimits l;
        l.max_mapped = 600;
        l.max_persistent = 600 - (backends::kMaxIndirectSegments + 8);
        l.bounce_frames = 300;
        return l;
    }

    std::int16_t connect() {
        return server_->connect(ring_ref_, 0);
    }

    core::Core& core() {
        return core_;
    }
    backends::BlkRingServer& server() {
        return *server_;
    }
    blkif_front_ring_t& front() {
        return front_;
    }
    [[nodiscard]] int disk_fd() const {
        return disk_fd_;
    }
    [[nodiscard]] std::uint64_t disk_sectors() const {
        return disk_bytes_ >> 9;
    }

    // A fresh frame of the guest's.
    std::uint32_t frame() {
        std::uint32_t f = core::kNoFrame;
        check(core_.reserve_frame(kGuest, f), "guest frame");
        return f;
    }
    std::byte* mem(std::uint32_t f) {
        return memory_.data() + std::size_t{f} * 4096;
    }

    // Grants f to `to` (domain 0 unless said), as the guest writes it.
    std::uint32_t grant(std::uint32_t f, bool readonly, std::uint16_t to = 0) {
        const std::uint32_t ref = next_ref_++;
        core_.grant_write_entry(
            kGuest, ref,
            static_cast<std::uint16_t>(GTF_permit_access | (readonly ? GTF_readonly : 0)), to, f);
        return ref;
    }
    bool end(std::uint32_t ref) {
        return core_.grant_end_access(kGuest, ref);
    }
    [[nodiscard]] std::uint32_t unused_ref() const {
        return next_ref_ + 100;
    }

    // The next request slot, zeroed (published by push()).
    blkif_request_t* next_request() {
        blkif_request_t* r = RING_GET_REQUEST(&front_, front_.req_prod_pvt);
        std::memset(r, 0, sizeof *r);
        ++front_.req_prod_pvt;
        return r;
    }
    void push() {
        RING_PUSH_REQUESTS(&front_);
    }

    // Serves until nothing is left to do; returns the responses.
    std::vector<blkif_response_t> serve() {
        for (int i = 0; i < 10000; ++i) {
            const bool work = server_->poll_once();
            if (!work && server_->in_flight() == 0) {
                break;
            }
        }
        std::vector<blkif_response_t> out;
        const RING_IDX rp = front_.sring->rsp_prod;
        for (; front_.rsp_cons != rp; ++front_.rsp_cons) {
            out.push_back(*RING_GET_RESPONSE(&front_, front_.rsp_cons));
        }
        return out;
    }

    // Domain 0's frames beyond what it had before the server took any (the
    // copy path's bounce frames): 0 again once the server let go.
    [[nodiscard]] std::uint32_t dom0_frames_held() const {
        return core_.state().doms.tot_pages.get(0) - dom0_base_pages_;
    }

    // Every invariant of the core, spelled out (empty: all hold).
    [[nodiscard]] std::string violations() const {
        const auto v = core::check_invariants(core_.state());
        return v.empty() ? std::string() : core::describe(v);
    }
    // Whether a grant entry of the guest is marked in use (GTF_reading or
    // GTF_writing: mapped or being copied).
    [[nodiscard]] bool ref_in_use(std::uint32_t ref) const {
        const auto f = core_.state().doms.gnttab_frame.get(
            core::gnttab_frame_index<core::Concrete>(kGuest, (ref >> 9) & 3));
        const auto w = core_.state().mem.load64(f, ref & 511);
        return (w & (GTF_reading | GTF_writing)) != 0;
    }
    // How many of the guest's grants are in use.
    [[nodiscard]] std::uint32_t refs_in_use() const {
        std::uint32_t n = 0;
        for (std::uint32_t ref = 0; ref < next_ref_; ++ref) {
            n += ref_in_use(ref) ? 1 : 0;
        }
        return n;
    }

private:
    static void check(core::Rc rc, const char* what) {
        if (rc != core::kOk) {
            throw std::runtime_error(std::string("in-process blk machine: ") + what);
        }
    }

    std::vector<std::byte> memory_;
    core::Core core_;
    backends::DirectCoreAccess access_;
    std::uint64_t disk_bytes_;
    int disk_fd_ = -1;
    std::unique_ptr<backends::SyncEngine> engine_;
    std::unique_ptr<backends::BlkRingServer> server_;
    blkif_front_ring_t front_{};
    std::uint32_t ring_frame_ = 0;
    std::uint32_t ring_ref_ = 0;
    std::uint32_t next_ref_ = 8; // below: reserved, as in Linux
    std::uint32_t dom0_base_pages_ = 0;
};

} // namespace enso::test
