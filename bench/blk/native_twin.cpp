#include "bench/blk/native_twin.hpp"

#include "hvcore/backends/disk_image.hpp"
#include "workloads/blkio/latency_histogram.hpp"

#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <vector>

namespace enso::bench {

namespace {

using Clock = std::chrono::steady_clock;

double cpu_now() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

std::uint64_t ns_since(Clock::time_point t0) {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
}

struct Buffer {
    Buffer(std::size_t bytes) : p(static_cast<unsigned char*>(std::aligned_alloc(4096, bytes))) {
        if (p == nullptr) {
            throw std::bad_alloc();
        }
    }
    ~Buffer() { std::free(p); }
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    unsigned char* p;
};

// One I/O through the engine, waited for (the read-back).
bool one_io(backends::IoEngine& engine, backends::IoKind kind, std::uint64_t offset, iovec* iov,
            std::uint64_t bytes) {
    backends::IoRequest r;
    r.kind = kind;
    r.offset = offset;
    r.iov = iov;
    r.iovcnt = 1;
    r.bytes = bytes;
    if (!engine.submit(r)) {
        return false;
    }
    engine.commit();
    backends::IoCompletion c{};
    while (engine.reap(&c, 1) == 0) {
        engine.wait(std::chrono::milliseconds(10));
    }
    return c.result == static_cast<std::int64_t>(bytes);
}

// After a write run, as the guest does: reads back the last writes, up to
// 16 MiB, through iov (one I/O's buffer). Returns the blocks that are not
// this run's (or, when no block was written twice, not the very write).
std::uint64_t read_back(backends::IoEngine& engine, const NativeParams& p, iovec* iov) {
    const std::uint64_t blocks = p.io_bytes / blkio::kBlockSize;
    const std::uint64_t limit = std::max<std::uint64_t>(1, (16ULL << 20) / p.io_bytes);
    const std::uint64_t n = std::min(p.count, limit);
    const bool exact = !blkio::is_random(p.pattern) && p.count * p.io_bytes <= p.span_bytes;
    const auto* base = static_cast<const unsigned char*>(iov->iov_base);
    std::uint64_t bad = 0;
    for (std::uint64_t j = p.count - n; j < p.count; ++j) {
        const std::uint64_t off = blkio::io_offset(p.pattern, j, p.io_bytes, p.span_bytes, p.seed);
        if (!one_io(engine, backends::IoKind::read, off, iov, p.io_bytes)) {
            ++bad;
            continue;
        }
        for (std::uint64_t k = 0; k < blocks; ++k) {
            std::uint64_t gen = 0;
            const auto v =
                blkio::check_block(base + k * blkio::kBlockSize, off / blkio::kBlockSize + k, &gen);
            const bool mine = blkio::generation_seed(gen) == (p.seed & 0xffffffffULL) &&
                              (!exact || gen == blkio::write_generation(p.seed, j));
            bad += v == blkio::BlockVerdict::ok && mine ? 0 : 1;
        }
    }
    return bad;
}

} // namespace

NativeResult run_native(const std::string& image, const NativeParams& p_in) {
    NativeParams p = p_in;
    backends::DiskImage disk(image, p.direct);
    if (p.span_bytes == 0 || p.span_bytes > disk.bytes()) {
        p.span_bytes = disk.bytes();
    }
    const std::uint64_t qd =
        std::max<std::uint64_t>(1, std::min<std::uint64_t>(p.queue_depth, 256));
    auto engine = backends::make_engine(p.engine, disk.fd(), static_cast<unsigned>(qd + 1));
    const std::uint64_t blocks = p.io_bytes / blkio::kBlockSize;
    Buffer mem(qd * p.io_bytes);
    std::vector<iovec> iov(qd);
    std::vector<std::uint64_t> offset(qd);
    std::vector<Clock::time_point> t0(qd);
    std::vector<std::uint32_t> free_slots;
    for (std::uint64_t s = qd; s-- > 0;) {
        iov[s] = {mem.p + s * p.io_bytes, p.io_bytes};
        free_slots.push_back(static_cast<std::uint32_t>(s));
    }
    auto hist = std::make_unique<blkio::LatencyHistogram>();
    NativeResult out;
    const bool write = blkio::is_write(p.pattern);
    const auto block_of = [&](std::uint64_t slot) {
        return [&, slot](std::uint64_t k) {
            return mem.p + slot * p.io_bytes + k * blkio::kBlockSize;
        };
    };
    std::vector<backends::IoCompletion> done(qd + 1);
    std::uint64_t issued = 0;
    std::uint64_t completed = 0;
    const double cpu0 = cpu_now();
    const auto start = Clock::now();
    while (completed < p.count) {
        bool submitted = false;
        while (issued < p.count && !free_slots.empty()) {
            const std::uint32_t s = free_slots.back();
            offset[s] = blkio::io_offset(p.pattern, issued, p.io_bytes, p.span_bytes, p.seed);
            if (write) {
                blkio::fill_io(block_of(s), offset[s], p.io_bytes,
                               blkio::write_generation(p.seed, issued));
            }
            backends::IoRequest r;
            r.kind = write ? backends::IoKind::write : backends::IoKind::read;
            r.offset = offset[s];
            r.iov = &iov[s];
            r.iovcnt = 1;
            r.bytes = p.io_bytes;
            r.tag = s;
            t0[s] = Clock::now();
            if (!engine->submit(r)) {
                break;
            }
            free_slots.pop_back();
            ++issued;
            submitted = true;
        }
        if (submitted) {
            engine->commit();
        }
        const unsigned n = engine->reap(done.data(), static_cast<unsigned>(done.size()));
        if (n == 0) {
            __builtin_ia32_pause(); // polled, as the guest polls its ring
            continue;
        }
        for (unsigned i = 0; i < n; ++i) {
            const auto s = static_cast<std::uint32_t>(done[i].tag);
            hist->add(ns_since(t0[s]));
            if (done[i].result != static_cast<std::int64_t>(p.io_bytes)) {
                ++out.io_errors;
            } else {
                out.bytes += p.io_bytes;
                if (!write) {
                    out.bad_blocks += blkio::check_io(block_of(s), offset[s], p.io_bytes);
                    out.checked_blocks += blocks;
                }
            }
            ++completed;
            free_slots.push_back(s);
        }
    }
    out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    out.cpu_seconds = cpu_now() - cpu0;
    out.ios = completed;
    out.lat_p50_us = static_cast<double>(hist->percentile(50, 100)) / 1000.0;
    out.lat_p99_us = static_cast<double>(hist->percentile(99, 100)) / 1000.0;
    if (write && p.verify_writes) {
        out.readback_bad = read_back(*engine, p, &iov[0]);
    }
    return out;
}

} // namespace enso::bench
