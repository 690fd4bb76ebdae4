#include "workloads/guest/blkfront.hpp"

#include "hvcore/abi/blk.hpp"
#include "hvcore/abi/hypercall_ports.hpp"
#include "workloads/guest/console.hpp"
#include "workloads/guest/events.hpp"
#include "workloads/guest/frame_allocator.hpp"
#include "workloads/guest/grant_pool.hpp"
#include "workloads/guest/hypercall.hpp"
#include "workloads/guest/page_tables.hpp"
#include "workloads/guest/tsc.hpp"

namespace enso::guest {

namespace {

constexpr uint32_t kRingSize = __CONST_RING_SIZE(blkif, 4096);
static_assert(kRingSize == 32);
constexpr uint32_t kMaxPersistent = kGrantPoolEnd - kGrantPoolFirst;

struct Shadow {
    bool used = false;
    uint64_t cookie = 0;
    uint32_t nr_refs = 0; // per-request grants to end at completion
    uint32_t refs[kBlkMaxPages + 1] = {};
};

bool g_connected = false;
BlkfrontConfig g_config;
uint32_t g_gen = 1; // connection generation: BlkPage::pgen of a live persistent grant
uint64_t g_ring_mfn = kNoMfn;
uint32_t g_ring_ref = kNoRef;
evtchn_port_t g_port = 0;
uint16_t g_kick_port = 0;
blkif_front_ring_t g_ring;

Shadow g_shadow[kRingSize];
uint32_t g_free_ids[kRingSize];
uint32_t g_nr_free_ids = 0;

uint64_t g_indirect_mfn[kRingSize];
bool g_have_indirect = false;
uint32_t g_indirect_pref[kRingSize]; // persistent grants of the indirect pages

uint32_t g_prefs[kMaxPersistent]; // every persistent grant of this connection
uint32_t g_nr_prefs = 0;

BlkfrontStats g_stats;

bool persistent() {
    return (g_config.features & abi::kBlkFeaturePersistent) != 0;
}

} // namespace

void blkfront_kick() {
    ++g_stats.kicks;
    if ((g_config.features & abi::kBlkFeatureKickPort) != 0) {
        // An ioeventfd in the kernel: the vCPU does not return to user space.
        asm volatile("outl %%eax, %%dx" : : "a"(0), "d"(g_kick_port) : "memory");
        return;
    }
    (void)evtchn_send(g_port);
}

namespace {

// A persistent grant for this page (made on its first I/O).
long persistent_ref(BlkPage& page) {
    if (page.pgen == g_gen && page.pref != kNoRef) {
        return page.pref;
    }
    const long ref = gref_alloc();
    if (ref < 0 || g_nr_prefs >= kMaxPersistent) {
        return -XEN_ENOSPC;
    }
    gref_grant(static_cast<uint32_t>(ref), 0, page.mfn, false);
    g_prefs[g_nr_prefs++] = static_cast<uint32_t>(ref);
    page.pref = static_cast<uint32_t>(ref);
    page.pgen = g_gen;
    return ref;
}

uint32_t new_pages(const BlkPage* pages, uint32_t n) {
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; ++i) {
        k += pages[i].pgen == g_gen && pages[i].pref != kNoRef ? 0 : 1;
    }
    return k;
}

} // namespace

