// The PV MMU through Core: mmu_update at every level and each of its errors,
// pin / unpin, new_baseptr, update_va_mapping, and the TLB effects they leave.
#include "test_machine.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using namespace enso::test;

// What the frame table says about one frame.
struct FrameView {
    std::uint32_t count;
    std::uint32_t type_count;
    std::uint8_t type;
    std::uint8_t flags;
    bool operator==(const FrameView&) const = default;
};

FrameView view(const TestMachine& m, std::uint32_t f) {
    const auto& t = m.state().frames;
    return {t.count.get(f), t.type_count.get(f), t.type.get(f), t.flags.get(f)};
}

// Counts and flags of every frame: what a failed operation must leave as it was.
std::vector<FrameView> counts_of_all(const TestMachine& m) {
    std::vector<FrameView> out;
    for (std::uint32_t f = 0; f < m.state().nr_frames; ++f) {
        auto v = view(m, f);
        v.type = 0; // a leaf keeps its (unreferenced) writable type: not a reference
        out.push_back(v);
    }
    return out;
}

// The frames whose counts differ between two snapshots, "" if none.
std::string changed(const std::vector<FrameView>& before, const std::vector<FrameView>& after) {
    std::string out;
    for (std::size_t f = 0; f < before.size() && f < after.size(); ++f) {
        const auto& a = before[f];
        const auto& b = after[f];
        if (!(a == b)) {
            out += "frame " + std::to_string(f) + ": count " + std::to_string(a.count) + "->" +
                   std::to_string(b.count) + " type_count " + std::to_string(a.type_count) + "->" +
                   std::to_string(b.type_count) + " flags " + std::to_string(a.flags) + "->" +
                   std::to_string(b.flags) + "\n";
        }
    }
    return out;
}

bool has(const TestMachine& m, std::uint32_t f, std::uint8_t flag) {
    return (m.state().frames.flags.get(f) & flag) != 0;
}

// An empty table of `level`, validated and pinned.
std::uint32_t pinned_table(TestMachine& m, std::uint16_t d, std::uint8_t level) {
    const auto t = m.frame(d);
    REQUIRE(m.core().pin_table(d, t, level) == kOk);
    REQUIRE_INVARIANTS(m.core());
    return t;
}

} // namespace

// ---------------------------------------------------------------- mmu_update

