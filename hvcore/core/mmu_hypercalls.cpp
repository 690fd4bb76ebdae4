// mmu_update, mmuext_op, update_va_mapping and update_descriptor: decode
// from guest memory and loop over the per-entry handlers, stopping at the
// first failure and reporting how many succeeded, as Xen does.
#include "hvcore/core/guest_memory.hpp"
#include "hvcore/core/hypercall_dispatch.hpp"
#include "hvcore/core/pv_mmu.hpp"

#include <algorithm>
#include <span>

namespace enso::core {

namespace {

bool foreign_dom_ok(std::uint16_t d, std::uint64_t foreigndom) {
    return foreigndom == DOMID_SELF || foreigndom == d;
}

Rc report_done(const GuestMemory& guest, std::uint64_t done_ptr, std::uint64_t done, Rc rc) {
    if (done_ptr != 0 && guest.write(done_ptr, static_cast<std::uint32_t>(done)) != kOk) {
        return kEFAULT;
    }
    return rc;
}

// A 64-bit PV kernel runs in ring 3, so Xen sets _PAGE_USER in every
// present entry a guest writes (guests such as XTF write theirs without
// it); so does Enso, before the entry is validated.
std::uint64_t with_user_bit(std::uint64_t pte) {
    return (pte & kPteP) != 0 ? pte | kPteUS : pte;
}

} // namespace

long Dispatcher::mmu_update(std::uint16_t d, const HypercallArgs& a) {
    const GuestMemory guest(core_.state(), d);
    const std::uint64_t list = a[0];
    const std::uint64_t n = a[1];
    if (!foreign_dom_ok(d, a[3])) {
        return kEPERM; // updating another domain's tables is not supported
    }
    if (n > kMaxBatch) {
        return kE2BIG;
    }
    // Requests are copied in chunks, one page-table walk per guest page
    // rather than per entry; a chunk that cannot be read whole is read entry
    // by entry, so the entries before a bad one still run (Xen's semantics).
    constexpr std::uint64_t kChunk = 64;
    mmu_update_t reqs[kChunk];
    Rc rc = kOk;
    std::uint64_t done = 0;
    while (done < n && rc == kOk) {
        const std::uint64_t count = std::min(kChunk, n - done);
        const std::uint64_t at = list + done * sizeof(mmu_update_t);
        const bool whole =
            guest.copy_from(at, std::as_writable_bytes(std::span(reqs, count))) == kOk;
        for (std::uint64_t i = 0; i < count; ++i, ++done) {
            if (!whole) {
                rc = guest.read(at + i * sizeof(mmu_update_t), reqs[i]);
            }
            if (rc == kOk) {
                const bool pte = (reqs[i].ptr & 3) == MMU_NORMAL_PT_UPDATE ||
                                 (reqs[i].ptr & 3) == MMU_PT_UPDATE_PRESERVE_AD;
                rc = core_.mmu_update(d, reqs[i].ptr,
                                      pte ? with_user_bit(reqs[i].val) : reqs[i].val);
            }
            if (rc != kOk) {
                break;
            }
        }
    }
    return report_done(guest, a[2], done, rc);
}

long Dispatcher::mmuext_op(std::uint16_t d, const HypercallArgs& a) {
    const GuestMemory guest(core_.state(), d);
    const std::uint64_t list = a[0];
    const std::uint64_t n = a[1];
    if (!foreign_dom_ok(d, a[3])) {
        return kEPERM;
    }
    if (n > kMaxBatch) {
        return kE2BIG;
    }
    Rc rc = kOk;
    std::uint64_t done = 0;
    for (; done < n; ++done) {
        struct mmuext_op op {};
        rc = guest.read(list + done * sizeof(op), op);
        if (rc != kOk) {
            break;
        }
        const std::uint64_t mfn = op.arg1.mfn;
        const auto frame = static_cast<std::uint32_t>(mfn);
        const bool frame_ok = mfn < core_.nr_frames();
        switch (op.cmd) {
        case MMUEXT_PIN_L1_TABLE:
        case MMUEXT_PIN_L2_TABLE:
        case MMUEXT_PIN_L3_TABLE:
        case MMUEXT_PIN_L4_TABLE:
            rc = frame_ok ? core_.pin_table(
                                d, frame,
                                static_cast<std::uint8_t>(op.cmd - MMUEXT_PIN_L1_TABLE + kTypeL1))
                          : kEINVAL;
            break;
        case MMUEXT_UNPIN_TABLE:
            rc = frame_ok ? core_.unpin_table(d, frame) : kEINVAL;
            break;
        case MMUEXT_NEW_BASEPTR:
            rc = frame_ok ? core_.new_baseptr(d, frame) : kEINVAL;
            break;
        case MMUEXT_NEW_USER_BASEPTR:
            // Only a user address space shared with the kernel's (the same
            // root, or none), as XTF registers it: it needs no reference of
            // its own. A separate user root is not modelled yet.
            rc = mfn == 0 || (frame_ok && core_.root_table(d) == frame) ? kOk : kENOSYS;
            break;
        case MMUEXT_TLB_FLUSH_LOCAL:
            rc = tlb_flush_local<Concrete>(core_.state(), d);
            break;
        case MMUEXT_INVLPG_LOCAL:
            rc = invlpg_local<Concrete>(core_.state(), d, op.arg1.linear_addr);
            break;
        default:
            rc = kENOSYS;
            break;
        }
        if (rc != kOk) {
            break;
        }
    }
    return report_done(guest, a[2], done, rc);
}

long Dispatcher::update_va_mapping(std::uint16_t d, const HypercallArgs& a) {
    return core_.update_va_mapping(d, a[0], with_user_bit(a[1]), a[2]);
}

long Dispatcher::update_descriptor(std::uint16_t d, const HypercallArgs& a) {
    return core_.update_descriptor(d, a[0], a[1]);
}

} // namespace enso::core
