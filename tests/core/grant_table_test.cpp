// Grant tables v1 through the concrete core: setup, map and unmap (guest
// grantee with a PTE, domain 0 without), status bits, end of access, copy,
// and the grant advisories XSA-218, 224, 227, 230 and 234. Every state
// change is followed by the invariant checker.
#include "tests/core/test_machine.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <unistd.h>

namespace enso::test {
namespace {

constexpr std::uint16_t kGranter = 1;
constexpr std::uint16_t kGrantee = 2;
constexpr std::uint16_t kThird = 3;

constexpr std::uint32_t kMapRW = GNTMAP_host_map | GNTMAP_contains_pte;
constexpr std::uint32_t kMapRO = GNTMAP_host_map | GNTMAP_contains_pte | GNTMAP_readonly;
constexpr std::uint16_t kPermitRW = GTF_permit_access;
constexpr std::uint16_t kPermitRO = GTF_permit_access | GTF_readonly;
constexpr std::uint64_t kStatusBits = GTF_reading | GTF_writing;

// Every frame's general and type count: a map followed by its unmap must
// bring all of them back (XSA-224: every reference taken is dropped once).
struct Counts {
    std::vector<std::uint32_t> count;
    std::vector<std::uint32_t> type_count;
    explicit Counts(const CState& s) {
        for (std::uint32_t f = 0; f < s.nr_frames; ++f) {
            count.push_back(s.frames.count.get(f));
            type_count.push_back(s.frames.type_count.get(f));
        }
    }
    bool operator==(const Counts&) const = default;
};

// Granter d1 with a one-frame grant table and one data page; grantee d2 with
// an address space whose L1 has free slots; d3 as a bystander.
class GrantFixture {
public:
    GrantFixture() {
        m.make_domain(kGranter);
        m.make_domain(kGrantee);
        m.make_domain(kThird);
        std::vector<std::uint32_t> frames;
        REQUIRE(core().grant_setup_table(kGranter, 1, frames) == GNTST_okay);
        REQUIRE(frames.size() == 1);
        gtab = frames[0];
        page = m.frame(kGranter);
        grantee_data = m.frame(kGrantee);
        as = m.build_address_space(kGrantee, grantee_data);
        third_as = m.build_address_space(kThird, m.frame(kThird));
        REQUIRE_INVARIANTS(core());
        for (std::uint16_t d = 0; d <= kThird; ++d) {
            core().take_effects(d);
        }
    }

    Core& core() { return m.core(); }
    const CState& st() { return m.core().state(); }

    std::uint64_t entry(std::uint32_t ref) { return m.read_word(gtab, ref); }
    std::uint64_t status(std::uint32_t ref) { return entry(ref) & kStatusBits; }
    std::uint32_t count(std::uint32_t f) { return st().frames.count.get(f); }
    std::uint32_t type_count(std::uint32_t f) { return st().frames.type_count.get(f); }
    std::uint32_t readers(std::uint16_t gd, std::uint32_t ref) {
        return st().grants.act_readers.get(grant_index<Concrete>(gd, ref));
    }
    std::uint32_t writers(std::uint16_t gd, std::uint32_t ref) {
        return st().grants.act_writers.get(grant_index<Concrete>(gd, ref));
    }

    // A free slot of the grantee's L1 (slot 0 maps grantee_data).
    std::uint64_t slot_addr(std::uint32_t slot) { return TestMachine::maddr(as.l1, slot); }
    std::uint64_t pte_at(std::uint32_t slot) { return m.read_word(as.l1, slot); }

    Rc map(std::uint16_t d, std::uint32_t ref, std::uint32_t flags, std::uint64_t host_addr,
           std::uint32_t& handle) {
        std::uint64_t bus = 0;
        return core().grant_map(d, kGranter, ref, flags, host_addr, handle, bus);
    }

