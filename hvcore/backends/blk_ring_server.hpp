// One blkif ring served to its end: requests taken off the ring in batches,
// validated, their pages made reachable through the data path, handed to
// the I/O engine, answered as they complete; the front end notified only
// when it asked to be (rsp_event). Each batch makes one core call to set up
// its grants and one per completion batch to release them.
//
// Driven by whoever owns it: the back-end thread in the monitor
// (blkback.hpp) or a test or the fuzzer calling poll_once() directly. Any
// request gets an answer - refused ones an error - and nothing a front end
// writes into the ring makes the server crash, hang or touch memory it was
// not granted; a ring whose indices are impossible is marked broken and no
// longer served.
#pragma once

#include "hvcore/backends/blk_data_path.hpp"
#include "hvcore/backends/blk_request.hpp"
#include "hvcore/backends/blk_ring.hpp"
#include "hvcore/backends/core_access.hpp"
#include "hvcore/backends/io_engine.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace enso::backends {

struct BlkServerConfig {
    DataPath path = DataPath::persistent;
    DataPathLimits path_limits;
    std::uint32_t max_indirect_segments = kMaxIndirectSegments; // 0: none
};

struct BlkServerStats {
    std::uint64_t requests = 0;     // taken off the ring
    std::uint64_t responses = 0;    // answered
    std::uint64_t refused = 0;      // answered with an error before any I/O
    std::uint64_t io_errors = 0;    // the I/O itself failed (or was short)
    std::uint64_t grant_errors = 0; // a grant was refused
    std::uint64_t batches = 0;      // passes that took requests
    std::uint64_t core_calls = 0;   // CoreAccess::run calls
    std::uint64_t notifies = 0;     // events sent to the front end
    std::uint64_t stalls = 0;       // passes that left requests on the ring for lack of budget
    std::uint64_t bytes = 0;
};

class BlkRingServer {
public:
    // The engine's capacity must be at least kBlkRingSize. Throws
    // std::runtime_error when the data path cannot be set up.
    BlkRingServer(CoreAccess& access, IoEngine& engine, std::uint16_t domid,
                  std::uint64_t disk_sectors, const BlkServerConfig& config);
    BlkRingServer(const BlkRingServer&) = delete;
    BlkRingServer& operator=(const BlkRingServer&) = delete;
    ~BlkRingServer();

    // Maps the front end's ring page (read-write) and remembers domain 0's
    // end of the event channel (0: none, never notify). Returns a GNTST_*.
    std::int16_t connect(grant_ref_t ring_ref, std::uint32_t dom0_port);
    [[nodiscard]] bool connected() const { return ring_handle_ != kNoHandle; }

    // One pass: completions first (they free budget), then new requests.
    // True when it did anything.
    bool poll_once();
    // Before sleeping with nothing in flight: see BlkBackRing::final_check.
    bool final_check() { return ring_.final_check(); }
    [[nodiscard]] unsigned in_flight() const { return in_flight_; }
    [[nodiscard]] bool broken() const { return ring_.broken(); }
    [[nodiscard]] const BlkServerStats& stats() const { return stats_; }
    [[nodiscard]] const BlkDataPath::Counters& path_counters() const { return path_->counters(); }

    // Waits (at most `timeout`) for what is in flight, answers it, then
    // releases every grant and frame: the ring page, persistent maps, bounce
    // frames. Safe to call twice.
    void disconnect(std::chrono::milliseconds timeout = std::chrono::seconds(10));

private:
    static constexpr std::uint32_t kNoHandle = 0xffffffffU;

    struct Pending {
        BlkIo io;
        SegmentBuffers buffers;
        bool acquired = false;
    };

    // A request taken off the ring in this pass, on its way to the engine.
    struct Taken {
        std::uint32_t slot;
        std::int16_t status = BLKIF_RSP_OKAY; // else answered with it, not submitted
        bool fetched = false;                 // its indirect descriptors were read without the core
        bool slow = false;                    // needs the batch's core call
    };
    enum class Admission { take, refuse, stall };

    void reap();
    // A pass's new requests: taken off the ring, made reachable, submitted.
    void take_requests();
    // Parses the request at the ring's head into p and reserves its path
    // budget; a stall leaves it on the ring.
    Admission admit_head(Pending& p, std::int16_t& refusal);
    // Fills batch_ while slots and budget last; refused requests answered.
    void take_off_ring();
    // Descriptors and grants where the path needs no core call; true when
    // some request still needs one (marked slow).
    bool acquire_without_core();
    // Inside the batch's core call: a slow request's descriptors and grants.
    void acquire_in_core(core::Core& core, Taken& t);
    // An indirect request's descriptors (in segs_) checked; a bad one refuses t.
    bool segments_valid(Taken& t, Pending& p);
    // Hands the batch to the engine; what failed before is answered instead.
    void submit_batch();
    void answer(std::uint64_t id, std::uint8_t operation, std::int16_t status);
    void push_responses();

    CoreAccess& access_;
    IoEngine& engine_;
    std::uint16_t domid_;
    BlkLimits limits_;
    std::unique_ptr<BlkDataPath> path_;
    BlkBackRing ring_;
    std::uint32_t ring_handle_ = kNoHandle;
    std::uint32_t dom0_port_ = 0;

    std::vector<Pending> pending_; // kBlkRingSize slots
    std::vector<std::uint32_t> free_slots_;
    std::vector<Taken> batch_; // taken in this pass
    std::vector<IoCompletion> done_;
    std::vector<blkif_request_segment> segs_; // an indirect request's descriptors
    unsigned in_flight_ = 0;
    bool unpushed_ = false;
    BlkServerStats stats_;
};

} // namespace enso::backends
