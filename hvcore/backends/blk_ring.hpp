// The back end's side of one blkif ring, over Xen's ring macros. The page is
// shared with a front end that may write anything into it at any time, so:
// requests are copied out once and only the copy is used; the producer
// index is checked against what the ring can hold (a front end that claims
// more is hostile and the ring is marked broken, as Xen's blkback does); and
// every index the back end writes comes from its private copies.
#pragma once

#include "hvcore/backends/xen_blkif.hpp"

#include <cstdint>

namespace enso::backends {

class BlkBackRing {
public:
    BlkBackRing() = default;
    // The shared page, already initialised by the front end.
    explicit BlkBackRing(blkif_sring* page);

    // Requests published and not yet taken, bounded by the free response
    // slots. 0 also once broken().
    [[nodiscard]] unsigned pending();
    // Copies the next request out (call only when pending() > 0); peek
    // leaves it on the ring, skip then takes it.
    void peek(blkif_request& out) const;
    void skip() { ++ring_.req_cons; }
    void take(blkif_request& out) {
        peek(out);
        skip();
    }

    // Writes a response into the next slot (not yet visible to the front end).
    void respond(std::uint64_t id, std::uint8_t operation, std::int16_t status);
    // Publishes the responses written so far; true when the front end asked
    // to be notified of them (rsp_event).
    bool push();
    // Before sleeping: asks the front end to notify at the next request
    // (req_event), then looks again. True when there is work after all.
    bool final_check();

    [[nodiscard]] bool broken() const { return broken_; }
    [[nodiscard]] std::uint32_t taken() const { return ring_.req_cons; }
    // Requests taken and not yet answered.
    [[nodiscard]] std::uint32_t unanswered() const { return ring_.req_cons - ring_.rsp_prod_pvt; }

private:
    blkif_back_ring_t ring_{};
    bool broken_ = false;
};

} // namespace enso::backends
