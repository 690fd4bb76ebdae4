// How the monitor asks a running guest for work and reads the answer: one
// guest-owned page at kCommandPageVa, plus an event channel to domain 0.
//
// Protocol: the monitor fills command and args, then bumps seq and sends an
// event on its end of the command channel. The guest (blocked in SCHEDOP_block
// or polling) sees seq change, runs the command, fills the result fields, sets
// done_seq = seq and sends an event back. Boot fields are written by the
// domain builder before the guest starts and never change.
#pragma once

#include <stdint.h>

namespace enso::abi {

enum Command : uint32_t {
    kCmdNone = 0,
    // values[0] = kPingMagic ^ args[0].
    kCmdPing = 1,
    // args[0] iterations of xen_version(XENVER_version): the null hypercall.
    kCmdNull = 2,
    // args[0] iterations of the floor stub (kFloorHypercall): the exit floor
    // under the trap transport, the ring floor under the exitless one.
    kCmdFloor = 3,
    // args[0] iterations of a bare `out` to kPortFloor, not through the stub.
    kCmdExitFloor = 4,
    // args[0] iterations of: one mmu_update of args[1] entries mapping
    // args[1] free frames into the scratch L1, one unmapping them.
    kCmdMmuUpdate = 5,
    // args[0] iterations of MMUEXT_PIN_L1_TABLE then MMUEXT_UNPIN_TABLE (two
    // hypercalls) on a zeroed free frame mapped read-only.
    kCmdPinUnpin = 6,
    // args[0] iterations of MMUEXT_NEW_BASEPTR alternating between two pinned
    // roots that map the same address space.
    kCmdNewBaseptr = 7,
    // args[0] iterations of EVTCHNOP_send on the command channel.
    kCmdEvtchnSend = 8,
    // args[0] iterations of GNTTABOP_copy of 4 KiB between two own frames.
    kCmdGrantCopy = 9,
    // args[0] iterations of memcpy of 4 KiB in the guest (the twin of 9).
    kCmdMemcpy = 10,
    // args[0] iterations of one multicall of args[1] xen_version entries.
    kCmdMulticall = 11,
    // Grant a free frame to domain 0 (read-write unless args[0] != 0):
    // values[0] = ref, values[1] = machine frame. The frame is filled with
    // the byte args[1].
    kCmdGrantOffer = 12,
    // End the grant values[0] of a previous kCmdGrantOffer (args[0] = ref):
    // status = 0 when ended, -EBUSY while mapped.
    kCmdGrantEnd = 13,
    // Compute kernels from workloads/compute (one source for guest and host):
    // args[0] = size parameter, args[1] = repetitions; values[0] = checksum.
    kCmdComputeInt = 14,
    kCmdComputeMem = 15,
    // One hypercall with the monitor's arguments: args[0] = nr, args[1..5] =
    // rdi, rsi, rdx, r10, r8. An argument may point into data[] (at
    // kCommandPageVa + offsetof(CommandPage, data)). status = rax.
    kCmdHypercall = 16,
    // Read 8 bytes at virtual address args[0] into values[0] (a fault stops
    // the guest: the test of what it may not reach).
    kCmdRead = 17,
    // Write args[1] to the 8 bytes at virtual address args[0].
    kCmdWrite = 18,
    // SCHEDOP_shutdown with reason args[0]; never answered.
    kCmdShutdown = 19,
    // Spin forever without a hypercall (tests the monitor's deadline).
    kCmdSpin = 20,
    // kCmdGrantOffer to domain args[2] instead of domain 0: args[0] != 0 for
    // read-only, args[1] the fill byte; values[0] = ref, values[1] = frame.
    kCmdGrantOfferTo = 21,
    // Fill a free frame with the word pattern of seed args[0] and keep it
    // (a victim's private memory in the hostile tests): values[0] = frame.
    kCmdPatternFill = 22,
    // Check own frame args[0] holds the pattern seed args[1]: the word
    // pattern of kCmdPatternFill (args[2] == 0) or every byte == args[1]
    // (args[2] == 1, what kCmdGrantOffer* fill). status 0, or -EIO with
    // values[0] = the first bad byte offset and values[1] = the word there.
    kCmdPatternCheck = 23,
    // Block I/O (workloads/guest/blk_commands.cpp; arguments and results in
    // hvcore/abi/blk.hpp). Connect the front end: args[0] = disk sectors,
    // args[1] = BlkFeature bits, args[2] = kick ring, args[3] = max indirect
    // segments; values[0] = ring ref, values[1] = event channel port.
    kCmdBlkConnect = 32,
    // End the front end's grants once the back end let go (-EBUSY before).
    kCmdBlkDisconnect = 33,
    // An I/O pattern: args[0] = blkio::Pattern | BlkDevice << 8 | options,
    // args[1] = I/O bytes, args[2] = queue depth, args[3] = I/Os, args[4] =
    // seed, args[5] = span in bytes (0: the whole disk). iterations = I/Os,
    // tsc_cycles = the whole run; values[0] = queue depth used; BlkRunStats
    // in data[].
    kCmdBlkRun = 34,
    // The crash test's write stream: sequential writes of args[0] bytes at
    // queue depth args[1], args[2] of them, a flush after every args[3]
    // acknowledged, seed args[4]; BlkStreamProgress in data[] as it goes.
    kCmdBlkStream = 35,
    // A malformed request of kind args[0] (BlkBadKind) put on the ring by
    // hand: values[0] = its response's status (1: no response), values[1] =
    // the status of a good read after it (1: none).
    kCmdBlkBadRequest = 36,
    // More compute kernels (workloads/compute), numbered apart from the
    // driver commands: args[0] = size, args[1] = repetitions; values[0] =
    // checksum. Float: float_poly(size, reps), iterations = evaluations.
    kCmdComputeFloat = 40,
    // Stream: stream_sum over a buffer of args[0] bytes (free frames mapped
    // at the scratch buffer), args[1] passes; iterations = words read.
    kCmdComputeStream = 41,
    // Fork-like page-table work (workloads/guest/pagetable_commands.cpp):
    // args[0] = pages (1..65536), args[1] =
    // rounds of build, protect, pin, switch, touch every page, switch back,
    // unpin, unprotect. iterations = rounds; values[0] = pages, values[1] =
    // table frames, values[2] = checksum of the words touched.
    kCmdForkLike = 42,
};

inline constexpr uint64_t kPingMagic = 0x656e736f2d677374ULL; // "enso-gst"

enum Transport : uint32_t {
    kTransportTrap = 0,
    kTransportExitless = 1,
};

struct CommandPage {
    // Monitor to guest.
    volatile uint64_t seq;
    volatile uint32_t command;
    uint32_t pad0;
    uint64_t args[6];
    // Guest to monitor.
    volatile uint64_t done_seq;
    volatile int64_t status; // 0 or a hypercall's -errno
    uint64_t tsc_cycles;     // TSC ticks the measured loop took
    uint64_t iterations;     // operations in that loop
    uint64_t values[8];
    // Boot information (domain builder).
    uint64_t tsc_khz;        // guest TSC frequency
    uint32_t transport;      // Transport
    uint32_t cmd_port;       // the guest's end of the command channel
    uint64_t first_free_pfn; // pfns from here to start_info.nr_pages are free
    uint64_t boot_magic;     // kPingMagic once the builder wrote this page
    uint64_t pad1[4];
    // Argument buffers for kCmdHypercall.
    uint8_t data[3872];
};
static_assert(sizeof(CommandPage) == 4096);

} // namespace enso::abi
