// The catalogue of seeded bugs (verify/mutants/): at least 12, page tables
// and grants both, each mirroring an advisory and naming the checks it must
// break. That every one is killed is checked once, through the command line
// (`enso verify --mutant all`, a CTest test of its own: see CMakeLists.txt).
#include "verify/mutants/mutant_catalog.hpp"

#include <catch2/catch.hpp>

#include <set>

namespace enso::verify {

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

} // namespace enso::verify
