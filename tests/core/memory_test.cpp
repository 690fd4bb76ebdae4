// Memory reservation through Core: increase_reservation within the quota and
// machine memory, scrubbing, decrease_reservation's refusals, and accounting.
#include "test_machine.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

using namespace enso::test;

std::uint32_t tot_pages(const TestMachine& m, std::uint16_t d) {
    return m.state().doms.tot_pages.get(d);
}

// Reserves for d until the core refuses; returns the frames and the refusal.
std::vector<std::uint32_t> reserve_all(TestMachine& m, std::uint16_t d, Rc& refusal) {
    std::vector<std::uint32_t> frames;
    for (;;) {
        std::uint32_t f = kNoFrame;
        refusal = m.core().reserve_frame(d, f);
        if (refusal != kOk) {
            return frames;
        }
        frames.push_back(f);
    }
}

bool all_zero(const TestMachine& m, std::uint32_t f) {
    const std::byte* p = m.state().mem.frame(f);
    return std::all_of(p, p + kPageSize, [](std::byte b) { return b == std::byte{0}; });
}

} // namespace

TEST_CASE("memory: reserve hands out distinct, owned, untyped frames within the quota") {
    TestMachine m;
    const std::uint32_t quota = 8;
    m.make_domain(1, quota);
    const auto start = tot_pages(m, 1); // shared_info counts against the quota
    const auto free_before = m.core().free_frames();

    Rc refusal = kOk;
    auto frames = reserve_all(m, 1, refusal);
    REQUIRE_INVARIANTS(m.core());
    CHECK(refusal == kENOMEM);
    CHECK(frames.size() == quota - start);
    CHECK(tot_pages(m, 1) == quota);
    CHECK(m.core().free_frames() == free_before - frames.size());
    for (auto f : frames) {
        CHECK(f != 0);
        CHECK(f < m.state().nr_frames);
        CHECK(m.state().frames.owner.get(f) == 1);
        CHECK(count(m, f) == 1);
        CHECK(m.state().frames.type.get(f) == kTypeNone);
        CHECK(m.state().frames.flags.get(f) == kFrameAllocated);
    }
    std::sort(frames.begin(), frames.end());
    CHECK(std::adjacent_find(frames.begin(), frames.end()) == frames.end());

    // A refusal changes nothing; releasing one makes room for exactly one more.
    std::uint32_t f = kNoFrame;
    CHECK(m.core().reserve_frame(1, f) == kENOMEM);
    CHECK(m.core().free_frames() == free_before - frames.size());
    REQUIRE(m.core().release_frame(1, frames.back()) == kOk);
    REQUIRE(m.core().reserve_frame(1, f) == kOk);
    CHECK(m.core().reserve_frame(1, f) == kENOMEM);
    REQUIRE_INVARIANTS(m.core());
}

TEST_CASE(
    "memory: reserve is -ENOMEM once machine memory is exhausted, and frame 0 is never used") {
    TestMachine m(64);
    m.make_domain(1, 1000);
    const auto free_before = m.core().free_frames();
    CHECK(free_before == 64 - 1 - 2); // frame 0, and the two shared_info frames

    Rc refusal = kOk;
    const auto frames = reserve_all(m, 1, refusal);
    REQUIRE_INVARIANTS(m.core());
    CHECK(refusal == kENOMEM);
    CHECK(frames.size() == free_before);
    CHECK(m.core().free_frames() == 0);
    CHECK(std::find(frames.begin(), frames.end(), 0U) == frames.end());
    CHECK((m.state().frames.flags.get(0) & kFrameAllocated) == 0);
    CHECK(count(m, 0) == 0);

    // Nothing is left for a new domain's shared_info either.
    CHECK(m.core().create_domain(2, 8) == kENOMEM);
    CHECK_FALSE(m.core().domain_exists(2));
    REQUIRE_INVARIANTS(m.core());
}

TEST_CASE("memory: reserve for a domain that does not exist is -ESRCH") {
    TestMachine m;
    std::uint32_t f = kNoFrame;
    const auto free_before = m.core().free_frames();
    CHECK(m.core().reserve_frame(5, f) == kESRCH);
    CHECK(m.core().reserve_frame(kMaxDomains, f) == kESRCH);
    CHECK(m.core().free_frames() == free_before);
    REQUIRE_INVARIANTS(m.core());
}

