// The path explorer covers every feasible path of a function once, and only
// feasible ones.
#include "verify/symbolic_domain.hpp"

#include <catch2/catch.hpp>

namespace enso::verify {

namespace {
using U32 = Symbolic::U32;
} // namespace

TEST_CASE("explorer: every feasible path exactly once", "[explorer]") {
    Explorer ex(sym_ctx());
    std::vector<int> outcomes;
    const std::size_t paths = ex.explore(
        [&] {
            const U32 x(sym_ctx().bv_const("x", 32));
            int out = 0;
            if (x < 10U) {
                out += 1;
                if (x > 20U) { // infeasible under x < 10
                    out += 100;
                }
            }
            if (x == 5U) {
                out += 10;
            }
            outcomes.push_back(out);
        },
        100);
    // x < 10 and x == 5; x < 10 and x != 5; x >= 10 (x == 5 infeasible).
    REQUIRE(paths == 3);
    std::sort(outcomes.begin(), outcomes.end());
    REQUIRE(outcomes == std::vector<int>{0, 1, 11});
}

TEST_CASE("explorer: a handler with more paths than the bound is refused", "[explorer]") {
    Explorer ex(sym_ctx());
    auto many = [&] {
        const U32 x(sym_ctx().bv_const("y", 32));
        for (unsigned bit = 0; bit < 8; ++bit) {
            if (((x >> bit) & 1U) != 0U) {
                continue;
            }
        }
    };
    REQUIRE_THROWS_AS(ex.explore(many, 100), PathBoundExceeded);
    REQUIRE(ex.explore(many, 256) == 256);
}

} // namespace enso::verify
