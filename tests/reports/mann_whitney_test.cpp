// The Mann-Whitney U test on data with known answers.
#include "reports/mann_whitney.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace enso::reports;

TEST_CASE("exact test, fully separated samples: p = 2 / C(n1 + n2, n1)") {
    const std::vector<double> a{1, 2, 3};
    const std::vector<double> b{4, 5, 6};
    const auto r = mann_whitney_u(a, b);
    CHECK(r.exact);
    CHECK(r.u == 0);
    CHECK(r.p_value == Approx(0.1)); // 2 / 20
    const std::vector<double> c{1, 2, 3, 4, 5};
    const std::vector<double> d{6, 7, 8, 9, 10};
    CHECK(mann_whitney_u(c, d).p_value == Approx(2.0 / 252)); // scipy: 0.007937
    CHECK(mann_whitney_u(d, c).u == 25);
    CHECK(mann_whitney_u(d, c).p_value == Approx(2.0 / 252));
}

TEST_CASE("exact test, interleaved samples") {
    // U = 2 for a: ranks of a are 1, 3, 4 -> R = 8, U = 8 - 6 = 2. Of the 20
    // orderings, 4 have U <= 2 (U = 0, 1, 2, 2), so p = 2 * 4 / 20 = 0.4.
    const std::vector<double> a{1, 3, 4};
    const std::vector<double> b{2, 5, 6};
    const auto r = mann_whitney_u(a, b);
    CHECK(r.exact);
    CHECK(r.u == 2);
    CHECK(r.p_value == Approx(0.4));
}

TEST_CASE("identical distributions give p near 1; ties use the normal approximation") {
    const std::vector<double> a{5, 5, 5, 5};
    const auto all_tied = mann_whitney_u(a, a);
    CHECK_FALSE(all_tied.exact);
    CHECK(all_tied.p_value == Approx(1.0));

    // Ties: U = 10.5 + ... computed by hand with midranks.
    // pooled sorted: 1(a) 2(a) 2(b) 3(a) 3(b) 4(b) -> ranks 1, 2.5, 2.5, 4.5, 4.5, 6
    // R_a = 1 + 2.5 + 4.5 = 8, U_a = 8 - 6 = 2; mu = 4.5;
    // tie term = 2 * (8 - 2) = 12; var = 9/12 * (7 - 12/30) = 4.95
    // z = (|2 - 4.5| - 0.5) / sqrt(4.95) = 0.8989; p = erfc(z / sqrt 2) = 0.3687
    const std::vector<double> x{1, 2, 3};
    const std::vector<double> y{2, 3, 4};
    const auto r = mann_whitney_u(x, y);
    CHECK_FALSE(r.exact);
    CHECK(r.u == Approx(2.0));
    CHECK(r.p_value == Approx(std::erfc(0.8989 / std::sqrt(2.0))).epsilon(0.001));
}

TEST_CASE("large separated samples are overwhelmingly significant") {
    std::vector<double> a;
    std::vector<double> b;
    for (int i = 0; i < 60; ++i) {
        a.push_back(100 + i * 0.01);
        b.push_back(110 + i * 0.01);
    }
    const auto r = mann_whitney_u(a, b);
    CHECK_FALSE(r.exact); // beyond the exact limit
    CHECK(r.p_value < 1e-10);
}

TEST_CASE("the smallest p a sample size allows") {
    CHECK(smallest_possible_p(2, 2) == Approx(1.0 / 3));
    CHECK(smallest_possible_p(3, 3) == Approx(0.1));
    CHECK(smallest_possible_p(4, 4) == Approx(2.0 / 70));
    CHECK(smallest_possible_p(0, 5) == 1.0);
}
