// libFuzzer harness for the core: a small machine (128 frames, domains 0..3
// with small quotas) driven by a sequence of operations decoded from the
// input - raw hypercalls through the Dispatcher with hostile registers,
// guest writes into the caller's own ordinary frames (how a guest prepares
// argument structures), and direct Core calls. After every operation every
// invariant is checked; a violation prints the operations so far and aborts.
//
// Deterministic: the machine is rebuilt for every input, nothing survives
// between inputs, no clocks. Run a crash file again to see its trace:
//   build/fuzz/tests/fuzz/core_fuzzer crash-<sha1>
// ENSO_FUZZ_TRACE=1 prints every operation as it runs (not only on failure).
#include "hvcore/core/core.hpp"
#include "hvcore/core/event_channel_ops.hpp"
#include "hvcore/core/frame_refs.hpp"
#include "hvcore/core/grant_ops.hpp"
#include "hvcore/core/guest_memory.hpp"
#include "hvcore/core/hypercall_dispatch.hpp"
#include "hvcore/core/invariants.hpp"
#include "hvcore/core/page_table_entry.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using namespace enso::core;

constexpr std::uint32_t kFrames = 128;
constexpr std::uint16_t kGuests = 3; // domains 0..kGuests
constexpr std::uint32_t kDom0Quota = 32;
constexpr std::uint32_t kQuota = 24;
constexpr std::size_t kMaxOps = 256;

// Set once from the environment before any input runs: configuration, not state.
bool g_trace = false; // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)

// The operations an input is made of; the first byte of each picks one.
enum Op : std::uint8_t {
    kOpReserve,
    kOpRelease,
    kOpMmuUpdate,
    kOpPin,
    kOpUnpin,
    kOpNewBaseptr,
    kOpUpdateVa,
    kOpGrantSetup,
    kOpGrantWrite,
    kOpGrantEndAccess,
    kOpGrantMap,
    kOpGrantUnmap,
    kOpGrantCopy,
    kOpEvtchnAlloc,
    kOpEvtchnBind,
    kOpEvtchnPort,
    kOpEvtchnMask,
    kOpLifecycle,
    kOpBuildAddressSpace,
    kOpStageSet,
    kOpStageBytes,
    kOpStageWord,
    kOpHypercall,
    kOpStagedHypercall,
    kOpGrantUnmapReplace,
    kOpCount,
};

constexpr std::array<std::uint64_t, 10> kHypercalls = {
    __HYPERVISOR_mmu_update, __HYPERVISOR_mmuext_op,      __HYPERVISOR_update_va_mapping,
    __HYPERVISOR_memory_op,  __HYPERVISOR_grant_table_op, __HYPERVISOR_event_channel_op,
    __HYPERVISOR_multicall,  __HYPERVISOR_console_io,     __HYPERVISOR_xen_version,
    __HYPERVISOR_sched_op,
};

constexpr std::array<std::uint64_t, 10> kPteFlags = {
    0,
    kPteP,
    kPteP | kPteRW,
    kPteP | kPteUS,
    kPteP | kPteUS | kPteRW,
    kPteP | kPteUS | kPteA | kPteD,
    kPteP | kPtePSE,
    kPteP | kPteRW | kPtePCD,
    kPteP | kPteNX | kPteRW | kPteUS,
    kPteP | kPteG,
};

std::uint64_t maddr(std::uint32_t frame, std::uint32_t slot) {
    return (std::uint64_t{frame} << kPageShift) | (std::uint64_t{slot & 511U} << 3);
}

class Harness {
public:
    explicit Harness(FuzzedDataProvider& in)
        : in_(in), memory_(std::size_t{kFrames} * kPageSize), core_(memory_), dispatch_(core_) {
        for (std::uint16_t d = 0; d <= kGuests; ++d) {
            const Rc rc = core_.create_domain(d, d == 0 ? kDom0Quota : kQuota);
            log("create d%u -> %d", d, rc);
        }
        check("setup");
    }

    void run() {
        for (std::size_t i = 0; i < kMaxOps && in_.remaining_bytes() > 0; ++i) {
            step();
            check("op");
        }
    }

private:
    // --- the trace, printed when an invariant breaks ---------------------------

