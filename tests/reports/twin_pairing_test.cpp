// Twin pairing and ratio statistics on the fixture.
#include "reports/results_file.hpp"
#include "reports/sample_statistics.hpp"
#include "reports/twin_pairing.hpp"
#include "tests/reports/fixture_paths.hpp"

#include <catch2/catch.hpp>

using namespace enso::reports;
using enso::reports::test::fixture;

namespace {

struct Paired {
    ResultsFile file;
    std::vector<TwinGroup> groups;

    const TwinGroup& group(const std::string& key) const {
        for (const auto& g : groups) {
            if (g.key == key) {
                return g;
            }
        }
        FAIL("no group " << key);
        throw std::logic_error("unreachable");
    }
};

Paired pair_fixture(const std::string& name) {
    Paired p{load_results_file(fixture(name)), {}};
    std::vector<const BenchmarkRun*> runs;
    for (const auto& r : p.file.runs) {
        runs.push_back(&r);
    }
    p.groups = pair_twins(runs);
    return p;
}

const TwinRatio* ratio(const TwinGroup& g, const std::string& guest_mode, Role role) {
    for (const auto& r : g.ratios) {
        if (r.guest->name->mode == guest_mode && r.baseline_role == role) {
            return &r;
        }
    }
    return nullptr;
}

} // namespace

TEST_CASE("twins group by suite, operation and parameters") {
    const auto p = pair_fixture("results.json");
    const auto& null_op = p.group("hypercall/null");
    CHECK(null_op.members.size() == 5);
    const auto& mmu = p.group("hypercall/mmu_update/512");
    CHECK(mmu.members.size() == 4);
    CHECK(mmu.ratios.size() == 4); // 2 transports x (native, in-process)
    CHECK(p.group("blk/seqread/64k/qd32").members.size() == 5);
}

TEST_CASE("a transport's floor pairs only with the guest over that transport") {
    const auto p = pair_fixture("results.json");
    const auto& g = p.group("hypercall/null");
    const auto* trap = ratio(g, "guest-trap", Role::floor);
    REQUIRE(trap != nullptr);
    CHECK(trap->baseline->name->mode == "floor-trap");
    const auto* ring = ratio(g, "guest-exitless", Role::floor);
    REQUIRE(ring != nullptr);
    CHECK(ring->baseline->name->mode == "floor-exitless");
    CHECK(ratio(g, "guest-trap", Role::inprocess) != nullptr);
    CHECK(ratio(g, "guest-trap", Role::native) == nullptr);
}

TEST_CASE("a ratio is the ratio of medians; its spread brackets it") {
    const auto p = pair_fixture("results.json");
    const auto* r = ratio(p.group("hypercall/null"), "guest-trap", Role::floor);
    REQUIRE(r != nullptr);
    const double expected =
        summarize(r->guest->samples()).median / summarize(r->baseline->samples()).median;
    CHECK(r->ratio.value == Approx(expected));
    CHECK(r->ratio.value == Approx(1.03).epsilon(0.05)); // as the fixture was built
    CHECK(r->ratio.method == SpreadMethod::pairwise_iqr);
    REQUIRE(r->ratio.low);
    REQUIRE(r->ratio.high);
    CHECK(*r->ratio.low <= r->ratio.value);
    CHECK(*r->ratio.high >= r->ratio.value);
    CHECK(r->ratio.n_numerator == 5);

    const auto* compute = ratio(p.group("hypercall/compute_int"), "guest-trap", Role::native);
    REQUIRE(compute != nullptr);
    CHECK(compute->ratio.value == Approx(1.004).epsilon(0.03));
}

TEST_CASE("aggregates-only twins get a spread from their cvs") {
    const auto p = pair_fixture("results.json");
    const auto* r = ratio(p.group("hypercall/evtchn_send"), "guest-trap", Role::floor);
    REQUIRE(r != nullptr);
    CHECK(r->ratio.method == SpreadMethod::combined_cv);
    CHECK(r->ratio.value == Approx(1.05).epsilon(0.06));
    CHECK(*r->ratio.low < r->ratio.value);
}

