// Changes against a baseline and their significance, on the fixture pair
// (the baseline was built with trap calls 10% faster).
#include "reports/baseline_comparison.hpp"
#include "reports/results_file.hpp"
#include "tests/reports/fixture_paths.hpp"

#include <catch2/catch.hpp>

using namespace enso::reports;
using enso::reports::test::fixture;

namespace {

std::vector<const BenchmarkRun*> runs_of(const ResultsFile& f) {
    std::vector<const BenchmarkRun*> out;
    for (const auto& r : f.runs) {
        out.push_back(&r);
    }
    return out;
}

const BaselineChange& change(const BaselineComparison& c, const std::string& name) {
    for (const auto& ch : c.changes) {
        if (ch.run_name == name) {
            return ch;
        }
    }
    FAIL("no change for " << name);
    throw std::logic_error("unreachable");
}

} // namespace

TEST_CASE("a 10% slowdown over 5 repetitions is significant; noise is not") {
    const auto now = load_results_file(fixture("results.json"));
    const auto base = load_results_file(fixture("baseline.json"));
    const auto c = compare_with_baseline(runs_of(now), runs_of(base));

    const auto& trap = change(c, "hypercall/null/guest-trap/manual_time");
    CHECK(trap.verdict == Verdict::significant);
    REQUIRE(trap.change);
    CHECK(*trap.change == Approx(0.10).margin(0.04));
    REQUIRE(trap.test);
    CHECK(trap.test->p_value < kSignificanceAlpha);
    CHECK(c.changes.front().verdict == Verdict::significant); // significant ones first

    const auto& inproc = change(c, "hypercall/null/inprocess");
    CHECK(inproc.verdict == Verdict::not_significant);
}

TEST_CASE("aggregates-only benchmarks cannot be tested, and say why") {
    const auto now = load_results_file(fixture("results.json"));
    const auto base = load_results_file(fixture("baseline.json"));
    const auto c = compare_with_baseline(runs_of(now), runs_of(base));
    const auto& evtchn = change(c, "hypercall/evtchn_send/guest-trap/manual_time");
    CHECK(evtchn.verdict == Verdict::too_few_repetitions);
    CHECK(evtchn.why.find("aggregates") != std::string::npos);
    CHECK(evtchn.change.has_value()); // the change itself is still shown
}

TEST_CASE("three repetitions each can never be significant at 0.05") {
    BenchmarkRun a;
    a.run_name = "s/op/native";
    a.real_ns = {100, 101, 102};
    BenchmarkRun b = a;
    b.real_ns = {200, 201, 202}; // twice as slow, every repetition
    const auto c = compare_with_baseline({&b}, {&a});
    REQUIRE(c.changes.size() == 1);
    CHECK(c.changes.front().verdict == Verdict::too_few_repetitions);
    CHECK(c.changes.front().test->p_value == Approx(0.1));
    CHECK(c.changes.front().why.find("no lower than 0.1") != std::string::npos);
}

TEST_CASE("benchmarks in only one of the runs are listed, not compared") {
    BenchmarkRun a;
    a.run_name = "s/a/native";
    a.real_ns = {1, 2};
    BenchmarkRun b;
    b.run_name = "s/b/native";
    b.real_ns = {1, 2};
    const auto c = compare_with_baseline({&a}, {&b});
    CHECK(c.changes.empty());
    CHECK(c.only_in_current == std::vector<std::string>{"s/a/native"});
    CHECK(c.only_in_baseline == std::vector<std::string>{"s/b/native"});
}
