#include "hvcore/core/invariants.hpp"

#include "hvcore/core/frame_refs.hpp"
#include "hvcore/core/grant_ops.hpp"
#include "hvcore/core/page_table_entry.hpp"

#include <array>
#include <sstream>

namespace enso::core {

namespace {

constexpr std::array<std::string_view, 15> kNames = {
    "no_writable_pagetable",
    "type_count_matches",
    "refcount_covers_uses",
    "no_leaked_references",
    "ownership",
    "hierarchy",
    "flags_allowed",
    "pagetable_validated",
    "pinned_is_pagetable",
    "baseptr_valid",
    "grant_status_matches_pins",
    "readonly_grant_never_writable",
    "evtchn_peers_consistent",
    "no_leak_after_destroy",
    "tot_pages_matches",
};

// What the state says each frame must hold, recomputed from every use.
struct Expected {
    std::uint64_t count = 0;
    std::uint64_t type_count = 0;
};

struct Tally {
    std::uint32_t readers = 0;
    std::uint32_t writers = 0;
};

class Checker {
public:
    // The scratch tables are reused across calls (the checker runs after
    // every step of the random tests and the fuzzer): clearing half a
    // megabyte is cheap, getting it fresh from the allocator each time is not.
    Checker(const CState& s, std::vector<Expected>& expect, std::vector<Tally>& tally)
        : s_(s), expect_(expect), tally_(tally) {
        expect_.assign(s.nr_frames, Expected{});
        tally_.assign(std::size_t{kMaxDomains} * kMaxGrantRefs, Tally{});
    }

    std::vector<Violation> run() {
        count_frame_holds();
        walk_page_tables();
        walk_maptrack();
        check_frames();
        check_domains();
        check_grants();
        check_event_channels();
        return std::move(out_);
    }

private:
    template <class... Parts>
    void fail(std::string_view check, std::vector<std::uint32_t> frames,
              std::vector<std::uint16_t> doms, const Parts&... parts) {
        std::ostringstream detail;
        (detail << ... << parts);
        out_.push_back({std::string(check), detail.str(), std::move(frames), std::move(doms)});
    }

    [[nodiscard]] std::uint16_t owner(std::uint32_t f) const { return s_.frames.owner.get(f); }
    [[nodiscard]] bool has(std::uint32_t f, std::uint8_t flag) const {
        return (s_.frames.flags.get(f) & flag) != 0;
    }
    [[nodiscard]] bool validated_table(std::uint32_t f) const {
        return is_pagetable_type<Concrete>(s_.frames.type.get(f)) && has(f, kFrameValidated);
    }

    void count_frame_holds() {
        for (std::uint32_t f = 0; f < s_.nr_frames; ++f) {
            auto& e = expect_[f];
            e.count += has(f, kFrameAllocated) ? 1 : 0;
            const int holds = (has(f, kFrameXenRef) ? 1 : 0) + (has(f, kFramePinned) ? 1 : 0) +
                              (has(f, kFrameVcpuRoot) ? 1 : 0);
            e.count += holds;
            e.type_count += holds;
        }
        for (std::uint16_t d = 0; d < kMaxDomains; ++d) {
            const auto root = s_.doms.baseptr.get(d);
            if (root == kNoFrame) {
                continue;
            }
            if (root >= s_.nr_frames) {
                fail("baseptr_valid", {root}, {d}, "base pointer ", root, " is out of range");
                continue;
            }
            expect_[root].count += 1;
            expect_[root].type_count += 1;
            if (owner(root) != d || s_.frames.type.get(root) != kTypeL4 ||
                !has(root, kFrameValidated)) {
                fail("baseptr_valid", {root}, {d}, "base pointer of d", d, " is frame ", root,
                     ", which is not a validated L4 of its own");
            }
        }
    }

    // A foreign frame in an L1 must be the PTE a grant map of the table's
    // owner installed at exactly this place.
    [[nodiscard]] bool grant_pte_recorded(std::uint16_t d, std::uint64_t maddr,
                                          std::uint32_t target, bool rw) const {
        for (std::uint32_t h = 0; h < kMaxMaptrack; ++h) {
            const auto mi = maptrack_index<Concrete>(d, h);
            const auto mf = s_.grants.map_flags.get(mi);
            if ((mf & (kMapInUse | kMapPte)) != (kMapInUse | kMapPte) ||
                s_.grants.map_host_addr.get(mi) != maddr) {
                continue;
            }
            const auto gi =
                grant_index<Concrete>(s_.grants.map_granter.get(mi), s_.grants.map_ref.get(mi));
            if (s_.grants.act_frame.get(gi) == target && (!rw || (mf & kMapReadonly) == 0)) {
                return true;
            }
        }
        return false;
    }

