// Seeded, reproducible random hypercall sequences from several domains, valid
// and invalid, with every invariant checked after every step. A failure
// prints the seed, the step and the recent operations; ENSO_SEED=N reruns one
// seed, ENSO_STEPS=N changes the length.
#include "test_machine.hpp"

#include <cstdlib>
#include <deque>
#include <map>
#include <random>
#include <sstream>
#include <string>

namespace enso::test {
namespace {

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
    const char* v = std::getenv(name);
    return v != nullptr ? std::strtoull(v, nullptr, 0) : fallback;
}

class RandomRun {
public:
    explicit RandomRun(std::uint64_t seed) : rng_(seed), machine_(kFrames) {
        for (std::uint16_t d = 1; d <= kGuests; ++d) {
            machine_.make_domain(d, kQuota);
        }
    }

    // Runs one random step; returns what it did, for the failure log.
    std::string step() {
        std::ostringstream what;
        const auto d = static_cast<std::uint16_t>(pick(0, kGuests));
        switch (pick(0, 20)) {
        case 0:
        case 1: {
            std::uint32_t f = kNoFrame;
            what << "reserve d" << d << " -> "
                 << record("reserve_frame", core().reserve_frame(d, f)) << " f" << f;
            break;
        }
        case 2: {
            const auto f = any_frame(d);
            what << "release d" << d << " f" << f << " -> "
                 << record("release_frame", core().release_frame(d, f));
            break;
        }
        case 3:
        case 4:
        case 5: {
            const auto table = any_frame(d);
            const auto slot = static_cast<std::uint32_t>(pick(0, 3));
            const auto val = random_pte(d);
            const auto cmd = pick(0, 9) == 0 ? pick(0, 3) : 0;
            what << "mmu_update d" << d << " f" << table << "[" << slot << "] = 0x" << std::hex
                 << val << std::dec << " cmd " << cmd << " -> "
                 << record("mmu_update",
                           core().mmu_update(d, TestMachine::maddr(table, slot) | cmd, val));
            break;
        }
        case 6: {
            const auto f = any_frame(d);
            const auto level = static_cast<std::uint8_t>(pick(1, 4));
            what << "pin d" << d << " f" << f << " L" << int{level} << " -> "
                 << record("pin_table L" + std::to_string(level), core().pin_table(d, f, level));
            break;
        }
        case 7: {
            const auto f = any_frame(d);
            what << "unpin d" << d << " f" << f << " -> "
                 << record("unpin_table", core().unpin_table(d, f));
            break;
        }
        case 8: {
            const auto f = any_frame(d);
            what << "new_baseptr d" << d << " f" << f << " -> "
                 << record("new_baseptr", core().new_baseptr(d, f));
            break;
        }
        case 9: {
            const std::uint64_t va = pick(0, 3) << kPageShift;
            const auto val = random_pte(d);
            what << "update_va_mapping d" << d << " va 0x" << std::hex << va << " = 0x" << val
                 << std::dec << " -> "
                 << record("update_va_mapping", core().update_va_mapping(d, va, val, UVMF_INVLPG));
            break;
        }
        case 10: {
            std::vector<std::uint32_t> frames;
            const auto n = static_cast<std::uint32_t>(pick(0, 5));
            what << "gnttab setup d" << d << " n" << n << " -> "
                 << record("grant_setup_table", core().grant_setup_table(d, n, frames));
            break;
        }
        case 11: {
            if (core().state().doms.gnttab_nr_frames.get(d) == 0 || !core().domain_exists(d)) {
                what << "gnttab write d" << d << ": no table";
                break;
            }
            const auto ref = static_cast<std::uint32_t>(pick(0, 7));
            const auto grantee = static_cast<std::uint16_t>(pick(0, kGuests));
            const std::uint16_t flags =
                pick(0, 1) != 0 ? GTF_permit_access : (GTF_permit_access | GTF_readonly);
            const auto f = any_frame(d);
            const auto cur = machine_.read_word(grant_entry_frame<Concrete>(core().state(), d, ref),
                                                grant_entry_word<Concrete>(ref));
            if ((cur & (GTF_reading | GTF_writing)) != 0 || pick(0, 3) == 0) {
                what << "gnttab end_access d" << d << " ref " << ref << " -> "
                     << record("grant_end_access", core().grant_end_access(d, ref));
                break;
            }
            core().grant_write_entry(d, ref, flags, grantee, f);
            what << "gnttab write d" << d << " ref " << ref << " to d" << grantee << " f" << f
                 << " flags " << flags;
            break;
        }
        case 12:
        case 13: {
            auto [granter, ref] = offered_grant(d);
            if (pick(0, 3) == 0) {
                granter = static_cast<std::uint16_t>(pick(0, kGuests));
                ref = static_cast<std::uint32_t>(pick(0, 7));
            }
            std::uint32_t flags = GNTMAP_host_map;
            if (pick(0, 1) != 0) {
                flags |= GNTMAP_readonly;
            }
            if (pick(0, 2) == 0) {
                flags |= GNTMAP_device_map;
            }
            std::uint64_t host_addr = 0;
            if (d != 0) {
                flags |= GNTMAP_contains_pte;
                host_addr = TestMachine::maddr(any_table(d, kTypeL1),
                                               static_cast<std::uint32_t>(pick(0, 7)));
            }
            std::uint32_t handle = 0;
            std::uint64_t bus = 0;
            what << "gnttab map d" << d << " <- d" << granter << ":" << ref << " flags " << flags
                 << " at 0x" << std::hex << host_addr << std::dec << " -> "
                 << record("grant_map",
                           core().grant_map(d, granter, ref, flags, host_addr, handle, bus))
                 << " h" << handle;
            break;
        }
        case 14: {
            // The whole handle, its host mapping, its device mapping, or its
            // PTE replaced by the entry at a small virtual address.
            const auto handle = static_cast<std::uint32_t>(pick(0, 5));
            const auto& g = core().state().grants;
            const auto mi = maptrack_index<Concrete>(d, handle % kMaxMaptrack);
            const std::uint64_t maddr = g.map_host_addr.get(mi);
            const std::uint64_t bus = std::uint64_t{g.act_frame.get(grant_index<Concrete>(
                                          g.map_granter.get(mi), g.map_ref.get(mi)))}
                                      << kPageShift;
            const auto how = pick(0, 3);
            if (how == 3) {
                const std::uint64_t va = pick(0, 7) * kPageSize;
                what << "gnttab unmap_and_replace d" << d << " h" << handle << " by 0x" << std::hex
                     << va << std::dec << " -> "
                     << record("grant_unmap_and_replace",
                               core().grant_unmap_and_replace(d, handle, maddr, va));
                break;
            }
            const std::uint64_t host = how == 1 ? (maddr != 0 ? maddr : 1) : 0;
            const std::uint64_t dev = how == 2 ? bus : 0;
            what << "gnttab unmap d" << d << " h" << handle << " host 0x" << std::hex << host
                 << " dev 0x" << dev << std::dec << " -> "
                 << record("grant_unmap", core().grant_unmap(d, handle, host, dev));
            break;
        }
        case 15: {
            const auto [gd, ref] = offered_grant(d);
            const CopySide<Concrete> src{pick(0, 3) != 0, ref, gd,
                                         static_cast<std::uint32_t>(pick(0, 1) * 2048)};
            const CopySide<Concrete> dst{false, any_frame(d), DOMID_SELF, 0};
            what << "gnttab copy d" << d << " -> "
                 << record(
                        "grant_copy",
                        core().grant_copy(d, src, dst, static_cast<std::uint32_t>(pick(1, 4096))));
            break;
        }
        case 16:
        case 17:
            what << evtchn_step(d);
            break;
        case 18:
            what << build_address_space(d);
            break;
        case 19:
            what << raw_hypercall(d);
            break;
        default:
            what << lifecycle_step();
            break;
        }
        return what.str();
    }

