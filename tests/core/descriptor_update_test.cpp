// update_descriptor through the concrete core: Xen's descriptor check, and
// the frames a descriptor may be written into.
#include "hvcore/core/descriptor_update.hpp"
#include "tests/core/test_machine.hpp"

namespace enso::test {
namespace {

constexpr std::uint16_t kDom = 1;
// A flat 64-bit code segment (L, P, S, type execute/read), DPL 0 and DPL 3.
constexpr std::uint64_t kCode64Dpl0 = 0x00af9a000000ffffULL;
constexpr std::uint64_t kCode64Dpl3 = 0x00affa000000ffffULL;
constexpr std::uint64_t kCallGate = 0x0000ec0000100000ULL; // present, DPL 3, type 0xc
constexpr std::uint64_t kTss = 0x0000890000000067ULL;      // present, type 9

} // namespace

TEST_CASE("update_descriptor: Xen's check raises a code segment's DPL to 3 and refuses gates",
          "[descriptor]") {
    TestMachine m;
    m.make_domain(kDom);
    const auto gdt = m.frame(kDom);
    const auto at = [&](std::uint32_t slot) { return TestMachine::maddr(gdt, slot); };

    REQUIRE(m.core().update_descriptor(kDom, at(9), kCode64Dpl0) == kOk);
    CHECK(m.read_word(gdt, 9) == kCode64Dpl3);
    REQUIRE(m.core().update_descriptor(kDom, at(10), kCode64Dpl3) == kOk);
    CHECK(m.read_word(gdt, 10) == kCode64Dpl3);
    // Not present, or a gate's upper half (system type 0): harmless, as given.
    REQUIRE(m.core().update_descriptor(kDom, at(11), 0x00af1a000000ffffULL) == kOk);
    CHECK(m.read_word(gdt, 11) == 0x00af1a000000ffffULL);
    REQUIRE(m.core().update_descriptor(kDom, at(12), 0x0000800000000000ULL) == kOk);

    CHECK(m.core().update_descriptor(kDom, at(13), kCallGate) == kEINVAL);
    CHECK(m.core().update_descriptor(kDom, at(13), kTss) == kEINVAL);
    CHECK(m.read_word(gdt, 13) == 0);
    CHECK(m.core().update_descriptor(kDom, at(13) + 4, kCode64Dpl3) == kEINVAL); // unaligned
    REQUIRE_INVARIANTS(m.core());
}

TEST_CASE("update_descriptor: only into the caller's frames that can take a writable type",
          "[descriptor]") {
    TestMachine m;
    m.make_domain(kDom);
    m.make_domain(2);
    const auto data = m.frame(kDom);
    const auto as = m.build_address_space(kDom, data);
    const auto before_l1 = m.read_word(as.l1, 7);

    // Another domain's frame, a frame beyond memory, the caller's page table.
    CHECK(m.core().update_descriptor(kDom, TestMachine::maddr(m.frame(2), 0), kCode64Dpl3) ==
          kEINVAL);
    CHECK(m.core().update_descriptor(kDom, std::uint64_t{m.state().nr_frames} << kPageShift,
                                     kCode64Dpl3) == kEINVAL);
    CHECK(m.core().update_descriptor(kDom, TestMachine::maddr(as.l1, 7), kCode64Dpl3) == kEINVAL);
    CHECK(m.read_word(as.l1, 7) == before_l1);
    // The core's own frames: shared_info, and a descriptor frame of the platform's.
    const auto si = m.state().doms.shared_info.get(kDom);
    CHECK(m.core().update_descriptor(kDom, TestMachine::maddr(si, 0), kCode64Dpl3) == kEINVAL);
    const auto machinery = m.frame(kDom);
    REQUIRE(m.core().hold_descriptor_frame(kDom, machinery) == kOk);
    CHECK(m.core().update_descriptor(kDom, TestMachine::maddr(machinery, 0), kCode64Dpl3) ==
          kEINVAL);
    CHECK(m.read_word(machinery, 0) == 0);
    // A dead caller.
    CHECK(m.core().update_descriptor(5, TestMachine::maddr(data, 0), kCode64Dpl3) == kESRCH);

    // A data page the guest maps read-only, as a GDT is mapped: written.
    REQUIRE(m.core().update_descriptor(kDom, TestMachine::maddr(data, 3), kCode64Dpl3) == kOk);
    CHECK(m.read_word(data, 3) == kCode64Dpl3);
    CHECK(m.state().frames.type_count.get(data) == 1); // the mapping's, nothing left over
    REQUIRE_INVARIANTS(m.core());
}

} // namespace enso::test