    TestMachine m;
    std::uint32_t gtab = kNoFrame;
    std::uint32_t page = kNoFrame;
    std::uint32_t grantee_data = kNoFrame;
    TestMachine::AddressSpace as{};
    TestMachine::AddressSpace third_as{};
};

CopySide<Concrete> gref_side(std::uint16_t granter, std::uint32_t ref, std::uint32_t offset = 0) {
    return CopySide<Concrete>{true, ref, granter, offset};
}
CopySide<Concrete> local_side(std::uint32_t frame, std::uint32_t offset = 0) {
    return CopySide<Concrete>{false, frame, DOMID_SELF, offset};
}

void fill(TestMachine& m, std::uint32_t frame, std::uint8_t seed) {
    auto* p = m.core().state().mem.frame(frame);
    for (std::size_t i = 0; i < kPageSize; ++i) {
        p[i] = static_cast<std::byte>(static_cast<std::uint8_t>(i * 7U + seed));
    }
}
bool same_page(TestMachine& m, std::uint32_t a, std::uint32_t b) {
    const auto& mem = m.core().state().mem;
    return std::memcmp(mem.frame(a), mem.frame(b), kPageSize) == 0;
}

} // namespace

TEST_CASE("setup_table grows the grant table one frame at a time, up to four", "[grant]") {
    TestMachine m;
    m.make_domain(1);
    const auto pages0 = m.state().doms.tot_pages.get(1);
    std::vector<std::uint32_t> frames;
    REQUIRE(m.core().grant_setup_table(1, 1, frames) == GNTST_okay);
    REQUIRE_INVARIANTS(m.core());
    REQUIRE(frames.size() == 1);
    const auto first = frames[0];
    CHECK(nr_grant_refs<Concrete>(m.state(), 1) == 512);
    // A grant-table frame is the domain's, but the core holds it writable.
    CHECK(m.state().frames.owner.get(first) == 1);
    CHECK(m.state().frames.type.get(first) == kTypeWritable);
    CHECK(frame_has<Concrete>(m.state(), first, kFrameXenRef));

    REQUIRE(m.core().grant_setup_table(1, 3, frames) == GNTST_okay);
    REQUIRE_INVARIANTS(m.core());
    REQUIRE(frames.size() == 3);
    CHECK(frames[0] == first); // grows, never replaces
    CHECK(nr_grant_refs<Concrete>(m.state(), 1) == 3 * 512);
    CHECK(m.state().doms.tot_pages.get(1) == pages0 + 3);

    // Asking for fewer returns the first ones and shrinks nothing.
    REQUIRE(m.core().grant_setup_table(1, 1, frames) == GNTST_okay);
    CHECK(frames.size() == 1);
    CHECK(nr_grant_refs<Concrete>(m.state(), 1) == 3 * 512);

    REQUIRE(m.core().grant_setup_table(1, 4, frames) == GNTST_okay);
    REQUIRE_INVARIANTS(m.core());
    CHECK(nr_grant_refs<Concrete>(m.state(), 1) == kMaxGrantRefs);
    REQUIRE(m.core().grant_setup_table(1, 5, frames) == GNTST_general_error);
    CHECK(nr_grant_refs<Concrete>(m.state(), 1) == kMaxGrantRefs);
    REQUIRE_INVARIANTS(m.core());

    // The grant frames can never be taken back by the guest.
    CHECK(m.core().release_frame(1, first) == kEBUSY);
    // Nor become page tables.
    CHECK(m.core().pin_table(1, first, kTypeL1) != kOk);
    REQUIRE_INVARIANTS(m.core());

    CHECK(m.core().grant_setup_table(9, 1, frames) == GNTST_bad_domain);
    REQUIRE_INVARIANTS(m.core());
}

TEST_CASE_METHOD(GrantFixture, "a guest grantee maps with a PTE in its own L1 and unmaps",
                 "[grant]") {
    const Counts before(st());
    core().grant_write_entry(kGranter, 7, kPermitRW, kGrantee, page);
    std::uint32_t h = kNoHandle;
    std::uint64_t bus = 0;
    REQUIRE(core().grant_map(kGrantee, kGranter, 7, kMapRW, slot_addr(5), h, bus) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(h != kNoHandle);
    CHECK(bus == (std::uint64_t{page} << kPageShift));
    CHECK(pte_at(5) == (TestMachine::pte(page, kPteP | kPteUS | kPteA | kPteNX | kPteRW | kPteD)));
    CHECK(status(7) == kStatusBits);
    CHECK(writers(kGranter, 7) == 1);
    CHECK(readers(kGranter, 7) == 0);
    CHECK(count(page) == before.count[page] + 1);
    CHECK(type_count(page) == before.type_count[page] + 1);
    CHECK(st().frames.type.get(page) == kTypeWritable);
    CHECK((core().take_effects(kGrantee) & kEffectMemslots) != 0);

    // The grant PTE can only be removed by unmap, not by the grantee's MMU ops.
    CHECK(core().mmu_update(kGrantee, slot_addr(5), 0) == kEPERM);
    CHECK(core().update_va_mapping(kGrantee, 5 * kPageSize, 0, 0) == kEPERM);
    CHECK(pte_at(5) != 0);
    REQUIRE_INVARIANTS(core());

    REQUIRE(core().grant_unmap(kGrantee, h, slot_addr(5)) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(pte_at(5) == 0);
    CHECK(status(7) == 0);
    CHECK(writers(kGranter, 7) == 0);
    CHECK((core().take_effects(kGrantee) & kEffectTlbFlush) != 0);
    CHECK(Counts(st()) == before);
}

// A PTE address is a machine address: bits above the machine must not
// alias a slot of the grantee's own L1 (the verifier's counterexample).
TEST_CASE_METHOD(GrantFixture, "a PTE address beyond machine memory is refused", "[grant]") {
    const Counts before(st());
    core().grant_write_entry(kGranter, 7, kPermitRW, kGrantee, page);
    std::uint32_t h = kNoHandle;
    std::uint64_t bus = 0;
    for (const unsigned bit : {44U, 52U, 63U}) {
        INFO("address bit " << bit);
        CHECK(core().grant_map(kGrantee, kGranter, 7, kMapRW,
                               slot_addr(5) | (std::uint64_t{1} << bit), h,
                               bus) == GNTST_general_error);
    }
    CHECK(pte_at(5) == 0);
    CHECK(status(7) == 0);
    REQUIRE_INVARIANTS(core());
    CHECK(Counts(st()) == before);
}

TEST_CASE_METHOD(GrantFixture, "a guest grantee maps through a virtual address", "[grant]") {
    const Counts before(st());
    core().grant_write_entry(kGranter, 3, kPermitRW, kGrantee, page);
    const std::uint64_t va = 9 * kPageSize; // L1 slot 9 of the tree built at va 0
    std::uint32_t h = kNoHandle;
    REQUIRE(map(kGrantee, 3, GNTMAP_host_map, va, h) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(pte_frame<Concrete>(pte_at(9)) == page);
    CHECK(st().grants.map_host_addr.get(maptrack_index<Concrete>(kGrantee, h)) == slot_addr(9));
    // The virtual address of a slot holding a grant PTE is refused.
    std::uint32_t h2 = kNoHandle;
    CHECK(map(kGrantee, 3, GNTMAP_host_map, va, h2) == GNTST_general_error);
    // A non-canonical or unmapped address is refused.
    CHECK(map(kGrantee, 3, GNTMAP_host_map, 1ULL << 47, h2) == GNTST_general_error);
    CHECK(map(kGrantee, 3, GNTMAP_host_map, 1ULL << 30, h2) == GNTST_general_error);
    REQUIRE_INVARIANTS(core());
    CHECK(status(3) == kStatusBits);

    // Unmap by the same virtual address.
    REQUIRE(core().grant_unmap(kGrantee, h, va) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(pte_at(9) == 0);
    CHECK(status(3) == 0);
    CHECK(Counts(st()) == before);
}

TEST_CASE_METHOD(GrantFixture, "domain 0 maps without a PTE and reaches the frame by bus address",
                 "[grant]") {
    const Counts before(st());
    const auto l1_before = std::vector<std::uint64_t>{pte_at(0), pte_at(1), pte_at(2)};
    core().grant_write_entry(kGranter, 0, kPermitRW, 0, page);
    std::uint32_t h = kNoHandle;
    std::uint64_t bus = 0;
    REQUIRE(core().grant_map(0, kGranter, 0, GNTMAP_host_map, 0, h, bus) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(bus == (std::uint64_t{page} << kPageShift));
    CHECK(status(0) == kStatusBits);
    CHECK(count(page) == before.count[page] + 1);
    CHECK(type_count(page) == before.type_count[page] + 1);
    CHECK((st().grants.map_flags.get(maptrack_index<Concrete>(0, h)) & kMapPte) == 0);
    CHECK((std::vector<std::uint64_t>{pte_at(0), pte_at(1), pte_at(2)}) == l1_before);

    // A second, read-only map by domain 0 takes a second handle.
    std::uint32_t h2 = kNoHandle;
    REQUIRE(core().grant_map(0, kGranter, 0, GNTMAP_host_map | GNTMAP_readonly, 0, h2, bus) ==
            GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(h2 != h);
    CHECK(readers(kGranter, 0) == 1);
    CHECK(writers(kGranter, 0) == 1);

    REQUIRE(core().grant_unmap(0, h, 0) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    REQUIRE(core().grant_unmap(0, h2, 0) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(status(0) == 0);
    CHECK(Counts(st()) == before);
}

TEST_CASE_METHOD(GrantFixture, "a read-only grant refuses writable maps", "[grant]") {
    const Counts before(st());
    core().grant_write_entry(kGranter, 4, kPermitRO, kGrantee, page);
    std::uint32_t h = kNoHandle;
    CHECK(map(kGrantee, 4, kMapRW, slot_addr(4), h) == GNTST_general_error);
    REQUIRE_INVARIANTS(core());
    CHECK(pte_at(4) == 0);
    CHECK(status(4) == 0); // the refused attempt leaves no status bit behind
    CHECK(Counts(st()) == before);

    REQUIRE(map(kGrantee, 4, kMapRO, slot_addr(4), h) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(pte_at(4) == TestMachine::pte(page, kPteP | kPteUS | kPteA | kPteNX)); // no RW
    CHECK(status(4) == GTF_reading);
    CHECK(type_count(page) == before.type_count[page]); // read-only takes no type ref

    // Still refused while a read-only map is live; the reading bit stays.
    std::uint32_t h2 = kNoHandle;
    CHECK(map(kGrantee, 4, kMapRW, slot_addr(6), h2) == GNTST_general_error);
    REQUIRE_INVARIANTS(core());
    CHECK(status(4) == GTF_reading);
    CHECK(pte_at(6) == 0);

    REQUIRE(core().grant_unmap(kGrantee, h, slot_addr(4)) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(status(4) == 0);
    CHECK(Counts(st()) == before);
}

TEST_CASE_METHOD(GrantFixture, "map errors: grantee, reference, domain, entry type", "[grant]") {
    Counts before(st());
    core().grant_write_entry(kGranter, 1, kPermitRW, kGrantee, page);
    std::uint32_t h = kNoHandle;
    std::uint64_t bus = 0;

    SECTION("a domain the entry does not name is refused") {
        CHECK(core().grant_map(kThird, kGranter, 1, kMapRW, TestMachine::maddr(third_as.l1, 3), h,
                               bus) == GNTST_general_error);
        CHECK(m.read_word(third_as.l1, 3) == 0);
        // Nor may d3 install the PTE in d2's L1 (XSA-227), even for a grant it may map.
        core().grant_write_entry(kGranter, 2, kPermitRW, kThird, page);
        CHECK(core().grant_map(kThird, kGranter, 2, kMapRW, slot_addr(3), h, bus) ==
              GNTST_general_error);
        CHECK(pte_at(3) == 0);
        CHECK(status(2) == 0);
        CHECK(core().grant_map(0, kGranter, 1, GNTMAP_host_map, 0, h, bus) == GNTST_general_error);
    }
    SECTION("while d2 maps it, another domain still cannot") {
        REQUIRE(map(kGrantee, 1, kMapRW, slot_addr(3), h) == GNTST_okay);
        std::uint32_t h0 = kNoHandle;
        CHECK(core().grant_map(0, kGranter, 1, GNTMAP_host_map, 0, h0, bus) == GNTST_general_error);
        REQUIRE_INVARIANTS(core());
        CHECK(status(1) == kStatusBits);
        REQUIRE(core().grant_unmap(kGrantee, h, 0) == GNTST_okay);
    }
    SECTION("a reference beyond the table is refused") {
        CHECK(map(kGrantee, 512, kMapRW, slot_addr(3), h) == GNTST_bad_gntref);
        CHECK(map(kGrantee, kMaxGrantRefs, kMapRW, slot_addr(3), h) == GNTST_bad_gntref);
        CHECK(map(kGrantee, 0xffffffffU, kMapRW, slot_addr(3), h) == GNTST_bad_gntref);
    }
    SECTION("a granter that does not exist is refused") {
        CHECK(core().grant_map(kGrantee, 9, 1, kMapRW, slot_addr(3), h, bus) == GNTST_bad_domain);
        CHECK(core().grant_map(kGrantee, 0xfff0, 1, kMapRW, slot_addr(3), h, bus) ==
              GNTST_bad_domain);
        CHECK(core().grant_map(9, kGranter, 1, GNTMAP_host_map, 0, h, bus) == GNTST_bad_domain);
    }
    SECTION("an entry that is not permit_access is refused") {
        core().grant_write_entry(kGranter, 1, GTF_invalid, kGrantee, page);
        CHECK(map(kGrantee, 1, kMapRW, slot_addr(3), h) == GNTST_general_error);
        core().grant_write_entry(kGranter, 1, GTF_accept_transfer, kGrantee, page);
        CHECK(map(kGrantee, 1, kMapRW, slot_addr(3), h) == GNTST_general_error);
        CHECK((entry(1) & kStatusBits) == 0);
    }
    SECTION("a granted frame the granter does not own is refused") {
        core().grant_write_entry(kGranter, 1, kPermitRW, kGrantee, grantee_data);
        CHECK(map(kGrantee, 1, kMapRW, slot_addr(3), h) == GNTST_bad_page);
        core().grant_write_entry(kGranter, 1, kPermitRW, kGrantee, 0xfffffU);
        CHECK(map(kGrantee, 1, kMapRW, slot_addr(3), h) == GNTST_bad_page);
        CHECK((entry(1) & kStatusBits) == 0);
    }
    SECTION("XSA-227: the PTE address must be a slot of one of the grantee's own L1s") {
        CHECK(map(kGrantee, 1, kMapRW, slot_addr(3) + 4, h) == GNTST_general_error); // misaligned
        CHECK(map(kGrantee, 1, kMapRW, TestMachine::maddr(as.l2, 3), h) == GNTST_general_error);
        CHECK(map(kGrantee, 1, kMapRW, TestMachine::maddr(grantee_data, 3), h) ==
              GNTST_general_error); // not a page table
        CHECK(map(kGrantee, 1, kMapRW, TestMachine::maddr(page, 3), h) ==
              GNTST_general_error); // the granter's frame
        CHECK(map(kGrantee, 1, kMapRW, TestMachine::maddr(gtab, 1), h) ==
              GNTST_general_error); // the grant table itself
        CHECK(map(kGrantee, 1, kMapRW, 0, h) == GNTST_general_error);
        CHECK(map(kGrantee, 1, kMapRW, std::uint64_t{core().nr_frames()} << kPageShift, h) ==
              GNTST_general_error); // beyond machine memory
        CHECK((entry(1) & kStatusBits) == 0);
    }
    SECTION("neither host_map nor device_map is refused") {
        CHECK(map(kGrantee, 1, GNTMAP_readonly, slot_addr(3), h) == GNTST_bad_gntref);
    }
    REQUIRE_INVARIANTS(core());
    CHECK(status(1) == 0);
    CHECK(Counts(st()) == before);
}

TEST_CASE_METHOD(GrantFixture, "maptrack exhaustion: 1024 handles, then no_device_space",
                 "[grant]") {
    const Counts before(st());
    core().grant_write_entry(kGranter, 2, kPermitRW, 0, page);
    std::vector<std::uint32_t> handles;
    for (std::uint32_t i = 0; i < kMaxMaptrack; ++i) {
        std::uint32_t h = kNoHandle;
        std::uint64_t bus = 0;
        const std::uint32_t flags = GNTMAP_host_map | ((i % 2) != 0 ? GNTMAP_readonly : 0U);
        REQUIRE(core().grant_map(0, kGranter, 2, flags, 0, h, bus) == GNTST_okay);
        handles.push_back(h);
        REQUIRE_INVARIANTS(core());
    }
    std::sort(handles.begin(), handles.end());
    CHECK(std::adjacent_find(handles.begin(), handles.end()) == handles.end());
    CHECK(readers(kGranter, 2) == kMaxMaptrack / 2);
    CHECK(writers(kGranter, 2) == kMaxMaptrack / 2);
    CHECK(count(page) == before.count[page] + kMaxMaptrack);

    std::uint32_t h = 0;
    std::uint64_t bus = 0;
    CHECK(core().grant_map(0, kGranter, 2, GNTMAP_host_map, 0, h, bus) == GNTST_no_device_space);
    CHECK(h == kNoHandle);
    REQUIRE_INVARIANTS(core());
    CHECK(count(page) == before.count[page] + kMaxMaptrack);

    // Another domain's maptrack is its own.
    core().grant_write_entry(kGranter, 3, kPermitRW, kGrantee, page);
    REQUIRE(map(kGrantee, 3, kMapRW, slot_addr(7), h) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    REQUIRE(core().grant_unmap(kGrantee, h, slot_addr(7)) == GNTST_okay);

    // Freeing one handle makes room for exactly one more map.
    REQUIRE(core().grant_unmap(0, handles[100], 0) == GNTST_okay);
    REQUIRE(core().grant_map(0, kGranter, 2, GNTMAP_host_map, 0, h, bus) == GNTST_okay);
    CHECK(h == handles[100]);
    handles[100] = h;
    REQUIRE_INVARIANTS(core());

    for (std::size_t i = 0; i < handles.size(); ++i) {
        REQUIRE(core().grant_unmap(0, handles[i], 0) == GNTST_okay);
        REQUIRE_INVARIANTS(core());
    }
    CHECK(status(2) == 0);
    CHECK(status(3) == 0);
    CHECK(Counts(st()) == before);
}

TEST_CASE_METHOD(GrantFixture, "status bits: reading while mapped, writing while writably mapped",
                 "[grant]") {
    const Counts before(st());
    core().grant_write_entry(kGranter, 10, kPermitRW, kGrantee, page);
    CHECK(status(10) == 0);

    std::uint32_t hr = kNoHandle;
    REQUIRE(map(kGrantee, 10, kMapRO, slot_addr(10), hr) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(status(10) == GTF_reading);

    std::uint32_t hw = kNoHandle;
    REQUIRE(map(kGrantee, 10, kMapRW, slot_addr(11), hw) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(status(10) == kStatusBits);

    std::uint32_t hw2 = kNoHandle;
    REQUIRE(map(kGrantee, 10, kMapRW, slot_addr(12), hw2) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(writers(kGranter, 10) == 2);

    REQUIRE(core().grant_unmap(kGrantee, hw, slot_addr(11)) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(status(10) == kStatusBits); // hw2 still writes

    REQUIRE(core().grant_unmap(kGrantee, hw2, slot_addr(12)) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(status(10) == GTF_reading); // writing cleared, reading kept for hr

    REQUIRE(core().grant_unmap(kGrantee, hr, slot_addr(10)) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(status(10) == 0);
    // The rest of the entry is untouched.
    CHECK(entry(10) == ((std::uint64_t{page} << 32) | (std::uint64_t{kGrantee} << 16) | kPermitRW));
    CHECK(Counts(st()) == before);
}

TEST_CASE_METHOD(GrantFixture, "end of access is refused while mapped and accepted after unmap",
                 "[grant]") {
    core().grant_write_entry(kGranter, 20, kPermitRW, kGrantee, page);
    CHECK(core().grant_end_access(kGranter, 20)); // never mapped: accepted
    CHECK((entry(20) & 0xffffU) == 0);
    std::uint32_t h = kNoHandle;
    CHECK(map(kGrantee, 20, kMapRW, slot_addr(20), h) == GNTST_general_error);
    REQUIRE_INVARIANTS(core());

    core().grant_write_entry(kGranter, 20, kPermitRW, kGrantee, page);
    for (const auto flags : {kMapRW, kMapRO}) {
        const Counts before(st());
        REQUIRE(map(kGrantee, 20, flags, slot_addr(20), h) == GNTST_okay);
        REQUIRE_INVARIANTS(core());
        const auto mapped = entry(20);
        CHECK_FALSE(core().grant_end_access(kGranter, 20));
        CHECK(entry(20) == mapped);
        REQUIRE_INVARIANTS(core());
        REQUIRE(core().grant_unmap(kGrantee, h, slot_addr(20)) == GNTST_okay);
        REQUIRE_INVARIANTS(core());
        CHECK(Counts(st()) == before);
    }
    CHECK(core().grant_end_access(kGranter, 20));
    CHECK((entry(20) & 0xffffU) == GTF_invalid);
    REQUIRE_INVARIANTS(core());
    // Access ended: the grantee can no longer map it.
    CHECK(map(kGrantee, 20, kMapRO, slot_addr(20), h) == GNTST_general_error);
    CHECK(status(20) == 0);
    REQUIRE_INVARIANTS(core());
}

TEST_CASE_METHOD(GrantFixture, "XSA-218: double unmap and forged handles are bad handles",
                 "[grant]") {
    const Counts before(st());
    core().grant_write_entry(kGranter, 5, kPermitRW, kGrantee, page);
    std::uint32_t h = kNoHandle;
    REQUIRE(map(kGrantee, 5, kMapRW, slot_addr(5), h) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    const Counts mapped(st());

    SECTION("forged handles") {
        CHECK(core().grant_unmap(kGrantee, h + 1, slot_addr(5)) == GNTST_bad_handle);
        CHECK(core().grant_unmap(kGrantee, kMaxMaptrack, slot_addr(5)) == GNTST_bad_handle);
        CHECK(core().grant_unmap(kGrantee, kNoHandle, slot_addr(5)) == GNTST_bad_handle);
        // The handle number belongs to d2's maptrack, not d3's or d0's.
        CHECK(core().grant_unmap(kThird, h, 0) == GNTST_bad_handle);
        CHECK(core().grant_unmap(0, h, 0) == GNTST_bad_handle);
        CHECK(core().grant_unmap(9, h, 0) == GNTST_bad_domain);
        REQUIRE_INVARIANTS(core());
        CHECK(Counts(st()) == mapped);
        CHECK(status(5) == kStatusBits);
        REQUIRE(core().grant_unmap(kGrantee, h, slot_addr(5)) == GNTST_okay);
    }
    SECTION("double unmap") {
        REQUIRE(core().grant_unmap(kGrantee, h, slot_addr(5)) == GNTST_okay);
        REQUIRE_INVARIANTS(core());
        CHECK(core().grant_unmap(kGrantee, h, slot_addr(5)) == GNTST_bad_handle);
        CHECK(core().grant_unmap(kGrantee, h, 0) == GNTST_bad_handle);
        REQUIRE_INVARIANTS(core());
    }
    SECTION("double unmap while a second map of the same grant is live") {
        std::uint32_t h2 = kNoHandle;
        REQUIRE(map(kGrantee, 5, kMapRW, slot_addr(6), h2) == GNTST_okay);
        REQUIRE(core().grant_unmap(kGrantee, h, slot_addr(5)) == GNTST_okay);
        REQUIRE_INVARIANTS(core());
        const Counts one(st());
        CHECK(core().grant_unmap(kGrantee, h, slot_addr(5)) == GNTST_bad_handle);
        REQUIRE_INVARIANTS(core());
        CHECK(Counts(st()) == one);
        CHECK(writers(kGranter, 5) == 1);
        CHECK(pte_frame<Concrete>(pte_at(6)) == page);
        REQUIRE(core().grant_unmap(kGrantee, h2, slot_addr(6)) == GNTST_okay);
    }
    REQUIRE_INVARIANTS(core());
    CHECK(status(5) == 0);
    CHECK(Counts(st()) == before);
}

TEST_CASE_METHOD(GrantFixture, "unmap with a host_addr other than the mapping's is refused",
                 "[grant]") {
    const Counts before(st());
    core().grant_write_entry(kGranter, 6, kPermitRW, kGrantee, page);
    std::uint32_t h = kNoHandle;
    REQUIRE(map(kGrantee, 6, kMapRW, slot_addr(6), h) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    const Counts mapped(st());

    CHECK(core().grant_unmap(kGrantee, h, slot_addr(7)) == GNTST_general_error);
    CHECK(core().grant_unmap(kGrantee, h, slot_addr(0)) == GNTST_general_error);
    CHECK(core().grant_unmap(kGrantee, h, 7 * kPageSize) == GNTST_general_error); // va of slot 7
    REQUIRE_INVARIANTS(core());
    CHECK(Counts(st()) == mapped);
    CHECK(pte_frame<Concrete>(pte_at(6)) == page);
    CHECK(pte_at(0) == TestMachine::pte(grantee_data, kPteP | kPteUS | kPteRW));
    CHECK(status(6) == kStatusBits);

    // The va of the mapping's slot is the same mapping.
    REQUIRE(core().grant_unmap(kGrantee, h, 6 * kPageSize) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(pte_at(6) == 0);
    CHECK(Counts(st()) == before);
}

TEST_CASE_METHOD(GrantFixture, "XSA-234: what is released is the handle's recorded mode",
                 "[grant]") {
    const Counts before(st());
    core().grant_write_entry(kGranter, 8, kPermitRW, kGrantee, page);
    std::uint32_t hw = kNoHandle;
    std::uint32_t hr = kNoHandle;
    REQUIRE(map(kGrantee, 8, kMapRW, slot_addr(8), hw) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    REQUIRE(map(kGrantee, 8, kMapRO, slot_addr(9), hr) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(type_count(page) == before.type_count[page] + 1);
    CHECK(count(page) == before.count[page] + 2);

    // Unmapping the read-only handle leaves the writable reference in place ...
    REQUIRE(core().grant_unmap(kGrantee, hr, slot_addr(9)) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(type_count(page) == before.type_count[page] + 1);
    CHECK(count(page) == before.count[page] + 1);
    CHECK(writers(kGranter, 8) == 1);
    CHECK(readers(kGranter, 8) == 0);
    CHECK(status(8) == kStatusBits);
    // ... and the writable mapping can still be used and removed exactly once.
    CHECK((pte_at(8) & kPteRW) != 0);

    // Unmapping the writable handle releases the writable type reference,
    // whatever the caller believes it is unmapping.
    REQUIRE(core().grant_unmap(kGrantee, hw, slot_addr(8)) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(type_count(page) == before.type_count[page]);
    CHECK(writers(kGranter, 8) == 0);
    CHECK(status(8) == 0);
    CHECK(Counts(st()) == before);

    // With the writable type gone, the granter may make the frame a page table.
    REQUIRE(core().pin_table(kGranter, page, kTypeL1) == kOk);
    REQUIRE_INVARIANTS(core());
}

TEST_CASE_METHOD(GrantFixture, "a page-table frame is never writably granted", "[grant]") {
    // The granter pins `page` as an L1 and grants it.
    REQUIRE(core().pin_table(kGranter, page, kTypeL1) == kOk);
    REQUIRE_INVARIANTS(core());
    const Counts before(st());
    core().grant_write_entry(kGranter, 11, kPermitRW, kGrantee, page);
    core().grant_write_entry(kGranter, 12, kPermitRW, 0, page);
    std::uint32_t h = kNoHandle;
    std::uint64_t bus = 0;

    CHECK(map(kGrantee, 11, kMapRW, slot_addr(11), h) == GNTST_general_error);
    CHECK(core().grant_map(0, kGranter, 12, GNTMAP_host_map, 0, h, bus) == GNTST_general_error);
    REQUIRE_INVARIANTS(core());
    CHECK(pte_at(11) == 0);
    CHECK(status(11) == 0);
    CHECK(status(12) == 0);
    CHECK(st().frames.type.get(page) == kTypeL1);
    CHECK(Counts(st()) == before);

    // Read-only is allowed (as Xen), and the table stays an L1.
    REQUIRE(map(kGrantee, 11, kMapRO, slot_addr(11), h) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK((pte_at(11) & kPteRW) == 0);
    CHECK(st().frames.type.get(page) == kTypeL1);
    REQUIRE(core().grant_unmap(kGrantee, h, slot_addr(11)) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(Counts(st()) == before);

    // The other way round: while writably granted, it cannot become a table.
    REQUIRE(core().unpin_table(kGranter, page) == kOk);
    REQUIRE_INVARIANTS(core());
    REQUIRE(map(kGrantee, 11, kMapRW, slot_addr(11), h) == GNTST_okay); // devalidated on demand
    REQUIRE_INVARIANTS(core());
    CHECK(st().frames.type.get(page) == kTypeWritable);
    CHECK(core().pin_table(kGranter, page, kTypeL1) != kOk);
    REQUIRE_INVARIANTS(core());
    REQUIRE(core().grant_unmap(kGrantee, h, slot_addr(11)) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
}

TEST_CASE_METHOD(GrantFixture, "grant_copy moves 4 KiB through a grant in both directions",
                 "[grant][copy]") {
    const Counts before(st());
    core().grant_write_entry(kGranter, 30, kPermitRW, kGrantee, page);
    fill(m, grantee_data, 1);
    fill(m, page, 2);

    // Granter's page -> grantee's own frame.
    REQUIRE(core().grant_copy(kGrantee, gref_side(kGranter, 30), local_side(grantee_data),
                              kPageSize) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(same_page(m, page, grantee_data));
    CHECK(status(30) == 0);
    CHECK(Counts(st()) == before);

    // Grantee's own frame -> granter's page.
    fill(m, grantee_data, 3);
    REQUIRE(core().grant_copy(kGrantee, local_side(grantee_data), gref_side(kGranter, 30),
                              kPageSize) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(same_page(m, page, grantee_data));
    CHECK(status(30) == 0);
    CHECK(Counts(st()) == before);

    // A partial copy at offsets.
    fill(m, grantee_data, 4);
    REQUIRE(core().grant_copy(kGrantee, local_side(grantee_data, 100), gref_side(kGranter, 30, 200),
                              1000) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(std::memcmp(st().mem.frame(page) + 200, st().mem.frame(grantee_data) + 100, 1000) == 0);
    CHECK(Counts(st()) == before);

    // Domain 0 copies between two grants of different domains.
    std::vector<std::uint32_t> frames;
    REQUIRE(core().grant_setup_table(kThird, 1, frames) == GNTST_okay);
    const auto third_page = m.frame(kThird);
    REQUIRE_INVARIANTS(core());
    const Counts before0(st());
    core().grant_write_entry(kGranter, 31, kPermitRO, 0, page);
    core().grant_write_entry(kThird, 0, kPermitRW, 0, third_page);
    REQUIRE(core().grant_copy(0, gref_side(kGranter, 31), gref_side(kThird, 0), kPageSize) ==
            GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(same_page(m, page, third_page));
    CHECK(status(31) == 0);
    CHECK((m.read_word(frames[0], 0) & kStatusBits) == 0);
    CHECK(Counts(st()) == before0);
}

TEST_CASE_METHOD(GrantFixture, "grant_copy refuses offsets and lengths that cross the page",
                 "[grant][copy]") {
    const Counts before(st());
    core().grant_write_entry(kGranter, 32, kPermitRW, kGrantee, page);
    CHECK(core().grant_copy(kGrantee, gref_side(kGranter, 32, 1), local_side(grantee_data),
                            kPageSize) == GNTST_bad_copy_arg);
    CHECK(core().grant_copy(kGrantee, gref_side(kGranter, 32), local_side(grantee_data, 1),
                            kPageSize) == GNTST_bad_copy_arg);
    CHECK(core().grant_copy(kGrantee, local_side(grantee_data), gref_side(kGranter, 32, 4096), 1) ==
          GNTST_bad_copy_arg);
    CHECK(core().grant_copy(kGrantee, local_side(grantee_data), gref_side(kGranter, 32),
                            kPageSize + 1) == GNTST_bad_copy_arg);
    CHECK(core().grant_copy(kGrantee, local_side(grantee_data, 4095), gref_side(kGranter, 32), 1) ==
          GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(status(32) == 0);
    CHECK(Counts(st()) == before);
}

// offset + len is computed in 32 bits: an offset near 2^32 wraps the bound
// check and the copy goes ~4 GiB past the frame. The guest ABI carries 16-bit
// offsets, but the handler (and the verifier) take U32. Run in a child so a
// failure is a failed check, not a crashed test binary.
TEST_CASE_METHOD(GrantFixture, "grant_copy bound check does not wrap around 2^32",
                 "[grant][copy]") {
    core().grant_write_entry(kGranter, 33, kPermitRW, kGrantee, page);
    struct Case {
        std::uint32_t src_off, dst_off, len;
    };
    for (const Case c : {Case{0xfffff001U, 0, 0x1000U}, Case{0, 0xffffffffU, 1},
                         Case{0, 0, 0xffffffffU}, Case{1, 0, 0xffffffffU}}) {
        CAPTURE(c.src_off, c.dst_off, c.len);
        const pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            // The child dies of the signal itself, not through Catch's handler.
            std::signal(SIGSEGV, SIG_DFL);
            std::signal(SIGBUS, SIG_DFL);
            const Rc rc = core().grant_copy(kGrantee, gref_side(kGranter, 33, c.src_off),
                                            local_side(grantee_data, c.dst_off), c.len);
            _exit(rc == GNTST_bad_copy_arg ? 0 : 1);
        }
        int wstatus = 0;
        REQUIRE(waitpid(pid, &wstatus, 0) == pid);
        const bool exited = WIFEXITED(wstatus);
        const int signal = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
        const bool refused = exited && WEXITSTATUS(wstatus) == 0;
        INFO("child killed by signal " << signal << " (11 = SIGSEGV: the copy ran out of bounds)");
        CHECK(exited);
        CHECK(refused);
    }
}

TEST_CASE_METHOD(GrantFixture, "grant_copy into a read-only grant is refused", "[grant][copy]") {
    const Counts before(st());
    core().grant_write_entry(kGranter, 34, kPermitRO, kGrantee, page);
    fill(m, page, 5);
    fill(m, grantee_data, 6);
    CHECK(core().grant_copy(kGrantee, local_side(grantee_data), gref_side(kGranter, 34),
                            kPageSize) == GNTST_general_error);
    REQUIRE_INVARIANTS(core());
    CHECK_FALSE(same_page(m, page, grantee_data));
    CHECK(status(34) == 0);
    CHECK(Counts(st()) == before);
    // Reading from it is fine.
    REQUIRE(core().grant_copy(kGrantee, gref_side(kGranter, 34), local_side(grantee_data),
                              kPageSize) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(same_page(m, page, grantee_data));
    CHECK(status(34) == 0);
    CHECK(Counts(st()) == before);
}

TEST_CASE_METHOD(GrantFixture, "grant_copy never writes a page table", "[grant][copy]") {
    fill(m, page, 7);
    SECTION("the caller's own L1") {
        const auto before_pte = pte_at(0);
        const Counts before(st());
        core().grant_write_entry(kGranter, 35, kPermitRW, kGrantee, page);
        CHECK(core().grant_copy(kGrantee, gref_side(kGranter, 35), local_side(as.l1), kPageSize) ==
              GNTST_general_error);
        REQUIRE_INVARIANTS(core());
        CHECK(pte_at(0) == before_pte);
        CHECK(status(35) == 0);
        CHECK(Counts(st()) == before);
    }
    SECTION("a granted L1 of the granter") {
        const auto granter_data = m.frame(kGranter);
        const auto l1 = m.frame(kGranter);
        REQUIRE(core().mmu_update(kGranter, TestMachine::maddr(l1, 0),
                                  TestMachine::pte(granter_data, kPteP | kPteRW)) == kOk);
        REQUIRE(core().pin_table(kGranter, l1, kTypeL1) == kOk);
        REQUIRE_INVARIANTS(core());
        const auto l1_pte = m.read_word(l1, 0);
        const Counts before(st());
        core().grant_write_entry(kGranter, 36, kPermitRW, kGrantee, l1);
        CHECK(core().grant_copy(kGrantee, local_side(grantee_data), gref_side(kGranter, 36),
                                kPageSize) == GNTST_general_error);
        REQUIRE_INVARIANTS(core());
        CHECK(m.read_word(l1, 0) == l1_pte);
        CHECK(status(36) == 0);
        CHECK(Counts(st()) == before);
    }
    SECTION("a frame of another domain named as the caller's own") {
        const Counts before(st());
        CHECK(core().grant_copy(kGrantee, local_side(grantee_data), local_side(page), kPageSize) ==
              GNTST_bad_page);
        CHECK(core().grant_copy(kGrantee, local_side(grantee_data),
                                CopySide<Concrete>{false, page, kGranter, 0},
                                kPageSize) == GNTST_bad_page);
        REQUIRE_INVARIANTS(core());
        CHECK(Counts(st()) == before);
    }
}

TEST_CASE_METHOD(GrantFixture, "XSA-230: a copy leaves a live map's status bits alone",
                 "[grant][copy]") {
    core().grant_write_entry(kGranter, 40, kPermitRW, kGrantee, page);
    std::uint32_t hr = kNoHandle;
    REQUIRE(map(kGrantee, 40, kMapRO, slot_addr(40), hr) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    const Counts mapped(st());
    // A writing copy sets and then clears GTF_writing; GTF_reading stays for the map.
    REQUIRE(core().grant_copy(kGrantee, local_side(grantee_data), gref_side(kGranter, 40),
                              kPageSize) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(status(40) == GTF_reading);
    CHECK(Counts(st()) == mapped);

    std::uint32_t hw = kNoHandle;
    REQUIRE(map(kGrantee, 40, kMapRW, slot_addr(41), hw) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    const Counts both(st());
    REQUIRE(core().grant_copy(kGrantee, gref_side(kGranter, 40), local_side(grantee_data),
                              kPageSize) == GNTST_okay);
    REQUIRE(core().grant_copy(kGrantee, local_side(grantee_data), gref_side(kGranter, 40),
                              kPageSize) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(status(40) == kStatusBits); // the writable map still needs GTF_writing
    CHECK(Counts(st()) == both);
    // A copy that fails also leaves them alone.
    CHECK(core().grant_copy(kGrantee, local_side(grantee_data), gref_side(kGranter, 40, 1),
                            kPageSize) == GNTST_bad_copy_arg);
    CHECK(core().grant_copy(kGrantee, local_side(as.l1), gref_side(kGranter, 40), kPageSize) ==
          GNTST_okay); // reading an L1 is fine
    CHECK(core().grant_copy(kGrantee, gref_side(kGranter, 40), local_side(as.l2), kPageSize) ==
          GNTST_general_error);
    REQUIRE_INVARIANTS(core());
    CHECK(status(40) == kStatusBits);
    CHECK(Counts(st()) == both);

    REQUIRE(core().grant_unmap(kGrantee, hw, slot_addr(41)) == GNTST_okay);
    REQUIRE(core().grant_unmap(kGrantee, hr, slot_addr(40)) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    CHECK(status(40) == 0);
}

TEST_CASE_METHOD(GrantFixture, "destroying either side while mapped releases everything once",
                 "[grant]") {
    core().grant_write_entry(kGranter, 50, kPermitRW, kGrantee, page);
    std::uint32_t h = kNoHandle;
    REQUIRE(map(kGrantee, 50, kMapRW, slot_addr(50), h) == GNTST_okay);
    REQUIRE_INVARIANTS(core());

    SECTION("the grantee goes first: its maps are unmapped") {
        REQUIRE(core().destroy_domain(kGrantee) == kOk);
        REQUIRE_INVARIANTS(core());
        CHECK(status(50) == 0);
        CHECK(writers(kGranter, 50) == 0);
        CHECK(core().grant_end_access(kGranter, 50));
        REQUIRE(core().destroy_domain(kGranter) == kOk);
        REQUIRE_INVARIANTS(core());
        CHECK(st().doms.state.get(kGranter) == kDomFree);
    }
    SECTION("the granter goes first: it stays dying until the grantee unmaps") {
        REQUIRE(core().destroy_domain(kGranter) == kOk);
        REQUIRE_INVARIANTS(core());
        CHECK(st().doms.state.get(kGranter) == kDomDying);
        CHECK(st().frames.owner.get(page) == kGranter);
        CHECK(pte_frame<Concrete>(pte_at(50)) == page);
        // No new map of a dying domain's grants.
        std::uint32_t h2 = kNoHandle;
        CHECK(map(kGrantee, 50, kMapRO, slot_addr(51), h2) == GNTST_bad_domain);
        REQUIRE(core().grant_unmap(kGrantee, h, slot_addr(50)) == GNTST_okay);
        REQUIRE_INVARIANTS(core());
        CHECK(pte_at(50) == 0);
        CHECK(st().doms.state.get(kGranter) == kDomFree);
        CHECK(count(page) == 0);
    }
}

TEST_CASE_METHOD(GrantFixture,
                 "unmap_and_replace moves an own entry over the grant's PTE, never a grant PTE",
                 "[grant]") {
    const Counts before(st());
    core().grant_write_entry(kGranter, 1, kPermitRO, kGrantee, page);
    core().grant_write_entry(kGranter, 2, kPermitRW, kGrantee, page);
    std::uint32_t h = kNoHandle;
    REQUIRE(map(kGrantee, 1, GNTMAP_host_map | GNTMAP_readonly, 5 * kPageSize, h) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    const auto own = pte_at(0); // slot 0 maps grantee_data, writable
    SECTION("the own entry at new_addr takes the grant PTE's place, references and all") {
        REQUIRE(core().grant_unmap_and_replace(kGrantee, h, 5 * kPageSize, 0) == GNTST_okay);
        REQUIRE_INVARIANTS(core());
        CHECK(pte_at(0) == 0);
        CHECK(pte_at(5) == own);
        CHECK(status(1) == 0);
        CHECK(readers(kGranter, 1) == 0);
        CHECK(core().grant_unmap(kGrantee, h, 0) == GNTST_bad_handle);
        REQUIRE(core().mmu_update(kGrantee, slot_addr(5), 0) == kOk);
        REQUIRE(core().mmu_update(kGrantee, slot_addr(0), own) == kOk);
    }
    SECTION("a grant PTE at new_addr is not moved, nor is a slot replaced by itself") {
        std::uint32_t h2 = kNoHandle;
        REQUIRE(map(kGrantee, 2, GNTMAP_host_map, 6 * kPageSize, h2) == GNTST_okay);
        const auto at5 = pte_at(5);
        const auto at6 = pte_at(6);
        CHECK(core().grant_unmap_and_replace(kGrantee, h, 5 * kPageSize, 6 * kPageSize) ==
              GNTST_general_error);
        CHECK(core().grant_unmap_and_replace(kGrantee, h, 4 * kPageSize, 0) ==
              GNTST_general_error); // not where h mapped
        CHECK(core().grant_unmap_and_replace(kGrantee, h, 5 * kPageSize, 5 * kPageSize) ==
              GNTST_general_error);
        CHECK(pte_at(5) == at5);
        CHECK(pte_at(6) == at6);
        CHECK(pte_at(0) == own);
        REQUIRE_INVARIANTS(core());
        REQUIRE(core().grant_unmap(kGrantee, h2, 0) == GNTST_okay);
        REQUIRE(core().grant_unmap(kGrantee, h, 0) == GNTST_okay);
    }
    REQUIRE_INVARIANTS(core());
    CHECK(Counts(st()) == before);
}

TEST_CASE_METHOD(GrantFixture,
                 "a handle's host and device mappings unmap one at a time; the grant goes with the "
                 "last (XSA-224's steps)",
                 "[grant]") {
    const Counts before(st());
    core().grant_write_entry(kGranter, 1, kPermitRW, kGrantee, page);
    std::uint64_t bus = 0;
    std::uint32_t h = kNoHandle;
    REQUIRE(core().grant_map(kGrantee, kGranter, 1, GNTMAP_host_map | GNTMAP_device_map,
                             3 * kPageSize, h, bus) == GNTST_okay);
    REQUIRE(bus == std::uint64_t{page} << kPageShift);
    REQUIRE_INVARIANTS(core());
    // A device address that is not the frame's is refused and changes nothing.
    CHECK(core().grant_unmap(kGrantee, h, 0, bus + kPageSize) == GNTST_bad_dev_addr);
    CHECK(pte_frame<Concrete>(pte_at(3)) == page);
    SECTION("host first, then device") {
        REQUIRE(core().grant_unmap(kGrantee, h, 3 * kPageSize, 0) == GNTST_okay);
        CHECK(pte_at(3) == 0);
        CHECK(writers(kGranter, 1) == 1); // the device mapping still holds it
        CHECK(status(1) == kStatusBits);
        REQUIRE_INVARIANTS(core());
        REQUIRE(core().grant_unmap(kGrantee, h, 0, bus) == GNTST_okay);
    }
    SECTION("device first, then host") {
        REQUIRE(core().grant_unmap(kGrantee, h, 0, bus) == GNTST_okay);
        CHECK(pte_frame<Concrete>(pte_at(3)) == page);
        CHECK(writers(kGranter, 1) == 1);
        REQUIRE_INVARIANTS(core());
        REQUIRE(core().grant_unmap(kGrantee, h, 3 * kPageSize, 0) == GNTST_okay);
        CHECK(pte_at(3) == 0);
    }
    SECTION("both at once") {
        REQUIRE(core().grant_unmap(kGrantee, h, 3 * kPageSize, bus) == GNTST_okay);
    }
    CHECK(writers(kGranter, 1) == 0);
    CHECK(status(1) == 0);
    CHECK(core().grant_unmap(kGrantee, h, 0, 0) == GNTST_bad_handle);
    REQUIRE_INVARIANTS(core());
    CHECK(Counts(st()) == before);
}

// Xen allows a domain to grant to itself (XTF's XSA-224/234 PoCs do). Such
// a PTE maps one of the domain's own frames, so mmu_update may replace it as
// an own entry: it holds an own entry's references besides the grant's.
TEST_CASE_METHOD(GrantFixture, "self-grants: the PTE holds an own entry's references too",
                 "[grant]") {
    std::vector<std::uint32_t> frames;
    REQUIRE(core().grant_setup_table(kGrantee, 1, frames) == GNTST_okay);
    REQUIRE_INVARIANTS(core());
    const Counts before(st()); // the grantee's new grant frame included
    const std::uint32_t own = grantee_data;
    core().grant_write_entry(kGrantee, 0, kPermitRW, kGrantee, own);
    std::uint32_t h = kNoHandle;
    std::uint64_t bus = 0;
    const auto c0 = count(own);
    const auto t0 = type_count(own);
    REQUIRE(core().grant_map(kGrantee, DOMID_SELF, 0, kMapRW, slot_addr(3), h, bus) == GNTST_okay);
    CHECK(pte_frame<Concrete>(pte_at(3)) == own);
    // The grant's use and the entry's: two general, two writable-type references.
    CHECK(count(own) == c0 + 2);
    CHECK(type_count(own) == t0 + 2);
    CHECK((m.read_word(frames[0], 0) & kStatusBits) == kStatusBits);
    REQUIRE_INVARIANTS(core());
    SECTION("unmapped by its handle") {
        REQUIRE(core().grant_unmap(kGrantee, h, 0) == GNTST_okay);
        CHECK(pte_at(3) == 0);
    }
    SECTION("replaced by mmu_update as an own entry, then unmapped") {
        REQUIRE(update(m, kGrantee, as.l1, 3, 0) == kOk);
        CHECK(count(own) == c0 + 1); // the grant still holds its use
        REQUIRE_INVARIANTS(core());
        REQUIRE(core().grant_unmap(kGrantee, h, 0) == GNTST_okay);
    }
    SECTION("an L1 pin is refused while the grant holds the writable type (XSA-224)") {
        CHECK(core().pin_table(kGrantee, own, kTypeL1) != kOk);
        REQUIRE(core().grant_unmap(kGrantee, h, 0) == GNTST_okay);
    }
    CHECK((m.read_word(frames[0], 0) & kStatusBits) == 0);
    REQUIRE_INVARIANTS(core());
    CHECK(Counts(st()) == before);
}

// Xen's map replaces what the slot held: an own entry gives up its
// references; a grant PTE stays until its own handle unmaps it.
TEST_CASE_METHOD(GrantFixture, "a grant map replaces an own entry in its slot, never a grant PTE",
                 "[grant]") {
    core().grant_write_entry(kGranter, 1, kPermitRW, kGrantee, page);
    core().grant_write_entry(kGranter, 2, kPermitRW, kGrantee, page);
    const auto c0 = count(grantee_data);
    REQUIRE(pte_frame<Concrete>(pte_at(0)) == grantee_data);
    std::uint32_t h = kNoHandle;
    REQUIRE(map(kGrantee, 1, kMapRW, slot_addr(0), h) == GNTST_okay);
    CHECK(pte_frame<Concrete>(pte_at(0)) == page);
    CHECK(count(grantee_data) == c0 - 1); // the replaced entry's reference is gone
    REQUIRE_INVARIANTS(core());
    std::uint32_t h2 = kNoHandle;
    CHECK(map(kGrantee, 2, kMapRW, slot_addr(0), h2) == GNTST_general_error);
    CHECK(status(2) == 0);
    CHECK(pte_frame<Concrete>(pte_at(0)) == page);
    REQUIRE(core().grant_unmap(kGrantee, h, 0) == GNTST_okay);
    CHECK(pte_at(0) == 0);
    CHECK(status(1) == 0);
    REQUIRE_INVARIANTS(core());
}

// Grant table v2: the version and its status frame (the entry layout is not
// interpreted; see set_grant_version).
TEST_CASE_METHOD(GrantFixture, "XSA-255: v2's status frame is freed only once nothing maps it",
                 "[grant][v2]") {
    const auto pages = st().doms.tot_pages.get(kGrantee);
    CHECK(core().grant_set_version(kGrantee, 3) == kEINVAL);
    CHECK(core().grant_version(kGrantee) == 1);
    REQUIRE(core().grant_set_version(kGrantee, 2) == kOk);
    REQUIRE_INVARIANTS(core());
    const auto sf = core().grant_status_frame(kGrantee);
    REQUIRE(sf != kNoFrame);
    CHECK(core().grant_version(kGrantee) == 2);
    CHECK(st().frames.owner.get(sf) == kGrantee);
    CHECK(frame_has<Concrete>(st(), sf, kFrameXenRef));
    CHECK(st().doms.tot_pages.get(kGrantee) == pages + 1);
    CHECK(m.read_word(sf, 0) == 0);
    REQUIRE(core().grant_set_version(kGrantee, 2) == kOk); // no second frame
    CHECK(core().grant_status_frame(kGrantee) == sf);
    CHECK(st().doms.tot_pages.get(kGrantee) == pages + 1);

    // The guest maps its status frame, as XTF's XSA-255 PoC does.
    const std::uint64_t va = 9 * kPageSize;
    REQUIRE(core().update_va_mapping(kGrantee, va, TestMachine::pte(sf, kPteP | kPteUS | kPteA),
                                     0) == kOk);
    REQUIRE_INVARIANTS(core());
    CHECK(core().grant_set_version(kGrantee, 1) == kEBUSY);
    CHECK(core().grant_status_frame(kGrantee) == sf);
    CHECK(count(sf) == 3);
    // The core's own hold keeps the guest from giving it back.
    CHECK(core().release_frame(kGrantee, sf) == kEBUSY);

    REQUIRE(core().update_va_mapping(kGrantee, va, 0, 0) == kOk);
    core().take_effects(kGrantee);
    REQUIRE(core().grant_set_version(kGrantee, 1) == kOk);
    REQUIRE_INVARIANTS(core());
    CHECK(core().grant_status_frame(kGrantee) == kNoFrame);
    CHECK(core().grant_version(kGrantee) == 1);
    CHECK(count(sf) == 0);
    CHECK(st().frames.owner.get(sf) == DOMID_INVALID);
    CHECK(st().doms.tot_pages.get(kGrantee) == pages);
    // A translation the guest kept without a flush must not outlive the frame.
    CHECK((core().take_effects(kGrantee) & kEffectTlbFlush) != 0);
}

TEST_CASE_METHOD(GrantFixture,
                 "a table at v2 grants nothing; the version stays while a grant is used",
                 "[grant][v2]") {
    core().grant_write_entry(kGranter, 7, kPermitRW, kGrantee, page);
    std::uint32_t h = kNoHandle;
    REQUIRE(map(kGrantee, 7, kMapRW, slot_addr(5), h) == GNTST_okay);
    CHECK(core().grant_set_version(kGranter, 2) == kEBUSY); // Xen's rule
    CHECK(core().grant_version(kGranter) == 1);
    REQUIRE(core().grant_unmap(kGrantee, h, slot_addr(5)) == GNTST_okay);
    REQUIRE(core().grant_set_version(kGranter, 2) == kOk);
    REQUIRE_INVARIANTS(core());

    // The v1 entry is still there, but a v2 table's entries are not read as v1.
    std::uint32_t h2 = kNoHandle;
    CHECK(map(kGrantee, 7, kMapRW, slot_addr(6), h2) == GNTST_general_error);
    CHECK(core().grant_copy(kGrantee, gref_side(kGranter, 7), local_side(grantee_data), 8) ==
          GNTST_general_error);
    CHECK(status(7) == 0);
    CHECK(pte_at(6) == 0);
    REQUIRE_INVARIANTS(core());

    // Back at v1 it is granted again.
    REQUIRE(core().grant_set_version(kGranter, 1) == kOk);
    REQUIRE(map(kGrantee, 7, kMapRW, slot_addr(6), h2) == GNTST_okay);
    REQUIRE(core().grant_unmap(kGrantee, h2, slot_addr(6)) == GNTST_okay);

    // Destroy returns the status frame with the rest.
    REQUIRE(core().grant_set_version(kGranter, 2) == kOk);
    const auto sf = core().grant_status_frame(kGranter);
    REQUIRE(core().destroy_domain(kGranter) == kOk);
    REQUIRE_INVARIANTS(core());
    CHECK(st().doms.state.get(kGranter) == kDomFree);
    CHECK(count(sf) == 0);
    CHECK(core().grant_status_frame(kGranter) == kNoFrame);
}

} // namespace enso::test
