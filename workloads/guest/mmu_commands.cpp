// Commands that time the PV MMU: batched mmu_update, pin + unpin of an L1,
// and switching roots. What each needs is set up on first use and kept.
#include "workloads/guest/commands.hpp"
#include "workloads/guest/console.hpp"
#include "workloads/guest/frame_allocator.hpp"
#include "workloads/guest/hypercall.hpp"
#include "workloads/guest/page_tables.hpp"
#include "workloads/guest/scratch_area.hpp"

namespace enso::guest {

namespace {

// kCmdMmuUpdate: the frames it maps (distinct, allocated once) and its two
// request lists, over the slots of the scratch L1 at kScratchMmuVa.
uint64_t g_mmu_frames[kEntriesPerTable];
uint64_t g_nr_mmu_frames = 0;
mmu_update_t g_map_reqs[kEntriesPerTable];
mmu_update_t g_unmap_reqs[kEntriesPerTable];

// kCmdPinUnpin's L1 (a zeroed frame, read-only everywhere, never linked).
uint64_t g_pin_mfn = kNoMfn;

// kCmdNewBaseptr's roots: the boot root and a copy of it.
uint64_t g_root_a = 0;
uint64_t g_root_b = 0;

long mmu_frames(uint64_t n) {
    while (g_nr_mmu_frames < n) {
        const uint64_t mfn = alloc_frame();
        if (mfn == kNoMfn) {
            return -XEN_ENOMEM;
        }
        g_mmu_frames[g_nr_mmu_frames++] = mfn;
    }
    return 0;
}

long mmuext(unsigned cmd, uint64_t mfn) {
    struct mmuext_op op {};
    op.cmd = cmd;
    op.arg1.mfn = mfn;
    return HYPERVISOR_mmuext_op(&op, 1, nullptr, DOMID_SELF);
}

// A second pinned L4 with the same entries as the boot root. The scratch L3
// is linked first, so the two roots stay identical from then on.
long second_root() {
    if (g_root_b != 0) {
        return 0;
    }
    if (long rc = scratch_init(); rc != 0) {
        return rc;
    }
    const uint64_t mfn = alloc_frame();
    if (mfn == kNoMfn) {
        return -XEN_ENOMEM;
    }
    g_root_a = current_root();
    if (long rc = make_table(mfn, phys_ptr(g_root_a)); rc != 0) {
        return rc;
    }
    if (long rc = mmuext(MMUEXT_PIN_L4_TABLE, mfn); rc != 0) {
        return rc;
    }
    g_root_b = mfn << kPageShift;
    add_root(g_root_b);
    return 0;
}

} // namespace

// args[0] iterations of: one mmu_update of args[1] entries mapping args[1]
// distinct free frames into consecutive slots of the scratch L1 (each
// maddr | P | RW | US | NX), then one mmu_update of the same slots to 0.
// Result: iterations = args[0] (loops, two calls each); values[0] = entries
// per call (args[1]); values[1] = mmu_update calls (2 * args[0]); values[2] =
// entries updated in all (2 * args[0] * args[1]). No flush: the scratch
// slots are never touched, so no translation of them is ever cached.
void cmd_mmu_update(Args a, Result& r) {
    const uint64_t n = a[1];
    if (n == 0 || n > kEntriesPerTable) {
        printk("enso-guest: mmu_update of %lu entries (1..%u)\n", n, kEntriesPerTable);
        r.status = -XEN_EINVAL;
        return;
    }
    uint64_t l1e = 0;
    if (long rc = ensure_l1_entry(kScratchMmuVa, &l1e); rc != 0) {
        r.status = rc;
        return;
    }
    if (long rc = mmu_frames(n); rc != 0) {
        r.status = rc;
        return;
    }
    for (uint64_t i = 0; i < n; ++i) {
        g_map_reqs[i].ptr = (l1e + i * 8) | MMU_NORMAL_PT_UPDATE;
        g_map_reqs[i].val = (g_mmu_frames[i] << kPageShift) | kPteData;
        g_unmap_reqs[i].ptr = g_map_reqs[i].ptr;
        g_unmap_reqs[i].val = 0;
    }
    const auto count = static_cast<unsigned>(n);
    timed_loop(r, a[0], [&] {
        if (long rc = HYPERVISOR_mmu_update(g_map_reqs, count, nullptr, DOMID_SELF); rc != 0) {
            return rc;
        }
        return HYPERVISOR_mmu_update(g_unmap_reqs, count, nullptr, DOMID_SELF);
    });
    if (r.status != 0) {
        // A map may have stopped half way: leave no slot mapped.
        HYPERVISOR_mmu_update(g_unmap_reqs, count, nullptr, DOMID_SELF);
    }
    r.values[0] = n;
    r.values[1] = 2 * a[0];
    r.values[2] = 2 * a[0] * n;
}

// args[0] iterations of MMUEXT_PIN_L1_TABLE then MMUEXT_UNPIN_TABLE, two
// hypercalls, on one zeroed frame mapped read-only. values[0] = hypercalls
// per iteration (2).
void cmd_pin_unpin(Args a, Result& r) {
    if (g_pin_mfn == kNoMfn) {
        const uint64_t mfn = alloc_frame();
        if (mfn == kNoMfn) {
            r.status = -XEN_ENOMEM;
            return;
        }
        if (long rc = make_table(mfn); rc != 0) {
            r.status = rc;
            return;
        }
        g_pin_mfn = mfn;
    }
    timed_loop(r, a[0], [] {
        if (long rc = mmuext(MMUEXT_PIN_L1_TABLE, g_pin_mfn); rc != 0) {
            return rc;
        }
        return mmuext(MMUEXT_UNPIN_TABLE, g_pin_mfn);
    });
    r.values[0] = 2;
}

// args[0] iterations of MMUEXT_NEW_BASEPTR, alternating between the boot
// root and a pinned copy of it (first to the copy). The guest always ends on
// the boot root: an odd count takes one more switch, outside the timing.
// values[0] = the copy's machine frame.
void cmd_new_baseptr(Args a, Result& r) {
    if (long rc = second_root(); rc != 0) {
        printk("enso-guest: cannot build a second root: %ld\n", rc);
        r.status = rc;
        return;
    }
    uint64_t i = 0;
    timed_loop(r, a[0], [&] { return switch_root((i++ % 2 == 0) ? g_root_b : g_root_a); });
    if (current_root() != g_root_a) {
        if (long rc = switch_root(g_root_a); rc != 0 && r.status == 0) {
            r.status = rc;
        }
    }
    r.values[0] = g_root_b >> kPageShift;
}

} // namespace enso::guest
