// The block-device commands' arguments and results (kCmdBlk*, see
// command_page.hpp), shared by the monitor side (tests, the blk suite) and
// the guest kernel. Freestanding (<stdint.h> only).
//
// Connection, as xenstore would carry it: the host asks the guest to set up
// its front end (kCmdBlkConnect: the guest grants a ring page to domain 0
// and allocates an event channel for it), hands the ring reference and port
// to the back end, then runs I/O (kCmdBlkRun). Teardown: the back end
// disconnects first (unmaps), then kCmdBlkDisconnect ends the guest's grants.
#pragma once

#include <stdint.h>

namespace enso::abi {

// kCmdBlkConnect args[1]: what the front end uses, as negotiated in Xen
// through xenstore's feature-* keys.
enum BlkFeature : uint64_t {
    // feature-persistent: every data and indirect page is granted once and
    // reused; the back end keeps its mappings.
    kBlkFeaturePersistent = 1U << 0,
    // feature-max-indirect-segments: I/Os over 11 pages go as one
    // BLKIF_OP_INDIRECT request (else they are refused: the front end does
    // not split).
    kBlkFeatureIndirect = 1U << 1,
    // Kick the back end with an `out` to kPortRingKick + 4 * ring (an
    // ioeventfd, handled in the kernel) instead of EVTCHNOP_send.
    kBlkFeatureKickPort = 1U << 2,
};

// kCmdBlkRun args[0] bits 8..15: which device the workload drives.
enum BlkDevice : uint32_t {
    kBlkDevicePv = 0,       // blkfront over the blkif ring
    kBlkDeviceEmulated = 1, // the register-based disk (emulated_disk.hpp)
};

// kCmdBlkRun args[0] bits 16..: options.
inline constexpr uint64_t kBlkRunVerifyWrites = 1ULL << 16; // read back what a write run wrote
inline constexpr uint64_t kBlkRunFlushAtEnd = 1ULL << 17;   // a FLUSH_DISKCACHE after the last I/O
// Completions by notification: with nothing to submit and nothing answered,
// the front end asks for an event (RING_FINAL_CHECK_FOR_RESPONSES sets
// rsp_event) and blocks (SCHEDOP_block) instead of polling the ring.
inline constexpr uint64_t kBlkRunWaitEvent = 1ULL << 18;
// No run: read back and check what the last write run with the same
// arguments wrote (kBlkRunVerifyWrites as a command of its own, so that the
// run's exits and CPU time do not include the read-back's I/Os).
inline constexpr uint64_t kBlkRunReadBackOnly = 1ULL << 19;
// Completions by interrupt: the front end registers Xen's event upcall
// (CALLBACKOP_register), which the monitor delivers as an interrupt through
// an irqfd at CPL3; its handler consumes the responses. With nothing to
// submit the front end re-arms rsp_event and waits for the handler with the
// upcall unmasked. -ENOSYS when the guest's domain has no interrupts
// (kvm::DomainConfig::event_irq).
inline constexpr uint64_t kBlkRunWaitIrq = 1ULL << 20;

// kCmdBlkBadRequest args[0]: the malformed request the guest puts on the
// ring; the answer is the response's status (values[0]) and whether a good
// request still works afterwards (values[1] = its status).
enum BlkBadKind : uint32_t {
    kBlkBadUngranted = 0,      // a segment's gref was never granted
    kBlkBadForeignGrant = 1,   // granted, but to another domain
    kBlkBadReadOnlyRead = 2,   // a read into a page granted read-only
    kBlkBadSectorRange = 3,    // first_sect > last_sect
    kBlkBadSectorInPage = 4,   // last_sect past the page (> 7)
    kBlkBadNoSegments = 5,     // nr_segments == 0
    kBlkBadTooManySegs = 6,    // nr_segments > 11
    kBlkBadPastEnd = 7,        // sector_number past the disk's end
    kBlkBadWrapSector = 8,     // sector_number + length wraps around 2^64
    kBlkBadOperation = 9,      // an unknown operation
    kBlkBadIndirectRef = 10,   // BLKIF_OP_INDIRECT with an ungranted indirect page
    kBlkBadIndirectCount = 11, // BLKIF_OP_INDIRECT with too many segments
    kBlkBadIndirectOp = 12,    // BLKIF_OP_INDIRECT whose indirect_op is a flush
    kBlkBadRingIndex = 13,     // req_prod far past what the ring can hold
    kBlkBadKinds = 14,
};

// Results of kCmdBlkRun, written to the command page's data area.
struct BlkRunStats {
    uint64_t ios;            // I/Os completed
    uint64_t bytes;          // bytes they moved
    uint64_t io_errors;      // responses with a status other than OKAY
    uint64_t bad_blocks;     // blocks that failed check_block after a read
    uint64_t checked_blocks; // blocks checked (reads, and write read-back)
    uint64_t lat_p50;        // TSC ticks, submission to completion
    uint64_t lat_p99;
    uint64_t lat_max;
    uint64_t kicks;             // notifications to the back end
    uint64_t requests;          // ring requests (an I/O is one)
    uint64_t max_inflight;      // I/Os in flight at once, at most
    uint64_t stalls;            // submissions that waited for ring slots or grants
    uint64_t first_bad_lba;     // ~0 if none
    uint64_t first_bad_verdict; // a blkio::BlockVerdict
    uint64_t readback_bad;      // kBlkRunVerifyWrites: blocks whose generation is not this run's
    uint64_t flush_status;      // kBlkRunFlushAtEnd: the flush's status (0 OKAY)
    uint64_t waits;             // kBlkRunWaitEvent: times the front end blocked (WaitIrq: waited)
    uint64_t upcalls;           // kBlkRunWaitIrq: runs of the ring's upcall handler
    uint64_t interrupts;        // kBlkRunWaitIrq: upcall interrupts the guest took
};

// kCmdBlkStream's progress, in the command page's data area, updated as the
// stream runs (the guest may be stopped at any moment): writes 0..durable-1
// were acknowledged before a flush that was itself acknowledged.
struct BlkStreamProgress {
    volatile uint64_t submitted;
    volatile uint64_t acked;
    volatile uint64_t durable;
    volatile uint64_t flushes;
    volatile uint64_t errors;
};

} // namespace enso::abi