    Core& core() { return machine_.core(); }

    // How often each operation succeeded: a run that never reaches the
    // interesting states proves little, so the test checks these.
    [[nodiscard]] const std::map<std::string, std::uint64_t>& successes() const { return ok_; }

private:
    // Counts a success (0, or true for end_access) of op; passes rc through.
    template <class R>
    R record(const std::string& op, R rc) {
        if constexpr (std::is_same_v<R, bool>) {
            ok_[op] += rc ? 1 : 0;
        } else {
            ok_[op] += rc == 0 ? 1 : 0;
        }
        return rc;
    }

    static constexpr std::uint32_t kFrames = 256;
    static constexpr std::uint16_t kGuests = 3;
    static constexpr std::uint32_t kQuota = 48;

    std::uint64_t pick(std::uint64_t lo, std::uint64_t hi) {
        return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng_);
    }

    // Mostly a frame d owns, sometimes anyone's, sometimes out of range.
    std::uint32_t any_frame(std::uint16_t d) {
        const auto& s = core().state();
        if (pick(0, 15) == 0) {
            return static_cast<std::uint32_t>(pick(0, kFrames + 4));
        }
        std::vector<std::uint32_t> own;
        for (std::uint32_t f = 1; f < kFrames; ++f) {
            if (owned_by<Concrete>(s, f, d)) {
                own.push_back(f);
            }
        }
        if (own.empty() || pick(0, 7) == 0) {
            return static_cast<std::uint32_t>(pick(1, kFrames - 1));
        }
        return own[pick(0, own.size() - 1)];
    }