    [[gnu::format(printf, 2, 3)]] void log(const char* fmt, ...) {
        char line[256];
        va_list ap;
        va_start(ap, fmt);
        std::vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        trace_.emplace_back(line);
        if (g_trace) {
            std::fprintf(stderr, "  %3zu  %s\n", trace_.size() - 1, line);
        }
    }

    void check(const char* when) {
        const auto violations = check_invariants(core_.state());
        if (violations.empty()) {
            return;
        }
        std::fprintf(stderr, "\n==== enso core_fuzzer: invariant violated after %s %zu ====\n",
                     when, trace_.size() - 1);
        if (!g_trace) {
            for (std::size_t i = 0; i < trace_.size(); ++i) {
                std::fprintf(stderr, "  %3zu  %s\n", i, trace_[i].c_str());
            }
        }
        std::fprintf(stderr, "violations:\n%s", describe(violations).c_str());
        std::abort();
    }

    // --- choices from the input ------------------------------------------------

    template <class T>
    T any() {
        return in_.ConsumeIntegral<T>();
    }
    template <class T>
    T range(T lo, T hi) {
        return in_.ConsumeIntegralInRange<T>(lo, hi);
    }
    bool coin() { return in_.ConsumeBool(); }

    // The domain an operation runs as.
    std::uint16_t caller() { return range<std::uint16_t>(0, kGuests); }

    // A domain id a guest names: a guest, DOMID_SELF, a dead one, or noise.
    std::uint16_t named_domid() {
        switch (range<int>(0, 7)) {
        case 0:
            return DOMID_SELF;
        case 1:
            return range<std::uint16_t>(kGuests + 1, kMaxDomains + 1);
        case 2:
            return any<std::uint16_t>();
        default:
            return range<std::uint16_t>(0, kGuests);
        }
    }

    [[nodiscard]] const CState& s() const { return core_.state(); }

    [[nodiscard]] bool guest_writable(std::uint16_t d, std::uint32_t f) const {
        if (d >= kMaxDomains || f == 0 || !owned_by<Concrete>(s(), f, d) ||
            frame_has<Concrete>(s(), f, kFrameXenRef)) {
            return false;
        }
        const auto t = s().frames.type.get(f);
        return !is_pagetable_type<Concrete>(t) && t != kTypeSegDesc;
    }

    template <class Pred>
    std::uint32_t pick_frame(Pred&& pred) {
        const auto idx = any<std::uint8_t>();
        std::uint32_t n = 0;
        for (std::uint32_t f = 1; f < kFrames; ++f) {
            n += pred(f) ? 1 : 0;
        }
        if (n == 0) {
            return kNoFrame;
        }
        std::uint32_t want = idx % n;
        for (std::uint32_t f = 1; f < kFrames; ++f) {
            if (pred(f) && want-- == 0) {
                return f;
            }
        }
        return kNoFrame;
    }

    // Mostly a frame d owns; sometimes another's, any in range, or noise.
    std::uint32_t frame_for(std::uint16_t d) {
        const auto mode = range<int>(0, 9);
        std::uint32_t f = kNoFrame;
        if (mode <= 5) {
            f = pick_frame([&](std::uint32_t x) { return owned_by<Concrete>(s(), x, d); });
        } else if (mode == 6) {
            f = pick_frame([&](std::uint32_t x) {
                return frame_has<Concrete>(s(), x, kFrameAllocated) && s().frames.owner.get(x) != d;
            });
        } else if (mode == 7) {
            f = pick_frame([&](std::uint32_t x) {
                return owned_by<Concrete>(s(), x, d) &&
                       is_pagetable_type<Concrete>(s().frames.type.get(x));
            });
        } else if (mode == 8) {
            return range<std::uint32_t>(0, kFrames + 4);
        } else {
            return any<std::uint32_t>();
        }
        return f != kNoFrame ? f : range<std::uint32_t>(0, kFrames + 4);
    }