long blkfront_connect(const BlkfrontConfig& config, uint32_t* ring_ref, uint32_t* port) {
    if (g_connected) {
        return -XEN_EBUSY;
    }
    if (config.kick_ring >= abi::kMaxKickRings || config.max_indirect_segments > kBlkMaxPages) {
        return -XEN_EINVAL;
    }
    if (const long rc = grant_pool_init(); rc != 0) {
        printk("blkfront: cannot grow the grant table: %ld\n", rc);
        return rc;
    }
    if (g_ring_mfn == kNoMfn) {
        g_ring_mfn = alloc_frame();
    }
    if (!g_have_indirect) {
        for (uint32_t i = 0; i < kRingSize; ++i) {
            g_indirect_mfn[i] = alloc_frame();
            if (g_indirect_mfn[i] == kNoMfn) {
                return -XEN_ENOMEM;
            }
        }
        g_have_indirect = true;
    }
    if (g_ring_mfn == kNoMfn) {
        return -XEN_ENOMEM;
    }
    auto* sring = reinterpret_cast<blkif_sring_t*>(phys_ptr(g_ring_mfn << kPageShift));
    memset(sring, 0, abi::kPageSize);
    SHARED_RING_INIT(sring);
    FRONT_RING_INIT(&g_ring, sring, abi::kPageSize);

    const long ref = gref_alloc();
    if (ref < 0) {
        return ref;
    }
    evtchn_alloc_unbound_t op{};
    op.dom = DOMID_SELF;
    op.remote_dom = 0;
    if (const long rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &op); rc != 0) {
        gref_free(static_cast<uint32_t>(ref));
        return rc;
    }
    (void)events_init(op.port); // unmasked: a notification can end a SCHEDOP_block
    gref_grant(static_cast<uint32_t>(ref), 0, g_ring_mfn, false);

    g_config = config;
    g_ring_ref = static_cast<uint32_t>(ref);
    g_port = op.port;
    g_kick_port = static_cast<uint16_t>(abi::kPortRingKick + 4 * config.kick_ring);
    g_nr_free_ids = 0;
    for (uint32_t i = kRingSize; i-- > 0;) {
        g_shadow[i].used = false;
        g_indirect_pref[i] = kNoRef;
        g_free_ids[g_nr_free_ids++] = i;
    }
    g_nr_prefs = 0;
    g_connected = true;
    *ring_ref = g_ring_ref;
    *port = g_port;
    return 0;
}

long blkfront_disconnect() {
    if (!g_connected) {
        return 0;
    }
    // The ring first: if the back end still maps it, nothing is ended.
    if (const long rc = gref_end(g_ring_ref); rc != 0) {
        return rc;
    }
    gref_free(g_ring_ref);
    g_ring_ref = kNoRef;
    long busy = 0;
    for (uint32_t i = 0; i < kRingSize; ++i) {
        Shadow& s = g_shadow[i];
        for (uint32_t k = 0; s.used && k < s.nr_refs; ++k) {
            if (gref_end(s.refs[k]) != 0) {
                printk("blkfront: grant %u of request %u still in use\n", s.refs[k], i);
                busy = -XEN_EBUSY;
            }
            gref_free(s.refs[k]);
        }
        s.used = false;
    }
    for (uint32_t i = 0; i < g_nr_prefs; ++i) {
        if (gref_end(g_prefs[i]) != 0) {
            printk("blkfront: persistent grant %u still in use\n", g_prefs[i]);
            busy = -XEN_EBUSY;
        }
        gref_free(g_prefs[i]);
    }
    g_nr_prefs = 0;
    evtchn_close_t close{};
    close.port = g_port;
    (void)HYPERVISOR_event_channel_op(EVTCHNOP_close, &close);
    g_connected = false;
    ++g_gen; // every page's persistent ref is stale now
    if (busy != 0) {
        printk("blkfront: a grant was still in use at disconnect (leaked)\n");
    }
    return busy;
}

bool blkfront_connected() {
    return g_connected;
}

const BlkfrontConfig& blkfront_config() {
    return g_config;
}

uint32_t blkfront_grants_free() {
    return grefs_free();
}

bool blkfront_page_granted(const BlkPage& page) {
    return g_connected && page.pgen == g_gen && page.pref != kNoRef;
}

uint32_t blkfront_ring_free() {
    return g_connected ? RING_FREE_REQUESTS(&g_ring) : 0;
}

long blkfront_claim_slot(uint64_t cookie) {
    if (g_nr_free_ids == 0) {
        return -XEN_EAGAIN;
    }
    const uint32_t id = g_free_ids[--g_nr_free_ids];
    g_shadow[id].used = true;
    g_shadow[id].cookie = cookie;
    g_shadow[id].nr_refs = 0;
    return id;
}