TEST_CASE("block I/O ratios compare throughput when both sides carry MBps") {
    const auto p = pair_fixture("results.json");
    const auto* r = ratio(p.group("blk/seqread/64k/qd32"), "pv-poll-persistent", Role::native);
    REQUIRE(r != nullptr);
    CHECK(r->metric == CostMetric::inverse_throughput);
    CHECK(r->ratio.value == Approx(1.0 / 0.93).epsilon(0.03));
    const auto* emulated = ratio(p.group("blk/seqread/64k/qd32"), "emulated", Role::native);
    REQUIRE(emulated != nullptr);
    CHECK(emulated->ratio.value > 10);
}

TEST_CASE("entries without twins, skipped ones and names outside the grammar pair with nothing") {
    const auto p = pair_fixture("results.json");
    CHECK(p.group("hypercall/grant_copy/4k").ratios.empty());
    CHECK(p.group("hypercall/multicall/8").ratios.empty()); // skipped guest
    for (const auto& g : p.groups) {
        CHECK(g.key.find("BM_") == std::string::npos);
    }
}

TEST_CASE("one repetition each: a ratio without a spread") {
    BenchmarkRun guest;
    guest.run_name = "s/op/guest-trap";
    guest.name = parse_benchmark_name(guest.run_name);
    guest.real_ns = {200};
    BenchmarkRun native;
    native.run_name = "s/op/native";
    native.name = parse_benchmark_name(native.run_name);
    native.real_ns = {100};
    const auto groups = pair_twins({&guest, &native});
    REQUIRE(groups.size() == 1);
    REQUIRE(groups.front().ratios.size() == 1);
    const auto& r = groups.front().ratios.front().ratio;
    CHECK(r.value == Approx(2.0));
    CHECK(r.method == SpreadMethod::none);
    CHECK_FALSE(r.low);
}

TEST_CASE("pairing a file without twins, or with no benchmarks, yields nothing to compare") {
    CHECK(pair_twins({}).empty());
    const auto p = pair_fixture("results_nokvm.json");
    for (const auto& g : p.groups) {
        CHECK(g.ratios.empty());
    }
}

TEST_CASE("floors recorded as operations of their own pair with null by transport") {
    auto make = [](const std::string& name, double ns) {
        BenchmarkRun r;
        r.run_name = name;
        r.name = parse_benchmark_name(name);
        r.real_ns = {ns, ns * 1.01, ns * 0.99};
        return r;
    };
    const auto trap = make("hypercall/null/guest-trap/iterations:3/manual_time", 26000);
    const auto ring = make("hypercall/null/guest-exitless", 200);
    const auto exit_floor = make("hypercall/exit_floor/floor/manual_time", 25000);
    const auto ring_floor = make("hypercall/ring_floor/floor", 100);
    const auto mmu = make("hypercall/mmu_update/8/guest-trap", 27000);
    const auto groups = pair_twins({&trap, &ring, &exit_floor, &ring_floor, &mmu});
    const TwinGroup* null_group = nullptr;
    for (const auto& g : groups) {
        if (g.key == "hypercall/null") {
            null_group = &g;
        }
        if (g.key == "hypercall/mmu_update/8") {
            CHECK(g.ratios.empty()); // only null is compared with the bare floor
        }
    }
    REQUIRE(null_group != nullptr);
    REQUIRE(null_group->ratios.size() == 2);
    for (const auto& r : null_group->ratios) {
        CHECK(r.baseline_role == Role::floor);
        if (r.guest == &trap) {
            CHECK(r.baseline == &exit_floor);
            CHECK(r.ratio.value == Approx(26000.0 / 25000));
        } else {
            CHECK(r.baseline == &ring_floor);
            CHECK(r.ratio.value == Approx(2.0));
        }
    }
}
