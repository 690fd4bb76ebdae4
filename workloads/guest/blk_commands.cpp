// Block I/O commands (hvcore/abi/blk.hpp): connect and disconnect blkfront,
// run an I/O pattern over blkfront or the emulated disk, the crash test's
// write stream, and malformed requests for the back end's error paths.
#include "hvcore/abi/blk.hpp"
#include "workloads/guest/blk_workload.hpp"
#include "workloads/guest/blkfront.hpp"
#include "workloads/guest/boot_info.hpp"
#include "workloads/guest/commands.hpp"
#include "workloads/guest/console.hpp"
#include "workloads/guest/frame_allocator.hpp"
#include "workloads/guest/grant_pool.hpp"
#include "workloads/guest/page_tables.hpp"

namespace enso::guest {

namespace {

constexpr int16_t kNoResponse = 1;
constexpr uint64_t kBadCookie = 0xbadULL;

// A page to point malformed requests at (zeroed, never holding data).
uint64_t g_bad_page = kNoMfn;

// Polls for the response to `id` (bounded): its status, or kNoResponse.
int16_t wait_response(uint64_t cookie, uint64_t us) {
    struct Wait {
        uint64_t cookie;
        int16_t status;
    } w{cookie, kNoResponse};
    const uint64_t until = rdtsc_ordered() + tsc_ticks_us(us);
    while (w.status == kNoResponse && rdtsc_ordered() < until) {
        const auto done = [](void* ctx, uint64_t c, int16_t status) {
            auto* wp = static_cast<Wait*>(ctx);
            if (c == wp->cookie) {
                wp->status = status;
            }
        };
        if (blkfront_poll(done, &w) == 0) {
            cpu_relax();
        }
    }
    return w.status;
}

// A good one-page read at sector 0, through blkfront.
int16_t good_read() {
    BlkPage page{g_bad_page, kNoRef, 0};
    if (blkfront_submit(BLKIF_OP_READ, 0, &page, 1, kBadCookie + 1) != 0) {
        return kNoResponse;
    }
    blkfront_push();
    return wait_response(kBadCookie + 1, 2000000);
}

int64_t as_value(int16_t status) {
    return static_cast<int64_t>(status);
}

// A ref whose entry says nothing: allocated and freed again.
uint32_t ungranted_ref() {
    const long ref = gref_alloc();
    gref_free(static_cast<uint32_t>(ref));
    return static_cast<uint32_t>(ref);
}

// Grants a malformed request makes, ended once it is answered.
struct RequestGrants {
    uint32_t refs[2] = {};
    uint32_t n = 0;

    // A grant of mfn to `to` (0 on failure, left in the request as is).
    uint32_t grant(uint64_t mfn, domid_t to, bool readonly) {
        const long ref = gref_alloc();
        if (ref < 0) {
            return 0;
        }
        gref_grant(static_cast<uint32_t>(ref), to, mfn, readonly);
        refs[n++] = static_cast<uint32_t>(ref);
        return static_cast<uint32_t>(ref);
    }