void blkfront_release_slot(uint32_t id) {
    if (id < kRingSize && g_shadow[id].used) {
        g_shadow[id].used = false;
        g_free_ids[g_nr_free_ids++] = id;
    }
}

long blkfront_submit(uint8_t op, uint64_t sector, BlkPage* pages, uint32_t npages,
                     uint64_t cookie) {
    if (!g_connected) {
        return -XEN_EINVAL;
    }
    const bool flush = op == BLKIF_OP_FLUSH_DISKCACHE;
    const bool indirect = npages > BLKIF_MAX_SEGMENTS_PER_REQUEST;
    if ((flush && npages != 0) || (!flush && npages == 0) ||
        (op != BLKIF_OP_READ && op != BLKIF_OP_WRITE && !flush) ||
        (indirect && ((g_config.features & abi::kBlkFeatureIndirect) == 0 ||
                      npages > g_config.max_indirect_segments))) {
        return -XEN_EINVAL;
    }
    if (RING_FULL(&g_ring) || g_nr_free_ids == 0) {
        ++g_stats.stalls;
        return -XEN_EAGAIN;
    }
    const uint32_t next_id = g_free_ids[g_nr_free_ids - 1]; // what claim_slot takes
    const uint32_t need =
        persistent() ? new_pages(pages, npages) + (indirect && g_indirect_pref[next_id] == kNoRef)
                     : npages + (indirect ? 1 : 0);
    if (grefs_free() < need) {
        ++g_stats.stalls;
        return persistent() ? -XEN_ENOSPC : -XEN_EAGAIN; // persistent grants never come back
    }
    const uint32_t id = static_cast<uint32_t>(blkfront_claim_slot(cookie));
    Shadow& s = g_shadow[id];

    // The grant of each page: read-write when the disk's data lands in it.
    const bool readonly = op == BLKIF_OP_WRITE && !persistent();
    auto page_ref = [&](BlkPage& p) -> uint32_t {
        if (persistent()) {
            return static_cast<uint32_t>(persistent_ref(p)); // enough refs: checked above
        }
        const auto ref = static_cast<uint32_t>(gref_alloc());
        gref_grant(ref, 0, p.mfn, readonly);
        s.refs[s.nr_refs++] = ref;
        return ref;
    };

    blkif_request_t* req = RING_GET_REQUEST(&g_ring, g_ring.req_prod_pvt);
    memset(req, 0, sizeof *req);
    if (!indirect) {
        req->operation = op;
        req->nr_segments = static_cast<uint8_t>(npages);
        req->handle = 0;
        req->id = id;
        req->sector_number = sector;
        for (uint32_t i = 0; i < npages; ++i) {
            req->seg[i].gref = page_ref(pages[i]);
            req->seg[i].first_sect = 0;
            req->seg[i].last_sect = 7;
        }
    } else {
        auto* segs =
            reinterpret_cast<blkif_request_segment*>(phys_ptr(g_indirect_mfn[id] << kPageShift));
        for (uint32_t i = 0; i < npages; ++i) {
            segs[i].gref = page_ref(pages[i]);
            segs[i].first_sect = 0;
            segs[i].last_sect = 7;
        }
        uint32_t ind_ref = 0;
        if (persistent()) {
            if (g_indirect_pref[id] == kNoRef) {
                BlkPage p{g_indirect_mfn[id], kNoRef, 0};
                g_indirect_pref[id] = static_cast<uint32_t>(persistent_ref(p));
            }
            ind_ref = g_indirect_pref[id];
        } else {
            ind_ref = static_cast<uint32_t>(gref_alloc());
            gref_grant(ind_ref, 0, g_indirect_mfn[id], true);
            s.refs[s.nr_refs++] = ind_ref;
        }
        auto* ind = reinterpret_cast<blkif_request_indirect_t*>(req);
        ind->operation = BLKIF_OP_INDIRECT;
        ind->indirect_op = op;
        ind->nr_segments = static_cast<uint16_t>(npages);
        ind->id = id;
        ind->sector_number = sector;
        ind->handle = 0;
        ind->indirect_grefs[0] = ind_ref;
    }
    ++g_ring.req_prod_pvt;
    ++g_stats.requests;
    return 0;
}