TEST_CASE("memory: frames are scrubbed before they are handed out again") {
    TestMachine m(64);
    m.make_domain(1, 1000);
    Rc refusal = kOk;
    const auto frames = reserve_all(m, 1, refusal);
    REQUIRE(frames.size() > 4);
    for (auto f : frames) {
        CHECK(all_zero(m, f));
        std::memset(m.state().mem.frame(f), 0xa5, kPageSize); // the guest's data
    }
    const auto victim = frames[frames.size() / 2];
    REQUIRE(m.core().release_frame(1, victim) == kOk);
    REQUIRE_INVARIANTS(m.core());

    SECTION("to the same domain") {
        std::uint32_t again = kNoFrame;
        REQUIRE(m.core().reserve_frame(1, again) == kOk);
        CHECK(again == victim); // the only free frame
        CHECK(all_zero(m, again));
    }
    SECTION("to another domain, as its shared_info") {
        REQUIRE(m.core().create_domain(2, 8) == kOk);
        CHECK(m.state().doms.shared_info.get(2) == victim);
        CHECK(all_zero(m, victim));
    }
    REQUIRE_INVARIANTS(m.core());
}

TEST_CASE("memory: release returns a frame and keeps the accounting") {
    TestMachine m;
    m.make_domain(1, 16);
    const auto free_before = m.core().free_frames();
    const auto pages_before = tot_pages(m, 1);
    const auto a = m.frame(1);
    const auto b = m.frame(1);
    const auto c = m.frame(1);
    CHECK(m.core().free_frames() == free_before - 3);
    CHECK(tot_pages(m, 1) == pages_before + 3);

    REQUIRE(m.core().release_frame(1, b) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(m.core().free_frames() == free_before - 2);
    CHECK(tot_pages(m, 1) == pages_before + 2);
    CHECK(count(m, b) == 0);
    CHECK(m.state().frames.flags.get(b) == 0);
    CHECK(m.state().frames.owner.get(b) == DOMID_INVALID);

    CHECK(m.core().release_frame(1, b) == kEINVAL); // not twice
    REQUIRE(m.core().release_frame(1, a) == kOk);
    REQUIRE(m.core().release_frame(1, c) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(m.core().free_frames() == free_before);
    CHECK(tot_pages(m, 1) == pages_before);
}

TEST_CASE("memory: release refuses frames that are in use with -EBUSY") {
    TestMachine m;
    std::vector<std::uint32_t> gframes;
    REQUIRE(m.core().grant_setup_table(0, 1, gframes) == GNTST_okay);
    const auto l2 = m.frame(0);
    REQUIRE(m.core().pin_table(0, l2, kTypeL2) == kOk);
    const auto l1 = m.frame(0);
    const auto data = m.frame(0);
    REQUIRE(update(m, 0, l2, 0, TestMachine::pte(l1, kRW)) == kOk);
    REQUIRE(update(m, 0, l1, 0, TestMachine::pte(data, kRO)) == kOk);
    REQUIRE_INVARIANTS(m.core());
    const auto free_before = m.core().free_frames();

    struct Busy {
        const char* what;
        std::uint32_t frame;
    };
    for (const auto& b : {Busy{"a pinned table", l2}, Busy{"a table referenced by an L2", l1},
                          Busy{"a frame mapped read-only", data},
                          Busy{"shared_info", m.state().doms.shared_info.get(0)},
                          Busy{"a grant-table frame", gframes.at(0)}}) {
        INFO(b.what);
        const auto before = count(m, b.frame);
        CHECK(m.core().release_frame(0, b.frame) == kEBUSY);
        CHECK(count(m, b.frame) == before);
        CHECK((m.state().frames.flags.get(b.frame) & kFrameAllocated) != 0);
    }
    REQUIRE_INVARIANTS(m.core());
    CHECK(m.core().free_frames() == free_before);
    CHECK((m.state().frames.flags.get(l2) & kFramePinned) != 0); // no implicit unpin (XSA-252)
}

TEST_CASE("memory: release refuses frames the caller does not own with -EINVAL") {
    TestMachine m;
    m.make_domain(1);
    const auto theirs = m.frame(1);
    std::uint32_t never_allocated = 0;
    for (std::uint32_t f = m.state().nr_frames - 1; f > 0; --f) {
        if (count(m, f) == 0) {
            never_allocated = f;
            break;
        }
    }
    REQUIRE(never_allocated != 0);
    const auto free_before = m.core().free_frames();

    CHECK(m.core().release_frame(0, theirs) == kEINVAL);
    CHECK(m.core().release_frame(0, m.state().doms.shared_info.get(1)) == kEINVAL);
    CHECK(m.core().release_frame(0, never_allocated) == kEINVAL);
    CHECK(m.core().release_frame(0, 0) == kEINVAL);
    CHECK(m.core().release_frame(0, m.state().nr_frames) == kEINVAL);
    CHECK(m.core().release_frame(0, kNoFrame) == kEINVAL);
    REQUIRE_INVARIANTS(m.core());
    CHECK(m.core().free_frames() == free_before);
    CHECK(count(m, theirs) == 1);
}

TEST_CASE("memory: releasing an unpinned, unreferenced table drops what it held") {
    TestMachine m;
    const auto data = m.frame(0);
    const auto l1 = m.frame(0);
    const auto l2 = m.frame(0);
    REQUIRE(update(m, 0, l1, 0, TestMachine::pte(data, kRW)) == kOk);
    REQUIRE(update(m, 0, l2, 0, TestMachine::pte(l1, kRW)) == kOk);
    REQUIRE(m.core().pin_table(0, l2, kTypeL2) == kOk);
    REQUIRE(m.core().unpin_table(0, l2) == kOk); // both stay validated, lazily
    REQUIRE_INVARIANTS(m.core());
    const auto free_before = m.core().free_frames();

    CHECK(m.core().release_frame(0, l1) == kEBUSY); // still referenced by l2
    REQUIRE(m.core().release_frame(0, l2) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(count(m, l1) == 1);
    CHECK(m.state().frames.type_count.get(l1) == 0);
    REQUIRE(m.core().release_frame(0, l1) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(count(m, data) == 1);
    CHECK(m.state().frames.type_count.get(data) == 0);
    CHECK(m.core().free_frames() == free_before + 2);
}

TEST_CASE("memory: a descriptor frame the core holds maps read-only only, and goes at destroy") {
    TestMachine m;
    const auto baseline_frames = m.core().free_frames();
    m.make_domain(1);
    const auto desc = m.frame(1);
    const auto l1 = m.frame(1);
    REQUIRE(m.core().pin_table(1, l1, kTypeL1) == kOk);
    REQUIRE(m.core().hold_descriptor_frame(1, desc) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(m.state().frames.type.get(desc) == kTypeSegDesc);
    CHECK(update(m, 1, l1, 0, TestMachine::pte(desc, kRW)) != kOk); // no writable mapping
    CHECK(update(m, 1, l1, 0, TestMachine::pte(desc, kRO)) == kOk);
    CHECK(m.core().release_frame(1, desc) == kEBUSY);
    CHECK(m.core().pin_table(1, desc, kTypeL1) != kOk);              // never a page table
    CHECK(m.core().hold_descriptor_frame(1, desc) == kEINVAL);       // held once
    CHECK(m.core().hold_descriptor_frame(1, l1) == kEINVAL);         // already typed
    CHECK(m.core().hold_descriptor_frame(0, m.frame(1)) == kEINVAL); // not the caller's
    REQUIRE_INVARIANTS(m.core());
    REQUIRE(m.core().destroy_domain(1) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(m.core().free_frames() == baseline_frames); // the held frame went back too
}

// The verifier's flush/owed goal found this: a frame a domain mapped
// writable and unmapped without a flush could still be written through its
// stale TLB entry after release, by then another domain's.
TEST_CASE("memory: release owes the domain a TLB flush for the frame it gave up") {
    TestMachine m;
    m.make_domain(1, 16);
    const auto data = m.frame(1);
    const auto as = m.build_address_space(1, data);
    REQUIRE(update(m, 1, as.l1, 0, 0) == kOk); // unmapped: no flush owed yet
    m.core().take_effects(1);
    REQUIRE(m.core().release_frame(1, data) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK((m.core().take_effects(1) & kEffectTlbFlush) != 0);
}