    void end() {
        for (uint32_t i = 0; i < n; ++i) {
            if (gref_end(refs[i]) == 0) {
                gref_free(refs[i]);
            }
        }
    }
};

// kBlkBadRingIndex: a producer index far past anything the ring can hold.
// values[0]: the answer to it (if any), values[1]: a good read's afterwards.
void bad_ring_index(blkif_front_ring_t* ring, Result& r) {
    ring->sring->req_prod = ring->req_prod_pvt + 1000;
    asm volatile("" : : : "memory");
    blkfront_kick();
    r.values[0] = static_cast<uint64_t>(as_value(wait_response(kBadCookie, 200000)));
    ring->sring->req_prod = ring->req_prod_pvt; // undo, for what follows
    r.values[1] = static_cast<uint64_t>(as_value(good_read()));
}

// An indirect request broken as `kind` says: its descriptor page ungranted,
// its segment count impossible, or its operation not one indirect allows.
void make_bad_indirect(abi::BlkBadKind kind, uint64_t id, blkif_request_indirect_t* ind,
                       RequestGrants& grants) {
    ind->operation = BLKIF_OP_INDIRECT;
    ind->indirect_op = kind == abi::kBlkBadIndirectOp ? BLKIF_OP_FLUSH_DISKCACHE : BLKIF_OP_READ;
    ind->nr_segments = kind == abi::kBlkBadIndirectCount ? 1000 : 1;
    ind->id = id;
    ind->sector_number = 0;
    ind->indirect_grefs[0] =
        kind == abi::kBlkBadIndirectRef ? ungranted_ref() : grants.grant(g_bad_page, 0, true);
}

// Writes into req a one-page read at sector 0 broken as `kind` says.
void make_bad_request(abi::BlkBadKind kind, uint64_t id, uint64_t sectors, blkif_request_t* req,
                      RequestGrants& grants) {
    memset(req, 0, sizeof *req);
    req->operation = BLKIF_OP_READ;
    req->nr_segments = 1;
    req->id = id;
    req->sector_number = 0;
    req->seg[0].first_sect = 0;
    req->seg[0].last_sect = 7;
    switch (kind) {
    case abi::kBlkBadUngranted:
        req->seg[0].gref = ungranted_ref();
        break;
    case abi::kBlkBadForeignGrant:
        req->seg[0].gref = grants.grant(g_bad_page, 7, false);
        break;
    case abi::kBlkBadReadOnlyRead:
        req->seg[0].gref = grants.grant(g_bad_page, 0, true);
        break;
    case abi::kBlkBadSectorRange:
        req->seg[0].gref = grants.grant(g_bad_page, 0, false);
        req->seg[0].first_sect = 5;
        req->seg[0].last_sect = 2;
        break;
    case abi::kBlkBadSectorInPage:
        req->seg[0].gref = grants.grant(g_bad_page, 0, false);
        req->seg[0].last_sect = 8;
        break;
    case abi::kBlkBadNoSegments:
        req->nr_segments = 0;
        break;
    case abi::kBlkBadTooManySegs:
        req->seg[0].gref = grants.grant(g_bad_page, 0, false);
        req->nr_segments = BLKIF_MAX_SEGMENTS_PER_REQUEST + 1;
        break;
    case abi::kBlkBadPastEnd:
        req->seg[0].gref = grants.grant(g_bad_page, 0, false);
        req->sector_number = sectors - 4; // the page's last 4 sectors are past the end
        break;
    case abi::kBlkBadWrapSector:
        req->seg[0].gref = grants.grant(g_bad_page, 0, false);
        req->sector_number = ~0ULL - 3;
        break;
    case abi::kBlkBadOperation:
        req->operation = 42;
        break;
    case abi::kBlkBadIndirectRef:
    case abi::kBlkBadIndirectCount:
    case abi::kBlkBadIndirectOp:
        make_bad_indirect(kind, id, reinterpret_cast<blkif_request_indirect_t*>(req), grants);
        break;
    default:
        break;
    }
}

} // namespace

void cmd_blk_connect(Args a, Result& r) {
    BlkfrontConfig config;
    config.sectors = a[0];
    config.features = a[1];
    config.kick_ring = static_cast<uint32_t>(a[2]);
    config.max_indirect_segments = static_cast<uint32_t>(a[3]);
    uint32_t ref = 0;
    uint32_t port = 0;
    r.status = blkfront_connect(config, &ref, &port);
    r.values[0] = ref;
    r.values[1] = port;
}

void cmd_blk_disconnect(Args /*a*/, Result& r) {
    r.status = blkfront_disconnect();
}

void cmd_blk_run(Args a, Result& r) {
    BlkRunParams p;
    p.pattern = static_cast<blkio::Pattern>(a[0] & 0xff);
    p.device = static_cast<uint32_t>((a[0] >> 8) & 0xff);
    p.options = a[0] & ~0xffffULL;
    p.io_bytes = a[1];
    p.queue_depth = a[2];
    p.count = a[3];
    p.seed = a[4];
    p.span_bytes = a[5];
    if (static_cast<uint32_t>(p.pattern) >= blkio::kPatterns) {
        r.status = -XEN_EINVAL;
        return;
    }
    auto* stats = reinterpret_cast<abi::BlkRunStats*>(command_page()->data);
    uint64_t qd = 0;
    r.status = blk_run(p, *stats, &r.tsc_cycles, &qd);
    r.iterations = stats->ios;
    r.values[0] = qd;
}

void cmd_blk_stream(Args a, Result& r) {
    auto* progress = reinterpret_cast<abi::BlkStreamProgress*>(command_page()->data);
    r.status = blk_stream(a[0], a[1], a[2], a[3], a[4], *progress);
    r.iterations = progress->acked;
    r.values[0] = progress->durable;
}

void cmd_blk_bad_request(Args a, Result& r) {
    blkif_front_ring_t* ring = blkfront_ring();
    if (ring == nullptr || a[0] >= abi::kBlkBadKinds) {
        r.status = -XEN_EINVAL;
        return;
    }
    if (g_bad_page == kNoMfn && (g_bad_page = alloc_frame()) == kNoMfn) {
        r.status = -XEN_ENOMEM;
        return;
    }
    const auto kind = static_cast<abi::BlkBadKind>(a[0]);
    if (kind == abi::kBlkBadRingIndex) {
        bad_ring_index(ring, r);
        return;
    }
    const long id = blkfront_claim_slot(kBadCookie);
    if (id < 0) {
        r.status = id;
        return;
    }
    RequestGrants grants;
    make_bad_request(kind, static_cast<uint64_t>(id), blkfront_config().sectors,
                     RING_GET_REQUEST(ring, ring->req_prod_pvt), grants);
    ++ring->req_prod_pvt;
    blkfront_push();
    const int16_t status = wait_response(kBadCookie, 2000000);
    r.values[0] = static_cast<uint64_t>(as_value(status));
    if (status == kNoResponse) {
        return; // unanswered: the slot and grants stay (the back end may still act)
    }
    grants.end();
    r.values[1] = static_cast<uint64_t>(as_value(good_read()));
}

} // namespace enso::guest
