// The hypercall page's stubs, byte for byte where it matters.
#include "hvcore/abi/hypercall_ports.hpp"
#include "hvcore/kvm/hypercall_page.hpp"

#include <catch2/catch.hpp>

#include <cstring>

using enso::kvm::make_hypercall_page;

TEST_CASE("trap stubs load the number and exit through the hypercall port") {
    const auto page = make_hypercall_page(enso::abi::kTransportTrap, 0);
    for (std::uint32_t nr : {0U, 1U, 17U, 29U, 63U}) {
        const auto* stub = page.data() + nr * enso::abi::kStubSize;
        CHECK(stub[0] == 0xb8); // mov $nr, %eax
        CHECK(stub[1] == nr);
        CHECK(stub[5] == 0xe7); // out %eax, $port
        CHECK(stub[6] == enso::abi::kPortHypercall);
        CHECK(stub[7] == 0xc3); // ret
    }
    CHECK(page[enso::abi::kStubCommonEntry * enso::abi::kStubSize] == 0xcc);
}

TEST_CASE("exitless stubs jump to the shared code, which names the slot") {
    const std::uint64_t slot = 0x201e00;
    const auto page = make_hypercall_page(enso::abi::kTransportExitless, slot);
    const std::size_t common = enso::abi::kStubCommonEntry * enso::abi::kStubSize;
    for (std::uint32_t nr : {0U, 17U, 63U}) {
        const std::size_t at = nr * enso::abi::kStubSize;
        REQUIRE(page[at + 5] == 0xe9);
        std::int32_t rel = 0;
        std::memcpy(&rel, page.data() + at + 6, 4);
        CHECK(static_cast<std::int64_t>(at + 10) + rel == static_cast<std::int64_t>(common));
    }
    std::uint64_t imm = 0;
    CHECK(page[common] == 0x49);
    CHECK(page[common + 1] == 0xbb);
    std::memcpy(&imm, page.data() + common + 2, 8);
    CHECK(imm == slot);
}
