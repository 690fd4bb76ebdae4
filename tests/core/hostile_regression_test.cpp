// Regression tests for the core bugs the hostile-guest suite (tests/hostile)
// found: each replays, through the concrete core, the hypercalls a hostile
// guest made, and fails on the core as it was before the fix.
#include "tests/core/test_machine.hpp"

namespace enso::test {
namespace {

constexpr std::uint16_t kAttacker = 1;
constexpr std::uint16_t kVictim = 2;

// Reserves frames for d until it gets `want`: the allocator's cursor moves
// on with every frame handed out, so giving each other one back at once
// brings it round to `want` without using up the quota.
void reserve_exactly(TestMachine& m, std::uint16_t d, std::uint32_t want) {
    for (std::uint32_t i = 0; i < m.state().nr_frames; ++i) {
        std::uint32_t f = kNoFrame;
        REQUIRE(m.core().reserve_frame(d, f) == kOk);
        if (f == want) {
            return;
        }
        REQUIRE(m.core().release_frame(d, f) == kOk);
    }
    FAIL("frame " << want << " never came round");
}

} // namespace

// The attacker grant-maps a frame into a slot of one of its L1 tables, then
// unlinks, unpins and gives that table back (devalidation skips grant PTEs,
// so the table goes free with the grant PTE's maptrack entry still pointing
// into it). The frame goes to the victim, which makes it an L1 of its own
// with, by chance or by design, its own mapping of the same frame at the same
// slot. The attacker's unmap then found "its" PTE there and cleared the
// victim's entry: a write into another domain's page table, and the victim's
// references on the frame leaked.
TEST_CASE("hostile: a grant unmap leaves a PTE alone once its table has changed owner") {
    TestMachine m(1024);
    m.make_domain(kAttacker);
    m.make_domain(kVictim, 1000);
    std::vector<std::uint32_t> gframes;
    REQUIRE(m.core().grant_setup_table(kVictim, 1, gframes) == GNTST_okay);
    const std::uint32_t granted = m.frame(kVictim);
    const auto as = m.build_address_space(kAttacker, m.frame(kAttacker));
    constexpr std::uint32_t kSlot = 5;
    m.core().grant_write_entry(kVictim, 8, GTF_permit_access | GTF_readonly, kAttacker, granted);

    std::uint32_t handle = kNoHandle;
    std::uint64_t bus = 0;
    REQUIRE(m.core().grant_map(kAttacker, kVictim, 8,
                               GNTMAP_host_map | GNTMAP_contains_pte | GNTMAP_readonly,
                               TestMachine::maddr(as.l1, kSlot), handle, bus) == GNTST_okay);
    REQUIRE_INVARIANTS(m.core());

    // The attacker unlinks and unpins its L1 and gives the frame back.
    REQUIRE(update(m, kAttacker, as.l2, 0, 0) == kOk);
    REQUIRE(m.core().unpin_table(kAttacker, as.l1) == kOk);
    const Rc released = m.core().release_frame(kAttacker, as.l1);
    REQUIRE_INVARIANTS(m.core());
    if (released != kOk) {
        SUCCEED("the core refuses to free a table that holds a grant PTE");
        return;
    }

    // The victim gets the frame and maps its own granted frame at that slot.
    reserve_exactly(m, kVictim, as.l1);
    REQUIRE(update(m, kVictim, as.l1, kSlot, TestMachine::pte(granted, kRO)) == kOk);
    REQUIRE(m.core().pin_table(kVictim, as.l1, kTypeL1) == kOk);
    REQUIRE_INVARIANTS(m.core());
    const std::uint64_t victim_pte = m.read_word(as.l1, kSlot);

    REQUIRE(m.core().grant_unmap(kAttacker, handle, 0) == GNTST_okay);
    CHECK(m.read_word(as.l1, kSlot) == victim_pte);
    REQUIRE_INVARIANTS(m.core());

    REQUIRE(m.core().unpin_table(kVictim, as.l1) == kOk);
    REQUIRE(m.core().destroy_domain(kAttacker) == kOk);
    REQUIRE(m.core().destroy_domain(kVictim) == kOk);
    REQUIRE_INVARIANTS(m.core());
}

} // namespace enso::test
