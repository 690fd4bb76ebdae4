#include "hvcore/backends/blk_ring.hpp"

namespace enso::backends {

BlkBackRing::BlkBackRing(blkif_sring* page) {
    // __RING_SIZE computes in long; the value (32) fits nr_ents.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
    BACK_RING_INIT(&ring_, page, 4096);
#pragma GCC diagnostic pop
}

unsigned BlkBackRing::pending() {
    if (broken_ || ring_.sring == nullptr) {
        return 0;
    }
    const RING_IDX prod = __atomic_load_n(&ring_.sring->req_prod, __ATOMIC_ACQUIRE);
    if (RING_REQUEST_PROD_OVERFLOW(&ring_, prod)) {
        broken_ = true; // more requests than the ring holds: a front end lying
        return 0;
    }
    // Requests the front end published, as far as there is room to answer.
    const unsigned published = prod - ring_.req_cons;
    const unsigned room = RING_SIZE(&ring_) - (ring_.req_cons - ring_.rsp_prod_pvt);
    return published < room ? published : room;
}

void BlkBackRing::peek(blkif_request& out) const {
    const auto* slot = RING_GET_REQUEST(&ring_, ring_.req_cons);
    std::memcpy(&out, slot, sizeof out);
    // Every later use reads the copy: the compiler may not re-load the slot,
    // which the front end may rewrite meanwhile (Xen's RING_COPY_REQUEST).
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

void BlkBackRing::respond(std::uint64_t id, std::uint8_t operation, std::int16_t status) {
    blkif_response_t* rsp = RING_GET_RESPONSE(&ring_, ring_.rsp_prod_pvt);
    rsp->id = id;
    rsp->operation = operation;
    rsp->status = status;
    ++ring_.rsp_prod_pvt;
}

bool BlkBackRing::push() {
    if (ring_.sring == nullptr) {
        return false;
    }
    int notify = 0;
    RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&ring_, notify);
    return notify != 0;
}

bool BlkBackRing::final_check() {
    if (broken_ || ring_.sring == nullptr) {
        return false;
    }
    int work = 0;
    RING_FINAL_CHECK_FOR_REQUESTS(&ring_, work);
    return work != 0 && pending() > 0;
}

} // namespace enso::backends