void blkfront_push() {
    if (!g_connected) {
        return;
    }
    int notify = 0;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&g_ring, notify);
    if (notify != 0) {
        blkfront_kick();
    }
}

unsigned blkfront_poll(BlkDone done, void* ctx) {
    if (!g_connected) {
        return 0;
    }
    const RING_IDX rp = __atomic_load_n(&g_ring.sring->rsp_prod, __ATOMIC_ACQUIRE);
    if (RING_RESPONSE_PROD_OVERFLOW(&g_ring, rp)) {
        printk("blkfront: back end claims %u responses\n", rp - g_ring.rsp_cons);
        return 0;
    }
    unsigned n = 0;
    while (g_ring.rsp_cons != rp) {
        const blkif_response_t* rsp = RING_GET_RESPONSE(&g_ring, g_ring.rsp_cons);
        const uint64_t id = rsp->id;
        const int16_t status = rsp->status;
        // Consumed before the callback, which may submit into the freed slot.
        ++g_ring.rsp_cons;
        if (id >= kRingSize || !g_shadow[id].used) {
            printk("blkfront: response for unknown id %lu\n", id);
            continue;
        }
        Shadow& s = g_shadow[id];
        for (uint32_t k = 0; k < s.nr_refs; ++k) {
            if (gref_end(s.refs[k]) == 0) {
                gref_free(s.refs[k]);
            } else {
                printk("blkfront: grant %u still in use after its response (leaked)\n", s.refs[k]);
            }
        }
        const uint64_t cookie = s.cookie;
        blkfront_release_slot(static_cast<uint32_t>(id));
        ++n;
        done(ctx, cookie, status);
    }
    return n;
}

void blkfront_wait() {
    if (!g_connected) {
        return;
    }
    // Cleared first: an event sent after this point stays pending, and
    // SCHEDOP_block returns at once for it (no lost wake-up).
    evtchn_clear(g_port);
    int more = 0;
    RING_FINAL_CHECK_FOR_RESPONSES(&g_ring, more);
    if (more != 0) {
        return;
    }
    ++g_stats.waits;
    (void)block();
}

namespace {

BlkDone g_irq_done = nullptr;
void* g_irq_ctx = nullptr;

void on_ring_event(evtchn_port_t /*port*/) {
    g_stats.upcalls = g_stats.upcalls + 1;
    if (g_irq_done != nullptr) {
        (void)blkfront_poll(g_irq_done, g_irq_ctx);
    }
}

} // namespace

long blkfront_enable_irq(BlkDone done, void* ctx) {
    if (!g_connected) {
        return -XEN_EINVAL;
    }
    if (const long rc = events_enable_upcall(); rc != 0) {
        return rc;
    }
    events_mask();
    g_irq_done = done;
    g_irq_ctx = ctx;
    events_set_handler(g_port, on_ring_event);
    return 0;
}

void blkfront_disable_irq() {
    events_mask();
    if (g_connected) {
        events_set_handler(g_port, nullptr);
    }
    g_irq_done = nullptr;
    g_irq_ctx = nullptr;
}

void blkfront_wait_irq(uint64_t us) {
    if (!g_connected) {
        return;
    }
    int more = 0;
    RING_FINAL_CHECK_FOR_RESPONSES(&g_ring, more);
    if (more != 0) {
        return;
    }
    ++g_stats.waits;
    const volatile uint64_t* upcalls = &g_stats.upcalls;
    const uint64_t before = *upcalls;
    const uint64_t until = rdtsc_ordered() + tsc_ticks_us(us);
    events_unmask(); // runs the handler at once if the port is already pending
    while (*upcalls == before && rdtsc_ordered() < until) {
        cpu_relax();
    }
    events_mask();
}

const BlkfrontStats& blkfront_stats() {
    return g_stats;
}

void blkfront_reset_stats() {
    g_stats = BlkfrontStats{};
}

blkif_front_ring_t* blkfront_ring() {
    return g_connected ? &g_ring : nullptr;
}

} // namespace enso::guest
