// Every seeded bug (verify/mutants/) is killed: the verifier refutes it with
// a counterexample that the concrete replay confirms, on one of the checks
// the bug is expected to break. At least 12 of them, page tables and grants
// both, each mirroring an advisory.
#include "verify/mutants/mutant_catalog.hpp"
#include "verify_test_support.hpp"

#include <catch2/catch.hpp>

#include <set>

namespace enso::verify {

namespace {

void kill_all(const std::set<std::string>& handlers, bool among) {
    std::vector<const Mutant*> picked;
    for (const auto& m : mutant_catalog()) {
        if ((handlers.count(m.handler) != 0) == among) {
            picked.push_back(&m);
        }
    }
    REQUIRE_FALSE(picked.empty());
    for (const auto& m : run_mutants(picked, test::run_options())) {
        std::cout << "mutant " << m.mutant->name << " (" << m.mutant->advisory << "): "
                  << (m.killed ? "killed on " + m.invariant + ", concrete: " + m.checks
                               : std::string("SURVIVED"))
                  << " in " << m.outcome.proof.seconds << " s\n";
        INFO(m.mutant->name);
        CHECK(m.killed);
    }
}

const std::set<std::string> kMmuUpdate = {"mmu_update"};

} // namespace

TEST_CASE("mutants: the catalogue mirrors at least 12 advisories, page tables and grants both",
          "[mutant]") {
    std::set<std::string> advisories;
    std::set<std::string> groups;
    for (const auto& m : mutant_catalog()) {
        advisories.insert(m.advisory);
        groups.insert(m.spec.group);
        CHECK_FALSE(m.bug.empty());
        CHECK_FALSE(m.expected_checks.empty());
    }
    CHECK(mutant_catalog().size() >= 12);
    CHECK(advisories.size() >= 12);
    CHECK(groups.count("mmu") == 1);
    CHECK(groups.count("grant") == 1);
}

TEST_CASE("mutants: every seeded bug in mmu_update is killed", "[mutant][mmu]") {
    kill_all(kMmuUpdate, true);
}

TEST_CASE("mutants: every other seeded bug is killed", "[mutant]") {
    kill_all(kMmuUpdate, false);
}

} // namespace enso::verify
