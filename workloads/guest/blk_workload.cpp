#include "workloads/guest/blk_workload.hpp"

#include "workloads/blkio/latency_histogram.hpp"
#include "workloads/guest/console.hpp"
#include "workloads/guest/emulated_disk_driver.hpp"
#include "workloads/guest/events.hpp"
#include "workloads/guest/frame_allocator.hpp"
#include "workloads/guest/page_tables.hpp"
#include "workloads/guest/tsc.hpp"

namespace enso::guest {

namespace {

using blkio::kBlockSize;

// I/O buffers: pages allocated on first use and kept (with their persistent
// grants, while connected). 8 MiB: what the grant table can have in flight.
constexpr uint32_t kPoolPages = 2048;
BlkPage g_pool[kPoolPages];
uint32_t g_pool_size = 0;

constexpr uint32_t kMaxSlots = 32;
constexpr uint64_t kFlushCookie = ~0ULL;

long pool_pages(uint32_t n) {
    if (n > kPoolPages) {
        return -XEN_ENOMEM;
    }
    while (g_pool_size < n) {
        const uint64_t mfn = alloc_frame();
        if (mfn == kNoMfn) {
            return -XEN_ENOMEM;
        }
        g_pool[g_pool_size++] = BlkPage{mfn, kNoRef, 0};
    }
    return 0;
}

void* page_va(const BlkPage& p) {
    return phys_ptr(p.mfn << kPageShift);
}

struct Slot {
    BlkPage* pages = nullptr;
    uint64_t index = 0;
    uint64_t offset = 0;
    uint64_t t0 = 0;
};

// What the completion callbacks update.
struct Run {
    const BlkRunParams* p = nullptr;
    abi::BlkRunStats* stats = nullptr;
    Slot slots[kMaxSlots];
    uint32_t free_slots[kMaxSlots] = {};
    uint32_t nr_free = 0;
    uint64_t completed = 0;
    uint64_t inflight = 0;
    int16_t flush_status = 1; // 1: none answered yet
    blkio::LatencyHistogram hist;
};
Run g_run; // 4+ KiB of histogram: not on the 64 KiB stack

void check_read(Run& run, const Slot& s) {
    const uint64_t blocks = run.p->io_bytes / kBlockSize;
    for (uint64_t k = 0; k < blocks; ++k) {
        uint64_t gen = 0;
        const auto v = blkio::check_block(page_va(s.pages[k]), s.offset / kBlockSize + k, &gen);
        ++run.stats->checked_blocks;
        if (v != blkio::BlockVerdict::ok) {
            if (run.stats->bad_blocks++ == 0) {
                run.stats->first_bad_lba = s.offset / kBlockSize + k;
                run.stats->first_bad_verdict = static_cast<uint64_t>(v);
            }
        }
    }
}

void on_done(void* ctx, uint64_t cookie, int16_t status) {
    auto& run = *static_cast<Run*>(ctx);
    const uint64_t now = rdtsc_ordered();
    if (cookie == kFlushCookie) {
        run.flush_status = status;
        return;
    }
    Slot& s = run.slots[cookie];
    run.hist.add(now - s.t0);
    if (status != BLKIF_RSP_OKAY) {
        ++run.stats->io_errors;
    } else {
        run.stats->bytes += run.p->io_bytes;
        if (!blkio::is_write(run.p->pattern)) {
            check_read(run, s);
        }
    }
    ++run.completed;
    --run.inflight;
    run.free_slots[run.nr_free++] = static_cast<uint32_t>(cookie);
}

// Submits to the device; the emulated disk completes before it returns.
long submit(const BlkRunParams& p, uint8_t op, uint64_t sector, BlkPage* pages, uint32_t n,
            uint64_t cookie) {
    if (p.device == abi::kBlkDevicePv) {
        return blkfront_submit(op, sector, pages, n, cookie);
    }
    uint32_t status = 0;
    const long rc = emu_disk_io(op, sector, pages, n, &status);
    on_done(&g_run, cookie, rc == 0 ? int16_t{BLKIF_RSP_OKAY} : int16_t{BLKIF_RSP_ERROR});
    return 0;
}

unsigned poll(const BlkRunParams& p) {
    if (p.device != abi::kBlkDevicePv) {
        return 0;
    }
    return blkfront_poll(on_done, &g_run);
}

// Nothing was answered: spin, or block for the back end's notification
// (kBlkRunWaitEvent), or wait for its upcall interrupt (kBlkRunWaitIrq),
// when waiting is all there is to do.
void idle(const BlkRunParams& p, bool can_submit) {
    const bool waiting = p.device == abi::kBlkDevicePv && g_run.inflight > 0 && !can_submit;
    if (waiting && (p.options & abi::kBlkRunWaitIrq) != 0) {
        blkfront_wait_irq(10000); // bounded: a lost interrupt costs 10 ms, never a hang
    } else if (waiting && (p.options & abi::kBlkRunWaitEvent) != 0) {
        blkfront_wait();
    } else {
        cpu_relax();
    }
}

// Waits for everything in flight (and a flush's answer), bounded.
bool drain(const BlkRunParams& p, bool want_flush) {
    const uint64_t until = rdtsc_ordered() + tsc_ticks_us(30ULL * 1000 * 1000);
    while (g_run.inflight > 0 || (want_flush && g_run.flush_status == 1)) {
        if (poll(p) == 0) {
            idle(p, false);
            if (rdtsc_ordered() > until) {
                return false;
            }
        }
    }
    return true;
}

// How many I/Os may be in flight: the ring, the grants, the buffers.
uint64_t usable_depth(const BlkRunParams& p, uint32_t pages) {
    uint64_t qd = p.queue_depth < kMaxSlots ? p.queue_depth : kMaxSlots;
    if (p.device != abi::kBlkDevicePv) {
        return 1; // the emulated disk completes each I/O inside its command register
    }
    const bool persistent = (blkfront_config().features & abi::kBlkFeaturePersistent) != 0;
    const bool indirect = pages > BLKIF_MAX_SEGMENTS_PER_REQUEST;
    // Persistent grants are held for good: the buffers of every slot, plus
    // an indirect page per ring slot. Otherwise each I/O holds its pages'
    // grants (and its indirect page's) while in flight.
    uint64_t grants = blkfront_grants_free();
    if (persistent) {
        // The pages that already hold one keep it for the slots they serve.
        for (uint32_t i = 0; i < g_pool_size; ++i) {
            grants += blkfront_page_granted(g_pool[i]) ? 1 : 0;
        }
        grants = grants > kMaxSlots ? grants - kMaxSlots : 0;
    }
    const uint64_t per_io = pages + (indirect && !persistent ? 1 : 0);
    const uint64_t by_grants = grants / per_io;
    qd = by_grants < qd ? by_grants : qd;
    const uint64_t by_pool = kPoolPages / pages;
    return by_pool < qd ? by_pool : qd;
}

void read_back(const BlkRunParams& p, abi::BlkRunStats& stats, Slot& s) {
    // The last writes of the run, up to 16 MiB: every block must carry this
    // run's seed, and, when no block was written twice, the very write.
    const uint64_t limit = (16ULL << 20) / p.io_bytes;
    const uint64_t n = p.count < limit ? p.count : (limit > 0 ? limit : 1);
    const bool exact = !blkio::is_random(p.pattern) && p.count * p.io_bytes <= p.span_bytes;
    const auto pages = static_cast<uint32_t>(p.io_bytes / kBlockSize);
    for (uint64_t j = p.count - n; j < p.count; ++j) {
        const uint64_t off = blkio::io_offset(p.pattern, j, p.io_bytes, p.span_bytes, p.seed);
        g_run.inflight = 1;
        g_run.nr_free = 0;
        g_run.slots[0] = s;
        g_run.slots[0].offset = off;
        g_run.slots[0].t0 = rdtsc_ordered();
        BlkRunParams rp = p;
        rp.pattern = blkio::Pattern::seqread; // on_done checks what it reads
        g_run.p = &rp;
        for (;;) {
            const long rc = submit(rp, BLKIF_OP_READ, off / 512, s.pages, pages, 0);
            if (rc == 0) {
                break;
            }
            if (rc != -XEN_EAGAIN) {
                ++stats.readback_bad;
                return;
            }
            (void)poll(rp);
        }
        if (p.device == abi::kBlkDevicePv) {
            blkfront_push();
        }
        if (!drain(rp, false)) {
            ++stats.readback_bad;
            return;
        }
        for (uint32_t k = 0; k < pages; ++k) {
            uint64_t gen = 0;
            const auto v = blkio::check_block(page_va(s.pages[k]), off / kBlockSize + k, &gen);
            const bool mine = blkio::generation_seed(gen) == (p.seed & 0xffffffffULL) &&
                              (!exact || gen == blkio::write_generation(p.seed, j));
            stats.readback_bad += v == blkio::BlockVerdict::ok && mine ? 0 : 1;
        }
    }
    g_run.p = &p;
}

} // namespace

uint64_t blk_disk_sectors(uint32_t device) {
    if (device == abi::kBlkDevicePv) {
        return blkfront_connected() ? blkfront_config().sectors : 0;
    }
    return emu_disk_sectors();
}

namespace {

long blk_run_inner(const BlkRunParams& p_in, abi::BlkRunStats& stats, uint64_t* tsc_cycles,
                   uint64_t* qd_used);

} // namespace

long blk_run(const BlkRunParams& p, abi::BlkRunStats& stats, uint64_t* tsc_cycles,
             uint64_t* qd_used) {
    const bool irq = (p.options & abi::kBlkRunWaitIrq) != 0;
    if (irq && p.device != abi::kBlkDevicePv) {
        return -XEN_EINVAL;
    }
    if (irq) {
        if (const long rc = blkfront_enable_irq(on_done, &g_run); rc != 0) {
            stats = abi::BlkRunStats{};
            *tsc_cycles = 0;
            *qd_used = 0;
            printk("blk: no completions by interrupt here: %ld\n", rc);
            return rc;
        }
    }
    const uint64_t upcalls0 = blkfront_stats().upcalls;
    const uint64_t interrupts0 = events_interrupts();
    const long rc = blk_run_inner(p, stats, tsc_cycles, qd_used);
    if (irq) {
        blkfront_disable_irq();
    }
    stats.upcalls = blkfront_stats().upcalls - upcalls0;
    stats.interrupts = events_interrupts() - interrupts0;
    return rc;
}

namespace {

// Checks the parameters, the span clamped to the disk (0: all of it).
long validate(BlkRunParams& p) {
    const uint64_t disk_bytes = blk_disk_sectors(p.device) * 512;
    if (p.span_bytes == 0 || p.span_bytes > disk_bytes) {
        p.span_bytes = disk_bytes;
    }
    if (p.device == abi::kBlkDevicePv && !blkfront_connected()) {
        return -XEN_EINVAL;
    }
    if (p.io_bytes == 0 || p.io_bytes % kBlockSize != 0 || p.io_bytes / kBlockSize > kBlkMaxPages ||
        p.span_bytes < p.io_bytes || p.count == 0 || p.queue_depth == 0) {
        return -XEN_EINVAL;
    }
    return 0;
}

// kBlkRunReadBackOnly: checks what an earlier write run left, nothing timed.
long read_back_only(const BlkRunParams& p, abi::BlkRunStats& stats, uint32_t pages) {
    if (!blkio::is_write(p.pattern)) {
        return -XEN_EINVAL;
    }
    if (const long rc = pool_pages(pages); rc != 0) {
        return rc;
    }
    Slot s{};
    s.pages = g_pool;
    g_run.stats = &stats;
    g_run.hist.clear();
    read_back(p, stats, s);
    stats.ios = 0;
    stats.bytes = 0;
    return 0;
}

// g_run at the start of a run: nothing in flight, qd slots of `pages` pool
// pages each, all free.
void start_run(const BlkRunParams& p, abi::BlkRunStats& stats, uint64_t qd, uint32_t pages) {
    Run& run = g_run;
    run.p = &p;
    run.stats = &stats;
    run.hist.clear();
    run.completed = 0;
    run.inflight = 0;
    run.flush_status = 1;
    run.nr_free = 0;
    for (uint32_t i = static_cast<uint32_t>(qd); i-- > 0;) {
        run.slots[i].pages = g_pool + uint64_t{i} * pages;
        run.free_slots[run.nr_free++] = i;
    }
}

// Submits I/Os while slots are free and the run has more: true when it
// submitted any. A submission error other than a full ring lands in *status.
bool submit_ready(const BlkRunParams& p, abi::BlkRunStats& stats, uint32_t pages, uint64_t& issued,
                  long* status) {
    Run& run = g_run;
    const bool write = blkio::is_write(p.pattern);
    const uint8_t op = write ? BLKIF_OP_WRITE : BLKIF_OP_READ;
    bool submitted = false;
    while (issued < p.count && run.nr_free > 0) {
        const uint32_t slot = run.free_slots[run.nr_free - 1];
        Slot& s = run.slots[slot];
        s.index = issued;
        s.offset = blkio::io_offset(p.pattern, issued, p.io_bytes, p.span_bytes, p.seed);
        if (write) {
            blkio::fill_io([&](uint64_t k) { return page_va(s.pages[k]); }, s.offset, p.io_bytes,
                           blkio::write_generation(p.seed, issued));
        }
        --run.nr_free;
        ++run.inflight;
        s.t0 = rdtsc_ordered();
        const long rc = submit(p, op, s.offset / 512, s.pages, pages, slot);
        if (rc != 0) {
            ++run.nr_free;
            --run.inflight;
            *status = rc == -XEN_EAGAIN ? 0 : rc;
            break;
        }
        ++issued;
        submitted = true;
        stats.max_inflight = run.inflight > stats.max_inflight ? run.inflight : stats.max_inflight;
    }
    return submitted;
}

// The timed loop: keeps the queue full until every I/O is answered (or a
// submission fails). Returns 0 or that errno.
long issue_all(const BlkRunParams& p, abi::BlkRunStats& stats, uint32_t pages) {
    Run& run = g_run;
    long status = 0;
    uint64_t issued = 0;
    while (run.completed < p.count && status == 0) {
        const bool submitted = submit_ready(p, stats, pages, issued, &status);
        if (submitted && p.device == abi::kBlkDevicePv) {
            blkfront_push();
        }
        if (poll(p) == 0) {
            idle(p, issued < p.count && run.nr_free > 0);
        }
    }
    return status;
}

// Submits the run's closing flush (its answer comes with the drain).
long submit_flush(const BlkRunParams& p) {
    g_run.flush_status = 1;
    long status = 0;
    while ((status = submit(p, BLKIF_OP_FLUSH_DISKCACHE, 0, nullptr, 0, kFlushCookie)) ==
           -XEN_EAGAIN) {
        (void)poll(p);
    }
    if (p.device == abi::kBlkDevicePv) {
        blkfront_push();
    }
    return status;
}

// The run's figures into stats: its I/Os, latencies, the flush's answer
// and blkfront's counters since `before`.
void record_run(abi::BlkRunStats& stats, const BlkfrontStats& before) {
    const Run& run = g_run;
    const BlkfrontStats& now = blkfront_stats();
    stats.ios = run.completed;
    stats.lat_p50 = run.hist.percentile(50, 100);
    stats.lat_p99 = run.hist.percentile(99, 100);
    stats.lat_max = run.hist.max();
    stats.kicks = now.kicks - before.kicks;
    stats.requests = now.requests - before.requests;
    stats.stalls = now.stalls - before.stalls;
    stats.waits = now.waits - before.waits;
    stats.flush_status =
        run.flush_status == 1 ? 0 : static_cast<uint64_t>(static_cast<int64_t>(run.flush_status));
}

long blk_run_inner(const BlkRunParams& p_in, abi::BlkRunStats& stats, uint64_t* tsc_cycles,
                   uint64_t* qd_used) {
    BlkRunParams p = p_in;
    stats = abi::BlkRunStats{};
    stats.first_bad_lba = ~0ULL;
    *tsc_cycles = 0;
    *qd_used = 0;
    if (const long rc = validate(p); rc != 0) {
        return rc;
    }
    const auto pages = static_cast<uint32_t>(p.io_bytes / kBlockSize);
    if ((p.options & abi::kBlkRunReadBackOnly) != 0) {
        return read_back_only(p, stats, pages);
    }
    const uint64_t qd = usable_depth(p, pages);
    if (qd == 0) {
        printk("blk: no queue depth for %lu-page I/Os: %u grants free\n", uint64_t{pages},
               blkfront_grants_free());
        return -XEN_ENOSPC;
    }
    if (const long rc = pool_pages(static_cast<uint32_t>(qd * pages)); rc != 0) {
        return rc;
    }
    *qd_used = qd;
    start_run(p, stats, qd, pages);
    const BlkfrontStats before = blkfront_stats();
    const bool flush = (p.options & abi::kBlkRunFlushAtEnd) != 0;

    const uint64_t start = rdtsc_ordered();
    long status = issue_all(p, stats, pages);
    if (status == 0 && flush) {
        status = submit_flush(p);
    }
    if (!drain(p, status == 0 && flush)) {
        printk("blk: %lu I/Os never answered\n", g_run.inflight);
        status = status != 0 ? status : -XEN_ETIMEDOUT;
    }
    *tsc_cycles = rdtsc_ordered() - start;

    record_run(stats, before);
    if (status == 0 && blkio::is_write(p.pattern) && (p.options & abi::kBlkRunVerifyWrites) != 0) {
        const uint64_t bytes = stats.bytes; // the run's, not the read-back's
        read_back(p, stats, g_run.slots[0]);
        stats.bytes = bytes;
    }
    return status;
}

} // namespace

namespace {

// Writes whose every predecessor was acknowledged too: the prefix a flush
// covers when it is submitted. A bit per write: up to 1 Mi writes.
uint8_t g_acked[1U << 17];

bool acked(uint64_t i) {
    return (g_acked[i / 8] & (1U << (i % 8))) != 0;
}

// The write stream between polls.
struct Stream {
    uint64_t io_bytes = 0;
    uint64_t count = 0;
    uint64_t flush_every = 0;
    uint64_t seed = 0;
    uint32_t pages = 0;
    uint64_t issued = 0;
    uint64_t prefix = 0;         // writes 0..prefix-1 all acknowledged
    uint64_t flushed_prefix = 0; // the prefix the last flush submitted covers
    bool flush_in_flight = false;
    uint64_t acked_count = 0;
};

// A flush once flush_every more writes are acknowledged: true when submitted.
bool stream_flush_if_due(Stream& st) {
    if (st.flush_in_flight || st.prefix - st.flushed_prefix < st.flush_every) {
        return false;
    }
    g_run.flush_status = 1;
    if (blkfront_submit(BLKIF_OP_FLUSH_DISKCACHE, 0, nullptr, 0, kFlushCookie) != 0) {
        return false;
    }
    st.flush_in_flight = true;
    st.flushed_prefix = st.prefix;
    return true;
}

// The next writes, while slots are free: true when it submitted any.
bool stream_submit_writes(Stream& st, abi::BlkStreamProgress& progress) {
    Run& run = g_run;
    bool submitted = false;
    while (st.issued < st.count && run.nr_free > 0) {
        const uint32_t slot = run.free_slots[run.nr_free - 1];
        Slot& s = run.slots[slot];
        s.index = st.issued;
        s.offset = st.issued * st.io_bytes;
        blkio::fill_io([&](uint64_t k) { return page_va(s.pages[k]); }, s.offset, st.io_bytes,
                       blkio::write_generation(st.seed, st.issued));
        if (blkfront_submit(BLKIF_OP_WRITE, s.offset / 512, s.pages, st.pages, slot) != 0) {
            break;
        }
        --run.nr_free;
        ++run.inflight;
        ++st.issued;
        progress.submitted = st.issued;
        submitted = true;
    }
    return submitted;
}

// Completions: the acknowledged prefix and a flush's answer, published.
// Returns 0, or -XEN_EIO when a write or a flush failed.
long stream_reap(Stream& st, abi::BlkRunStats& stats, abi::BlkStreamProgress& progress) {
    Run& run = g_run;
    const uint64_t done_before = run.completed;
    const uint64_t errors_before = stats.io_errors;
    const uint32_t free_before = run.nr_free;
    if (blkfront_poll(on_done, &run) == 0) {
        cpu_relax();
    }
    // on_done pushes each freed slot onto free_slots: the slots this poll
    // freed are the entries past free_before.
    for (uint32_t k = free_before; k < run.nr_free; ++k) {
        const uint64_t i = run.slots[run.free_slots[k]].index;
        g_acked[i / 8] = static_cast<uint8_t>(g_acked[i / 8] | (1U << (i % 8)));
    }
    st.acked_count += run.completed - done_before;
    progress.acked = st.acked_count;
    progress.errors = stats.io_errors;
    if (stats.io_errors != errors_before) {
        return -XEN_EIO;
    }
    while (st.prefix < st.count && acked(st.prefix)) {
        ++st.prefix;
    }
    if (st.flush_in_flight && run.flush_status != 1) {
        st.flush_in_flight = false;
        if (run.flush_status != BLKIF_RSP_OKAY) {
            progress.errors = progress.errors + 1;
            return -XEN_EIO;
        }
        progress.flushes = progress.flushes + 1;
        // Published last: the host may stop the guest between any two stores.
        __atomic_store_n(&progress.durable, st.flushed_prefix, __ATOMIC_RELEASE);
    }
    return 0;
}

} // namespace

long blk_stream(uint64_t io_bytes, uint64_t queue_depth, uint64_t count, uint64_t flush_every,
                uint64_t seed, abi::BlkStreamProgress& progress) {
    if (!blkfront_connected() || io_bytes == 0 || io_bytes % kBlockSize != 0 ||
        count > sizeof g_acked * 8 || flush_every == 0 ||
        count * io_bytes > blkfront_config().sectors * 512) {
        return -XEN_EINVAL;
    }
    memset(g_acked, 0, (count + 7) / 8);
    progress.submitted = 0;
    progress.acked = 0;
    progress.durable = 0;
    progress.flushes = 0;
    progress.errors = 0;
    BlkRunParams p;
    p.pattern = blkio::Pattern::seqwrite;
    p.io_bytes = io_bytes;
    p.queue_depth = queue_depth;
    p.count = count;
    p.seed = seed;
    p.span_bytes = blkfront_config().sectors * 512;
    const auto pages = static_cast<uint32_t>(io_bytes / kBlockSize);
    const uint64_t qd = usable_depth(p, pages);
    if (qd == 0 || pool_pages(static_cast<uint32_t>(qd * pages)) != 0) {
        return -XEN_ENOMEM;
    }
    abi::BlkRunStats stats{};
    start_run(p, stats, qd, pages);
    Stream st;
    st.io_bytes = io_bytes;
    st.count = count;
    st.flush_every = flush_every;
    st.seed = seed;
    st.pages = pages;
    while (st.prefix < count || st.flush_in_flight) {
        const bool flushed = stream_flush_if_due(st);
        const bool wrote = stream_submit_writes(st, progress);
        if (flushed || wrote) {
            blkfront_push();
        }
        if (const long rc = stream_reap(st, stats, progress); rc != 0) {
            return rc;
        }
        if (st.prefix == count && !st.flush_in_flight && st.flushed_prefix < count) {
            st.flush_every = 1; // a last flush for the tail
        }
    }
    return 0;
}

} // namespace enso::guest
