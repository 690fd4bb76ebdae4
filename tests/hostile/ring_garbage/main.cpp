// A block front end that lies on its blkif ring: it connects like blkfront
// (the driver attaches a back end), then fills every request slot with
// garbage - random operations, segment counts, grant references, sectors,
// indirect pages - published with a well-formed req_prod, scribbles on
// req_event/rsp_event and on rsp_prod (the back end's), and finally moves
// req_prod far ahead, behind, and to the end of the index space; kicking the
// back end throughout. The back end must answer or refuse, then give up on
// the ring, never crash or hang; the driver checks it, the other guest's
// disk and every invariant, and that the back end lets go of every grant.
//   step 1 (connect): blkfront_connect; answer {ring ref, port}
//   step 2 (go): the garbage; answer
//   step 3 (disconnect, after the back end let go): end every grant
#include "tests/hostile/common/hostile.hpp"
#include "workloads/guest/blkfront.hpp"
#include "workloads/guest/tsc.hpp"

namespace enso::hostile {

const char test_title[] = "ring_garbage";

namespace {

uint64_t g_state = 0x3c6ef372fe94f82bULL;

uint64_t next() {
    g_state += 0x9e3779b97f4a7c15ULL;
    uint64_t x = g_state;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    return x ^ (x >> 31);
}

void settle(uint64_t us) {
    const uint64_t until = guest::rdtsc_ordered() + guest::tsc_ticks_us(us);
    while (guest::rdtsc_ordered() < until) {
        guest::cpu_relax();
    }
}

// A request of garbage, sometimes with a real operation so parsing goes on
// past the first check.
void garbage_request(blkif_request_t* r) {
    auto* words = reinterpret_cast<volatile uint64_t*>(r);
    for (unsigned i = 0; i < sizeof *r / 8; ++i) {
        words[i] = next();
    }
    static const uint8_t kOps[] = {BLKIF_OP_READ,    BLKIF_OP_WRITE,           BLKIF_OP_INDIRECT,
                                   BLKIF_OP_DISCARD, BLKIF_OP_FLUSH_DISKCACHE, 0xff};
    if ((next() & 1) != 0) {
        r->operation = kOps[next() % sizeof kOps];
        r->nr_segments = static_cast<uint8_t>(next() % 16);
    }
}

} // namespace

void test_main(Args a) {
    using namespace guest;
    BlkfrontConfig config;
    config.sectors = a[0];
    config.features = a[1];
    config.kick_ring = static_cast<uint32_t>(a[2]);
    config.max_indirect_segments = static_cast<uint32_t>(a[3]);
    uint32_t ref = 0;
    uint32_t port = 0;
    expect_errno("connect the front end", blkfront_connect(config, &ref, &port), 0);
    handshake(ref, port);

    blkif_front_ring_t* front = blkfront_ring();
    blkif_sring_t* sring = front->sring;
    const unsigned size = RING_SIZE(front);
    // Garbage requests, published the way a front end publishes: a ring's
    // worth at a time, once the back end answered the last.
    RING_IDX prod = sring->req_prod;
    unsigned answered = 0;
    for (unsigned round = 0; round < 64; ++round) {
        for (unsigned i = 0; i < size; ++i) {
            garbage_request(RING_GET_REQUEST(front, prod + i));
        }
        prod += size;
        __atomic_store_n(&sring->req_prod, prod, __ATOMIC_RELEASE);
        if ((round % 4) == 0) {
            sring->req_event = static_cast<RING_IDX>(next());
            sring->rsp_event = static_cast<RING_IDX>(next());
        }
        blkfront_kick();
        const uint64_t until = rdtsc_ordered() + tsc_ticks_us(500000);
        while (__atomic_load_n(&sring->rsp_prod, __ATOMIC_ACQUIRE) != prod &&
               rdtsc_ordered() < until) {
            cpu_relax();
        }
        if (sring->rsp_prod != prod) {
            break; // the back end gave up on the ring
        }
        ++answered;
    }
    info("%u of 64 rounds of %u garbage requests answered in full", answered, size);
    // Then the indices: the back end's own rsp_prod, and req_prod far ahead,
    // behind and at the end of the index space.
    sring->rsp_prod = static_cast<RING_IDX>(next());
    blkfront_kick();
    settle(2000);
    const RING_IDX base = prod;
    static const RING_IDX kLies[] = {base + 1000000U, base - 7U, 0xffffffffU, base + size + 1};
    for (RING_IDX lie : kLies) {
        __atomic_store_n(&sring->req_prod, lie, __ATOMIC_RELEASE);
        blkfront_kick();
        settle(2000);
    }
    info("req_prod moved far ahead, behind and to the end");
    handshake();
    expect_errno("end every grant once the back end let go", blkfront_disconnect(), 0);
}

} // namespace enso::hostile
