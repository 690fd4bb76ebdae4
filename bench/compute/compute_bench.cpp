// The compute suite: CPU-bound kernels of different characters, each run in a
// guest and as native host code compiled from the same source
// (workloads/compute): integer (a multiply/xor chain), floating point (a
// polynomial chain), memory bandwidth (sequential sums) and pointer chasing
// (dependent loads), the last two in and out of the caches. A guest that
// makes no hypercalls should pay nothing: the ratio shows what it does pay
// (here, PVM's shadow paging and 4 KiB pages on the memory-bound kernels).
// Names: compute/<kernel>[/<size>]/<mode>, time per step (one mix, one
// evaluation, one word read, one load).
#include "bench/common/guest_pair.hpp"
#include "bench/common/suite_main.hpp"
#include "bench/common/topology.hpp"
#include "workloads/compute/float_poly.hpp"
#include "workloads/compute/int_mix.hpp"
#include "workloads/compute/pointer_chase.hpp"
#include "workloads/compute/stream_sum.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sys/mman.h>

#include <chrono>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using enso::bench::GuestPair;

bool g_quick = false;
constexpr std::uint32_t kGuestPages = 24 * 1024; // 96 MiB: room for a 64 MiB buffer

int iterations() {
    return g_quick ? 3 : 8;
}

// A buffer of 4 KiB pages (no transparent huge pages), as the guest's.
class HostBuffer {
public:
    explicit HostBuffer(std::uint64_t bytes) : bytes_(bytes) {
        void* p =
            ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED) {
            ::madvise(p, bytes, MADV_NOHUGEPAGE);
            words_ = static_cast<std::uint64_t*>(p);
        }
    }
    HostBuffer(const HostBuffer&) = delete;
    HostBuffer& operator=(const HostBuffer&) = delete;
    ~HostBuffer() {
        if (words_ != nullptr) {
            ::munmap(words_, bytes_);
        }
    }
    [[nodiscard]] std::uint64_t* words() const { return words_; }

private:
    std::uint64_t bytes_;
    std::uint64_t* words_ = nullptr;
};

template <class Kernel>
void native(benchmark::State& s, std::uint64_t steps, Kernel&& kernel) {
    for (auto _ : s) {
        const auto t0 = Clock::now();
        benchmark::DoNotOptimize(kernel());
        const std::chrono::duration<double> dt = Clock::now() - t0;
        s.SetIterationTime(dt.count() / static_cast<double>(steps));
    }
}

void guest(benchmark::State& s, enso::abi::Command cmd, std::uint64_t size, std::uint64_t reps) {
    auto& pair = GuestPair::get(kGuestPages);
    double exits = 0;
    double steps = 0;
    std::uint64_t checksum = 0;
    for (auto _ : s) {
        const auto out = pair.run(s, enso::abi::kTransportTrap, cmd, {size, reps});
        if (!out) {
            return;
        }
        s.SetIterationTime(static_cast<double>(out->tsc_cycles) / pair.tsc_hz() /
                           static_cast<double>(out->iterations));
        exits += static_cast<double>(out->exits.exits);
        steps += static_cast<double>(out->iterations);
        checksum = out->values[0];
    }
    s.counters["exits_per_op"] = exits / steps;
    s.counters["checksum_low"] = static_cast<double>(checksum & 0xffff);
}

benchmark::internal::Benchmark* add(const std::string& name,
                                    std::function<void(benchmark::State&)> fn) {
    return enso::bench::register_interruptible(name, std::move(fn))
        ->UseManualTime()
        ->Iterations(iterations())
        ->Unit(benchmark::kNanosecond);
}

void register_all() {
    const std::uint64_t int_size = 1 << 20;
    const std::uint64_t int_reps = g_quick ? 4 : 16;
    add("compute/int/guest-trap",
        [=](benchmark::State& s) { guest(s, enso::abi::kCmdComputeInt, int_size, int_reps); });
    add("compute/int/native", [=](benchmark::State& s) {
        native(s, enso::compute::int_mix_steps(int_size, int_reps),
               [&] { return enso::compute::int_mix(int_size, int_reps); });
    });
    const std::uint64_t fp_size = 1 << 18;
    const std::uint64_t fp_reps = g_quick ? 4 : 16;
    add("compute/float/guest-trap",
        [=](benchmark::State& s) { guest(s, enso::abi::kCmdComputeFloat, fp_size, fp_reps); });
    add("compute/float/native", [=](benchmark::State& s) {
        native(s, enso::compute::float_poly_steps(fp_size, fp_reps),
               [&] { return enso::compute::float_poly(fp_size, fp_reps); });
    });
    for (std::uint64_t mib : {1, 64}) {
        const std::uint64_t bytes = mib << 20;
        const std::uint64_t words = bytes / 8;
        const std::uint64_t reps = std::max<std::uint64_t>(1, (g_quick ? 32 : 128) / mib);
        add(fmt::format("compute/stream/{}MiB/guest-trap", mib),
            [=](benchmark::State& s) { guest(s, enso::abi::kCmdComputeStream, bytes, reps); });
        add(fmt::format("compute/stream/{}MiB/native", mib), [=](benchmark::State& s) {
            HostBuffer buf(bytes);
            if (buf.words() == nullptr) {
                s.SkipWithError("mmap failed");
                return;
            }
            enso::compute::stream_prepare(buf.words(), words);
            native(s, enso::compute::stream_steps(words, reps),
                   [&] { return enso::compute::stream_sum(buf.words(), words, reps); });
        });
        const std::uint64_t laps = std::max<std::uint64_t>(1, (g_quick ? 4 : 16) / mib);
        add(fmt::format("compute/chase/{}MiB/guest-trap", mib),
            [=](benchmark::State& s) { guest(s, enso::abi::kCmdComputeMem, bytes, laps); });
        add(fmt::format("compute/chase/{}MiB/native", mib), [=](benchmark::State& s) {
            HostBuffer buf(bytes);
            if (buf.words() == nullptr) {
                s.SkipWithError("mmap failed");
                return;
            }
            enso::compute::chase_prepare(buf.words(), bytes);
            const std::uint64_t steps = enso::compute::chase_nodes(bytes) * laps;
            native(s, steps, [&] { return enso::compute::chase_run(buf.words(), steps); });
        });
    }
}

} // namespace

int main(int argc, char** argv) {
    enso::bench::prepare_suite_process();
    const auto cl = enso::bench::init_suite(argc, argv);
    if (!cl.ok) {
        return 2;
    }
    g_quick = cl.quick;
    const bool listing = cl.listing;
    register_all();
    benchmark::AddCustomContext("enso_suite", "compute");
    benchmark::AddCustomContext("enso_quick", g_quick ? "true" : "false");
    if (!listing) {
        auto& pair = GuestPair::get(kGuestPages);
        benchmark::AddCustomContext("enso_guests", pair.ok() ? "running" : pair.why());
    }
    benchmark::RunSpecifiedBenchmarks();
    if (!listing && GuestPair::get().ok()) {
        enso::bench::write_topology_beside_results(argc, argv, GuestPair::get().monitor());
    }
    benchmark::Shutdown();
    return 0;
}
