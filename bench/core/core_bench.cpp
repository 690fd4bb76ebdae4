// In-process costs of the concrete core (hvcore/core through enso::core::Core):
// no VM, no exit, no guest memory copies - only the handlers and the driver
// around them. Each benchmark does a complete operation per iteration (every
// iteration really changes references), and each has its twin where one
// makes sense (docs/design.md, "Measuring"), named as in every suite:
//   - core/mmu_update/inprocess   vs core/mmu_update/native (hand-written, plain
//     arrays, the same rules) and core/mmu_update_l1_only/native (L1 rules only)
//   - core/grant_copy_4k/inprocess vs core/grant_copy_4k/native (the copy alone)
// Benchmarks never assert a speed.
#include "bench/common/suite_main.hpp"
#include "hvcore/core/core.hpp"
#include "hvcore/core/page_table_entry.hpp"

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace {

using namespace enso::core;

constexpr std::uint32_t kFrames = 4096; // 16 MiB of machine memory
constexpr std::uint16_t kGranter = 1;
constexpr std::uint16_t kGuest = 2;

std::uint64_t maddr(std::uint32_t table, std::uint32_t slot) {
    return (std::uint64_t{table} << kPageShift) | (std::uint64_t{slot} << 3);
}
std::uint64_t pte(std::uint32_t target, std::uint64_t flags) {
    return (std::uint64_t{target} << kPageShift) | flags;
}

// Machine memory plus the core over it, with domains 0, 1 and 2.
struct Machine {
    std::vector<std::byte> memory;
    std::unique_ptr<Core> core;
    bool ok = true;

    Machine() : memory(std::size_t{kFrames} * kPageSize) {
        core = std::make_unique<Core>(memory);
        ok = core->create_domain(0, 64) == kOk && core->create_domain(kGranter, 1024) == kOk &&
             core->create_domain(kGuest, 1024) == kOk;
    }
    std::uint32_t frame(std::uint16_t d) {
        std::uint32_t f = kNoFrame;
        ok = ok && core->reserve_frame(d, f) == kOk;
        return f;
    }
    void check(Rc rc, Rc want = kOk) { ok = ok && rc == want; }

    // A pinned 4-level tree for d mapping `data` at va 0; returns the L1.
    std::uint32_t address_space(std::uint16_t d, std::uint32_t data) {
        const std::uint32_t l4 = frame(d), l3 = frame(d), l2 = frame(d), l1 = frame(d);
        check(core->mmu_update(d, maddr(l1, 0), pte(data, kPteP | kPteUS | kPteRW)));
        check(core->pin_table(d, l1, kTypeL1));
        check(core->mmu_update(d, maddr(l2, 0), pte(l1, kPteP | kPteUS | kPteRW)));
        check(core->pin_table(d, l2, kTypeL2));
        check(core->mmu_update(d, maddr(l3, 0), pte(l2, kPteP | kPteUS | kPteRW)));
        check(core->pin_table(d, l3, kTypeL3));
        check(core->mmu_update(d, maddr(l4, 0), pte(l3, kPteP | kPteUS | kPteRW)));
        check(core->pin_table(d, l4, kTypeL4));
        check(core->new_baseptr(d, l4));
        return l1;
    }
};

// --- PV MMU -------------------------------------------------------------------

// One MMU_NORMAL_PT_UPDATE of a validated L1 slot, alternating between two
// writable data frames: every iteration takes a general and a writable-type
// reference on the new frame and drops them on the old one.
void BM_MmuUpdate_L1Entry(benchmark::State& state) {
    Machine m;
    const std::uint32_t data = m.frame(kGuest);
    const std::uint32_t l1 = m.address_space(kGuest, data);
    const std::uint64_t vals[2] = {pte(m.frame(kGuest), kPteP | kPteUS | kPteRW),
                                   pte(m.frame(kGuest), kPteP | kPteUS | kPteRW)};
    m.check(m.core->mmu_update(kGuest, maddr(l1, 5), vals[1]));
    if (!m.ok) {
        state.SkipWithError("setup failed");
        return;
    }
    const std::uint64_t ptr = maddr(l1, 5) | MMU_NORMAL_PT_UPDATE;
    unsigned i = 0;
    for (auto _ : state) {
        Rc rc = m.core->mmu_update(kGuest, ptr, vals[i & 1U]);
        benchmark::DoNotOptimize(rc);
        ++i;
    }
    m.core->take_effects(kGuest);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// The fast path: only the accessed bit changes (same frame, same rights), so
// no references are taken or dropped.
void BM_MmuUpdate_L1Entry_FastPath(benchmark::State& state) {
    Machine m;
    const std::uint32_t data = m.frame(kGuest);
    const std::uint32_t l1 = m.address_space(kGuest, data);
    const std::uint32_t target = m.frame(kGuest);
    const std::uint64_t vals[2] = {pte(target, kPteP | kPteUS | kPteRW),
                                   pte(target, kPteP | kPteUS | kPteRW | kPteA)};
    m.check(m.core->mmu_update(kGuest, maddr(l1, 5), vals[1]));
    if (!m.ok) {
        state.SkipWithError("setup failed");
        return;
    }
    const std::uint64_t ptr = maddr(l1, 5) | MMU_NORMAL_PT_UPDATE;
    unsigned i = 0;
    for (auto _ : state) {
        Rc rc = m.core->mmu_update(kGuest, ptr, vals[i & 1U]);
        benchmark::DoNotOptimize(rc);
        ++i;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// The hand-written twin of BM_MmuUpdate_L1Entry: the same checks and the same
// reference updates, on the same structure-of-arrays layout, written directly
// as one would in C - no value-domain templates, no State, no driver loop.
//
// What it skips, so that it is the *cheapest* honest version of this one
// path and any gap shows template or driver overhead:
//   - only validated L1 tables: a target that is an L2-L4 or plain memory is
//     refused instead of handled (the core handles both);
//   - table work: where the core would ask its driver to validate or
//     devalidate a frame (kNeedsTableWork), the twin returns -EBUSY;
//   - no per-domain effects array indexing beyond one byte for the flush.
// What it keeps: command decoding, bounds, ownership of the table, the
// transient type reference on the table, the grant-PTE refusal, the fast
// path, the flag whitelist, ownership and overflow checks on the new frame,
// the writable type rules (including the unvalidated-table refusal), the
// general reference, and freeing a frame whose count reaches zero.
//
// mmu_update_same_rules is the second twin: the same rules as the core for
// every level and for plain memory, still hand-written and still without
// table work. The first twin shows the floor for this one path; the second
// what hand-written code with the core's generality costs.
namespace twin {

enum : std::uint8_t { kAllocated = 1, kValidated = 4, kXenRef = 8 };
enum : std::uint8_t { kNone = 0, kL1 = 1, kL4 = 4, kWritable = 6 };

struct Machine {
    std::uint32_t nr = 0;
    std::vector<std::uint16_t> owner;
    std::vector<std::uint32_t> count;
    std::vector<std::uint8_t> type;
    std::vector<std::uint32_t> type_count;
    std::vector<std::uint8_t> flags;
    std::vector<std::uint64_t> mem; // nr * 512 words
    std::uint8_t effects = 0;
};

constexpr std::uint32_t kMax = 0x7fffffffU;

[[gnu::noinline]] void free_frame(Machine& m, std::uint32_t f) {
    m.owner[f] = 0x7ff4;
    m.type[f] = kNone;
    m.type_count[f] = 0;
    m.flags[f] = 0;
}

// noinline: the core's handler is an out-of-line call into enso_core, so the
// twin is one too (otherwise the benchmark loop would constant-fold d and ptr).
[[gnu::noinline]] int mmu_update(Machine& m, std::uint16_t d, std::uint64_t ptr,
                                 std::uint64_t val) {
    const std::uint64_t cmd = ptr & 3U;
    if (cmd != MMU_NORMAL_PT_UPDATE && cmd != MMU_PT_UPDATE_PRESERVE_AD) {
        return -XEN_ENOSYS;
    }
    if ((ptr >> 12) >= m.nr) {
        return -XEN_EINVAL;
    }
    const auto table = static_cast<std::uint32_t>(ptr >> 12);
    const auto slot = static_cast<std::uint32_t>((ptr & 4095U) >> 3);
    if ((m.flags[table] & kAllocated) == 0 || m.owner[table] != d) {
        return -XEN_EPERM;
    }
    std::uint64_t* entry = &m.mem[std::size_t{table} * 512 + slot];
    if (cmd == MMU_PT_UPDATE_PRESERVE_AD) {
        val |= *entry & (kPteA | kPteD);
    }
    if (m.type[table] != kL1 || (m.flags[table] & kValidated) == 0) {
        return -XEN_EINVAL; // twin: L1 only
    }
    if (m.type_count[table] >= kMax) {
        return -XEN_EOVERFLOW;
    }
    ++m.type_count[table];
    int rc = 0;
    const std::uint64_t old = *entry;
    const bool old_p = (old & kPteP) != 0;
    const auto old_f = static_cast<std::uint32_t>((old & kPteAddrMask) >> 12);
    if (old_p && (old_f >= m.nr || m.owner[old_f] != d)) {
        rc = -XEN_EPERM; // a grant PTE
    } else if (old_p && (val & kPteP) != 0 && ((old ^ val) & ~kFastPathBits) == 0) {
        if ((val & ~kL1Allowed) != 0) {
            rc = -XEN_EINVAL;
        } else {
            *entry = val;
        }
    } else {
        if ((val & kPteP) != 0) {
            const auto nf = static_cast<std::uint32_t>((val & kPteAddrMask) >> 12);
            if ((val & ~kL1Allowed) != 0) {
                rc = -XEN_EINVAL;
            } else if (nf >= m.nr || (m.flags[nf] & kAllocated) == 0 || m.owner[nf] != d) {
                rc = -XEN_EPERM;
            } else if (m.count[nf] >= kMax) {
                rc = -XEN_EOVERFLOW;
            } else if ((val & kPteRW) != 0) {
                const auto tc = m.type_count[nf];
                const auto t = m.type[nf];
                if (tc >= kMax) {
                    rc = -XEN_EOVERFLOW;
                } else if (tc == 0 && t >= kL1 && t <= kL4) {
                    rc = (m.flags[nf] & kValidated) == 0 ? -XEN_EINVAL : -XEN_EBUSY;
                } else if (tc != 0 && t != kWritable) {
                    rc = -XEN_EINVAL;
                } else {
                    m.type[nf] = kWritable;
                    m.type_count[nf] = tc + 1;
                }
            }
            if (rc == 0) {
                ++m.count[nf];
            }
        }
        if (rc == 0) {
            *entry = val;
            if (old_p) {
                if ((old & kPteRW) != 0) {
                    --m.type_count[old_f];
                }
                if (--m.count[old_f] == 0) {
                    free_frame(m, old_f);
                }
            }
        }
    }
    --m.type_count[table];
    return rc;
}

// Takes a type reference of type t on frame f, or fails where the core
// would validate, devalidate or refuse.
inline int get_type(Machine& m, std::uint32_t f, std::uint8_t t) {
    const auto tc = m.type_count[f];
    const auto cur = m.type[f];
    if (tc >= kMax) {
        return -XEN_EOVERFLOW;
    }
    if (tc == 0) {
        const bool table = cur >= kL1 && cur <= kL4;
        if (table && (m.flags[f] & kValidated) == 0) {
            return -XEN_EINVAL;
        }
        if (cur != t) {
            if (table || (t >= kL1 && t <= kL4)) {
                return -XEN_EBUSY; // the core would do table work here
            }
            m.type[f] = t;
        }
    } else if (cur != t) {
        return -XEN_EINVAL;
    }
    m.type_count[f] = tc + 1;
    return 0;
}

inline void put(Machine& m, std::uint32_t f) {
    if (--m.count[f] == 0) {
        free_frame(m, f);
    }
}

[[gnu::noinline]] int mmu_update_same_rules(Machine& m, std::uint16_t d, std::uint64_t ptr,
                                            std::uint64_t val) {
    const std::uint64_t cmd = ptr & 3U;
    if (cmd != MMU_NORMAL_PT_UPDATE && cmd != MMU_PT_UPDATE_PRESERVE_AD) {
        return -XEN_ENOSYS;
    }
    if ((ptr >> 12) >= m.nr) {
        return -XEN_EINVAL;
    }
    const auto table = static_cast<std::uint32_t>(ptr >> 12);
    const auto slot = static_cast<std::uint32_t>((ptr & 4095U) >> 3);
    if ((m.flags[table] & kAllocated) == 0 || m.owner[table] != d) {
        return -XEN_EPERM;
    }
    std::uint64_t* entry = &m.mem[std::size_t{table} * 512 + slot];
    if (cmd == MMU_PT_UPDATE_PRESERVE_AD) {
        val |= *entry & (kPteA | kPteD);
    }
    const std::uint8_t level = m.type[table];
    if (level < kL1 || level > kL4 || (m.flags[table] & kValidated) == 0) {
        if ((m.flags[table] & kXenRef) != 0) {
            return -XEN_EPERM;
        }
        if (const int rc = get_type(m, table, kWritable); rc != 0) {
            return rc;
        }
        *entry = val;
        if (--m.type_count[table] == 0 && level == kNone) {
            m.type[table] = kNone;
        }
        return 0;
    }
    if (m.type_count[table] >= kMax) {
        return -XEN_EOVERFLOW;
    }
    ++m.type_count[table];
    int rc = 0;
    const std::uint64_t old = *entry;
    const bool old_p = (old & kPteP) != 0;
    const auto old_f = static_cast<std::uint32_t>((old & kPteAddrMask) >> 12);
    const std::uint64_t allowed = level == kL1 ? kL1Allowed : kLnAllowed;
    if (level == kL1 && old_p && (old_f >= m.nr || m.owner[old_f] != d)) {
        rc = -XEN_EPERM; // a grant PTE
    } else if (old_p && (val & kPteP) != 0 && ((old ^ val) & ~kFastPathBits) == 0) {
        if ((val & ~allowed) != 0) {
            rc = -XEN_EINVAL;
        } else {
            *entry = val;
        }
    } else {
        const auto nf = static_cast<std::uint32_t>((val & kPteAddrMask) >> 12);
        if ((val & kPteP) != 0) {
            if ((val & ~allowed) != 0) {
                rc = -XEN_EINVAL;
            } else if (nf >= m.nr || (m.flags[nf] & kAllocated) == 0 || m.owner[nf] != d) {
                rc = -XEN_EPERM;
            } else if (m.count[nf] >= kMax) {
                rc = -XEN_EOVERFLOW;
            } else if (level != kL1) {
                rc = get_type(m, nf, static_cast<std::uint8_t>(level - 1));
            } else if ((val & kPteRW) != 0) {
                rc = get_type(m, nf, kWritable);
            }
            if (rc == 0) {
                ++m.count[nf];
            }
        }
        if (rc == 0) {
            *entry = val;
            if (old_p) {
                if (level != kL1 || (old & kPteRW) != 0) {
                    --m.type_count[old_f];
                }
                put(m, old_f);
            }
        }
    }
    --m.type_count[table];
    return rc;
}

} // namespace twin

template <int (*Update)(twin::Machine&, std::uint16_t, std::uint64_t, std::uint64_t)>
void run_twin(benchmark::State& state) {
    twin::Machine m;
    m.nr = kFrames;
    m.owner.assign(kFrames, 0x7ff4);
    m.count.assign(kFrames, 0);
    m.type.assign(kFrames, twin::kNone);
    m.type_count.assign(kFrames, 0);
    m.flags.assign(kFrames, 0);
    m.mem.assign(std::size_t{kFrames} * 512, 0);
    // Frames 10 (the L1, pinned and validated), 11 and 12 (data) owned by d2.
    for (std::uint32_t f : {10U, 11U, 12U}) {
        m.owner[f] = kGuest;
        m.count[f] = 1;
        m.flags[f] = twin::kAllocated;
    }
    m.type[10] = twin::kL1;
    m.type_count[10] = 1;
    m.count[10] = 2;
    m.flags[10] |= twin::kValidated;
    const std::uint64_t vals[2] = {pte(11, kPteP | kPteUS | kPteRW),
                                   pte(12, kPteP | kPteUS | kPteRW)};
    const std::uint64_t ptr = maddr(10, 5) | MMU_NORMAL_PT_UPDATE;
    if (Update(m, kGuest, ptr, vals[1]) != 0) {
        state.SkipWithError("setup failed");
        return;
    }
    unsigned i = 0;
    for (auto _ : state) {
        int rc = Update(m, kGuest, ptr, vals[i & 1U]);
        benchmark::DoNotOptimize(rc);
        ++i;
    }
    benchmark::DoNotOptimize(m.effects);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
void BM_Twin_MmuUpdate_L1Entry(benchmark::State& state) {
    run_twin<twin::mmu_update>(state);
}
void BM_Twin_MmuUpdate_SameRules(benchmark::State& state) {
    run_twin<twin::mmu_update_same_rules>(state);
}

// Pin an L1 whose 512 entries are all present and writable (each a distinct
// data frame), unpin it, then devalidate it, so that every iteration is a full
// validation (512 x general + writable-type reference) and a full release.
// Items are entries validated.
void BM_PinValidate512_Unpin_Devalidate_L1(benchmark::State& state) {
    Machine m;
    const std::uint32_t l1 = m.frame(kGuest);
    for (std::uint32_t slot = 0; slot < kEntriesPerTable; ++slot) {
        m.check(m.core->mmu_update(kGuest, maddr(l1, slot),
                                   pte(m.frame(kGuest), kPteP | kPteUS | kPteRW)));
    }
    if (!m.ok) {
        state.SkipWithError("setup failed");
        return;
    }
    for (auto _ : state) {
        Rc rc = m.core->pin_table(kGuest, l1, kTypeL1);
        benchmark::DoNotOptimize(rc);
        rc = m.core->unpin_table(kGuest, l1);
        benchmark::DoNotOptimize(rc);
        m.core->devalidate_table(l1);
    }
    if (m.core->pin_table(kGuest, l1, kTypeL1) != kOk) {
        state.SkipWithError("pin failed");
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kEntriesPerTable);
}

// --- Grant tables ---------------------------------------------------------------

// Domain 0 maps a guest's grant (no PTE: the monitor reaches the frame by
// machine address) and unmaps it.
void BM_GrantMapUnmap_Dom0(benchmark::State& state) {
    Machine m;
    std::vector<std::uint32_t> frames;
    m.check(m.core->grant_setup_table(kGranter, 1, frames));
    const std::uint32_t page = m.frame(kGranter);
    if (!m.ok) {
        state.SkipWithError("setup failed");
        return;
    }
    m.core->grant_write_entry(kGranter, 3, GTF_permit_access, 0, page);
    for (auto _ : state) {
        std::uint32_t handle = 0;
        std::uint64_t bus = 0;
        Rc rc = m.core->grant_map(0, kGranter, 3, GNTMAP_host_map, 0, handle, bus);
        benchmark::DoNotOptimize(rc);
        benchmark::DoNotOptimize(bus);
        rc = m.core->grant_unmap(0, handle, 0);
        benchmark::DoNotOptimize(rc);
    }
    if (!m.core->grant_end_access(kGranter, 3)) {
        state.SkipWithError("grant left mapped");
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// A guest maps a grant writably with a PTE in its own L1 (GNTMAP_contains_pte)
// and unmaps it (the PTE is checked and cleared).
void BM_GrantMapUnmap_GuestPte(benchmark::State& state) {
    Machine m;
    std::vector<std::uint32_t> frames;
    m.check(m.core->grant_setup_table(kGranter, 1, frames));
    const std::uint32_t page = m.frame(kGranter);
    const std::uint32_t l1 = m.address_space(kGuest, m.frame(kGuest));
    if (!m.ok) {
        state.SkipWithError("setup failed");
        return;
    }
    m.core->grant_write_entry(kGranter, 3, GTF_permit_access, kGuest, page);
    const std::uint64_t host = maddr(l1, 7);
    for (auto _ : state) {
        std::uint32_t handle = 0;
        std::uint64_t bus = 0;
        Rc rc = m.core->grant_map(kGuest, kGranter, 3, GNTMAP_host_map | GNTMAP_contains_pte, host,
                                  handle, bus);
        benchmark::DoNotOptimize(rc);
        rc = m.core->grant_unmap(kGuest, handle, host);
        benchmark::DoNotOptimize(rc);
    }
    m.core->take_effects(kGuest);
    if (!m.core->grant_end_access(kGranter, 3)) {
        state.SkipWithError("grant left mapped");
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// GNTTABOP_copy of a whole page from a grant into one of the caller's frames:
// both sides acquired and released (status bits, references, writable type).
void BM_GrantCopy_4KiB(benchmark::State& state) {
    Machine m;
    std::vector<std::uint32_t> frames;
    m.check(m.core->grant_setup_table(kGranter, 1, frames));
    const std::uint32_t page = m.frame(kGranter);
    const std::uint32_t mine = m.frame(kGuest);
    if (!m.ok) {
        state.SkipWithError("setup failed");
        return;
    }
    m.core->grant_write_entry(kGranter, 3, GTF_permit_access | GTF_readonly, kGuest, page);
    const CopySide<Concrete> src{true, 3, kGranter, 0};
    const CopySide<Concrete> dst{false, mine, DOMID_SELF, 0};
    for (auto _ : state) {
        Rc rc = m.core->grant_copy(kGuest, src, dst, kPageSize);
        benchmark::DoNotOptimize(rc);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(kPageSize));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// Twin of BM_GrantCopy_4KiB: the 4 KiB memmove alone, between two frames of
// the same machine-memory buffer.
void BM_Twin_Memcpy_4KiB(benchmark::State& state) {
    std::vector<std::byte> memory(std::size_t{kFrames} * kPageSize);
    std::byte* src = memory.data() + 100 * kPageSize;
    std::byte* dst = memory.data() + 200 * kPageSize;
    for (auto _ : state) {
        benchmark::DoNotOptimize(src);
        benchmark::DoNotOptimize(dst);
        std::memmove(dst, src, kPageSize);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(kPageSize));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// --- Event channels -------------------------------------------------------------

// EVTCHNOP_send on a connected interdomain channel, then the receiver's
// acknowledgement (clear upcall flag, selector and pending bit, take the
// effect), so each iteration is a full delivery with an upcall.
void BM_EvtchnSend_Deliver(benchmark::State& state) {
    Machine m;
    std::uint32_t pa = 0;
    std::uint32_t pb = 0;
    m.check(m.core->evtchn_alloc_unbound(kGranter, DOMID_SELF, kGuest, pa));
    m.check(m.core->evtchn_bind_interdomain(kGuest, kGranter, pa, pb));
    if (!m.ok) {
        state.SkipWithError("setup failed");
        return;
    }
    const auto& mem = m.core->state().mem;
    const std::uint32_t si = m.core->state().doms.shared_info.get(kGuest);
    const std::uint64_t bit = std::uint64_t{1} << (pb & 63U);
    std::uint64_t upcalls = 0;
    for (auto _ : state) {
        Rc rc = m.core->evtchn_send(kGranter, pa);
        benchmark::DoNotOptimize(rc);
        upcalls += (m.core->take_effects(kGuest) & kEffectUpcall) != 0 ? 1 : 0;
        mem.store64(si, kUpcallPendingWord, 0);
        mem.store64(si, kPendingSelWord, 0);
        mem.fetch_and64(si, kEvtchnPendingWord + (pb >> 6), ~bit);
    }
    if (upcalls != static_cast<std::uint64_t>(state.iterations())) {
        state.SkipWithError("not every send delivered an upcall");
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

} // namespace

int main(int argc, char** argv) {
    enso::bench::prepare_suite_process();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 2;
    }
    // Names follow <suite>/<operation>/<mode>: "native" rows are the
    // hand-written twins (plain arrays, the same rules where named so).
    const std::pair<const char*, void (*)(benchmark::State&)> benchmarks[] = {
        {"core/mmu_update/inprocess", BM_MmuUpdate_L1Entry},
        {"core/mmu_update_fastpath/inprocess", BM_MmuUpdate_L1Entry_FastPath},
        {"core/mmu_update_l1_only/native", BM_Twin_MmuUpdate_L1Entry},
        {"core/mmu_update/native", BM_Twin_MmuUpdate_SameRules},
        {"core/pin_validate_512/inprocess", BM_PinValidate512_Unpin_Devalidate_L1},
        {"core/grant_map_unmap_dom0/inprocess", BM_GrantMapUnmap_Dom0},
        {"core/grant_map_unmap_pte/inprocess", BM_GrantMapUnmap_GuestPte},
        {"core/grant_copy_4k/inprocess", BM_GrantCopy_4KiB},
        {"core/grant_copy_4k/native", BM_Twin_Memcpy_4KiB},
        {"core/evtchn_send/inprocess", BM_EvtchnSend_Deliver},
    };
    for (const auto& [name, fn] : benchmarks) {
        enso::bench::register_interruptible(name, fn);
    }
    benchmark::AddCustomContext("enso_suite", "core");
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