    // Mostly a validated table of d at this level, else any frame.
    std::uint32_t any_table(std::uint16_t d, std::uint8_t level) {
        const auto& s = core().state();
        std::vector<std::uint32_t> tables;
        for (std::uint32_t f = 1; f < kFrames; ++f) {
            if (owned_by<Concrete>(s, f, d) && s.frames.type.get(f) == level &&
                frame_has<Concrete>(s, f, kFrameValidated)) {
                tables.push_back(f);
            }
        }
        if (tables.empty() || pick(0, 7) == 0) {
            return any_frame(d);
        }
        return tables[pick(0, tables.size() - 1)];
    }

    // A grant reference some domain wrote for d, if there is one.
    std::pair<std::uint16_t, std::uint32_t> offered_grant(std::uint16_t d) {
        const auto& s = core().state();
        std::vector<std::pair<std::uint16_t, std::uint32_t>> offers;
        for (std::uint16_t gd = 0; gd <= kGuests; ++gd) {
            if (!core().domain_exists(gd) || s.doms.gnttab_nr_frames.get(gd) == 0) {
                continue;
            }
            for (std::uint32_t ref = 0; ref < 8; ++ref) {
                const auto w = machine_.read_word(grant_entry_frame<Concrete>(s, gd, ref),
                                                  grant_entry_word<Concrete>(ref));
                if ((w & GTF_permit_access) != 0 && gentry_domid<Concrete>(w) == d) {
                    offers.emplace_back(gd, ref);
                }
            }
        }
        if (offers.empty()) {
            return {static_cast<std::uint16_t>(pick(0, kGuests)),
                    static_cast<std::uint32_t>(pick(0, 7))};
        }
        return offers[pick(0, offers.size() - 1)];
    }

    // An unbound port some domain offered to d, if there is one.
    std::pair<std::uint16_t, std::uint32_t> offered_port(std::uint16_t d) {
        const auto& s = core().state();
        for (std::uint16_t rd = 0; rd <= kGuests; ++rd) {
            for (std::uint32_t p = 1; p < 16; ++p) {
                const auto pi = port_index<Concrete>(rd, p);
                if (s.evtchn.state.get(pi) == EVTCHNSTAT_unbound &&
                    s.evtchn.remote_dom.get(pi) == d) {
                    return {rd, p};
                }
            }
        }
        return {0, 0};
    }

    // Builds a four-level address space mapping va 0 (as a guest kernel
    // would at boot), tolerating failure at any step.
    std::string build_address_space(std::uint16_t d) {
        std::uint32_t f[5] = {};
        for (auto& frame : f) {
            if (core().reserve_frame(d, frame) != kOk) {
                return "build d" + std::to_string(d) + ": out of frames";
            }
        }
        const std::uint64_t flags = kPteP | kPteUS | kPteRW;
        Rc rc = core().mmu_update(d, TestMachine::maddr(f[1], 0), TestMachine::pte(f[0], flags));
        for (std::uint8_t level = kTypeL2; level <= kTypeL4 && rc == kOk; ++level) {
            rc = core().mmu_update(d, TestMachine::maddr(f[level], 0),
                                   TestMachine::pte(f[level - 1], flags));
        }
        if (rc == kOk) {
            rc = record("pin_table L4", core().pin_table(d, f[4], kTypeL4));
        }
        if (rc == kOk) {
            rc = record("new_baseptr", core().new_baseptr(d, f[4]));
        }
        return "build d" + std::to_string(d) + " root f" + std::to_string(f[4]) + " -> " +
               std::to_string(rc);
    }

    // A hypercall as a hostile guest would make it: a real or bogus number,
    // registers holding pointers into its own frames, into others', or noise.
    std::string raw_hypercall(std::uint16_t d) {
        static constexpr std::uint64_t kNumbers[] = {__HYPERVISOR_mmu_update,
                                                     __HYPERVISOR_mmuext_op,
                                                     __HYPERVISOR_update_va_mapping,
                                                     __HYPERVISOR_memory_op,
                                                     __HYPERVISOR_grant_table_op,
                                                     __HYPERVISOR_event_channel_op,
                                                     __HYPERVISOR_multicall,
                                                     __HYPERVISOR_console_io,
                                                     __HYPERVISOR_xen_version,
                                                     __HYPERVISOR_sched_op,
                                                     48,
                                                     ~std::uint64_t{0}};
        auto reg = [&]() -> std::uint64_t {
            switch (pick(0, 4)) {
            case 0:
                return pick(0, 8);
            case 1:
                return (std::uint64_t{any_frame(d)} << kPageShift) + pick(0, 4095);
            case 2:
                return pick(0, 3) << kPageShift; // low virtual addresses, mapped or not
            case 3:
                return DOMID_SELF;
            default:
                return rng_();
            }
        };
        const auto nr = kNumbers[pick(0, std::size(kNumbers) - 1)];
        const HypercallArgs args{reg(), reg(), reg(), reg(), reg()};
        std::ostringstream what;
        what << "hypercall d" << d << " nr " << nr << " (0x" << std::hex << args[0] << ", 0x"
             << args[1] << ", 0x" << args[2] << ", 0x" << args[3] << ")" << std::dec << " -> "
             << record("raw hypercall", machine_.dispatch().call(d, nr, args));
        return what.str();
    }