    // Mostly a validated table of d at this level, else anything frame_for gives.
    std::uint32_t table_for(std::uint16_t d, std::uint8_t level) {
        if (range<int>(0, 3) != 0) {
            const auto f = pick_frame([&](std::uint32_t x) {
                return owned_by<Concrete>(s(), x, d) && s().frames.type.get(x) == level &&
                       frame_has<Concrete>(s(), x, kFrameValidated);
            });
            if (f != kNoFrame) {
                return f;
            }
        }
        return frame_for(d);
    }

    std::uint64_t pte_for(std::uint16_t d) {
        const auto i = range<std::size_t>(0, kPteFlags.size());
        const std::uint64_t flags =
            i < kPteFlags.size() ? kPteFlags[i] : any<std::uint64_t>() & 0x80000000000001ffULL;
        const std::uint64_t f = frame_for(d);
        return (f << kPageShift) | flags;
    }

    std::uint32_t ref_choice() {
        return coin() ? range<std::uint32_t>(0, 15) : any<std::uint32_t>();
    }
    std::uint32_t port_choice() {
        return coin() ? range<std::uint32_t>(0, 9) : any<std::uint32_t>();
    }

    // A low virtual address: where build_address_space maps data.
    std::uint64_t low_va() {
        const std::uint64_t page = range<std::uint32_t>(0, 15);
        return (page << kPageShift) + range<std::uint32_t>(0, 4095);
    }

    // The host address an unmap names: none, a low virtual address, a slot
    // of one of d's L1 tables, or anything.
    std::uint64_t unmap_address(std::uint16_t d) {
        switch (range<int>(0, 3)) {
        case 0:
            return 0;
        case 1:
            return low_va();
        case 2:
            return slot_maddr(table_for(d, kTypeL1));
        default:
            return any<std::uint64_t>();
        }
    }

    // The machine address of a slot in a table: table, then slot, then
    // (rarely) low bits that make it a different mmu_update command.
    std::uint64_t slot_maddr(std::uint32_t table) {
        const auto slot = range<std::uint32_t>(0, 511);
        const std::uint64_t low = range<int>(0, 7) == 0 ? range<std::uint64_t>(0, 7) : 0;
        return maddr(table, slot) | low;
    }

    // --- the staging area: where a guest lays out hypercall arguments -----------

    struct Stage {
        std::uint32_t frame = kNoFrame;
        std::uint32_t start = 0;
        std::uint32_t cursor = 0;
    };

    // The guest pointer to the start of d's staging area: a machine address
    // before d has a base pointer, else a low virtual address mapping it.
    std::uint64_t staged_ptr(std::uint16_t d) {
        const auto& st = stage_[d];
        if (st.frame == kNoFrame) {
            return low_va();
        }
        if (s().doms.baseptr.get(d) == kNoFrame) {
            return (std::uint64_t{st.frame} << kPageShift) + st.start;
        }
        const GuestMemory guest(s(), d);
        for (std::uint64_t page = 0; page < 16; ++page) {
            if (guest.translate(page << kPageShift, false) == st.frame) {
                return (page << kPageShift) + st.start;
            }
        }
        return low_va();
    }

    void stage_write(std::uint16_t d, const void* data, std::size_t n) {
        auto& st = stage_[d];
        if (n == 0) {
            log("stage write d%u: nothing left to write", d);
            return;
        }
        if (st.frame == kNoFrame || !guest_writable(d, st.frame) || st.cursor >= kPageSize) {
            log("stage write d%u: no writable stage", d);
            return;
        }
        const std::size_t len = std::min<std::size_t>(n, kPageSize - st.cursor);
        std::memcpy(s().mem.frame(st.frame) + st.cursor, data, len);
        log("stage write d%u f%u+%u len %zu", d, st.frame, st.cursor, len);
        st.cursor += static_cast<std::uint32_t>(len);
    }

    // An argument register, as a hostile guest might fill it.
    std::uint64_t reg(std::uint16_t d) {
        switch (range<int>(0, 9)) {
        case 0:
            return range<std::uint64_t>(0, 16);
        case 1:
        case 2:
            return staged_ptr(d);
        case 3:
            return staged_ptr(d) + range<std::uint64_t>(0, 64);
        case 4: {
            const std::uint64_t f = frame_for(d);
            return (f << kPageShift) + range<std::uint64_t>(0, 4095);
        }
        case 5:
            return coin() ? (std::uint64_t{kFrames} << kPageShift) + any<std::uint16_t>()
                          : ~std::uint64_t{0} - range<std::uint64_t>(0, 4096);
        case 6:
            return DOMID_SELF;
        case 7:
            return low_va();
        default:
            return any<std::uint64_t>();
        }
    }

