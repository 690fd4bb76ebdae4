// The name grammar <suite>/<operation>[/<parameters>]/<mode>.
#include "reports/benchmark_name.hpp"

#include <catch2/catch.hpp>

using namespace enso::reports;

TEST_CASE("a guest benchmark with parameters parses into its parts") {
    const auto n = parse_benchmark_name("hypercall/mmu_update/512/guest-exitless");
    REQUIRE(n);
    CHECK(n->suite == "hypercall");
    CHECK(n->operation == "mmu_update");
    CHECK(n->parameters == std::vector<std::string>{"512"});
    CHECK(n->mode == "guest-exitless");
    CHECK(n->role == Role::guest);
    CHECK(n->transport == "exitless");
    CHECK(n->group_key() == "hypercall/mmu_update/512");
    CHECK(n->workload_label() == "mmu_update 512");
    CHECK(n->batch_size() == 512U);
}

TEST_CASE("twin modes get their roles, and a floor may name its transport") {
    CHECK(parse_benchmark_name("hypercall/null/native")->role == Role::native);
    CHECK(parse_benchmark_name("hypercall/null/inprocess")->role == Role::inprocess);
    const auto floor = parse_benchmark_name("hypercall/null/floor");
    CHECK(floor->role == Role::floor);
    CHECK(floor->transport.empty());
    const auto floor_trap = parse_benchmark_name("hypercall/null/floor-trap");
    CHECK(floor_trap->role == Role::floor);
    CHECK(floor_trap->transport == "trap");
}

TEST_CASE("Google Benchmark's suffixes are not part of the name") {
    CHECK(strip_benchmark_suffixes("hypercall/null/guest-trap/manual_time") ==
          "hypercall/null/guest-trap");
    CHECK(strip_benchmark_suffixes("blk/seqread/64k/qd32/native/repeats:5/real_time") ==
          "blk/seqread/64k/qd32/native");
    CHECK(strip_benchmark_suffixes("hypercall/null/inprocess/min_time:0.500/threads:1") ==
          "hypercall/null/inprocess");
    CHECK(strip_benchmark_suffixes("BM_Foo") == "BM_Foo");
    const auto n = parse_benchmark_name("hypercall/compute_int/guest-trap/manual_time");
    REQUIRE(n);
    CHECK(n->mode == "guest-trap");
}

TEST_CASE("block I/O names: pattern, size and queue depth, the path as mode") {
    const auto n = parse_benchmark_name("blk/randread/4k/qd32/pv-poll-copy");
    REQUIRE(n);
    CHECK(n->operation == "randread");
    CHECK(n->parameters == std::vector<std::string>{"4k", "qd32"});
    CHECK(n->queue_depth() == 32U);
    CHECK_FALSE(n->batch_size()); // 4k is not all digits
    CHECK(n->role == Role::guest);
    CHECK(n->workload_label() == "randread 4k qd32");
    CHECK(parse_benchmark_name("blk/randread/4k/qd32/emulated")->role == Role::guest);
    CHECK(parse_benchmark_name("blk/randread/4k/qd32/native")->role == Role::native);
}

TEST_CASE("names outside the grammar are refused") {
    CHECK_FALSE(parse_benchmark_name("BM_MmuUpdate_L1Entry"));
    CHECK_FALSE(parse_benchmark_name("BM_MmuUpdate/512"));
    CHECK_FALSE(parse_benchmark_name("hypercall/null"));            // no mode
    CHECK_FALSE(parse_benchmark_name("Hypercall/null/guest-trap")); // suites are lower case
    CHECK_FALSE(parse_benchmark_name("hypercall//guest-trap"));
    CHECK_FALSE(parse_benchmark_name("hypercall/null guest/guest-trap"));
    CHECK_FALSE(parse_benchmark_name(""));
}

TEST_CASE("twins: same group, and a transport-specific baseline only for its transport") {
    const auto trap = *parse_benchmark_name("hypercall/null/guest-trap");
    const auto ring = *parse_benchmark_name("hypercall/null/guest-exitless");
    const auto floor_trap = *parse_benchmark_name("hypercall/null/floor-trap");
    const auto floor = *parse_benchmark_name("hypercall/null/floor");
    const auto other = *parse_benchmark_name("hypercall/mmu_update/8/inprocess");
    CHECK(is_twin_of(trap, floor_trap));
    CHECK_FALSE(is_twin_of(ring, floor_trap));
    CHECK(is_twin_of(ring, floor));
    CHECK_FALSE(is_twin_of(trap, other));
    CHECK_FALSE(is_twin_of(floor, trap)); // only a guest has twins
}
