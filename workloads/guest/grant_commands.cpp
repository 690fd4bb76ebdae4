// Grant commands: GNTTABOP_copy between two own frames and its twin (memcpy
// in the guest), and offering and ending grants to domain 0 (for the back
// end's map/unmap and for the tests) or to another guest (hostile tests).
#include "workloads/guest/commands.hpp"
#include "workloads/guest/console.hpp"
#include "workloads/guest/frame_allocator.hpp"
#include "workloads/guest/grants.hpp"
#include "workloads/guest/hypercall.hpp"
#include "workloads/guest/page_tables.hpp"
#include "workloads/guest/string.hpp"

namespace enso::guest {

namespace {

// Two own frames, reached through the phys map: the source holds a pattern.
uint64_t g_copy_src = kNoMfn;
uint64_t g_copy_dst = kNoMfn;

long copy_frames() {
    if (g_copy_dst != kNoMfn) {
        return 0;
    }
    const uint64_t src = alloc_frame();
    const uint64_t dst = alloc_frame();
    if (src == kNoMfn || dst == kNoMfn) {
        if (src != kNoMfn) {
            free_frame(src);
        }
        return -XEN_ENOMEM;
    }
    uint64_t* s = phys_ptr(src << kPageShift);
    for (uint64_t i = 0; i < abi::kPageSize / 8; ++i) {
        s[i] = 0x0101010101010101ULL * (i & 0xff) ^ src;
    }
    memset(phys_ptr(dst << kPageShift), 0, abi::kPageSize);
    g_copy_src = src;
    g_copy_dst = dst;
    return 0;
}

// Whether the last copy arrived: a copy that returned okay but moved nothing
// would otherwise look like a very fast one.
long check_copied() {
    if (memcmp(phys_ptr(g_copy_src << kPageShift), phys_ptr(g_copy_dst << kPageShift),
               abi::kPageSize) != 0) {
        printk("enso-guest: copied frame differs from its source\n");
        return -XEN_EIO;
    }
    return 0;
}

} // namespace

// args[0] iterations of one GNTTABOP_copy of 4 KiB from one own frame to
// another (both named by frame, DOMID_SELF). values[0] = the last status.
void cmd_grant_copy(Args a, Result& r) {
    if (long rc = copy_frames(); rc != 0) {
        r.status = rc;
        return;
    }
    memset(phys_ptr(g_copy_dst << kPageShift), 0, abi::kPageSize);
    gnttab_copy_t op{};
    op.source.u.gmfn = g_copy_src;
    op.source.domid = DOMID_SELF;
    op.dest.u.gmfn = g_copy_dst;
    op.dest.domid = DOMID_SELF;
    op.len = static_cast<uint16_t>(abi::kPageSize);
    op.flags = 0;
    timed_loop(r, a[0], [&] {
        const long rc = HYPERVISOR_grant_table_op(GNTTABOP_copy, &op, 1);
        if (rc != 0) {
            return rc;
        }
        return op.status == GNTST_okay ? 0L : -XEN_EIO;
    });
    r.values[0] = static_cast<uint64_t>(static_cast<int64_t>(op.status));
    if (op.status != GNTST_okay) {
        printk("enso-guest: grant copy status %d\n", op.status);
    } else if (r.status == 0 && r.iterations > 0) {
        r.status = check_copied();
    }
}

// args[0] iterations of memcpy of 4 KiB between the same two frames: the
// native twin of kCmdGrantCopy, inside the guest.
void cmd_memcpy(Args a, Result& r) {
    if (long rc = copy_frames(); rc != 0) {
        r.status = rc;
        return;
    }
    memset(phys_ptr(g_copy_dst << kPageShift), 0, abi::kPageSize);
    void* dst = phys_ptr(g_copy_dst << kPageShift);
    const void* src = phys_ptr(g_copy_src << kPageShift);
    timed_loop(r, a[0], [&] {
        memcpy(dst, src, abi::kPageSize);
        asm volatile("" : : : "memory"); // every copy happens, none is merged
        return 0L;
    });
    if (r.iterations > 0) {
        r.status = check_copied();
    }
}

namespace {

// A free frame filled with `fill`, granted to `to`.
void offer(domid_t to, bool readonly, uint64_t fill, Result& r) {
    const uint64_t mfn = alloc_frame();
    if (mfn == kNoMfn) {
        r.status = -XEN_ENOMEM;
        return;
    }
    memset(phys_ptr(mfn << kPageShift), static_cast<int>(fill & 0xff), abi::kPageSize);
    const long ref = grant_access(to, mfn, readonly);
    if (ref < 0) {
        free_frame(mfn);
        r.status = ref;
        return;
    }
    r.values[0] = static_cast<uint64_t>(ref);
    r.values[1] = mfn;
}

} // namespace

// Grants a free frame, filled with the byte args[1], to domain 0: read-write,
// or read-only when args[0] != 0. values[0] = ref, values[1] = machine frame.
void cmd_grant_offer(Args a, Result& r) {
    offer(0, a[0] != 0, a[1], r);
}

// The same, to domain args[2] (a guest: the hostile tests' grantees).
void cmd_grant_offer_to(Args a, Result& r) {
    if (a[2] >= DOMID_FIRST_RESERVED) {
        r.status = -XEN_EINVAL;
        return;
    }
    offer(static_cast<domid_t>(a[2]), a[0] != 0, a[1], r);
}

// Ends the grant args[0] of a previous kCmdGrantOffer: status 0 when ended
// (its frame goes back to the free frames), -EBUSY while domain 0 maps it,
// -EINVAL if this guest did not grant it.
void cmd_grant_end(Args a, Result& r) {
    if (a[0] >= kGrantRefs) {
        r.status = -XEN_EINVAL;
        return;
    }
    const auto ref = static_cast<uint32_t>(a[0]);
    const uint64_t mfn = grant_frame(ref);
    r.status = grant_end_access(ref);
    if (r.status == 0) {
        free_frame(mfn);
    }
}

} // namespace enso::guest