TEST_CASE("mmu_update: an L1 entry maps an own frame and types it writable only while RW") {
    TestMachine m;
    const auto l1 = pinned_table(m, 0, kTypeL1);
    const auto data = m.frame(0);

    REQUIRE(update(m, 0, l1, 3, TestMachine::pte(data, kRW)) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(m.read_word(l1, 3) == TestMachine::pte(data, kRW));
    CHECK(view(m, data) == FrameView{2, 1, kTypeWritable, kFrameAllocated});

    // RW -> RO is a full update (never the fast path): the type reference goes.
    REQUIRE(update(m, 0, l1, 3, TestMachine::pte(data, kRO)) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(view(m, data).count == 2);
    CHECK(view(m, data).type_count == 0);

    REQUIRE(update(m, 0, l1, 3, 0) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(view(m, data).count == 1);
    CHECK(m.read_word(l1, 3) == 0);
}

TEST_CASE("mmu_update: an upper-level entry validates its target as the level below") {
    const std::uint8_t level = GENERATE(as<std::uint8_t>{}, kTypeL2, kTypeL3, kTypeL4);
    TestMachine m;
    const auto table = pinned_table(m, 0, level);
    const auto child = m.frame(0);

    REQUIRE(update(m, 0, table, 5, TestMachine::pte(child, kRW)) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(view(m, child) ==
          FrameView{2, 1, static_cast<std::uint8_t>(level - 1), kFrameAllocated | kFrameValidated});

    REQUIRE(update(m, 0, table, 5, 0) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(view(m, child).count == 1);
    CHECK(view(m, child).type_count == 0);
}

TEST_CASE("mmu_update: a frame that is not a page table is written as plain memory") {
    TestMachine m;
    const auto f = m.frame(0);
    const std::uint64_t junk = 0xdeadbeefcafef00dULL; // would be refused in a table
    REQUIRE(update(m, 0, f, 7, junk) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(m.read_word(f, 7) == junk);
    CHECK(view(m, f).type_count == 0);
    CHECK_FALSE(has(m, f, kFrameValidated));
}

TEST_CASE("mmu_update: a foreign frame is refused with -EPERM") {
    TestMachine m;
    m.make_domain(1);
    const auto l1 = pinned_table(m, 0, kTypeL1);
    const auto l1_of_1 = pinned_table(m, 1, kTypeL1);
    const auto theirs = m.frame(1);
    const auto before = counts_of_all(m);

    SECTION("an entry mapping another domain's frame") {
        CHECK(update(m, 0, l1, 0, TestMachine::pte(theirs, kRO)) == kEPERM);
        CHECK(update(m, 0, l1, 0, TestMachine::pte(theirs, kRW)) == kEPERM);
    }
    SECTION("an entry in another domain's table") {
        CHECK(update(m, 0, l1_of_1, 0, TestMachine::pte(theirs, kRO)) == kEPERM);
    }
    SECTION("an upper-level entry pointing to another domain's frame") {
        const auto l2 = pinned_table(m, 0, kTypeL2);
        const auto again = counts_of_all(m);
        CHECK(update(m, 0, l2, 0, TestMachine::pte(l1_of_1, kRW)) == kEPERM);
        CHECK(changed(again, counts_of_all(m)) == "");
        return;
    }
    REQUIRE_INVARIANTS(m.core());
    CHECK(changed(before, counts_of_all(m)) == "");
    CHECK(m.read_word(l1, 0) == 0);
    CHECK(m.read_word(l1_of_1, 0) == 0);
}

TEST_CASE("mmu_update: a table address beyond machine memory is -EINVAL") {
    TestMachine m(64);
    const auto data = m.frame(0);
    CHECK(m.core().mmu_update(0, TestMachine::maddr(64, 0), TestMachine::pte(data, kRO)) ==
          kEINVAL);
    CHECK(m.core().mmu_update(0, TestMachine::maddr(0xfffffffU, 1), 0) == kEINVAL);
    CHECK(m.core().mmu_update(0, ~std::uint64_t{7}, 0) == kEINVAL);
    REQUIRE_INVARIANTS(m.core());
}

TEST_CASE("mmu_update: disallowed flags are refused at every level (XSA-148)") {
    struct Case {
        std::uint8_t level;
        std::uint64_t bit;
        const char* name;
    };
    const Case c = GENERATE(Case{kTypeL1, kPtePWT, "L1 PWT"}, Case{kTypeL1, kPtePCD, "L1 PCD"},
                            Case{kTypeL1, kPteG, "L1 G"}, Case{kTypeL1, kPtePSE, "L1 PAT"},
                            Case{kTypeL2, kPtePSE, "L2 PSE"}, Case{kTypeL3, kPtePSE, "L3 PSE"},
                            Case{kTypeL4, kPtePSE, "L4 PSE"}, Case{kTypeL2, kPtePCD, "L2 PCD"},
                            Case{kTypeL2, kPteG, "L2 G"});
    INFO(c.name);
    TestMachine m;
    const auto table = pinned_table(m, 0, c.level);
    const auto target = m.frame(0);
    const auto before = counts_of_all(m);

    CHECK(update(m, 0, table, 1, TestMachine::pte(target, kRO | c.bit)) == kEINVAL);
    REQUIRE_INVARIANTS(m.core());
    CHECK(m.read_word(table, 1) == 0);
    CHECK(changed(before, counts_of_all(m)) == "");

    // Nor through the fast path, which only skips revalidation for A/D/avail/NX/US.
    REQUIRE(update(m, 0, table, 1, TestMachine::pte(target, kRO)) == kOk);
    REQUIRE_INVARIANTS(m.core());
    const auto installed = counts_of_all(m);
    CHECK(update(m, 0, table, 1, TestMachine::pte(target, kRO | c.bit)) == kEINVAL);
    REQUIRE_INVARIANTS(m.core());
    CHECK(m.read_word(table, 1) == TestMachine::pte(target, kRO));
    CHECK(changed(installed, counts_of_all(m)) == "");
}

TEST_CASE("mmu_update: D in an upper-level entry is accepted, as Xen accepts it") {
    TestMachine m;
    const auto table = pinned_table(m, 0, kTypeL3);
    const auto target = pinned_table(m, 0, kTypeL2);
    REQUIRE(update(m, 0, table, 1, TestMachine::pte(target, kRO | kPteD)) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(m.read_word(table, 1) == TestMachine::pte(target, kRO | kPteD));
}

// Frame numbers are 32 bits: an entry naming bit 44 or above would be
// checked as one frame and map another (found by the verifier's grant map
// counterexample, where the same truncation aliased a PTE address).
TEST_CASE("mmu_update: an entry's address bits above the 32-bit frame numbers are refused") {
    const std::uint8_t level = GENERATE(kTypeL1, kTypeL2);
    TestMachine m;
    const auto table = pinned_table(m, 0, level);
    const auto target = level == kTypeL1 ? m.frame(0) : pinned_table(m, 0, kTypeL1);
    const auto before = counts_of_all(m);
    for (const unsigned bit : {44U, 47U, 51U}) {
        INFO("address bit " << bit);
        CHECK(update(m, 0, table, 1, TestMachine::pte(target, kRO) | (std::uint64_t{1} << bit)) ==
              kEINVAL);
        CHECK(m.read_word(table, 1) == 0);
    }
    REQUIRE_INVARIANTS(m.core());
    CHECK(changed(before, counts_of_all(m)) == "");
}

TEST_CASE("mmu_update: linear and recursive page tables are refused (XSA-185)") {
    TestMachine m;
    SECTION("an L2 entry pointing to its own L2") {
        const auto l2 = pinned_table(m, 0, kTypeL2);
        const auto before = counts_of_all(m);
        CHECK(update(m, 0, l2, 0, TestMachine::pte(l2, kRO)) == kEINVAL);
        CHECK(changed(before, counts_of_all(m)) == "");
    }
    SECTION("an L2 entry pointing to another pinned L2") {
        const auto l2 = pinned_table(m, 0, kTypeL2);
        const auto other = pinned_table(m, 0, kTypeL2);
        const auto before = counts_of_all(m);
        CHECK(update(m, 0, l2, 0, TestMachine::pte(other, kRO)) == kEINVAL);
        CHECK(changed(before, counts_of_all(m)) == "");
    }
    SECTION("an L3 entry pointing to an L3") {
        const auto l3 = pinned_table(m, 0, kTypeL3);
        const auto before = counts_of_all(m);
        CHECK(update(m, 0, l3, 9, TestMachine::pte(l3, kRO)) == kEINVAL);
        CHECK(changed(before, counts_of_all(m)) == "");
    }
    SECTION("an L4 self-map") {
        const auto l4 = pinned_table(m, 0, kTypeL4);
        const auto before = counts_of_all(m);
        CHECK(update(m, 0, l4, 510, TestMachine::pte(l4, kRO)) == kEINVAL);
        CHECK(changed(before, counts_of_all(m)) == "");
        CHECK(m.read_word(l4, 510) == 0);
    }
    SECTION("an L4 self-map written as plain memory, then pinned") {
        const auto l4 = m.frame(0);
        const auto before = counts_of_all(m);
        REQUIRE(update(m, 0, l4, 510, TestMachine::pte(l4, kRO)) == kOk); // plain memory
        CHECK(m.core().pin_table(0, l4, kTypeL4) == kEINVAL);
        CHECK(changed(before, counts_of_all(m)) == "");
        CHECK(view(m, l4).type == kTypeNone);
        CHECK_FALSE(has(m, l4, kFramePinned));
    }
    REQUIRE_INVARIANTS(m.core());
}

TEST_CASE("mmu_update: a writable mapping of a page table is refused (XSA-182)") {
    TestMachine m;
    const auto l1 = pinned_table(m, 0, kTypeL1);
    const auto table =
        pinned_table(m, 0, GENERATE(as<std::uint8_t>{}, kTypeL1, kTypeL2, kTypeL3, kTypeL4));
    const auto before = counts_of_all(m);

    SECTION("directly") {
        CHECK(update(m, 0, l1, 4, TestMachine::pte(table, kRW)) == kEINVAL);
        CHECK(m.read_word(l1, 4) == 0);
        CHECK(changed(before, counts_of_all(m)) == "");
    }
    SECTION("the L1 mapping itself") {
        CHECK(update(m, 0, l1, 4, TestMachine::pte(l1, kRW)) == kEINVAL);
        CHECK(changed(before, counts_of_all(m)) == "");
    }
    SECTION("by flipping RW on a read-only mapping (not a fast-path change)") {
        REQUIRE(update(m, 0, l1, 4, TestMachine::pte(table, kRO | kPteA)) == kOk);
        REQUIRE_INVARIANTS(m.core());
        const auto mapped = counts_of_all(m);
        CHECK(update(m, 0, l1, 4, TestMachine::pte(table, kRW | kPteA)) == kEINVAL);
        CHECK(m.read_word(l1, 4) == TestMachine::pte(table, kRO | kPteA));
        CHECK(changed(mapped, counts_of_all(m)) == "");
        CHECK(view(m, table).type != kTypeWritable);
    }
    REQUIRE_INVARIANTS(m.core());
}

TEST_CASE("mmu_update: the fast path changes A/D/avail/NX/US without new references") {
    TestMachine m;
    const auto l1 = pinned_table(m, 0, kTypeL1);
    const auto data = m.frame(0);
    REQUIRE(update(m, 0, l1, 0, TestMachine::pte(data, kRW)) == kOk);
    const auto mapped = counts_of_all(m);

    const std::uint64_t bits =
        GENERATE(as<std::uint64_t>{}, kPteA, kPteD, kPteAvail, kPteNX, kPteA | kPteD | kPteNX);
    const auto flipped = TestMachine::pte(data, kRW | bits);
    INFO("fast-path bits 0x" << std::hex << bits);
    REQUIRE(update(m, 0, l1, 0, flipped) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(m.read_word(l1, 0) == flipped);
    CHECK(changed(mapped, counts_of_all(m)) == "");

    // US off as well: still the same frame and rights.
    REQUIRE(update(m, 0, l1, 0, flipped & ~kPteUS) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(changed(mapped, counts_of_all(m)) == "");
}

TEST_CASE("mmu_update: an unknown command is -ENOSYS") {
    TestMachine m;
    const auto l1 = pinned_table(m, 0, kTypeL1);
    const auto data = m.frame(0);
    const std::uint64_t cmd = GENERATE(as<std::uint64_t>{}, MMU_MACHPHYS_UPDATE, 3);
    CHECK(m.core().mmu_update(0, TestMachine::maddr(l1, 2) | cmd, TestMachine::pte(data, kRO)) ==
          kENOSYS);
    REQUIRE_INVARIANTS(m.core());
    CHECK(m.read_word(l1, 2) == 0);
    CHECK(view(m, data).count == 1);
}

TEST_CASE("mmu_update: PRESERVE_AD keeps the accessed and dirty bits") {
    TestMachine m;
    const auto l1 = pinned_table(m, 0, kTypeL1);
    const auto data = m.frame(0);
    const auto other = m.frame(0);
    REQUIRE(update(m, 0, l1, 6, TestMachine::pte(data, kRW | kPteA | kPteD)) == kOk);

    const auto ptr = TestMachine::maddr(l1, 6) | MMU_PT_UPDATE_PRESERVE_AD;
    SECTION("same frame: fast path") {
        REQUIRE(m.core().mmu_update(0, ptr, TestMachine::pte(data, kRW | kPteNX)) == kOk);
        CHECK(m.read_word(l1, 6) == TestMachine::pte(data, kRW | kPteNX | kPteA | kPteD));
    }
    SECTION("a new frame: full update") {
        REQUIRE(m.core().mmu_update(0, ptr, TestMachine::pte(other, kRO)) == kOk);
        CHECK(m.read_word(l1, 6) == TestMachine::pte(other, kRO | kPteA | kPteD));
        CHECK(view(m, data).count == 1);
        CHECK(view(m, other).count == 2);
    }
    SECTION("a normal update drops them") {
        REQUIRE(update(m, 0, l1, 6, TestMachine::pte(data, kRW)) == kOk);
        CHECK(m.read_word(l1, 6) == TestMachine::pte(data, kRW));
    }
    REQUIRE_INVARIANTS(m.core());
}

// ---------------------------------------------------------------------- pin

TEST_CASE("pin: pinning an L4 written as plain memory validates every level below") {
    TestMachine m;
    const auto l4 = m.frame(0);
    const auto l3 = m.frame(0);
    const auto l2 = m.frame(0);
    const auto l1 = m.frame(0);
    const auto data = m.frame(0);
    // Written while none of them is a page table: plain memory.
    REQUIRE(update(m, 0, l1, 0, TestMachine::pte(data, kRW)) == kOk);
    REQUIRE(update(m, 0, l2, 0, TestMachine::pte(l1, kRW)) == kOk);
    REQUIRE(update(m, 0, l3, 0, TestMachine::pte(l2, kRW)) == kOk);
    REQUIRE(update(m, 0, l4, 0, TestMachine::pte(l3, kRW)) == kOk);
    REQUIRE_INVARIANTS(m.core());

    REQUIRE(m.core().pin_table(0, l4, kTypeL4) == kOk);
    REQUIRE_INVARIANTS(m.core());
    constexpr std::uint8_t kTable = kFrameAllocated | kFrameValidated;
    CHECK(view(m, l4) == FrameView{2, 1, kTypeL4, kTable | kFramePinned});
    CHECK(view(m, l3) == FrameView{2, 1, kTypeL3, kTable});
    CHECK(view(m, l2) == FrameView{2, 1, kTypeL2, kTable});
    CHECK(view(m, l1) == FrameView{2, 1, kTypeL1, kTable});
    CHECK(view(m, data) == FrameView{2, 1, kTypeWritable, kFrameAllocated});
}

TEST_CASE("pin: pinning twice is -EINVAL") {
    const std::uint8_t level = GENERATE(as<std::uint8_t>{}, kTypeL1, kTypeL2, kTypeL3, kTypeL4);
    TestMachine m;
    const auto t = pinned_table(m, 0, level);
    const auto before = counts_of_all(m);
    CHECK(m.core().pin_table(0, t, level) == kEINVAL);
    REQUIRE_INVARIANTS(m.core());
    CHECK(changed(before, counts_of_all(m)) == "");
}

TEST_CASE("pin: a foreign frame or a table in use as another level is refused") {
    TestMachine m;
    m.make_domain(1);
    const auto theirs = m.frame(1);
    CHECK(m.core().pin_table(0, theirs, kTypeL1) == kEPERM);
    const auto l2 = pinned_table(m, 0, kTypeL2);
    CHECK(m.core().pin_table(0, l2, kTypeL1) == kEINVAL); // already pinned
    const auto l1 = m.frame(0);
    REQUIRE(update(m, 0, l2, 0, TestMachine::pte(l1, kRO)) == kOk);
    CHECK(m.core().pin_table(0, l1, kTypeL2) == kEINVAL); // in use as an L1
    REQUIRE_INVARIANTS(m.core());
    CHECK(view(m, l1).type == kTypeL1);
}

TEST_CASE("pin: a level that is not a page-table level is refused") {
    // Core::pin_table is public API; only L1..L4 can be pinned.
    const std::uint8_t level =
        GENERATE(as<std::uint8_t>{}, kTypeNone, kTypeSegDesc, kTypeWritable, 7);
    TestMachine m;
    const auto f = m.frame(0);
    const auto before = counts_of_all(m);
    CHECK(m.core().pin_table(0, f, level) == kEINVAL);
    CHECK(changed(before, counts_of_all(m)) == "");
    REQUIRE_INVARIANTS(m.core());
}

TEST_CASE("pin: a table with a bad entry fails and leaves no references behind") {
    TestMachine m;
    m.make_domain(1);
    const auto data = m.frame(0);
    const auto foreign = m.frame(1);
    const auto good = TestMachine::pte(data, kRW);

    // An L1 whose slot 0 is fine (taken, then undone) and slot 1 is bad.
    auto bad_l1 = [&](std::uint64_t bad_entry) {
        const auto l1 = m.frame(0);
        REQUIRE(update(m, 0, l1, 0, good) == kOk);
        REQUIRE(update(m, 0, l1, 1, bad_entry) == kOk); // plain memory for now
        return l1;
    };
    std::uint32_t top = 0;
    std::uint8_t level = kTypeL1;
    Rc expected = kEINVAL;
    SECTION("a foreign frame") {
        top = bad_l1(TestMachine::pte(foreign, kRO));
        expected = kEPERM;
    }
    SECTION("a cache-control bit") {
        top = bad_l1(TestMachine::pte(data, kRO | kPtePCD));
    }
    SECTION("a writable self-map") {
        top = m.frame(0);
        REQUIRE(update(m, 0, top, 0, good) == kOk);
        REQUIRE(update(m, 0, top, 1, TestMachine::pte(top, kRW)) == kOk);
    }
    SECTION("a bad L1 below an L2 (nested validation is undone too)") {
        const auto l1 = bad_l1(TestMachine::pte(foreign, kRW));
        top = m.frame(0);
        REQUIRE(update(m, 0, top, 0, TestMachine::pte(l1, kRW)) == kOk);
        level = kTypeL2;
        expected = kEPERM;
    }
    SECTION("a superpage in an L3 below an L4") {
        const auto l3 = m.frame(0);
        REQUIRE(update(m, 0, l3, 3, TestMachine::pte(data, kRW | kPtePSE)) == kOk);
        top = m.frame(0);
        REQUIRE(update(m, 0, top, 0, TestMachine::pte(l3, kRW)) == kOk);
        level = kTypeL4;
    }
    REQUIRE_INVARIANTS(m.core());
    const auto before = counts_of_all(m);

    CHECK(m.core().pin_table(0, top, level) == expected);
    REQUIRE_INVARIANTS(m.core());
    CHECK(changed(before, counts_of_all(m)) == "");
    CHECK(view(m, top).type == kTypeNone);
    CHECK(view(m, data).type_count == 0);
    CHECK(view(m, data).count == 1);
}

TEST_CASE("pin: a failed pin of an L2 leaves children that did validate holding only their own") {
    TestMachine m;
    const auto data = m.frame(0);
    const auto good_l1 = m.frame(0);
    const auto l2 = m.frame(0);
    REQUIRE(update(m, 0, good_l1, 0, TestMachine::pte(data, kRO)) == kOk);
    REQUIRE(update(m, 0, l2, 0, TestMachine::pte(good_l1, kRW)) == kOk);
    REQUIRE(update(m, 0, l2, 1, TestMachine::pte(good_l1, kRW | kPtePSE)) == kOk);

    CHECK(m.core().pin_table(0, l2, kTypeL2) == kEINVAL);
    REQUIRE_INVARIANTS(m.core());
    CHECK(view(m, l2) == FrameView{1, 0, kTypeNone, kFrameAllocated});
    // The child may stay lazily validated, but nothing of the failed parent holds it.
    CHECK(view(m, good_l1).count == 1);
    CHECK(view(m, good_l1).type_count == 0);
    // ... and it can still be released, which drops what it holds.
    CHECK(m.core().release_frame(0, good_l1) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(view(m, data).count == 1);
}

// -------------------------------------------------------------------- unpin

TEST_CASE("unpin: only a pinned table of one's own can be unpinned") {
    TestMachine m;
    m.make_domain(1);
    const auto plain = m.frame(0);
    const auto l2 = pinned_table(m, 0, kTypeL2);
    const auto l1 = m.frame(0);
    REQUIRE(update(m, 0, l2, 0, TestMachine::pte(l1, kRW)) == kOk); // validated, not pinned
    const auto theirs = pinned_table(m, 1, kTypeL1);
    const auto before = counts_of_all(m);

    CHECK(m.core().unpin_table(0, plain) == kEINVAL);
    CHECK(m.core().unpin_table(0, l1) == kEINVAL);
    CHECK(m.core().unpin_table(0, theirs) == kEINVAL);
    CHECK(m.core().unpin_table(0, 0) == kEINVAL);
    CHECK(m.core().unpin_table(0, m.state().nr_frames) == kEINVAL);
    REQUIRE_INVARIANTS(m.core());
    CHECK(changed(before, counts_of_all(m)) == "");

    REQUIRE(m.core().unpin_table(0, l2) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(m.core().unpin_table(0, l2) == kEINVAL); // not twice
}

TEST_CASE("unpin: an unpinned table stays validated and re-pins without revalidating") {
    TestMachine m;
    const auto data = m.frame(0);
    const auto l1 = m.frame(0);
    REQUIRE(update(m, 0, l1, 0, TestMachine::pte(data, kRW)) == kOk);
    REQUIRE(m.core().pin_table(0, l1, kTypeL1) == kOk);
    const auto pinned = counts_of_all(m);

    REQUIRE(m.core().unpin_table(0, l1) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(view(m, l1) == FrameView{1, 0, kTypeL1, kFrameAllocated | kFrameValidated});
    CHECK(view(m, data) == FrameView{2, 1, kTypeWritable, kFrameAllocated}); // kept lazily

    REQUIRE(m.core().pin_table(0, l1, kTypeL1) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(changed(pinned, counts_of_all(m)) == ""); // entries not taken twice
}

TEST_CASE("unpin: mapping an unpinned table writable devalidates it") {
    TestMachine m;
    const auto data = m.frame(0);
    const auto l1 = m.frame(0);
    const auto mapper = pinned_table(m, 0, kTypeL1);
    REQUIRE(update(m, 0, l1, 0, TestMachine::pte(data, kRW)) == kOk);
    REQUIRE(m.core().pin_table(0, l1, kTypeL1) == kOk);
    CHECK(update(m, 0, mapper, 0, TestMachine::pte(l1, kRW)) == kEINVAL); // pinned: refused
    REQUIRE(m.core().unpin_table(0, l1) == kOk);
    m.core().take_effects(0);

    REQUIRE(update(m, 0, mapper, 0, TestMachine::pte(l1, kRW)) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(view(m, l1) == FrameView{2, 1, kTypeWritable, kFrameAllocated});
    CHECK(view(m, data) == FrameView{1, 0, kTypeWritable, kFrameAllocated});
    CHECK((m.core().take_effects(0) & kEffectTlbFlush) != 0); // data lost its last RW mapping

    // Now plain memory: re-pinning must fail while it is mapped writable.
    CHECK(m.core().pin_table(0, l1, kTypeL1) == kEINVAL);
    REQUIRE_INVARIANTS(m.core());
}

// -------------------------------------------------------------- new_baseptr

TEST_CASE("new_baseptr: needs a pinned L4 of the caller's own") {
    TestMachine m;
    m.make_domain(1);
    const auto unpinned = m.frame(0);
    const auto l3 = pinned_table(m, 0, kTypeL3);
    const auto theirs = pinned_table(m, 1, kTypeL4);
    const auto before = counts_of_all(m);

    CHECK(m.core().new_baseptr(0, unpinned) == kEINVAL);
    CHECK(m.core().new_baseptr(0, l3) == kEINVAL);
    CHECK(m.core().new_baseptr(0, 0) == kEINVAL);
    CHECK(m.core().new_baseptr(0, theirs) < 0);
    REQUIRE_INVARIANTS(m.core());
    CHECK(changed(before, counts_of_all(m)) == "");
    CHECK(m.state().doms.baseptr.get(0) == kNoFrame);
    CHECK(m.state().doms.baseptr.get(1) == kNoFrame);

    const auto l4 = pinned_table(m, 0, kTypeL4);
    m.core().take_effects(0);
    REQUIRE(m.core().new_baseptr(0, l4) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(m.state().doms.baseptr.get(0) == l4);
    CHECK(view(m, l4).count == 3);
    CHECK(view(m, l4).type_count == 2);
    CHECK((m.core().take_effects(0) & kEffectTlbFlush) != 0);
}

TEST_CASE("new_baseptr: replacing the root drops the old root's references") {
    TestMachine m;
    const auto data = m.frame(0);
    const auto as = m.build_address_space(0, data);
    const auto old_root = view(m, as.l4);
    CHECK(old_root.count == 3);
    CHECK(old_root.type_count == 2);

    const auto l4b = pinned_table(m, 0, kTypeL4);
    REQUIRE(update(m, 0, l4b, 0, TestMachine::pte(as.l3, kRW)) == kOk);
    REQUIRE(m.core().new_baseptr(0, l4b) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(view(m, as.l4).count == old_root.count - 1);
    CHECK(view(m, as.l4).type_count == old_root.type_count - 1);
    CHECK(view(m, l4b).count == 3);

    // The old root is now only pinned: it can be unpinned and released.
    REQUIRE(m.core().unpin_table(0, as.l4) == kOk);
    REQUIRE(m.core().release_frame(0, as.l4) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK(view(m, as.l3).type_count == 2); // pin + l4b, the released root's entry is gone
}

// -------------------------------------------------------- update_va_mapping

TEST_CASE("update_va_mapping: remaps a va and leaves the flush the guest asked for") {
    TestMachine m;
    const auto data = m.frame(0);
    const auto other = m.frame(0);
    const auto as = m.build_address_space(0, data, /*writable=*/false);
    const std::uint64_t va = 0x123;
    m.core().take_effects(0);

    SECTION("UVMF_TLB_FLUSH") {
        REQUIRE(m.core().update_va_mapping(0, va, TestMachine::pte(other, kRO), UVMF_TLB_FLUSH) ==
                kOk);
        CHECK((m.core().take_effects(0) & kEffectTlbFlush) != 0);
    }
    SECTION("UVMF_INVLPG") {
        REQUIRE(m.core().update_va_mapping(0, va, TestMachine::pte(other, kRO), UVMF_INVLPG) ==
                kOk);
        const auto effects = m.core().take_effects(0);
        CHECK((effects & kEffectInvlpg) != 0);
        CHECK((effects & kEffectTlbFlush) == 0);
        CHECK(m.state().doms.invlpg_va.get(0) == va);
    }
    SECTION("UVMF_NONE between read-only mappings needs no flush") {
        REQUIRE(m.core().update_va_mapping(0, va, TestMachine::pte(other, kRO), UVMF_NONE) == kOk);
        CHECK((m.core().take_effects(0) & (kEffectTlbFlush | kEffectInvlpg)) == 0);
    }
    REQUIRE_INVARIANTS(m.core());
    CHECK(m.read_word(as.l1, 0) == TestMachine::pte(other, kRO));
    CHECK(view(m, data).count == 1);
    CHECK(view(m, other).count == 2);
}

TEST_CASE("update_va_mapping: a va without an L1, or non-canonical, is -EINVAL") {
    TestMachine m;
    m.make_domain(1);
    const auto data = m.frame(0);
    m.build_address_space(0, data);
    const auto before = counts_of_all(m);
    const auto val = TestMachine::pte(data, kRO);

    CHECK(m.core().update_va_mapping(0, 1ULL << 21, val, UVMF_INVLPG) == kEINVAL); // L2 slot 1
    CHECK(m.core().update_va_mapping(0, 1ULL << 39, val, UVMF_INVLPG) == kEINVAL); // L4 slot 1
    CHECK(m.core().update_va_mapping(0, 1ULL << 47, val, UVMF_INVLPG) == kEINVAL); // non-canonical
    CHECK(m.core().update_va_mapping(1, 0, val, UVMF_INVLPG) == kEINVAL);          // no baseptr
    REQUIRE_INVARIANTS(m.core());
    CHECK(changed(before, counts_of_all(m)) == "");
    CHECK((m.core().take_effects(0) & kEffectInvlpg) == 0); // no flush after a failure
}

TEST_CASE("update_va_mapping: refuses a writable mapping of a page table") {
    TestMachine m;
    const auto data = m.frame(0);
    const auto as = m.build_address_space(0, data);
    const auto before = counts_of_all(m);
    for (auto table : {as.l1, as.l2, as.l3, as.l4}) {
        CHECK(m.core().update_va_mapping(0, 0, TestMachine::pte(table, kRW), UVMF_NONE) == kEINVAL);
    }
    REQUIRE_INVARIANTS(m.core());
    CHECK(changed(before, counts_of_all(m)) == "");
    CHECK(m.read_word(as.l1, 0) == TestMachine::pte(data, kRW));

    REQUIRE(m.core().update_va_mapping(0, 0, TestMachine::pte(as.l2, kRO), UVMF_NONE) == kOk);
    REQUIRE_INVARIANTS(m.core());
}

// ---------------------------------------------------------------------- tlb

// As on Xen, dropping a mapping is the guest's to flush; the core owes a flush
// only when a frame that may still be cached writable becomes a page table.
TEST_CASE("tlb: a frame that was mapped writable is flushed when it becomes a page table") {
    TestMachine m;
    const auto data = m.frame(0);
    const auto as = m.build_address_space(0, data);
    m.core().take_effects(0);
    SECTION("cleared by mmu_update") {
        REQUIRE(update(m, 0, as.l1, 0, 0) == kOk);
    }
    SECTION("downgraded to read-only by update_va_mapping without flush flags") {
        REQUIRE(m.core().update_va_mapping(0, 0, TestMachine::pte(data, kRO), UVMF_NONE) == kOk);
    }
    REQUIRE_INVARIANTS(m.core());
    CHECK((m.core().take_effects(0) & kEffectTlbFlush) == 0);
    REQUIRE(m.core().pin_table(0, data, kTypeL1) == kOk);
    REQUIRE_INVARIANTS(m.core());
    CHECK((m.core().take_effects(0) & kEffectTlbFlush) != 0);
}

TEST_CASE("tlb: a frame never mapped writable becomes a page table without a flush") {
    TestMachine m;
    const auto fresh = m.frame(0);
    REQUIRE(update(m, 0, fresh, 3, 0) == kOk); // written as plain memory through the core
    m.core().take_effects(0);
    REQUIRE(m.core().pin_table(0, fresh, kTypeL1) == kOk);
    CHECK((m.core().take_effects(0) & kEffectTlbFlush) == 0);
    REQUIRE_INVARIANTS(m.core());
}

// Xen flushes the owner's TLBs whenever a frame changes type (_get_page_type,
// tlbflush_timestamp), so no stale writable translation survives into a page
// table and no stale page-table walk survives into a writable frame.
TEST_CASE(
    "tlb: a writable mapping dropped while a grant held the type is flushed before retyping") {
    TestMachine m;
    m.make_domain(1);
    const auto x = m.frame(1);
    const auto as = m.build_address_space(1, x); // d1 maps x writable at va 0
    std::vector<std::uint32_t> gframes;
    REQUIRE(m.core().grant_setup_table(1, 1, gframes) == GNTST_okay);
    m.core().grant_write_entry(1, 0, GTF_permit_access, 0, x);
    std::uint32_t handle = 0;
    std::uint64_t bus = 0;
    REQUIRE(m.core().grant_map(0, 1, 0, GNTMAP_host_map, 0, handle, bus) == GNTST_okay);
    REQUIRE_INVARIANTS(m.core());
    m.core().take_effects(1);

    REQUIRE(update(m, 1, as.l1, 0, 0) == kOk); // d1's RW PTE goes; the grant still types x
    REQUIRE(m.core().grant_unmap(0, handle, 0) == GNTST_okay); // last writable reference
    REQUIRE(m.core().pin_table(1, x, kTypeL1) == kOk);         // x is a page table now
    REQUIRE_INVARIANTS(m.core());
    INFO("d1 may still cache the RW translation of x, now its L1");
    CHECK((m.core().take_effects(1) & kEffectTlbFlush) != 0);
}

TEST_CASE("tlb: an unlinked page table is flushed before it becomes writable") {
    TestMachine m;
    const auto data = m.frame(0);
    const auto as = m.build_address_space(0, data, /*writable=*/false);
    const auto mapper = pinned_table(m, 0, kTypeL1);
    m.core().take_effects(0);

    REQUIRE(m.core().unpin_table(0, as.l1) == kOk);
    REQUIRE(update(m, 0, as.l2, 0, 0) == kOk); // unlinked: type count 0, still validated
    REQUIRE(update(m, 0, mapper, 0, TestMachine::pte(as.l1, kRW)) == kOk); // devalidated
    REQUIRE_INVARIANTS(m.core());
    INFO("the vCPU may still walk through the old L1, which the guest can now write");
    CHECK((m.core().take_effects(0) & kEffectTlbFlush) != 0);
}
