// A proof that holds only because its assumptions contradict each other is
// reported as a failure ("vacuous"), not as proved: a small handler is
// proved with two contradictory rules added to what its caller guarantees
// (HandlerSpec::assumed, a copy of its spec: the real assumptions are
// untouched), beside the same handler without them.
#include "verify/handler_catalog.hpp"
#include "verify_test_support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace enso::verify {

namespace {

// "Every domain owns exactly n pages", over a domain binder.
Invariant pages_are(const char* name, std::uint32_t n) {
    return {name,
            {},
            {IndexClass::Dom},
            Instances::EveryCombination,
            [n](const StateView& v, const std::vector<z3::expr>& b) {
                return v.tot_pages(b[0]) == bv(n, 32);
            }};
}

} // namespace

TEST_CASE("vacuity: a handler proved only under contradictory assumptions is reported vacuous",
          "[sanity]") {
    const HandlerSpec* real = find_handler("evtchn_close");
    REQUIRE(real != nullptr);
    HandlerSpec contradictory = *real;
    contradictory.assumed.push_back(pages_are("test/no_page", 0));
    contradictory.assumed.push_back(pages_are("test/one_page", 1));
    const auto out = run_handlers({real, &contradictory}, test::run_options());
    REQUIRE(out.size() == 2);
    test::report(out[0]);
    test::report(out[1]);
    CHECK(out[0].status() == "proved");
    CHECK(out[0].proof.vacuous.empty());
    // Every goal is refuted (unsat) under the contradiction, so without the
    // non-vacuity check this handler would count as proved.
    CHECK(out[1].proof.failures.empty());
    CHECK(out[1].proof.ok_paths > 0);
    CHECK_FALSE(out[1].proof.vacuous.empty());
    CHECK_FALSE(out[1].proof.proved());
    CHECK(out[1].status() == "vacuous");
    const nlohmann::json j = out[1];
    CHECK(j["status"] == "vacuous");
    CHECK_FALSE(j["vacuous_goals"].empty());
}

} // namespace enso::verify
