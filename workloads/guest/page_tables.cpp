#include "workloads/guest/page_tables.hpp"

#include "workloads/guest/console.hpp"
#include "workloads/guest/frame_allocator.hpp"
#include "workloads/guest/hypercall.hpp"
#include "workloads/guest/string.hpp"

namespace enso::guest {

namespace {

constexpr unsigned kMaxRoots = 2;

uint64_t g_root = 0;
uint64_t g_roots[kMaxRoots];
unsigned g_nr_roots = 0;

} // namespace

void page_tables_init(const start_info_t& si) {
    // pt_base is the L4's virtual address in the phys map (Xen's convention:
    // a virtual address), so its machine address is the offset in the map.
    g_root = si.pt_base - abi::kPhysMapVa;
    g_roots[0] = g_root;
    g_nr_roots = 1;
}

uint64_t current_root() {
    return g_root;
}

void add_root(uint64_t root_maddr) {
    if (g_nr_roots < kMaxRoots) {
        g_roots[g_nr_roots++] = root_maddr;
    }
}

long switch_root(uint64_t root_maddr) {
    struct mmuext_op op {};
    op.cmd = MMUEXT_NEW_BASEPTR;
    op.arg1.mfn = root_maddr >> kPageShift;
    const long rc = HYPERVISOR_mmuext_op(&op, 1, nullptr, DOMID_SELF);
    if (rc == 0) {
        g_root = root_maddr;
    }
    return rc;
}

uint64_t entry_maddr(uint64_t va, unsigned level) {
    uint64_t table = g_root;
    for (unsigned l = 4; l > level; --l) {
        const uint64_t e = read_entry(table + va_slot(va, l) * 8);
        if ((e & kPteP) == 0) {
            return 0;
        }
        table = e & kPteAddrMask;
    }
    return table + va_slot(va, level) * 8;
}

long set_entry(uint64_t entry_maddr, uint64_t val) {
    mmu_update_t req{};
    req.ptr = entry_maddr | MMU_NORMAL_PT_UPDATE;
    req.val = val;
    return HYPERVISOR_mmu_update(&req, 1, nullptr, DOMID_SELF);
}

long flush_tlb_local() {
    struct mmuext_op op {};
    op.cmd = MMUEXT_TLB_FLUSH_LOCAL;
    return HYPERVISOR_mmuext_op(&op, 1, nullptr, DOMID_SELF);
}

long make_table(uint64_t mfn, const uint64_t* init) {
    const uint64_t maddr = mfn << kPageShift;
    const uint64_t va = abi::kPhysMapVa + maddr;
    const uint64_t e = l1_entry_maddr(va);
    if (e == 0) {
        return -XEN_EINVAL;
    }
    const uint64_t pte = read_entry(e);
    if ((pte & kPteP) == 0 || (pte & kPteAddrMask) != maddr || (pte & kPteRW) == 0) {
        return -XEN_EINVAL; // not a free frame's writable phys-map mapping
    }
    if (init != nullptr) {
        memcpy(phys_ptr(maddr), init, abi::kPageSize);
    } else {
        memset(phys_ptr(maddr), 0, abi::kPageSize);
    }
    if (long rc = set_entry(e, pte & ~(kPteRW | kPteD)); rc != 0) {
        return rc;
    }
    return flush_tlb_local();
}

long ensure_l1_entry(uint64_t va, uint64_t* l1e) {
    for (unsigned level = 4; level > 1; --level) {
        const uint64_t e = entry_maddr(va, level);
        if (e == 0) {
            return -XEN_EFAULT; // cannot happen: the levels above were made first
        }
        if ((read_entry(e) & kPteP) != 0) {
            continue;
        }
        const uint64_t mfn = alloc_frame();
        if (mfn == kNoMfn) {
            return -XEN_ENOMEM;
        }
        if (long rc = make_table(mfn); rc != 0) {
            printk("enso-guest: cannot make frame %lx a table: %ld\n", mfn, rc);
            return rc; // the frame may be read-only now: not given back
        }
        const uint64_t val = (mfn << kPageShift) | kPteTable;
        if (level == 4) {
            // Every root gets the new L3, so the roots keep mapping the same.
            for (unsigned r = 0; r < g_nr_roots; ++r) {
                const uint64_t slot = g_roots[r] + va_slot(va, 4) * 8;
                if (long rc = set_entry(slot, val); rc != 0) {
                    return rc;
                }
            }
        } else if (long rc = set_entry(e, val); rc != 0) {
            return rc;
        }
    }
    *l1e = entry_maddr(va, 1);
    return 0;
}

long map_frame(uint64_t va, uint64_t mfn, uint64_t flags) {
    return HYPERVISOR_update_va_mapping(va, (mfn << kPageShift) | flags, UVMF_INVLPG);
}

long unmap_frame(uint64_t va) {
    return HYPERVISOR_update_va_mapping(va, 0, UVMF_INVLPG);
}

} // namespace enso::guest
