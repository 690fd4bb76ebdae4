// libFuzzer harness for the block back end's request parsing and ring
// handling (issue #7): a BlkRingServer over an in-process core
// (tests/blk/inprocess_blk.hpp) serves a ring whose every byte the input
// decides - well-formed and malformed requests, direct and indirect, grants
// to domain 0 and to others, read-only and ended ones, producer indices
// anywhere, garbage written over the ring page while requests are in it.
// After every operation the core's invariants must hold and every response
// must be one the back end may give; at the end, after disconnect, domain 0
// must hold no map, no guest grant may be left in use and every bounce frame
// must be back: nothing leaks, whatever the front end did.
//
// Deterministic: a fresh machine per input. Run a crash file again to see
// its trace: build/fuzz/tests/fuzz/blkback_fuzzer crash-<sha1>; with
// ENSO_FUZZ_TRACE=1 every operation is printed as it runs.
#include "tests/blk/inprocess_blk.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using enso::backends::DataPath;
using enso::test::InProcessBlk;

constexpr std::uint32_t kFrames = 384;
constexpr std::uint64_t kDiskBytes = 256ULL << 10;
constexpr std::size_t kMaxOps = 96;
constexpr std::uint32_t kPages = 24;

bool g_trace = false; // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)

enum Op : std::uint8_t {
    kOpRequest,    // a request built from parts the input picks
    kOpRawRequest, // a request slot filled with raw bytes
    kOpIndirect,   // an indirect request and its descriptor page
    kOpPush,       // publish what was written (the well-behaved way)
    kOpSetProd,    // req_prod set to anything
    kOpScribble,   // raw bytes anywhere in the ring page
    kOpGrant,      // (re)write a grant entry
    kOpEndGrant,   // the guest ends a grant (refused while mapped)
    kOpPoll,       // the back end's passes
    kOpFinalCheck, // the back end going to sleep
    kOpConsume,    // the front end reads responses
    kOpCount,
};

// Budgets from the input, small enough that a few dozen pages exhaust them:
// the paths past their persistent cache and their bounce frames are where
// the corner cases are.
enso::backends::DataPathLimits fuzz_limits(FuzzedDataProvider& in) {
    enso::backends::DataPathLimits l;
    l.max_persistent = in.ConsumeIntegralInRange<std::uint32_t>(0, 32);
    l.max_mapped = l.max_persistent + enso::backends::kMaxIndirectSegments + 8 +
                   in.ConsumeIntegralInRange<std::uint32_t>(0, 64);
    l.bounce_frames = in.ConsumeIntegralInRange<std::uint32_t>(1, 64);
    return l;
}

class Harness {
public:
    Harness(FuzzedDataProvider& in, DataPath path, const enso::backends::DataPathLimits& limits)
        : in_(in), m_(path, kDiskBytes, limits, kFrames) {
        log("path %d, persistent %u, mapped %u, bounce %u", static_cast<int>(path),
            limits.max_persistent, limits.max_mapped, limits.bounce_frames);
        const std::int16_t rc = m_.connect();
        if (rc != GNTST_okay) {
            fail("the ring could not be mapped");
        }
        for (std::uint32_t i = 0; i < kPages; ++i) {
            pages_.push_back(m_.frame());
            refs_.push_back(m_.grant(pages_.back(), i % 5 == 4));
        }
        indirect_ = m_.frame();
        indirect_ref_ = m_.grant(indirect_, true);
        check("setup");
    }

    void run() {
        for (std::size_t i = 0; i < kMaxOps && in_.remaining_bytes() > 0; ++i) {
            step();
            check("op");
        }
        m_.server().disconnect();
        log("disconnect");
        check("disconnect");
        if (m_.refs_in_use() != 0) {
            fail("a guest grant is still in use after disconnect");
        }
        const auto& s = m_.core().state();
        for (std::uint32_t h = 0; h < enso::core::kMaxMaptrack; ++h) {
            if ((s.grants.map_flags.get(enso::core::maptrack_index<enso::core::Concrete>(0, h)) &
                 enso::core::kMapInUse) != 0) {
                fail("domain 0 still holds a map after disconnect");
            }
        }
        if (m_.dom0_frames_held() != 0) {
            fail("domain 0 still holds bounce frames after disconnect");
        }
    }

private:
    [[gnu::format(printf, 2, 3)]] void log(const char* fmt, ...) {
        char line[256];
        va_list ap;
        va_start(ap, fmt);
        std::vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        trace_.emplace_back(line);
        if (g_trace) {
            std::fprintf(stderr, "  %3zu  %s\n", trace_.size() - 1, line);
        }
    }