    // --- operations ------------------------------------------------------------

    void step() {
        const auto op = static_cast<Op>(any<std::uint8_t>() % kOpCount);
        const auto d = caller();
        switch (op) {
        case kOpReserve: {
            std::uint32_t f = kNoFrame;
            const Rc rc = core_.reserve_frame(d, f);
            log("reserve d%u -> %d f%u", d, rc, f);
            break;
        }
        case kOpRelease: {
            const auto f = frame_for(d);
            log("release d%u f%u -> %d", d, f, core_.release_frame(d, f));
            break;
        }
        case kOpMmuUpdate: {
            const auto table = coin() ? table_for(d, range<std::uint8_t>(1, 4)) : frame_for(d);
            const auto ptr = slot_maddr(table);
            const auto val = coin() ? pte_for(d) : any<std::uint64_t>();
            log("mmu_update d%u ptr 0x%llx val 0x%llx -> %d", d,
                static_cast<unsigned long long>(ptr), static_cast<unsigned long long>(val),
                core_.mmu_update(d, ptr, val));
            break;
        }
        case kOpPin: {
            const auto f = frame_for(d);
            const auto level = range<std::uint8_t>(0, 5);
            log("pin d%u f%u L%u -> %d", d, f, level, core_.pin_table(d, f, level));
            break;
        }
        case kOpUnpin: {
            const auto f = frame_for(d);
            log("unpin d%u f%u -> %d", d, f, core_.unpin_table(d, f));
            break;
        }
        case kOpNewBaseptr: {
            const auto f = coin() ? table_for(d, kTypeL4) : frame_for(d);
            log("new_baseptr d%u f%u -> %d", d, f, core_.new_baseptr(d, f));
            break;
        }
        case kOpUpdateVa: {
            const auto va =
                coin() ? low_va() & ~std::uint64_t{kPageSize - 1} : any<std::uint64_t>();
            const auto val = pte_for(d);
            const auto flags = coin() ? std::uint64_t{UVMF_INVLPG} : range<std::uint64_t>(0, 7);
            log("update_va_mapping d%u va 0x%llx val 0x%llx flags %llu -> %d", d,
                static_cast<unsigned long long>(va), static_cast<unsigned long long>(val),
                static_cast<unsigned long long>(flags), core_.update_va_mapping(d, va, val, flags));
            break;
        }
        case kOpGrantSetup: {
            std::vector<std::uint32_t> frames;
            const auto n = range<std::uint32_t>(0, 5);
            log("gnttab setup d%u n%u -> %d", d, n, core_.grant_setup_table(d, n, frames));
            break;
        }
        case kOpGrantWrite: {
            // The granter's side as the v1 protocol has it: fill an entry no
            // one is using (the status bits are the core's to set).
            const auto ref = ref_choice();
            const auto grantee = named_domid();
            const auto flags = static_cast<std::uint16_t>(
                coin() ? (coin() ? GTF_permit_access : GTF_permit_access | GTF_readonly)
                       : any<std::uint16_t>() & ~(GTF_reading | GTF_writing));
            const auto f = frame_for(d);
            if (!core_.domain_exists(d) || ref >= nr_grant_refs<Concrete>(s(), d)) {
                log("gnttab write d%u ref %u: no such entry", d, ref);
                break;
            }
            const auto cur = s().mem.load64(grant_entry_frame<Concrete>(s(), d, ref),
                                            grant_entry_word<Concrete>(ref));
            if ((cur & (GTF_reading | GTF_writing)) != 0) {
                log("gnttab write d%u ref %u: in use", d, ref);
                break;
            }
            core_.grant_write_entry(d, ref, flags, grantee, f);
            log("gnttab write d%u ref %u -> d%u f%u flags 0x%x", d, ref, grantee, f, flags);
            break;
        }
        case kOpGrantEndAccess: {
            const auto ref = ref_choice();
            if (!core_.domain_exists(d) || ref >= nr_grant_refs<Concrete>(s(), d)) {
                log("gnttab end_access d%u ref %u: no such entry", d, ref);
                break;
            }
            log("gnttab end_access d%u ref %u -> %d", d, ref,
                core_.grant_end_access(d, ref) ? 1 : 0);
            break;
        }
        case kOpGrantMap: {
            const auto granter = named_domid();
            const auto ref = ref_choice();
            std::uint32_t flags =
                any<std::uint8_t>() & (GNTMAP_device_map | GNTMAP_host_map | GNTMAP_readonly |
                                       GNTMAP_application_map | GNTMAP_contains_pte);
            if (range<int>(0, 15) == 0) {
                flags = any<std::uint32_t>();
            }
            std::uint64_t host = 0;
            switch (range<int>(0, 3)) {
            case 0:
                host = low_va();
                break;
            case 1:
                host = any<std::uint64_t>();
                break;
            default:
                host = slot_maddr(table_for(d, kTypeL1));
                break;
            }
            std::uint32_t handle = kNoHandle;
            std::uint64_t bus = 0;
            const Rc rc = core_.grant_map(d, granter, ref, flags, host, handle, bus);
            log("gnttab map d%u <- d%u:%u flags 0x%x host 0x%llx -> %d h%u", d, granter, ref, flags,
                static_cast<unsigned long long>(host), rc, handle);
            break;
        }
        case kOpGrantUnmap: {
            const auto handle = coin() ? range<std::uint32_t>(0, 7) : any<std::uint32_t>();
            const std::uint64_t host = unmap_address(d);
            // The device mapping's address: none, a frame's (the granted one or
            // another) or anything.
            std::uint64_t bus = 0;
            switch (range<int>(0, 2)) {
            case 0:
                break;
            case 1:
                bus = std::uint64_t{frame_for(d)} << kPageShift;
                break;
            default:
                bus = any<std::uint64_t>();
                break;
            }
            log("gnttab unmap d%u h%u host 0x%llx bus 0x%llx -> %d", d, handle,
                static_cast<unsigned long long>(host), static_cast<unsigned long long>(bus),
                core_.grant_unmap(d, handle, host, bus));
            break;
        }
        case kOpGrantUnmapReplace: {
            const auto handle = coin() ? range<std::uint32_t>(0, 7) : any<std::uint32_t>();
            const std::uint64_t host = unmap_address(d);
            const std::uint64_t fresh = coin() ? low_va() : any<std::uint64_t>();
            log("gnttab unmap_and_replace d%u h%u host 0x%llx new 0x%llx -> %d", d, handle,
                static_cast<unsigned long long>(host), static_cast<unsigned long long>(fresh),
                core_.grant_unmap_and_replace(d, handle, host, fresh));
            break;
        }
        case kOpGrantCopy: {
            auto side = [&]() {
                CopySide<Concrete> c{};
                c.is_gref = coin();
                c.ref_or_frame = c.is_gref ? ref_choice() : frame_for(d);
                c.domid = c.is_gref ? named_domid() : (coin() ? DOMID_SELF : named_domid());
                c.offset = coin() ? range<std::uint32_t>(0, 4096) : any<std::uint32_t>();
                return c;
            };
            const auto src = side();
            const auto dst = side();
            const auto len = coin() ? range<std::uint32_t>(0, 4096) : any<std::uint32_t>();
            log("gnttab copy d%u src %s%u@d%u+%u dst %s%u@d%u+%u len %u -> %d", d,
                src.is_gref ? "ref" : "f", src.ref_or_frame, src.domid, src.offset,
                dst.is_gref ? "ref" : "f", dst.ref_or_frame, dst.domid, dst.offset, len,
                core_.grant_copy(d, src, dst, len));
            break;
        }
        case kOpEvtchnAlloc: {
            const auto dom = coin() ? std::uint16_t{DOMID_SELF} : named_domid();
            const auto remote = named_domid();
            std::uint32_t port = 0;
            const Rc rc = core_.evtchn_alloc_unbound(d, dom, remote, port);
            log("evtchn alloc d%u dom %u remote %u -> %d p%u", d, dom, remote, rc, port);
            break;
        }
        case kOpEvtchnBind: {
            auto remote = named_domid();
            auto rport = port_choice();
            if (coin()) { // an unbound port someone offered to d, if any
                for (std::uint16_t rd = 0; rd <= kGuests; ++rd) {
                    for (std::uint32_t p = 1; p < 16; ++p) {
                        const auto pi = port_index<Concrete>(rd, p);
                        if (s().evtchn.state.get(pi) == EVTCHNSTAT_unbound &&
                            s().evtchn.remote_dom.get(pi) == d) {
                            remote = rd;
                            rport = p;
                        }
                    }
                }
            }
            std::uint32_t port = 0;
            const Rc rc = core_.evtchn_bind_interdomain(d, remote, rport, port);
            log("evtchn bind d%u to d%u:%u -> %d p%u", d, remote, rport, rc, port);
            break;
        }
        case kOpEvtchnPort: {
            const auto port = port_choice();
            switch (range<int>(0, 3)) {
            case 0:
                log("evtchn send d%u:%u -> %d", d, port, core_.evtchn_send(d, port));
                break;
            case 1:
                log("evtchn close d%u:%u -> %d", d, port, core_.evtchn_close(d, port));
                break;
            case 2:
                log("evtchn unmask d%u:%u -> %d", d, port, core_.evtchn_unmask(d, port));
                break;
            default:
                log("evtchn pending d%u:%u -> %d", d, port, core_.evtchn_pending(d, port) ? 1 : 0);
                break;
            }
            break;
        }
        case kOpEvtchnMask: {
            // The guest masks and unmasks ports in its shared_info, as the
            // 2-level ABI has it (the mask words are the guest's to write).
            const auto port = range<std::uint32_t>(0, kMaxPorts - 1);
            if (!core_.domain_exists(d)) {
                log("evtchn mask d%u: no domain", d);
                break;
            }
            const auto si = s().doms.shared_info.get(d);
            const auto bit = std::uint64_t{1} << (port & 63U);
            const bool set = coin();
            if (set) {
                s().mem.fetch_or64(si, kEvtchnMaskWord + (port >> 6), bit);
            } else {
                s().mem.fetch_and64(si, kEvtchnMaskWord + (port >> 6), ~bit);
            }
            log("evtchn %s d%u:%u", set ? "mask" : "clear mask", d, port);
            break;
        }
        case kOpLifecycle: {
            switch (range<int>(0, 3)) {
            case 0: {
                const auto quota = range<std::uint32_t>(0, kQuota + 8);
                const auto nd = range<int>(0, 7) == 0 ? any<std::uint16_t>() : d;
                log("create d%u quota %u -> %d", nd, quota, core_.create_domain(nd, quota));
                break;
            }
            case 1: {
                const auto nd = range<int>(0, 7) == 0 ? any<std::uint16_t>() : d;
                log("destroy d%u -> %d", nd, core_.destroy_domain(nd));
                break;
            }
            default:
                log("take_effects d%u -> 0x%x", d, core_.take_effects(d));
                break;
            }
            break;
        }
        case kOpBuildAddressSpace:
            build_address_space(d);
            break;
        case kOpStageSet: {
            auto& st = stage_[d];
            st.frame = pick_frame([&](std::uint32_t x) { return guest_writable(d, x); });
            st.start = coin() ? 0 : range<std::uint32_t>(0, 511) * 8;
            st.cursor = st.start;
            log("stage d%u f%u+%u", d, st.frame, st.start);
            break;
        }
        case kOpStageBytes: {
            const auto n = range<std::size_t>(1, 64);
            const auto bytes = in_.ConsumeBytes<std::uint8_t>(n);
            stage_write(d, bytes.data(), bytes.size());
            break;
        }
        case kOpStageWord: {
            // One 64-bit word of an argument structure, built from parts a
            // guest knows: a PTE, a table slot's machine address, a frame
            // number, a small field pair, a pointer to the stage, or noise.
            std::uint64_t w = 0;
            switch (range<int>(0, 7)) {
            case 0:
                w = pte_for(d);
                break;
            case 1:
                w = slot_maddr(coin() ? table_for(d, range<std::uint8_t>(1, 4)) : frame_for(d));
                break;
            case 2:
                w = frame_for(d);
                break;
            case 3: {
                const auto lo = range<std::uint64_t>(0, 16);
                w = lo | (range<std::uint64_t>(0, 16) << 32);
                break;
            }
            case 4: {
                const auto lo = range<std::uint64_t>(0, 16);
                const std::uint64_t dom = named_domid();
                w = lo | (dom << 16) | (std::uint64_t{ref_choice()} << 32);
                break;
            }
            case 5:
                w = staged_ptr(d) + range<std::uint64_t>(0, 8) * 8;
                break;
            case 6:
                w = low_va();
                break;
            default:
                w = any<std::uint64_t>();
                break;
            }
            stage_write(d, &w, sizeof w);
            break;
        }
        case kOpHypercall:
        case kOpStagedHypercall: {
            std::uint64_t nr = 0;
            const auto which = range<std::size_t>(0, kHypercalls.size() + 1);
            if (which < kHypercalls.size()) {
                nr = kHypercalls[which];
            } else if (which == kHypercalls.size()) {
                nr = range<std::uint64_t>(0, 64);
            } else {
                nr = any<std::uint64_t>();
            }
            HypercallArgs a{};
            if (op == kOpStagedHypercall) {
                // The common shapes: (cmd, ptr, count) and (ptr, count, done, self).
                const bool list_first = nr == __HYPERVISOR_mmu_update ||
                                        nr == __HYPERVISOR_mmuext_op ||
                                        nr == __HYPERVISOR_multicall;
                if (list_first) {
                    a = {staged_ptr(d), range<std::uint64_t>(0, 8), coin() ? 0 : reg(d), DOMID_SELF,
                         reg(d)};
                } else {
                    a = {range<std::uint64_t>(0, 12), staged_ptr(d), range<std::uint64_t>(0, 4),
                         reg(d), reg(d)};
                }
            } else {
                for (auto& r : a) {
                    r = reg(d);
                }
            }
            const auto hd = range<int>(0, 15) == 0 ? any<std::uint16_t>() : d;
            const long rc = dispatch_.call(hd, nr, a);
            log("hypercall d%u nr %llu (0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx) -> %ld", hd,
                static_cast<unsigned long long>(nr), static_cast<unsigned long long>(a[0]),
                static_cast<unsigned long long>(a[1]), static_cast<unsigned long long>(a[2]),
                static_cast<unsigned long long>(a[3]), static_cast<unsigned long long>(a[4]), rc);
            break;
        }
        default:
            break;
        }
    }

