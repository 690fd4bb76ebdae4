// The guest's address space at boot, as the domain builder makes it and the
// guest kernel expects it. Shared by the monitor and the freestanding guest
// (no library headers beyond <stdint.h>). Machine frame N is guest-physical
// address N * 4096 (identity P2M), so page-table entries hold machine frames.
#pragma once

#include <stdint.h>

namespace enso::abi {

inline constexpr uint64_t kPageSize = 4096;

// Fixed pages, one each, below the kernel image.
inline constexpr uint64_t kHypercallPageVa = 0x200000; // stubs, read-only, executable
inline constexpr uint64_t kSharedInfoVa = 0x201000;    // shared_info_t + exitless slots
inline constexpr uint64_t kStartInfoVa = 0x202000;     // start_info_t
inline constexpr uint64_t kCommandPageVa = 0x203000;   // CommandPage
inline constexpr uint64_t kGrantTableVa = 0x204000;    // grant-table frame 0 (v1 entries)
inline constexpr uint64_t kStackPages = 16;
inline constexpr uint64_t kStackTopVa = 0x300000; // rsp at entry; stack grows down

// The kernel ELF is linked here; its PT_LOAD segments are placed at their
// virtual addresses and must end below kMfnListVa.
inline constexpr uint64_t kKernelBaseVa = 0x400000;

// start_info.mfn_list: the machine frame of every page the domain was built
// with, in pfn order (uint64_t each), mapped read-only.
inline constexpr uint64_t kMfnListVa = 0x40000000;

// Every frame the domain owns at boot, at kPhysMapVa + its machine address;
// page-table frames are mapped read-only, as the PV MMU requires.
inline constexpr uint64_t kPhysMapVa = 0x0000008000000000;

// Unused at boot: workloads build their own mappings here (L4 slot 2 up).
inline constexpr uint64_t kScratchVa = 0x0000010000000000;

// Where the builder places the boot frames, in pfn order: the kernel image,
// then the fixed pages (hypercall page, start_info, command page), the stack,
// the mfn list, the boot page tables; every pfn from
// CommandPage::first_free_pfn up to start_info.nr_pages is free for workloads
// and mapped only in the phys map.

} // namespace enso::abi