    [[noreturn]] void fail(const char* why, const std::string& detail = {}) {
        std::fprintf(stderr, "\n==== enso blkback_fuzzer: %s ====\n", why);
        if (!g_trace) {
            for (std::size_t i = 0; i < trace_.size(); ++i) {
                std::fprintf(stderr, "  %3zu  %s\n", i, trace_[i].c_str());
            }
        }
        std::fprintf(stderr, "%s\n", detail.c_str());
        std::abort();
    }

    void check(const char* when) {
        const auto v = m_.violations();
        if (!v.empty()) {
            fail(when, "core invariants violated:\n" + v);
        }
        const auto& st = m_.server().stats();
        if (st.responses > st.requests) {
            fail("more responses than requests taken");
        }
    }

    template <class T>
    T any() {
        return in_.ConsumeIntegral<T>();
    }
    template <class T>
    T range(T lo, T hi) {
        return in_.ConsumeIntegralInRange<T>(lo, hi);
    }

    // A gref a request names: one of ours (mostly), the indirect page's, or noise.
    grant_ref_t gref() {
        switch (range<int>(0, 9)) {
        case 0:
            return any<grant_ref_t>();
        case 1:
            return indirect_ref_;
        case 2:
            return range<grant_ref_t>(0, 2100);
        default:
            return refs_[range<std::size_t>(0, refs_.size() - 1)];
        }
    }
    std::uint64_t sector() {
        switch (range<int>(0, 5)) {
        case 0:
            return any<std::uint64_t>();
        case 1:
            return (kDiskBytes >> 9) - range<std::uint64_t>(0, 16);
        default:
            return range<std::uint64_t>(0, (kDiskBytes >> 9) - 1) & ~7ULL;
        }
    }
    blkif_request_segment segment() {
        blkif_request_segment s{};
        s.gref = gref();
        if (range<int>(0, 7) == 0) {
            s.first_sect = any<std::uint8_t>();
            s.last_sect = any<std::uint8_t>();
        } else {
            s.first_sect = range<std::uint8_t>(0, 7);
            s.last_sect = range<std::uint8_t>(s.first_sect, 7);
        }
        return s;
    }
    std::uint8_t operation() {
        static constexpr std::uint8_t kOps[] = {
            BLKIF_OP_READ,    BLKIF_OP_WRITE,           BLKIF_OP_READ,
            BLKIF_OP_WRITE,   BLKIF_OP_FLUSH_DISKCACHE, BLKIF_OP_WRITE_BARRIER,
            BLKIF_OP_DISCARD, BLKIF_OP_INDIRECT};
        return range<int>(0, 9) == 0 ? any<std::uint8_t>() : kOps[range<std::size_t>(0, 7)];
    }

