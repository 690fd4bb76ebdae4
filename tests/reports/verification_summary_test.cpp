// Reading `enso verify --json` leniently: synonyms, failure lists, unknown
// fields, and clear errors for files that hold no handlers.
#include "reports/input_error.hpp"
#include "reports/verification_summary.hpp"
#include "tests/reports/fixture_paths.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace enso::reports;
using enso::reports::test::fixture;
using enso::reports::test::ScratchDir;

TEST_CASE("the fixture's handlers, outcomes and counterexample paths") {
    const auto v = load_verification_summary(fixture("verify.json"));
    REQUIRE(v.handlers.size() == 4);
    CHECK(v.count(VerifyOutcome::proved) == 2);
    CHECK(v.count(VerifyOutcome::failed) == 1);
    CHECK(v.count(VerifyOutcome::unknown) == 1); // "timeout"
    CHECK(v.total_seconds() == Approx(78.7));
    const auto& grant = v.handlers[2];
    CHECK(grant.handler == "grant_map");
    CHECK(grant.paths == 57);
    REQUIRE(grant.counterexamples.size() == 2);
    CHECK(grant.counterexamples[0] == fixture("cex/grant_map.svg"));
    CHECK(v.warnings.empty());
}

TEST_CASE("synonyms, a bare list, a failures list and odd entries") {
    ScratchDir dir;
    const auto p = dir.path() / "v.json";
    std::ofstream(p) << R"([
        {"name": "mmu_update", "status": "OK", "time_s": 2.5, "path_count": 10},
        {"handler": "grant_unmap", "paths": 3, "seconds": 1,
         "failures": [{"invariant": "grant_pins", "counterexample_svg": "g.svg"},
                      {"invariant": "counts"}]},
        {"handler": "evtchn_close", "result": "broken"},
        {"handler": "mmuext_op", "proved": true},
        {"paths": 1},
        "junk"
    ])";
    const auto v = load_verification_summary(p);
    REQUIRE(v.handlers.size() == 4);
    CHECK(v.handlers[0].outcome == VerifyOutcome::proved);
    CHECK(v.handlers[0].seconds == Approx(2.5));
    CHECK(v.handlers[0].paths == 10);
    CHECK(v.handlers[1].outcome == VerifyOutcome::failed);
    CHECK(v.handlers[1].detail == "grant_pins (and 1 more)");
    REQUIRE(v.handlers[1].counterexamples.size() == 1);
    CHECK(v.handlers[1].counterexamples[0] == dir.path() / "g.svg");
    CHECK(v.handlers[2].outcome == VerifyOutcome::failed); // "broken" is not "ok"
    CHECK(v.handlers[3].outcome == VerifyOutcome::proved);
    CHECK(v.warnings.size() == 2);
}

TEST_CASE("a verify file without a list of handlers is an InputError") {
    ScratchDir dir;
    const auto p = dir.path() / "v.json";
    std::ofstream(p) << R"({"summary": "all good"})";
    CHECK_THROWS_AS(load_verification_summary(p), InputError);
    CHECK_THROWS_AS(load_verification_summary(dir.path() / "missing.json"), InputError);
}
