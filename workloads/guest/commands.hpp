// The commands of hvcore/abi/command_page.hpp, one function each. A command
// fills a Result; the command loop copies it into the command page and
// publishes it. Timed commands time only their measured loop (timed_loop).
#pragma once

#include "hvcore/abi/command_page.hpp"
#include "workloads/guest/tsc.hpp"

namespace enso::guest {

struct Result {
    int64_t status = 0; // 0 or a -errno
    uint64_t tsc_cycles = 0;
    uint64_t iterations = 0;
    uint64_t values[8] = {};
};

using Args = const uint64_t*; // CommandPage::args, 6 words

// Runs body n times between two fenced TSC reads. body returns a negative
// errno to stop early: status is then that errno and iterations counts only
// the operations that completed.
template <class Body>
inline void timed_loop(Result& r, uint64_t n, Body&& body) {
    long rc = 0;
    uint64_t i = 0;
    const uint64_t start = rdtsc_ordered();
    for (; i < n; ++i) {
        rc = body();
        if (rc < 0) [[unlikely]] {
            break;
        }
    }
    const uint64_t end = rdtsc_ordered();
    r.tsc_cycles = end - start;
    r.iterations = i;
    if (rc < 0) {
        r.status = rc;
    }
}

// hypercall_commands.cpp
void cmd_ping(Args a, Result& r);
void cmd_null(Args a, Result& r);
void cmd_floor(Args a, Result& r);
void cmd_exit_floor(Args a, Result& r);
void cmd_evtchn_send(Args a, Result& r);
void cmd_multicall(Args a, Result& r);
void cmd_hypercall(Args a, Result& r);

// mmu_commands.cpp
void cmd_mmu_update(Args a, Result& r);
void cmd_pin_unpin(Args a, Result& r);
void cmd_new_baseptr(Args a, Result& r);

// grant_commands.cpp
void cmd_grant_copy(Args a, Result& r);
void cmd_memcpy(Args a, Result& r);
void cmd_grant_offer(Args a, Result& r);
void cmd_grant_end(Args a, Result& r);
void cmd_grant_offer_to(Args a, Result& r);

// compute_commands.cpp
void cmd_compute_int(Args a, Result& r);
void cmd_compute_mem(Args a, Result& r);
void cmd_compute_float(Args a, Result& r);
void cmd_compute_stream(Args a, Result& r);

// pagetable_commands.cpp
void cmd_fork_like(Args a, Result& r);

// blk_commands.cpp
void cmd_blk_connect(Args a, Result& r);
void cmd_blk_disconnect(Args a, Result& r);
void cmd_blk_run(Args a, Result& r);
void cmd_blk_stream(Args a, Result& r);
void cmd_blk_bad_request(Args a, Result& r);

// pattern_commands.cpp
void cmd_pattern_fill(Args a, Result& r);
void cmd_pattern_check(Args a, Result& r);

// control_commands.cpp
void cmd_read(Args a, Result& r);
void cmd_write(Args a, Result& r);
void cmd_shutdown(Args a, Result& r);
[[noreturn]] void cmd_spin(Args a, Result& r);

} // namespace enso::guest
