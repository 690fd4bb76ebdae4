// A small machine for core tests: machine memory on the heap, the core over
// it, domain 0 created, and helpers that keep tests short.
#pragma once

#include "hvcore/core/core.hpp"
#include "hvcore/core/hypercall_dispatch.hpp"
#include "hvcore/core/invariants.hpp"
#include "hvcore/core/page_table_entry.hpp"

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace enso::test {

using namespace enso::core;

// Fails the test with every violation spelled out.
#define REQUIRE_INVARIANTS_OF(state_)                                                              \
    do {                                                                                           \
        const auto violations_ = ::enso::core::check_invariants(state_);                           \
        INFO(::enso::core::describe(violations_));                                                 \
        REQUIRE(violations_.empty());                                                              \
    } while (false)
#define REQUIRE_INVARIANTS(core_) REQUIRE_INVARIANTS_OF((core_).state())

class TestMachine {
public:
    explicit TestMachine(std::uint32_t frames = 1024)
        : memory_(std::size_t{frames} * kPageSize), core_(memory_), dispatch_(core_) {
        REQUIRE(core_.create_domain(0, 64) == kOk);
    }

    Core& core() { return core_; }
    Dispatcher& dispatch() { return dispatch_; }
    [[nodiscard]] const CState& state() const { return core_.state(); }

    // A live domain d with quota pages.
    void make_domain(std::uint16_t d, std::uint32_t quota = 256) {
        REQUIRE(core_.create_domain(d, quota) == kOk);
    }

    std::uint32_t frame(std::uint16_t d) {
        std::uint32_t f = kNoFrame;
        REQUIRE(core_.reserve_frame(d, f) == kOk);
        return f;
    }

    static std::uint64_t maddr(std::uint32_t table, std::uint32_t slot) {
        return entry_maddr<Concrete>(table, slot);
    }
    static std::uint64_t pte(std::uint32_t target, std::uint64_t flags) {
        return (std::uint64_t{target} << kPageShift) | flags;
    }

    std::uint64_t read_word(std::uint32_t f, std::uint32_t word) const {
        return core_.state().mem.load64(f, word);
    }

    // A pinned four-level address space for d whose L1 maps `data` at va 0
    // (slot 0 of every level): returns {l4, l3, l2, l1}.
    struct AddressSpace {
        std::uint32_t l4, l3, l2, l1;
    };
    AddressSpace build_address_space(std::uint16_t d, std::uint32_t data, bool writable = true) {
        AddressSpace as{frame(d), frame(d), frame(d), frame(d)};
        const std::uint64_t rw = writable ? kPteRW : 0;
        REQUIRE(core_.mmu_update(d, maddr(as.l1, 0), pte(data, kPteP | kPteUS | rw)) == kOk);
        REQUIRE(core_.pin_table(d, as.l1, kTypeL1) == kOk);
        REQUIRE(core_.mmu_update(d, maddr(as.l2, 0), pte(as.l1, kPteP | kPteUS | kPteRW)) == kOk);
        REQUIRE(core_.pin_table(d, as.l2, kTypeL2) == kOk);
        REQUIRE(core_.mmu_update(d, maddr(as.l3, 0), pte(as.l2, kPteP | kPteUS | kPteRW)) == kOk);
        REQUIRE(core_.pin_table(d, as.l3, kTypeL3) == kOk);
        REQUIRE(core_.mmu_update(d, maddr(as.l4, 0), pte(as.l3, kPteP | kPteUS | kPteRW)) == kOk);
        REQUIRE(core_.pin_table(d, as.l4, kTypeL4) == kOk);
        REQUIRE(core_.new_baseptr(d, as.l4) == kOk);
        return as;
    }

private:
    std::vector<std::byte> memory_;
    Core core_;
    Dispatcher dispatch_;
};

inline constexpr std::uint64_t kRO = kPteP | kPteUS;
inline constexpr std::uint64_t kRW = kPteP | kPteUS | kPteRW;

// One MMU_NORMAL_PT_UPDATE of slot in table, as domain d.
inline Rc update(TestMachine& m, std::uint16_t d, std::uint32_t table, std::uint32_t slot,
                 std::uint64_t val) {
    return m.core().mmu_update(d, TestMachine::maddr(table, slot), val);
}

inline std::uint32_t count(const TestMachine& m, std::uint32_t f) {
    return m.state().frames.count.get(f);
}

} // namespace enso::test
