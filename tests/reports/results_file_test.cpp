// Loading results files: Google Benchmark's schema, the host block,
// aggregates, counters, skipped entries, the topology block, and clear
// errors for files that cannot be used.
#include "reports/gbench_json.hpp"
#include "reports/input_error.hpp"
#include "reports/results_file.hpp"
#include "tests/reports/fixture_paths.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace enso::reports;
using enso::reports::test::fixture;
using enso::reports::test::ScratchDir;

namespace {

std::filesystem::path write(const ScratchDir& dir, const std::string& name,
                            const std::string& text) {
    const auto p = dir.path() / name;
    std::ofstream(p) << text;
    return p;
}

} // namespace

TEST_CASE("the fixture loads with its host, runs, counters and topology") {
    const auto f = load_results_file(fixture("results.json"));
    CHECK(f.host.recorded);
    CHECK(f.host.kvm_backend == "PVM");
    CHECK(f.host.under_hypervisor == true);
    CHECK(f.host.guest_ring0_native == false);
    CHECK(f.host.git_commit == "1baf23b");

    const auto* trap = f.find("hypercall/null/guest-trap/manual_time");
    REQUIRE(trap != nullptr);
    REQUIRE(trap->name);
    CHECK(trap->name->mode == "guest-trap");
    CHECK(trap->samples().size() == 5);
    CHECK(trap->aggregate_ns.contains("median"));
    CHECK(trap->aggregate_cv.has_value());
    CHECK(trap->counter("exits_per_op") == Approx(1.0));

    // Times are normalized to ns whatever the time_unit.
    const auto* compute = f.find("hypercall/compute_int/native");
    REQUIRE(compute != nullptr);
    CHECK(*compute->median_ns() == Approx(1.0e6).epsilon(0.05));

    const auto* core = f.find("BM_MmuUpdate_L1Entry");
    REQUIRE(core != nullptr);
    CHECK_FALSE(core->name);

    REQUIRE(f.topology);
    CHECK(f.topology->domains.size() == 3);
    CHECK(f.topology->grants.size() == 34);
    CHECK(f.topology->event_channels.size() == 3);
    CHECK(f.warnings.empty());
}

TEST_CASE("aggregates-only runs take their median and cv from the aggregates") {
    const auto f = load_results_file(fixture("results.json"));
    const auto* r = f.find("hypercall/evtchn_send/guest-trap/manual_time");
    REQUIRE(r != nullptr);
    CHECK(r->samples().empty());
    CHECK(r->median_ns().has_value());
    CHECK(r->cv().has_value());
    CHECK(r->repetition_count() == 5);
    CHECK(r->counter("exits_per_op") == Approx(1.0));
}

TEST_CASE("errored entries become skipped runs with their reason") {
    const auto f = load_results_file(fixture("results.json"));
    const auto* r = f.find("hypercall/multicall/8/guest-trap/manual_time");
    REQUIRE(r != nullptr);
    CHECK(r->skipped);
    CHECK_FALSE(r->median_ns());
    REQUIRE(f.skipped.size() == 1);
    CHECK(f.skipped.front().reason.find("triple fault") != std::string::npos);
}

TEST_CASE("a run without /dev/kvm: skipped guests and skipped suites") {
    const auto f = load_results_file(fixture("results_nokvm.json"));
    CHECK(f.host.kvm_usable == false);
    CHECK(f.skipped.size() == 3); // two guest entries and the blk suite
    CHECK(f.find("hypercall/null/inprocess")->median_ns().has_value());
}

TEST_CASE("an empty benchmarks list is a valid, empty results file") {
    const auto f = load_results_file(fixture("results_empty.json"));
    CHECK(f.runs.empty());
    CHECK(f.host.recorded);
}

TEST_CASE("unusable files raise InputError naming the file and the problem") {
    ScratchDir dir;
    auto problem = [](const std::filesystem::path& p) {
        try {
            (void)load_results_file(p);
        } catch (const InputError& e) {
            CHECK(e.file() == p);
            CHECK(std::string(e.what()).find(p.string()) != std::string::npos);
            return e.problem();
        }
        FAIL("no InputError for " << p);
        return std::string();
    };
    CHECK(problem(dir.path() / "missing.json") == "no such file");
    CHECK(problem(write(dir, "bad.json", "{\"benchmarks\": [")).find("not valid JSON") == 0);
    CHECK(problem(write(dir, "list.json", "[1, 2]")).find("top level") != std::string::npos);
    CHECK(problem(write(dir, "nobench.json", "{\"context\": {}}")).find("\"benchmarks\"") !=
          std::string::npos);
    CHECK(problem(write(dir, "badlist.json", "{\"benchmarks\": 3}")).find("not a list") !=
          std::string::npos);
    CHECK(problem(dir.path()).find("directory") != std::string::npos);
}

TEST_CASE("malformed entries inside a good file become warnings") {
    ScratchDir dir;
    const auto p = write(dir, "odd.json", R"({"benchmarks": [
        3,
        {"run_type": "iteration"},
        {"name": "x/y/native", "real_time": 5, "time_unit": "fortnights"},
        {"name": "x/y/guest", "real_time": 10, "time_unit": "us"}
    ], "topology": {"domains": [{"name": "no id"}], "grants": 7}})");
    const auto f = load_results_file(p);
    CHECK(f.warnings.size() == 5);
    REQUIRE(f.find("x/y/guest") != nullptr);
    CHECK(*f.find("x/y/guest")->median_ns() == Approx(10000));
    CHECK_FALSE(f.host.recorded);
}

TEST_CASE("Google Benchmark's bare NaN and Infinity read as absent counters") {
    CHECK(nonfinite_to_null(R"({"a": NaN, "b": -Infinity, "c": "NaN, Infinity", "d": "\"NaN"})") ==
          R"({"a": null, "b": null, "c": "NaN, Infinity", "d": "\"NaN"})");
    ScratchDir dir;
    const auto p = write(dir, "nan.json", R"({"benchmarks": [
        {"name": "hypercall/null/guest-trap/manual_time", "run_type": "iteration",
         "real_time": 100, "time_unit": "ns", "exits_per_op": 1, "user_exits_per_op": NaN},
        {"name": "hypercall/null/inprocess", "run_type": "iteration",
         "real_time": Infinity, "time_unit": "ns"}]})");
    const auto f = load_results_file(p);
    const auto* trap = f.find("hypercall/null/guest-trap/manual_time");
    REQUIRE(trap != nullptr);
    CHECK(trap->counter("exits_per_op") == Approx(1));
    CHECK_FALSE(trap->counter("user_exits_per_op"));
    CHECK_FALSE(f.find("hypercall/null/inprocess")->median_ns());
    CHECK(f.warnings.size() == 1); // the entry without a finite time
}
