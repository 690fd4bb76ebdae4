// The compute kernels of workloads/compute, the same source the native twin
// runs: args[0] = size, args[1] = repetitions; values[0] = checksum.
#include "workloads/compute/float_poly.hpp"
#include "workloads/compute/int_mix.hpp"
#include "workloads/compute/pointer_chase.hpp"
#include "workloads/compute/stream_sum.hpp"
#include "workloads/guest/commands.hpp"
#include "workloads/guest/console.hpp"
#include "workloads/guest/scratch_area.hpp"

namespace enso::guest {

namespace {

uint64_t g_chase_bytes = 0; // the size whose cycle the scratch buffer holds

// One call of the kernel between two fenced TSC reads.
template <class Kernel>
uint64_t timed_call(Result& r, uint64_t steps, Kernel&& kernel) {
    const uint64_t start = rdtsc_ordered();
    const uint64_t sum = kernel();
    const uint64_t end = rdtsc_ordered();
    r.tsc_cycles = end - start;
    r.iterations = steps;
    return sum;
}

} // namespace

// int_mix(args[0], args[1]): iterations = args[0] * args[1] mixing steps.
void cmd_compute_int(Args a, Result& r) {
    r.values[0] = timed_call(r, compute::int_mix_steps(a[0], a[1]),
                             [&] { return compute::int_mix(a[0], a[1]); });
}

// A pointer chase over a buffer of args[0] bytes (free frames mapped at
// kScratchBufferVa), args[1] times round its one cycle: iterations = nodes *
// args[1] dependent loads; values[1] = nodes. Linking the cycle is not timed.
void cmd_compute_mem(Args a, Result& r) {
    const uint64_t bytes = a[0];
    if (!compute::chase_size_ok(bytes) || bytes > kScratchBufferMaxBytes) {
        printk("enso-guest: pointer chase over %lu bytes (%lu..%lu)\n", bytes,
               2 * compute::kChaseNodeBytes, kScratchBufferMaxBytes);
        r.status = -XEN_EINVAL;
        return;
    }
    uint64_t* buf = nullptr;
    if (long rc = scratch_buffer(bytes, &buf); rc != 0) {
        printk("enso-guest: cannot map a %lu-byte buffer: %ld\n", bytes, rc);
        r.status = rc;
        return;
    }
    // Linking a cycle through a large buffer takes a while (a cache miss per
    // swap), and a benchmark repeats the same size: the cycle is kept until
    // another size is asked for. Nothing else writes the buffer.
    if (bytes != g_chase_bytes) {
        compute::chase_prepare(buf, bytes);
        g_chase_bytes = bytes;
    }
    const uint64_t steps = compute::chase_nodes(bytes) * a[1];
    r.values[0] = timed_call(r, steps, [&] { return compute::chase_run(buf, steps); });
    r.values[1] = compute::chase_nodes(bytes);
}

// float_poly(args[0], args[1]): iterations = polynomial evaluations.
void cmd_compute_float(Args a, Result& r) {
    r.values[0] = timed_call(r, compute::float_poly_steps(a[0], a[1]),
                             [&] { return compute::float_poly(a[0], a[1]); });
}

// stream_sum over args[0] bytes of the scratch buffer, args[1] passes:
// iterations = words read. Filling the buffer is not timed (and spoils a
// kept pointer-chase cycle).
void cmd_compute_stream(Args a, Result& r) {
    const uint64_t bytes = a[0] & ~uint64_t{31};
    if (bytes == 0 || bytes > kScratchBufferMaxBytes) {
        printk("enso-guest: stream over %lu bytes (32..%lu)\n", a[0], kScratchBufferMaxBytes);
        r.status = -XEN_EINVAL;
        return;
    }
    uint64_t* buf = nullptr;
    if (long rc = scratch_buffer(bytes, &buf); rc != 0) {
        printk("enso-guest: cannot map a %lu-byte buffer: %ld\n", bytes, rc);
        r.status = rc;
        return;
    }
    const uint64_t words = bytes / sizeof(uint64_t);
    compute::stream_prepare(buf, words);
    g_chase_bytes = 0;
    r.values[0] = timed_call(r, compute::stream_steps(words, a[1]),
                             [&] { return compute::stream_sum(buf, words, a[1]); });
}

} // namespace enso::guest
