// kCmdForkLike: what a PV kernel's fork (or exec, or a big mmap) costs in
// page-table work. Each iteration builds an address space of N pages the
// way a Linux PV guest does - writes the new tables directly while they are
// still plain memory, makes them read-only in one batched mmu_update, pins
// the root (the core validates the whole tree) - switches to it, touches
// every page, switches back, unpins (the core releases the tree) and makes
// the table frames writable again in one batch.
#include "workloads/guest/commands.hpp"
#include "workloads/guest/console.hpp"
#include "workloads/guest/frame_allocator.hpp"
#include "workloads/guest/hypercall.hpp"
#include "workloads/guest/page_tables.hpp"
#include "workloads/guest/string.hpp"

namespace enso::guest {

namespace {

// The child address space's pages, in an L4 slot nothing else uses.
constexpr uint64_t kForkVa = 0x0000018000000000ULL; // L4 slot 3
constexpr uint64_t kMaxForkPages = 64 * 1024;
constexpr uint64_t kMaxL1 = kMaxForkPages / kEntriesPerTable;
constexpr uint64_t kMaxL2 = (kMaxL1 + kEntriesPerTable - 1) / kEntriesPerTable;
constexpr uint64_t kMaxTables = 2 + kMaxL2 + kMaxL1; // L4, L3, L2s, L1s

// Frames kept across iterations (allocated on first use, never given back).
uint64_t g_data[kMaxForkPages];
uint64_t g_nr_data = 0;
uint64_t g_tables[kMaxTables]; // [0] L4, [1] L3, then L2s, then L1s
uint64_t g_nr_tables = 0;
mmu_update_t g_protect[kMaxTables];
mmu_update_t g_unprotect[kMaxTables];

long take_frames(uint64_t* pool, uint64_t& have, uint64_t want) {
    while (have < want) {
        const uint64_t mfn = alloc_frame();
        if (mfn == kNoMfn) {
            return -XEN_ENOMEM;
        }
        pool[have++] = mfn;
    }
    return 0;
}

long mmuext(unsigned cmd, uint64_t mfn) {
    struct mmuext_op op {};
    op.cmd = cmd;
    op.arg1.mfn = mfn;
    return HYPERVISOR_mmuext_op(&op, 1, nullptr, DOMID_SELF);
}

long batch(const mmu_update_t* reqs, uint64_t n) {
    unsigned done = 0;
    const long rc = HYPERVISOR_mmu_update(reqs, static_cast<unsigned>(n), &done, DOMID_SELF);
    return rc != 0 ? rc : (done == n ? 0 : -XEN_EINVAL);
}

// One fork-like round over n pages; *sum gets the words touched.
long fork_round(uint64_t n, uint64_t l1s, uint64_t l2s, uint64_t* sum) {
    const uint64_t boot = current_root();
    const uint64_t nr_tables = 2 + l2s + l1s;
    uint64_t* l4 = phys_ptr(g_tables[0] << kPageShift);
    uint64_t* l3 = phys_ptr(g_tables[1] << kPageShift);
    // Build: the new tables are still plain writable memory.
    memcpy(l4, phys_ptr(boot), 4096);
    l4[va_slot(kForkVa, 4)] = (g_tables[1] << kPageShift) | kPteTable;
    memset(l3, 0, 4096);
    for (uint64_t j = 0; j < l2s; ++j) {
        uint64_t* l2 = phys_ptr(g_tables[2 + j] << kPageShift);
        memset(l2, 0, 4096);
        l3[va_slot(kForkVa, 3) + j] = (g_tables[2 + j] << kPageShift) | kPteTable;
    }
    for (uint64_t k = 0; k < l1s; ++k) {
        uint64_t* l1 = phys_ptr(g_tables[2 + l2s + k] << kPageShift);
        const uint64_t first = k * kEntriesPerTable;
        for (uint64_t i = 0; i < kEntriesPerTable; ++i) {
            l1[i] = first + i < n ? (g_data[first + i] << kPageShift) | kPteData : 0;
        }
        uint64_t* l2 = phys_ptr(g_tables[2 + k / kEntriesPerTable] << kPageShift);
        l2[k % kEntriesPerTable] = (g_tables[2 + l2s + k] << kPageShift) | kPteTable;
    }
    // Protect: every table read-only in the phys map, in one call; then the
    // stale writable translations go.
    if (long rc = batch(g_protect, nr_tables); rc != 0) {
        return rc;
    }
    if (long rc = flush_tlb_local(); rc != 0) {
        return rc;
    }
    if (long rc = mmuext(MMUEXT_PIN_L4_TABLE, g_tables[0]); rc != 0) {
        return rc;
    }
    if (long rc = switch_root(g_tables[0] << kPageShift); rc != 0) {
        return rc;
    }
    uint64_t s = 0;
    for (uint64_t i = 0; i < n; ++i) {
        s += *reinterpret_cast<volatile const uint64_t*>(kForkVa + i * 4096);
    }
    *sum += s;
    if (long rc = switch_root(boot); rc != 0) {
        return rc;
    }
    if (long rc = mmuext(MMUEXT_UNPIN_TABLE, g_tables[0]); rc != 0) {
        return rc;
    }
    return batch(g_unprotect, nr_tables);
}

} // namespace

// args[0] = pages (1 .. 65536), args[1] = rounds; iterations = rounds,
// values[0] = pages per round, values[1] = page-table frames per round,
// values[2] = the sum of the first word of every page touched.
void cmd_fork_like(Args a, Result& r) {
    const uint64_t n = a[0];
    if (n == 0 || n > kMaxForkPages) {
        printk("enso-guest: fork-like over %lu pages (1..%lu)\n", n, kMaxForkPages);
        r.status = -XEN_EINVAL;
        return;
    }
    const uint64_t l1s = (n + kEntriesPerTable - 1) / kEntriesPerTable;
    const uint64_t l2s = (l1s + kEntriesPerTable - 1) / kEntriesPerTable;
    const uint64_t nr_tables = 2 + l2s + l1s;
    if (long rc = take_frames(g_data, g_nr_data, n); rc != 0) {
        printk("enso-guest: fork-like: no free frames for %lu pages\n", n);
        r.status = rc;
        return;
    }
    // Table frames for the largest tree asked so far (reused by smaller
    // ones); the phys-map entries that protect and unprotect this size's.
    if (long rc = take_frames(g_tables, g_nr_tables, nr_tables); rc != 0) {
        printk("enso-guest: fork-like: no free frames for %lu tables\n", nr_tables);
        r.status = rc;
        return;
    }
    for (uint64_t i = 0; i < nr_tables; ++i) {
        const uint64_t e = l1_entry_maddr(abi::kPhysMapVa + (g_tables[i] << kPageShift));
        g_protect[i] = {e | MMU_NORMAL_PT_UPDATE,
                        (g_tables[i] << kPageShift) | (kPteData & ~kPteRW)};
        g_unprotect[i] = {e | MMU_NORMAL_PT_UPDATE, (g_tables[i] << kPageShift) | kPteData};
    }
    uint64_t sum = 0;
    timed_loop(r, a[1], [&] { return fork_round(n, l1s, l2s, &sum); });
    r.values[0] = n;
    r.values[1] = nr_tables;
    r.values[2] = sum;
    if (r.status != 0) {
        printk("enso-guest: fork-like over %lu pages failed: %ld\n", n, r.status);
    }
}

} // namespace enso::guest