    void walk_page_tables() {
        for (std::uint32_t t = 0; t < s_.nr_frames; ++t) {
            if (!validated_table(t)) {
                continue;
            }
            const auto level = s_.frames.type.get(t);
            const auto od = owner(t);
            for (std::uint32_t slot = 0; slot < kEntriesPerTable; ++slot) {
                const std::uint64_t e = s_.mem.load64(t, slot);
                if ((e & kPteP) != 0) {
                    check_entry(t, level, od, slot, e);
                }
            }
        }
    }

    void check_entry(std::uint32_t t, std::uint8_t level, std::uint16_t od, std::uint32_t slot,
                     std::uint64_t e) {
        if ((e & ~allowed_bits<Concrete>(level)) != 0) {
            fail("flags_allowed", {t}, {od}, "L", int{level}, " ", t, "[", slot, "] = 0x", std::hex,
                 e, " carries disallowed flags");
        }
        const auto target = pte_frame<Concrete>(e);
        if (target >= s_.nr_frames) {
            fail("ownership", {t}, {od}, "L", int{level}, " ", t, "[", slot,
                 "] maps a frame beyond machine memory");
            return;
        }
        const bool own = owner(target) == od && has(target, kFrameAllocated);
        const bool rw = (e & kPteRW) != 0;
        if (level == kTypeL1) {
            if (!own) {
                const std::uint64_t maddr = entry_maddr<Concrete>(t, slot);
                if (!grant_pte_recorded(od, maddr, target, false)) {
                    fail("ownership", {t, target}, {od, owner(target)}, "L1 ", t, "[", slot,
                         "] of d", od, " maps frame ", target, " of d", owner(target),
                         " without a matching grant map");
                } else if (rw && !grant_pte_recorded(od, maddr, target, true)) {
                    // The mode is the core's record of the map, made when
                    // the grant allowed it; the granter's entry may have
                    // changed since, and is not consulted.
                    fail("readonly_grant_never_writable", {t, target}, {od, owner(target)}, "L1 ",
                         t, "[", slot, "] of d", od, " maps frame ", target,
                         " writable through a read-only grant map");
                }
                if (rw && s_.frames.type.get(target) != kTypeWritable) {
                    fail("no_writable_pagetable", {t, target}, {od}, "grant PTE ", t, "[", slot,
                         "] maps frame ", target, " writable but it is not typed writable");
                }
                return;
            }
            expect_[target].count += 1;
            if (rw) {
                expect_[target].type_count += 1;
                if (s_.frames.type.get(target) != kTypeWritable) {
                    fail("no_writable_pagetable", {t, target}, {od}, "L1 ", t, "[", slot,
                         "] maps frame ", target, " writable, but its type is ",
                         int{s_.frames.type.get(target)});
                }
            }
            return;
        }
        if (!own) {
            fail("ownership", {t, target}, {od, owner(target)}, "L", int{level}, " ", t, "[", slot,
                 "] of d", od, " points to frame ", target, " of d", owner(target));
        }
        if (s_.frames.type.get(target) != level - 1 || !has(target, kFrameValidated)) {
            fail("hierarchy", {t, target}, {od}, "L", int{level}, " ", t, "[", slot,
                 "] points to frame ", target, " of type ", int{s_.frames.type.get(target)},
                 ", not a validated L", level - 1);
        }
        expect_[target].count += 1;
        expect_[target].type_count += 1;
    }

