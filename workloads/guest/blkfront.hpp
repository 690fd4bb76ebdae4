// blkfront: the guest's block front end over Xen's blkif ring, to a back end
// in domain 0. One ring page granted to domain 0, an event channel for the
// back end's notifications, grants per request from grant_pool (or once per
// page with persistent grants), I/Os of up to 11 pages as direct requests and
// up to 256 as BLKIF_OP_INDIRECT. Completions are polled: the guest runs at
// CPL3 with no IDT (under PVM its ring 0 is emulated), so there is no
// interrupt to take; the back end's events only set pending bits. The back
// end is kicked only when it asked (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY),
// with an `out` to its kick port or EVTCHNOP_send.
#pragma once

#include "workloads/guest/blkif.hpp"

namespace enso::guest {

inline constexpr uint32_t kBlkMaxPages = 256; // per I/O: one indirect page of descriptors
inline constexpr uint32_t kNoRef = ~0U;

// A page of I/O buffer. With persistent grants the page keeps its ref from
// its first I/O until the front end disconnects (pgen says which connection
// granted it).
struct BlkPage {
    uint64_t mfn = 0;
    uint32_t pref = kNoRef;
    uint32_t pgen = 0;
};

struct BlkfrontConfig {
    uint64_t sectors = 0;  // the disk's size, as the back end announced it
    uint64_t features = 0; // abi::BlkFeature bits
    uint32_t kick_ring = 0;
    uint32_t max_indirect_segments = kBlkMaxPages;
};

struct BlkfrontStats {
    uint64_t requests = 0;
    uint64_t kicks = 0;
    uint64_t stalls = 0;  // submissions refused for want of ring slots or grants
    uint64_t waits = 0;   // blkfront_wait calls that blocked (or waited for an upcall)
    uint64_t upcalls = 0; // the port's upcall handler ran (blkfront_enable_irq)
};

// Sets up the ring (granted read-write to domain 0) and an unbound event
// channel for domain 0. Returns 0 and the ref and port the back end needs.
long blkfront_connect(const BlkfrontConfig& config, uint32_t* ring_ref, uint32_t* port);
// After the back end disconnected: ends every grant, closes the port. -EBUSY
// while the back end still maps something (call again once it let go).
long blkfront_disconnect();
[[nodiscard]] bool blkfront_connected();
[[nodiscard]] const BlkfrontConfig& blkfront_config();

// Grant references free for requests (what bounds I/Os in flight).
[[nodiscard]] uint32_t blkfront_grants_free();
// Whether the page holds a persistent grant of this connection.
[[nodiscard]] bool blkfront_page_granted(const BlkPage& page);
[[nodiscard]] uint32_t blkfront_ring_free();

// Puts one I/O on the ring (not yet published): op BLKIF_OP_READ, _WRITE or
// _FLUSH_DISKCACHE (no pages). 0; -EAGAIN when ring slots or grants are
// short (poll, then retry); -EINVAL when it can never go.
long blkfront_submit(uint8_t op, uint64_t sector, BlkPage* pages, uint32_t npages, uint64_t cookie);
// Publishes what was submitted; kicks the back end if it asked to be.
void blkfront_push();
// Kicks the back end whether it asked or not.
void blkfront_kick();

// Responses: calls done(ctx, cookie, status) for each; returns how many.
using BlkDone = void (*)(void* ctx, uint64_t cookie, int16_t status);
unsigned blkfront_poll(BlkDone done, void* ctx);
// Waits for the back end's notification instead of polling: asks for one
// at the next response (rsp_event) and blocks, unless a response came in
// meanwhile. Returns after an event (or at once); then poll.
void blkfront_wait();

// Completions by interrupt: registers the event upcall (events.hpp) and a
// handler for the ring's port that consumes responses, calling done(ctx,
// ...) for each, as blkfront_poll does. The upcall stays masked except in
// blkfront_wait_irq, so the handler never runs inside the caller's own ring
// work. 0, or why not (-ENOSYS: the monitor delivers no interrupts here).
long blkfront_enable_irq(BlkDone done, void* ctx);
void blkfront_disable_irq();
// With nothing to submit: asks for a notification at the next response
// (RING_FINAL_CHECK_FOR_RESPONSES re-arms rsp_event), unmasks the upcall
// and waits - spinning at CPL3, which cannot halt - until its handler has
// run or `us` passed. Returns at once if a response is already there (then
// poll).
void blkfront_wait_irq(uint64_t us);

[[nodiscard]] const BlkfrontStats& blkfront_stats();
void blkfront_reset_stats();

// For the bad-request tests: the ring itself and a free request slot.
blkif_front_ring_t* blkfront_ring();
// A shadow slot for a hand-made request (its id); -EAGAIN if none.
long blkfront_claim_slot(uint64_t cookie);
void blkfront_release_slot(uint32_t id);

} // namespace enso::guest
