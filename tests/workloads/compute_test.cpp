// The compute kernels are plain functions: what the guest and the native twin
// both run is checked here, on the host.
#include "workloads/compute/int_mix.hpp"
#include "workloads/compute/pointer_chase.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

using namespace enso::compute;

namespace {

// int_mix written out again, the obvious way.
std::uint64_t int_mix_reference(std::uint64_t size, std::uint64_t reps) {
    std::uint64_t h = kIntMixSeed;
    for (std::uint64_t r = 0; r < reps; ++r) {
        for (std::uint64_t i = 0; i < size; ++i) {
            h = mix64(h + i);
        }
        h ^= r;
    }
    return h;
}

std::vector<std::uint64_t> chase_buffer(std::uint64_t bytes) {
    std::vector<std::uint64_t> buf(bytes / sizeof(std::uint64_t) + 1, 0xdeadbeef);
    chase_prepare(buf.data(), bytes);
    return buf;
}

} // namespace

TEST_CASE("mix64 is splitmix64's finalizer") {
    // splitmix64 seeded with 0 yields mix64(0x9e3779b97f4a7c15) first.
    CHECK(mix64(0x9e3779b97f4a7c15ULL) == 0xe220a8397b1dcdafULL);
    CHECK(mix64(0) == 0);
}

TEST_CASE("int_mix runs size times reps dependent steps") {
    CHECK(int_mix(0, 0) == kIntMixSeed);
    CHECK(int_mix(1000, 0) == kIntMixSeed);
    CHECK(int_mix(1, 1) == mix64(kIntMixSeed));
    CHECK(int_mix(1000, 3) == int_mix_reference(1000, 3));
    CHECK(int_mix(4096, 1) != int_mix(4096, 2));
    CHECK(int_mix_steps(1000, 3) == 3000);
}

TEST_CASE("int_mix gives the checksum the guest kernel reported") {
    // Run in a guest (kCmdComputeInt 1 << 20, 4): a change to the kernel
    // changes this, and guest and native figures are then not comparable.
    CHECK(int_mix(1 << 20, 4) == 0x58e015a317d4b3d3ULL);
}

TEST_CASE("int_mix is deterministic across calls") {
    const std::uint64_t a = int_mix(1 << 16, 4);
    const std::uint64_t b = int_mix(1 << 16, 4);
    CHECK(a == b);
}

TEST_CASE("chase_prepare links every node into one cycle") {
    for (const std::uint64_t bytes : {128ULL, 192ULL, 4096ULL, 64ULL * 1000, 1ULL << 20}) {
        CAPTURE(bytes);
        const auto buf = chase_buffer(bytes);
        const std::uint64_t n = chase_nodes(bytes);
        std::vector<bool> seen(n, false);
        std::uint64_t at = 0;
        for (std::uint64_t step = 0; step < n; ++step) {
            REQUIRE(at % kChaseNodeWords == 0);
            REQUIRE(at / kChaseNodeWords < n);
            REQUIRE_FALSE(seen[at / kChaseNodeWords]);
            seen[at / kChaseNodeWords] = true;
            at = buf[at];
        }
        CHECK(at == 0); // back at the start after exactly n steps
    }
}

TEST_CASE("chase_prepare touches only the first word of each node") {
    const std::uint64_t bytes = 64 * 64 + 40; // a partial node at the end
    const auto buf = chase_buffer(bytes);
    for (std::uint64_t w = 0; w < buf.size(); ++w) {
        if (w % kChaseNodeWords != 0 || w / kChaseNodeWords >= chase_nodes(bytes)) {
            CHECK(buf[w] == 0xdeadbeef);
        }
    }
}

TEST_CASE("chase_run's checksum over whole cycles does not depend on the order") {
    const std::uint64_t bytes = 1 << 16;
    const std::uint64_t n = chase_nodes(bytes);
    const auto buf = chase_buffer(bytes);
    const std::uint64_t per_cycle = kChaseNodeWords * n * (n - 1) / 2;
    CHECK(chase_run(buf.data(), n) == per_cycle);
    CHECK(chase_run(buf.data(), 3 * n) == 3 * per_cycle);
    CHECK(chase_run(buf.data(), 0) == 0);
    CHECK(chase_run(buf.data(), 1) == buf[0]);
}

TEST_CASE("chase_prepare is the same permutation for the same seed") {
    const auto a = chase_buffer(1 << 14);
    const auto b = chase_buffer(1 << 14);
    CHECK(a == b);
    std::vector<std::uint64_t> c(a.size(), 0xdeadbeef);
    chase_prepare(c.data(), 1 << 14, kChaseSeed + 1);
    CHECK(a != c);
}

TEST_CASE("chase sizes") {
    CHECK_FALSE(chase_size_ok(0));
    CHECK_FALSE(chase_size_ok(127));
    CHECK(chase_size_ok(128));
    CHECK(chase_nodes(64ULL << 20) == 1ULL << 20);
}
