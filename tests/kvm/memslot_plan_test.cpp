// Memory slots follow the core's state: owned frames read-write, grant-mapped
// frames read-only or read-write, nothing else. No KVM needed.
#include "../core/test_machine.hpp"
#include "hvcore/kvm/memslot_plan.hpp"

#include <catch2/catch.hpp>
#include <xen/grant_table.h>

using enso::kvm::access_runs;
using enso::kvm::frame_access;
using enso::kvm::FrameAccess;
using enso::kvm::SlotRange;
using namespace enso::test;

TEST_CASE("runs group consecutive frames of the same access") {
    std::vector<FrameAccess> a(10, FrameAccess::none);
    a[2] = a[3] = a[4] = FrameAccess::write;
    a[5] = FrameAccess::read;
    a[8] = FrameAccess::write;
    const auto runs = access_runs(a);
    REQUIRE(runs.size() == 3);
    CHECK(runs[0] == SlotRange{2, 3, false});
    CHECK(runs[1] == SlotRange{5, 1, true});
    CHECK(runs[2] == SlotRange{8, 1, false});
}

TEST_CASE("a domain's slots are its own frames, and a granted frame while it maps it") {
    constexpr std::uint16_t kGranter = 1;
    constexpr std::uint16_t kGrantee = 2;
    TestMachine m;
    m.make_domain(kGranter);
    m.make_domain(kGrantee);
    std::vector<std::uint32_t> gframes;
    REQUIRE(m.core().grant_setup_table(kGranter, 1, gframes) == GNTST_okay);
    const auto page = m.frame(kGranter);
    const auto as = m.build_address_space(kGrantee, m.frame(kGrantee));

    const auto& s = m.state();
    const auto access = frame_access(s, kGrantee);
    for (std::uint32_t f = 0; f < s.nr_frames; ++f) {
        const bool owned =
            (s.frames.flags.get(f) & kFrameAllocated) != 0 && s.frames.owner.get(f) == kGrantee;
        CHECK((access[f] == FrameAccess::write) == owned);
    }
    CHECK(access[page] == FrameAccess::none);

    m.core().grant_write_entry(kGranter, 3, GTF_permit_access | GTF_readonly, kGrantee, page);
    std::uint32_t handle = 0;
    std::uint64_t bus = 0;
    REQUIRE(m.core().grant_map(kGrantee, kGranter, 3,
                               GNTMAP_host_map | GNTMAP_contains_pte | GNTMAP_readonly,
                               TestMachine::maddr(as.l1, 5), handle, bus) == GNTST_okay);
    CHECK(frame_access(s, kGrantee)[page] == FrameAccess::read);
    CHECK(frame_access(s, kGranter)[page] == FrameAccess::write);

    REQUIRE(m.core().grant_unmap(kGrantee, handle, TestMachine::maddr(as.l1, 5)) == GNTST_okay);
    CHECK(frame_access(s, kGrantee)[page] == FrameAccess::none);
}