    void step() {
        auto& front = m_.front();
        switch (static_cast<Op>(range<int>(0, kOpCount - 1))) {
        case kOpRequest: {
            auto* r = m_.next_request();
            r->operation = operation();
            r->nr_segments =
                range<int>(0, 7) == 0 ? any<std::uint8_t>() : range<std::uint8_t>(0, 11);
            r->id = any<std::uint64_t>();
            r->sector_number = sector();
            for (auto& s : r->seg) {
                s = segment();
            }
            log("request op %u segs %u sector %llu", r->operation, r->nr_segments,
                static_cast<unsigned long long>(r->sector_number));
            break;
        }
        case kOpRawRequest: {
            auto* r = m_.next_request();
            const auto bytes = in_.ConsumeBytes<std::uint8_t>(sizeof *r);
            if (!bytes.empty()) {
                std::memcpy(r, bytes.data(), bytes.size());
            }
            log("raw request (%zu bytes)", bytes.size());
            break;
        }
        case kOpIndirect: {
            auto* segs = reinterpret_cast<blkif_request_segment*>(m_.mem(indirect_));
            const std::uint16_t n =
                range<int>(0, 5) == 0 ? any<std::uint16_t>() : range<std::uint16_t>(1, 300);
            for (std::uint32_t i = 0; i < std::min<std::uint32_t>(n, 512); ++i) {
                segs[i] = segment();
            }
            blkif_request_indirect ind{};
            ind.operation = BLKIF_OP_INDIRECT;
            ind.indirect_op =
                range<int>(0, 5) == 0 ? any<std::uint8_t>() : range<std::uint8_t>(0, 1);
            ind.nr_segments = n;
            ind.id = any<std::uint64_t>();
            ind.sector_number = sector();
            for (auto& g : ind.indirect_grefs) {
                g = range<int>(0, 3) == 0 ? gref() : indirect_ref_;
            }
            std::memcpy(m_.next_request(), &ind, sizeof ind);
            log("indirect op %u segs %u", ind.indirect_op, n);
            break;
        }
        case kOpPush:
            m_.push();
            log("push (req_prod %u)", front.req_prod_pvt);
            break;
        case kOpSetProd: {
            const RING_IDX v = range<int>(0, 1) == 0
                                   ? front.sring->req_prod + range<RING_IDX>(0, 40)
                                   : any<RING_IDX>();
            front.sring->req_prod = v;
            log("req_prod = %u", v);
            break;
        }
        case kOpScribble: {
            auto* page = reinterpret_cast<std::uint8_t*>(front.sring);
            const std::size_t at = range<std::size_t>(0, 4095);
            const auto bytes = in_.ConsumeBytes<std::uint8_t>(range<std::size_t>(1, 64));
            const std::size_t n = std::min(bytes.size(), 4096 - at);
            if (n > 0) {
                std::memcpy(page + at, bytes.data(), n);
            }
            log("scribble %zu bytes at %zu", n, at);
            break;
        }
        case kOpGrant: {
            const std::size_t i = range<std::size_t>(0, refs_.size() - 1);
            const std::uint16_t flags =
                range<int>(0, 3) == 0
                    ? any<std::uint16_t>()
                    : static_cast<std::uint16_t>(GTF_permit_access |
                                                 (range<int>(0, 1) != 0 ? GTF_readonly : 0));
            const std::uint16_t to = range<int>(0, 4) == 0 ? InProcessBlk::kOther : 0;
            // The v1 protocol, as core_fuzzer has it: an entry is refilled
            // only while no one uses it (the status bits are the core's).
            if (m_.ref_in_use(refs_[i])) {
                log("grant ref %u: in use", refs_[i]);
                break;
            }
            m_.core().grant_write_entry(
                InProcessBlk::kGuest, refs_[i],
                static_cast<std::uint16_t>(flags & ~(GTF_reading | GTF_writing)), to, pages_[i]);
            log("grant ref %u flags %#x to d%u", refs_[i], flags, to);
            break;
        }
        case kOpEndGrant: {
            const std::size_t i = range<std::size_t>(0, refs_.size() - 1);
            const bool ended = m_.end(refs_[i]);
            log("end ref %u -> %d", refs_[i], ended ? 1 : 0);
            break;
        }
        case kOpPoll: {
            const int n = range<int>(1, 4);
            for (int k = 0; k < n; ++k) {
                (void)m_.server().poll_once();
            }
            log("poll x%d (responses %llu)", n,
                static_cast<unsigned long long>(m_.server().stats().responses));
            break;
        }
        case kOpFinalCheck:
            log("final check -> %d", m_.server().final_check() ? 1 : 0);
            break;
        case kOpConsume: {
            const RING_IDX rp = front.sring->rsp_prod;
            std::uint32_t n = 0;
            for (; front.rsp_cons != rp && n < 64; ++front.rsp_cons, ++n) {
            }
            log("consume %u responses", n);
            break;
        }
        case kOpCount:
            break;
        }
    }

    FuzzedDataProvider& in_;
    InProcessBlk m_;
    std::vector<std::uint32_t> pages_;
    std::vector<std::uint32_t> refs_;
    std::uint32_t indirect_ = 0;
    std::uint32_t indirect_ref_ = 0;
    std::vector<std::string> trace_;
};

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    const char* t = std::getenv("ENSO_FUZZ_TRACE");
    g_trace = t != nullptr && *t == '1';
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const auto path = static_cast<DataPath>(in.ConsumeIntegralInRange<int>(0, 2));
    const auto limits = fuzz_limits(in);
    Harness h(in, path, limits);
    h.run();
    return 0;
}