    void walk_maptrack() {
        for (std::uint16_t d = 0; d < kMaxDomains; ++d) {
            for (std::uint32_t h = 0; h < kMaxMaptrack; ++h) {
                const auto mi = maptrack_index<Concrete>(d, h);
                const auto mf = s_.grants.map_flags.get(mi);
                if ((mf & kMapInUse) == 0) {
                    continue;
                }
                const auto gd = s_.grants.map_granter.get(mi);
                const auto ref = s_.grants.map_ref.get(mi);
                const auto gi = grant_index<Concrete>(gd, ref);
                const auto frame = s_.grants.act_frame.get(gi);
                const bool writable = (mf & kMapReadonly) == 0;
                if (s_.doms.state.get(d) != kDomLive) {
                    fail("no_leak_after_destroy", {frame}, {d}, "d", d,
                         " is not live but holds map handle ", h);
                }
                // The map holds a use of its grant, recorded as d's.
                if ((s_.grants.act_readers.get(gi) == 0 && s_.grants.act_writers.get(gi) == 0) ||
                    s_.grants.act_grantee.get(gi) != d) {
                    fail("grant_status_matches_pins", {}, {d, gd}, "handle ", h, " of d", d,
                         " holds grant d", gd, ":", ref, " whose active entry is not in use by d",
                         d, " (grantee d", s_.grants.act_grantee.get(gi), ")");
                }
                if (frame >= s_.nr_frames) {
                    fail("grant_status_matches_pins", {}, {d, gd}, "handle ", h, " of d", d,
                         " refers to an inactive grant d", gd, ":", ref);
                    continue;
                }
                expect_[frame].count += 1;
                auto& t = tally_[gi];
                if (writable) {
                    t.writers += 1;
                    expect_[frame].type_count += 1;
                    if (s_.frames.type.get(frame) != kTypeWritable) {
                        fail("no_writable_pagetable", {frame}, {d, gd}, "d", d, " maps frame ",
                             frame, " writable through grant d", gd, ":", ref,
                             " but it is not typed writable");
                    }
                } else {
                    t.readers += 1;
                }
            }
        }
    }

    void check_frames() {
        for (std::uint32_t f = 0; f < s_.nr_frames; ++f) {
            const auto& e = expect_[f];
            const auto count = s_.frames.count.get(f);
            const auto tc = s_.frames.type_count.get(f);
            const auto type = s_.frames.type.get(f);
            if (tc != e.type_count) {
                fail("type_count_matches", {f}, {owner(f)}, "frame ", f, " has type count ", tc,
                     " but ", e.type_count, " typed references");
            }
            if (count < e.count) {
                fail("refcount_covers_uses", {f}, {owner(f)}, "frame ", f, " has count ", count,
                     " but ", e.count, " uses");
            } else if (count > e.count) {
                fail("no_leaked_references", {f}, {owner(f)}, "frame ", f, " has count ", count,
                     " but only ", e.count, " uses");
            }
            // Between calls no table work is under way: a page-table type
            // is a validated one.
            if (is_pagetable_type<Concrete>(type) && !has(f, kFrameValidated)) {
                fail("pagetable_validated", {f}, {owner(f)}, "frame ", f, " is typed L", int{type},
                     " but not validated");
            }
            if (has(f, kFrameValidated) && !is_pagetable_type<Concrete>(type)) {
                fail("pagetable_validated", {f}, {owner(f)}, "frame ", f,
                     " is validated but of type ", int{type});
            }
            if (has(f, kFramePinned) && !validated_table(f)) {
                fail("pinned_is_pagetable", {f}, {owner(f)}, "frame ", f,
                     " is pinned but not a validated page table");
            }
            if (has(f, kFrameVcpuRoot) && (!validated_table(f) || type != kTypeL4)) {
                fail("pinned_is_pagetable", {f}, {owner(f)}, "frame ", f,
                     " is a vCPU's root but not a validated L4");
            }
            if (count == 0 && (s_.frames.flags.get(f) != 0 || tc != 0 || type != kTypeNone)) {
                fail("no_leak_after_destroy", {f}, {}, "free frame ", f,
                     " keeps flags, type or type count");
            }
            if (has(f, kFrameAllocated) &&
                (owner(f) >= kMaxDomains || s_.doms.state.get(owner(f)) != kDomLive)) {
                fail("ownership", {f}, {owner(f)}, "frame ", f, " is allocated to d", owner(f),
                     ", which is not live");
            }
        }
    }

