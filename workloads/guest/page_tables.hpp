// PV page-table helpers. The guest reads its tables through the phys map
// (every boot frame at kPhysMapVa + machine address, tables read-only) and
// changes them only through the PV MMU (mmu_update, mmuext_op,
// update_va_mapping), as a Xen PV kernel does.
#pragma once

#include "hvcore/abi/guest_layout.hpp"
#include "workloads/guest/xen.hpp"

namespace enso::guest {

// x86-64 page-table entry bits (architecture, not Xen ABI: Xen's public
// headers do not define them).
inline constexpr uint64_t kPteP = 1ULL << 0;
inline constexpr uint64_t kPteRW = 1ULL << 1;
inline constexpr uint64_t kPteUS = 1ULL << 2;
inline constexpr uint64_t kPteA = 1ULL << 5;
inline constexpr uint64_t kPteD = 1ULL << 6;
inline constexpr uint64_t kPteNX = 1ULL << 63;
inline constexpr uint64_t kPteAddrMask = 0x000ffffffffff000ULL;

inline constexpr unsigned kPageShift = 12;
inline constexpr unsigned kEntriesPerTable = 512;

// A leaf for data the guest (at CPL3) reads and writes.
inline constexpr uint64_t kPteData = kPteP | kPteRW | kPteUS | kPteNX;
// An upper-level entry: the leaf decides the rights, so upper levels allow all.
inline constexpr uint64_t kPteTable = kPteP | kPteRW | kPteUS;

inline uint64_t* phys_ptr(uint64_t maddr) {
    return reinterpret_cast<uint64_t*>(abi::kPhysMapVa + maddr);
}

constexpr unsigned va_slot(uint64_t va, unsigned level) {
    return static_cast<unsigned>((va >> (kPageShift + 9 * (level - 1))) & 511U);
}

// The root the vCPU runs on (machine address of its L4), as start_info's
// pt_base said at boot and MMUEXT_NEW_BASEPTR changed since.
void page_tables_init(const start_info_t& si);
uint64_t current_root();
long switch_root(uint64_t root_maddr);

// Another pinned L4 that maps the same address space (kCmdNewBaseptr): L4
// entries set later go into every known root, so they stay the same.
void add_root(uint64_t root_maddr);

// The machine address of the level-`level` entry (4..1) that maps va in the
// current root, or 0 when a table above that level is missing.
uint64_t entry_maddr(uint64_t va, unsigned level);
inline uint64_t l1_entry_maddr(uint64_t va) {
    return entry_maddr(va, 1);
}

// The entry at a machine address, read through the phys map.
inline uint64_t read_entry(uint64_t maddr) {
    return *phys_ptr(maddr);
}

// One mmu_update of one entry (MMU_NORMAL_PT_UPDATE).
long set_entry(uint64_t entry_maddr, uint64_t val);
long flush_tlb_local();

// Makes a free frame a page table that can be pinned or linked: fills it
// with `init` (512 entries; zeros when null) through its writable phys-map
// mapping, remaps that read-only (a table must not be writable anywhere),
// then flushes the stale writable translation.
long make_table(uint64_t mfn, const uint64_t* init = nullptr);

// Creates the missing tables (empty, linked with kPteTable) down to va's L1;
// on success *l1e is the machine address of va's L1 entry.
long ensure_l1_entry(uint64_t va, uint64_t* l1e);

// Maps mfn at va with `flags` (va's L1 must exist), or unmaps va; flushes
// that one page (update_va_mapping with UVMF_INVLPG).
long map_frame(uint64_t va, uint64_t mfn, uint64_t flags);
long unmap_frame(uint64_t va);

} // namespace enso::guest
