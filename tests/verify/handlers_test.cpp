// Every handler in the catalogue keeps every invariant: each path that
// returns, from any state that satisfies them. One test case per group of
// handlers, so CTest can run them side by side.
#include "verify/handler_catalog.hpp"
#include "verify_test_support.hpp"

#include <catch2/catch.hpp>

#include <set>

namespace enso::verify {

namespace {

// Under a sanitizer, the handlers with hundreds of paths are left to the
// default build; the rest of the group still runs.
const std::set<std::string>& long_proofs() {
    static const std::set<std::string> names = {"mmu_update", "update_va_mapping", "grant_map",
                                                "grant_copy", "grant_unmap"};
    return names;
}

void prove_group(const std::string& group) {
    std::vector<const HandlerSpec*> specs;
    for (const auto& h : handler_catalog()) {
        if (h.group != group) {
            continue;
        }
        if (test::kSanitized && long_proofs().count(h.name) != 0) {
            std::cout << "verify: " << h.name << ": skipped under the sanitizer (long)\n";
            continue;
        }
        specs.push_back(&h);
    }
    REQUIRE_FALSE(specs.empty());
    for (const auto& o : run_handlers(specs, test::run_options())) {
        test::report(o);
        INFO(o.name << ": " << o.status());
        CHECK(o.proof.ok_paths > 0); // sanity: not vacuous
        CHECK(o.proved());
    }
}

} // namespace

TEST_CASE("proof: every PV MMU handler keeps the invariants", "[proof][mmu]") {
    prove_group("mmu");
}

TEST_CASE("proof: every grant-table operation keeps the invariants", "[proof][grant]") {
    prove_group("grant");
}

TEST_CASE("proof: every event-channel operation keeps the invariants", "[proof][event]") {
    prove_group("event");
}

TEST_CASE("proof: memory_op extents, domain create and destroy steps keep the invariants",
          "[proof][memory][domain]") {
    prove_group("memory");
    prove_group("domain");
}

} // namespace enso::verify