    // A pinned four-level address space mapping va 0 (as a guest kernel
    // builds at boot); every step may fail.
    void build_address_space(std::uint16_t d) {
        std::uint32_t f[5] = {};
        for (auto& frame : f) {
            if (core_.reserve_frame(d, frame) != kOk) {
                log("build d%u: out of frames", d);
                return;
            }
        }
        const std::uint64_t flags = kPteP | kPteUS | kPteRW;
        Rc rc = core_.mmu_update(d, maddr(f[1], 0), (std::uint64_t{f[0]} << kPageShift) | flags);
        for (std::uint8_t level = kTypeL2; level <= kTypeL4 && rc == kOk; ++level) {
            rc = core_.mmu_update(d, maddr(f[level], 0),
                                  (std::uint64_t{f[level - 1]} << kPageShift) | flags);
        }
        if (rc == kOk) {
            rc = core_.pin_table(d, f[4], kTypeL4);
        }
        if (rc == kOk) {
            rc = core_.new_baseptr(d, f[4]);
        }
        log("build d%u f%u..f%u root f%u -> %d", d, f[0], f[3], f[4], rc);
    }

    FuzzedDataProvider& in_;
    std::vector<std::byte> memory_;
    Core core_;
    Dispatcher dispatch_;
    std::array<Stage, kMaxDomains> stage_{};
    std::vector<std::string> trace_;
};

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    const char* t = std::getenv("ENSO_FUZZ_TRACE");
    g_trace = t != nullptr && *t != '\0' && *t != '0';
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    Harness h(in);
    h.run();
    return 0;
}