    std::uint64_t random_pte(std::uint16_t d) {
        static constexpr std::uint64_t kFlags[] = {0,
                                                   kPteP,
                                                   kPteP | kPteRW,
                                                   kPteP | kPteUS | kPteRW,
                                                   kPteP | kPteUS | kPteA | kPteD,
                                                   kPteP | kPtePSE,
                                                   kPteP | kPteRW | kPtePCD,
                                                   kPteP | kPteNX | kPteRW,
                                                   kPteP | kPteG};
        return TestMachine::pte(any_frame(d), kFlags[pick(0, std::size(kFlags) - 1)]);
    }

    std::string evtchn_step(std::uint16_t d) {
        std::ostringstream what;
        auto port = static_cast<std::uint32_t>(pick(0, 6));
        auto other = static_cast<std::uint16_t>(pick(0, kGuests));
        switch (pick(0, 4)) {
        case 0: {
            std::uint32_t p = 0;
            what << "evtchn alloc d" << d << " for d" << other << " -> "
                 << record("evtchn_alloc_unbound",
                           core().evtchn_alloc_unbound(d, DOMID_SELF, other, p))
                 << " p" << p;
            break;
        }
        case 1: {
            std::uint32_t p = 0;
            auto [rd, rport] = offered_port(d);
            if (pick(0, 3) != 0) {
                other = rd;
                port = rport;
            }
            what << "evtchn bind d" << d << " to d" << other << ":" << port << " -> "
                 << record("evtchn_bind_interdomain",
                           core().evtchn_bind_interdomain(d, other, port, p))
                 << " p" << p;
            break;
        }
        case 2:
            what << "evtchn send d" << d << ":" << port << " -> "
                 << record("evtchn_send", core().evtchn_send(d, port));
            break;
        case 3:
            what << "evtchn close d" << d << ":" << port << " -> "
                 << record("evtchn_close", core().evtchn_close(d, port));
            break;
        default:
            what << "evtchn unmask d" << d << ":" << port << " -> "
                 << record("evtchn_unmask", core().evtchn_unmask(d, port));
            break;
        }
        return what.str();
    }

    std::string lifecycle_step() {
        std::ostringstream what;
        const auto d = static_cast<std::uint16_t>(pick(1, kGuests));
        if (pick(0, 7) != 0) {
            what << "take_effects d" << d << " -> " << int{core().take_effects(d)};
        } else if (core().domain_exists(d)) {
            what << "destroy d" << d << " -> "
                 << record("destroy_domain", core().destroy_domain(d));
        } else {
            what << "create d" << d << " -> "
                 << record("create_domain", core().create_domain(d, kQuota));
        }
        return what.str();
    }

    std::mt19937_64 rng_;
    TestMachine machine_;
    std::map<std::string, std::uint64_t> ok_;
};

void run_seed(std::uint64_t seed, std::uint64_t steps, std::map<std::string, std::uint64_t>& ok) {
    RandomRun run(seed);
    std::deque<std::string> recent;
    for (std::uint64_t i = 0; i < steps; ++i) {
        recent.push_back(run.step());
        if (recent.size() > 12) {
            recent.pop_front();
        }
        const auto violations = check_invariants(run.core().state());
        if (!violations.empty()) {
            std::ostringstream log;
            log << "seed " << seed << " failed at step " << i << " (rerun: ENSO_SEED=" << seed
                << ")\nlast operations:\n";
            for (const auto& op : recent) {
                log << "  " << op << "\n";
            }
            log << describe(violations);
            FAIL(log.str());
        }
    }
    for (const auto& [op, n] : run.successes()) {
        ok[op] += n;
    }
}

} // namespace

TEST_CASE("random sequences: invariants hold after every hypercall", "[random]") {
    const std::uint64_t steps = env_or("ENSO_STEPS", 3000);
    std::map<std::string, std::uint64_t> ok;
    if (const char* one = std::getenv("ENSO_SEED"); one != nullptr) {
        run_seed(std::strtoull(one, nullptr, 0), steps, ok);
    } else {
        for (std::uint64_t seed = 1; seed <= 8; ++seed) {
            run_seed(seed, steps, ok);
        }
    }
    // Every kind of operation must have succeeded somewhere, or the run
    // explored less than it claims.
    for (const auto& [op, n] : ok) {
        INFO(op << " succeeded " << n << " times");
        CHECK(n > 0);
    }
}

} // namespace enso::test
