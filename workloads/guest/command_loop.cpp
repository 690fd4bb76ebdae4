#include "workloads/guest/command_loop.hpp"

#include "workloads/guest/boot_info.hpp"
#include "workloads/guest/commands.hpp"
#include "workloads/guest/console.hpp"
#include "workloads/guest/events.hpp"
#include "workloads/guest/tsc.hpp"

namespace enso::guest {

namespace {

// How long the guest polls seq before it blocks: a command that follows
// closely (a benchmark's next repetition) then costs no wake-up.
constexpr uint64_t kPollUs = 50;

const char* command_name(uint32_t c) {
    static const char* const kNames[] = {
        "none",        "ping",           "null",         "floor",         "exit_floor",
        "mmu_update",  "pin_unpin",      "new_baseptr",  "evtchn_send",   "grant_copy",
        "memcpy",      "multicall",      "grant_offer",  "grant_end",     "compute_int",
        "compute_mem", "hypercall",      "read",         "write",         "shutdown",
        "spin",        "grant_offer_to", "pattern_fill", "pattern_check",
    };
    if (c >= abi::kCmdBlkConnect && c <= abi::kCmdBlkBadRequest) {
        return "blk";
    }
    return c < sizeof kNames / sizeof kNames[0] ? kNames[c] : "unknown";
}

// Waits until seq differs from last and returns it. Before blocking, the
// pending bits are cleared and seq looked at again, so a command posted
// between the look and the block leaves its event pending and the block
// returns at once.
uint64_t wait_for_command(abi::CommandPage* cp, uint64_t last) {
    const evtchn_port_t port = cp->cmd_port;
    const uint64_t until = rdtsc_ordered() + tsc_ticks_us(kPollUs);
    while (rdtsc_ordered() < until) {
        if (cp->seq != last) {
            return cp->seq;
        }
        cpu_relax();
    }
    bool block_failed = false;
    for (;;) {
        evtchn_clear(port); // ends with a locked operation: a full fence
        const uint64_t seq = cp->seq;
        if (seq != last) {
            return seq;
        }
        if (block_failed) {
            cpu_relax(); // already said so: poll
            continue;
        }
        if (const long rc = block(); rc != 0) {
            printk("enso-guest: SCHEDOP_block failed (%ld); polling instead\n", rc);
            block_failed = true;
        }
    }
}

void run(uint32_t command, Args a, Result& r) {
    switch (command) {
    case abi::kCmdNone:
        return;
    case abi::kCmdPing:
        return cmd_ping(a, r);
    case abi::kCmdNull:
        return cmd_null(a, r);
    case abi::kCmdFloor:
        return cmd_floor(a, r);
    case abi::kCmdExitFloor:
        return cmd_exit_floor(a, r);
    case abi::kCmdMmuUpdate:
        return cmd_mmu_update(a, r);
    case abi::kCmdPinUnpin:
        return cmd_pin_unpin(a, r);
    case abi::kCmdNewBaseptr:
        return cmd_new_baseptr(a, r);
    case abi::kCmdEvtchnSend:
        return cmd_evtchn_send(a, r);
    case abi::kCmdGrantCopy:
        return cmd_grant_copy(a, r);
    case abi::kCmdMemcpy:
        return cmd_memcpy(a, r);
    case abi::kCmdMulticall:
        return cmd_multicall(a, r);
    case abi::kCmdGrantOffer:
        return cmd_grant_offer(a, r);
    case abi::kCmdGrantEnd:
        return cmd_grant_end(a, r);
    case abi::kCmdComputeInt:
        return cmd_compute_int(a, r);
    case abi::kCmdComputeMem:
        return cmd_compute_mem(a, r);
    case abi::kCmdComputeFloat:
        return cmd_compute_float(a, r);
    case abi::kCmdComputeStream:
        return cmd_compute_stream(a, r);
    case abi::kCmdForkLike:
        return cmd_fork_like(a, r);
    case abi::kCmdBlkConnect:
        return cmd_blk_connect(a, r);
    case abi::kCmdBlkDisconnect:
        return cmd_blk_disconnect(a, r);
    case abi::kCmdBlkRun:
        return cmd_blk_run(a, r);
    case abi::kCmdBlkStream:
        return cmd_blk_stream(a, r);
    case abi::kCmdBlkBadRequest:
        return cmd_blk_bad_request(a, r);
    case abi::kCmdHypercall:
        return cmd_hypercall(a, r);
    case abi::kCmdRead:
        return cmd_read(a, r);
    case abi::kCmdWrite:
        return cmd_write(a, r);
    case abi::kCmdShutdown:
        return cmd_shutdown(a, r);
    case abi::kCmdGrantOfferTo:
        return cmd_grant_offer_to(a, r);
    case abi::kCmdPatternFill:
        return cmd_pattern_fill(a, r);
    case abi::kCmdPatternCheck:
        return cmd_pattern_check(a, r);
    case abi::kCmdSpin:
        cmd_spin(a, r);
    default:
        r.status = -XEN_ENOSYS;
        return;
    }
}

// The results first, then done_seq (a release store: on x86 a compiler
// barrier, which is all the monitor's acquire load needs).
void publish(abi::CommandPage* cp, uint64_t seq, const Result& r) {
    cp->status = r.status;
    cp->tsc_cycles = r.tsc_cycles;
    cp->iterations = r.iterations;
    for (unsigned i = 0; i < 8; ++i) {
        cp->values[i] = r.values[i];
    }
    __atomic_store_n(&cp->done_seq, seq, __ATOMIC_RELEASE);
}

} // namespace

void command_loop() {
    abi::CommandPage* cp = command_page();
    const evtchn_port_t port = cp->cmd_port;
    // done_seq, not 0: a command posted before the guest got here still runs.
    uint64_t last = cp->done_seq;
    bool send_failed = false;
    for (;;) {
        const uint64_t seq = wait_for_command(cp, last);
        // seq before the arguments: the monitor wrote them before bumping it.
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        const uint32_t command = cp->command;
        uint64_t args[6];
        for (unsigned i = 0; i < 6; ++i) {
            args[i] = cp->args[i];
        }
        Result r;
        run(command, args, r);
        if (r.status < 0 && command != abi::kCmdHypercall) {
            printk("enso-guest: command %u (%s) failed: %ld\n", command, command_name(command),
                   r.status);
        }
        publish(cp, seq, r);
        last = seq;
        if (const long rc = evtchn_send(port); rc != 0 && !send_failed) {
            printk("enso-guest: cannot notify port %u: %ld\n", port, rc);
            send_failed = true;
        }
    }
}

} // namespace enso::guest
