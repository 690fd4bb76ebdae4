// What keeps the proofs from being vacuous, and the isolation theorem they
// buy: the invariants are satisfiable (by a non-trivial state), the domain
// builder's initial state satisfies them concretely, and in every state
// that satisfies them a domain reads only what it owns or was granted and
// writes no page table.
#include "../kvm/tiny_guest.hpp"
#include "hvcore/core/core.hpp"
#include "hvcore/core/invariants.hpp"
#include "hvcore/kvm/domain_builder.hpp"
#include "hvcore/kvm/machine_memory.hpp"
#include "verify/isolation_theorem.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <unistd.h>

namespace enso::verify {

TEST_CASE("sanity: the invariants are satisfiable by a state with a live domain and its tables",
          "[sanity]") {
    const auto r = invariants_satisfiable();
    INFO(r.statement << ": " << r.solver_result);
    CHECK(r.holds);
}

TEST_CASE("sanity: the domain builder's initial state satisfies the invariants concretely",
          "[sanity]") {
    const std::string elf = "/tmp/enso-verify-builder-" + std::to_string(::getpid()) + ".elf";
    test::TinyGuest guest;
    guest.imm32(0xf4f4f4f4U); // hlt: never run here
    guest.write(elf);
    kvm::MachineMemory memory(8192);
    core::Core core(memory.bytes());
    REQUIRE(core.create_domain(0, 64) == core::kOk);
    kvm::BuildConfig config;
    config.nr_pages = 512;
    const auto built = kvm::build_domain(core, memory, kvm::load_elf(elf), config);
    std::filesystem::remove(elf);
    CHECK(built.l4 != 0);
    const auto violations = core::check_invariants(core.state());
    INFO(core::describe(violations));
    CHECK(violations.empty());
}

TEST_CASE("isolation: a domain reads only what it owns or was granted, and writes no page table",
          "[isolation]") {
    for (const auto& t : prove_isolation()) {
        INFO(t.name << ": " << t.statement << ": " << t.solver_result);
        CHECK(t.holds);
    }
}

} // namespace enso::verify