    void check_domains() {
        std::vector<std::uint32_t> owned(kMaxDomains, 0);
        for (std::uint32_t f = 0; f < s_.nr_frames; ++f) {
            if (s_.frames.count.get(f) > 0 && owner(f) < kMaxDomains) {
                owned[owner(f)] += 1;
            }
        }
        for (std::uint16_t d = 0; d < kMaxDomains; ++d) {
            const auto state = s_.doms.state.get(d);
            if (s_.doms.tot_pages.get(d) != owned[d]) {
                fail("tot_pages_matches", {}, {d}, "d", d, " counts ", s_.doms.tot_pages.get(d),
                     " pages but owns ", owned[d]);
            }
            if (state == kDomLive) {
                continue;
            }
            if (state == kDomFree && owned[d] != 0) {
                fail("no_leak_after_destroy", {}, {d}, "destroyed d", d, " still owns ", owned[d],
                     " frames");
            }
            if (s_.doms.baseptr.get(d) != kNoFrame) {
                fail("no_leak_after_destroy", {}, {d}, "destroyed d", d, " keeps a base pointer");
            }
            for (std::uint32_t p = 0; p < kMaxPorts; ++p) {
                if (s_.evtchn.state.get(port_index<Concrete>(d, p)) != EVTCHNSTAT_closed) {
                    fail("no_leak_after_destroy", {}, {d}, "destroyed d", d,
                         " keeps event channel ", p);
                }
            }
        }
    }

    // The core's pins of each grant match the maps that hold them, and the
    // status bits the core keeps in the granter's entry match the pins. The
    // entry is the granter's memory: only the granter can break the second
    // part (misleading itself alone; the core never reads the bits back).
    void check_grants() {
        for (std::uint16_t gd = 0; gd < kMaxDomains; ++gd) {
            const bool live = s_.doms.state.get(gd) == kDomLive;
            const auto nrefs = live ? nr_grant_refs<Concrete>(s_, gd) : 0U;
            for (std::uint32_t ref = 0; ref < kMaxGrantRefs; ++ref) {
                const auto gi = grant_index<Concrete>(gd, ref);
                const auto& t = tally_[gi];
                const auto readers = s_.grants.act_readers.get(gi);
                const auto writers = s_.grants.act_writers.get(gi);
                if (readers != t.readers || writers != t.writers) {
                    fail("grant_status_matches_pins", {}, {gd}, "grant d", gd, ":", ref, " pins r",
                         readers, "/w", writers, " but maps r", t.readers, "/w", t.writers);
                }
                if (ref >= nrefs) {
                    continue;
                }
                const auto w = s_.mem.load64(grant_entry_frame<Concrete>(s_, gd, ref),
                                             grant_entry_word<Concrete>(ref));
                const auto flags = gentry_flags<Concrete>(w);
                const bool reading = (flags & GTF_reading) != 0;
                const bool writing = (flags & GTF_writing) != 0;
                if (reading != (t.readers + t.writers > 0) || writing != (t.writers > 0)) {
                    fail("grant_status_matches_pins", {}, {gd}, "grant d", gd, ":", ref,
                         " status reading=", reading, " writing=", writing, " but maps r",
                         t.readers, "/w", t.writers);
                }
            }
        }
    }

    void check_event_channels() {
        for (std::uint16_t d = 0; d < kMaxDomains; ++d) {
            if (s_.doms.state.get(d) != kDomLive) {
                continue;
            }
            for (std::uint32_t p = 0; p < kMaxPorts; ++p) {
                const auto pi = port_index<Concrete>(d, p);
                if (s_.evtchn.state.get(pi) != EVTCHNSTAT_interdomain) {
                    continue;
                }
                const auto rd = s_.evtchn.remote_dom.get(pi);
                const auto rp = s_.evtchn.remote_port.get(pi);
                const auto ri = port_index<Concrete>(rd, rp);
                if (rd >= kMaxDomains || rp >= kMaxPorts || s_.doms.state.get(rd) != kDomLive ||
                    s_.evtchn.state.get(ri) != EVTCHNSTAT_interdomain ||
                    s_.evtchn.remote_dom.get(ri) != d || s_.evtchn.remote_port.get(ri) != p) {
                    fail("evtchn_peers_consistent", {}, {d, rd}, "d", d, " port ", p,
                         " is bound to d", rd, " port ", rp, ", which is not bound back");
                }
            }
        }
    }

    const CState& s_;
    std::vector<Expected>& expect_;
    std::vector<Tally>& tally_;
    std::vector<Violation> out_;
};

} // namespace

std::span<const std::string_view> invariant_names() {
    return kNames;
}

std::vector<Violation> check_invariants(const CState& s) {
    thread_local std::vector<Expected> expect;
    thread_local std::vector<Tally> tally;
    return Checker(s, expect, tally).run();
}

std::string describe(const std::vector<Violation>& violations) {
    std::string out;
    for (const auto& v : violations) {
        out += v.check + ": " + v.detail + "\n";
    }
    return out;
}

} // namespace enso::core
