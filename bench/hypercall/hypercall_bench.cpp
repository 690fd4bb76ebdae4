// The hypercall suite: what each hypercall costs a guest over each transport,
// paired in the same run with its twins (docs/design.md, "Measuring"):
//   floor      the platform's limit: a bare exit (exit_floor) or a bare ring
//              round trip (ring_floor), neither touching the core;
//   inprocess  the same handler called in the monitor's process, no VM;
//   native     the host doing the same work itself (mmap/munmap, memcpy, the
//              compute kernels from the same source).
// Names: hypercall/<operation>[/<parameter>]/<mode>; mmu_update/<N> is per
// page-table entry (N mapped in one call, N unmapped in another), multicall/<N>
// per entry, everything else per operation. Guest figures are timed
// in the guest with its TSC (manual time, per operation); each carries
// exits_per_op (KVM's "exits" statistic) and user_exits_per_op (exits the
// monitor saw). Run with --enso_quick for a short run.
#include "bench/common/guest_pair.hpp"
#include "bench/common/topology.hpp"
#include "bench/hypercall/inprocess_machine.hpp"
#include "workloads/compute/int_mix.hpp"
#include "workloads/compute/pointer_chase.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <xen/grant_table.h>
#include <xen/version.h>
#include <xen/xen.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using enso::abi::Transport;
using enso::bench::GuestPair;
using enso::bench::InProcessMachine;
using Clock = std::chrono::steady_clock;

bool g_quick = false;

// Fixed iterations: each one is a whole guest command (thousands of
// operations), so Google Benchmark must not pick the count itself.
int iterations() {
    return g_quick ? 3 : 10;
}
std::uint64_t scaled(std::uint64_t n) {
    return g_quick ? std::max<std::uint64_t>(1, n / 4) : n;
}

const char* mode_name(Transport t) {
    return t == enso::abi::kTransportTrap ? "guest-trap" : "guest-exitless";
}

// A guest command of `args`, per_op(outcome) operations each: the per-op
// time from the guest's TSC, and exits per op.
void guest_benchmark(benchmark::State& state, Transport t, enso::abi::Command cmd,
                     std::vector<std::uint64_t> args,
                     const std::function<double(const enso::kvm::CommandOutcome&)>& ops_of) {
    auto& pair = GuestPair::get();
    double ops = 0;
    double exits = 0;
    double user_exits = 0;
    for (auto _ : state) {
        const auto out = pair.run(state, t, cmd, args);
        if (!out) {
            return;
        }
        const double n = ops_of(*out);
        if (n <= 0) {
            state.SkipWithError("the guest reported no operations");
            return;
        }
        state.SetIterationTime(static_cast<double>(out->tsc_cycles) / pair.tsc_hz() / n);
        ops += n;
        exits += static_cast<double>(out->exits.exits);
        user_exits += static_cast<double>(out->exits.user_exits);
    }
    state.counters["exits_per_op"] = exits / ops;
    state.counters["user_exits_per_op"] = user_exits / ops;
}

double by_iterations(const enso::kvm::CommandOutcome& o) {
    return static_cast<double>(o.iterations);
}

// n operations per iteration, timed on the host; time per operation.
template <class Op>
void host_benchmark(benchmark::State& state, std::uint64_t n, Op&& op) {
    for (auto _ : state) {
        const auto t0 = Clock::now();
        for (std::uint64_t i = 0; i < n; ++i) {
            op(i);
        }
        const std::chrono::duration<double> dt = Clock::now() - t0;
        state.SetIterationTime(dt.count() / static_cast<double>(n));
    }
}

InProcessMachine& inprocess() {
    static InProcessMachine m;
    return m;
}

benchmark::internal::Benchmark* add(const std::string& name,
                                    std::function<void(benchmark::State&)> fn) {
    return enso::bench::register_interruptible(name, std::move(fn))
        ->UseManualTime()
        ->Iterations(iterations())
        ->Unit(benchmark::kNanosecond);
}

void add_guest(const std::string& op, Transport t, enso::abi::Command cmd,
               std::vector<std::uint64_t> args,
               std::function<double(const enso::kvm::CommandOutcome&)> ops_of = by_iterations) {
    add(fmt::format("hypercall/{}/{}", op, mode_name(t)),
        [=](benchmark::State& s) { guest_benchmark(s, t, cmd, args, ops_of); });
}

// Operations per command, sized for about 10 ms a command.
std::uint64_t per_command(Transport t, std::uint64_t trap, std::uint64_t exitless) {
    return scaled(t == enso::abi::kTransportTrap ? trap : exitless);
}

void register_floors_and_null() {
    add("hypercall/exit_floor/floor", [](benchmark::State& s) {
        guest_benchmark(s, enso::abi::kTransportTrap, enso::abi::kCmdExitFloor, {scaled(400)},
                        by_iterations);
    });
    add("hypercall/ring_floor/floor", [](benchmark::State& s) {
        guest_benchmark(s, enso::abi::kTransportExitless, enso::abi::kCmdFloor, {scaled(20000)},
                        by_iterations);
    });
    for (auto t : {enso::abi::kTransportTrap, enso::abi::kTransportExitless}) {
        add_guest("null", t, enso::abi::kCmdNull, {per_command(t, 400, 20000)});
    }
    add("hypercall/null/inprocess", [](benchmark::State& s) {
        auto& m = inprocess();
        const enso::core::HypercallArgs args{XENVER_version, 0, 0, 0, 0};
        host_benchmark(s, 20000, [&](std::uint64_t) {
            benchmark::DoNotOptimize(
                m.dispatcher().call(InProcessMachine::kGuest, __HYPERVISOR_xen_version, args));
        });
    });
}

void register_mmu_update() {
    for (std::uint64_t n : {1, 8, 64, 512}) {
        // Per entry: each loop maps n pages in one call and unmaps them in
        // another, 2n entries (the guest reports them in values[2]).
        const auto pages = [](const enso::kvm::CommandOutcome& o) {
            return static_cast<double>(o.values[2]);
        };
        for (auto t : {enso::abi::kTransportTrap, enso::abi::kTransportExitless}) {
            const std::uint64_t trap_loops = n >= 512 ? 40 : 200;
            const std::uint64_t ring_loops = std::max<std::uint64_t>(20, 20000 / (n + 4));
            add_guest(fmt::format("mmu_update/{}", n), t, enso::abi::kCmdMmuUpdate,
                      {per_command(t, trap_loops, ring_loops), n}, pages);
        }
        add(fmt::format("hypercall/mmu_update/{}/inprocess", n), [n](benchmark::State& s) {
            auto& m = inprocess();
            auto& core = m.core();
            const std::uint64_t l1 = std::uint64_t{m.l1()} << enso::core::kPageShift;
            constexpr std::uint64_t kFlags =
                enso::core::kPteP | enso::core::kPteRW | enso::core::kPteUS | enso::core::kPteNX;
            for (auto _ : s) {
                const auto t0 = Clock::now();
                for (int rep = 0; rep < 20; ++rep) {
                    for (std::uint64_t i = 0; i < n; ++i) {
                        const std::uint64_t val =
                            (std::uint64_t{m.map_frame(static_cast<std::uint32_t>(i))}
                             << enso::core::kPageShift) |
                            kFlags;
                        benchmark::DoNotOptimize(
                            core.mmu_update(InProcessMachine::kGuest, l1 + i * 8, val));
                    }
                    for (std::uint64_t i = 0; i < n; ++i) {
                        benchmark::DoNotOptimize(
                            core.mmu_update(InProcessMachine::kGuest, l1 + i * 8, 0));
                    }
                }
                const std::chrono::duration<double> dt = Clock::now() - t0;
                s.SetIterationTime(dt.count() / static_cast<double>(20 * 2 * n));
            }
        });
        // The host's own page-table work: map n resident pages of a file and
        // unmap them, per page (the pages exist; only the mapping is work).
        add(fmt::format("hypercall/mmu_update/{}/native", n), [n](benchmark::State& s) {
            const int fd = ::memfd_create("enso-native-twin", MFD_CLOEXEC);
            const std::size_t bytes = n * 4096;
            if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
                s.SkipWithError("memfd for the native twin failed");
                return;
            }
            void* warm =
                ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
            std::memset(warm, 1, bytes); // the pages exist before timing
            const std::uint64_t calls = std::max<std::uint64_t>(1, 2048 / n);
            for (auto _ : s) {
                const auto t0 = Clock::now();
                for (std::uint64_t i = 0; i < calls; ++i) {
                    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                                     MAP_SHARED | MAP_POPULATE, fd, 0);
                    benchmark::DoNotOptimize(p);
                    ::munmap(p, bytes);
                }
                const std::chrono::duration<double> dt = Clock::now() - t0;
                // Per entry: n installed by mmap, n removed by munmap.
                s.SetIterationTime(dt.count() / static_cast<double>(calls * 2 * n));
            }
            ::munmap(warm, bytes);
            ::close(fd);
            s.counters["pages_per_call"] = static_cast<double>(n);
        })->Iterations(iterations());
    }
}

void register_mmuext_and_events() {
    for (auto t : {enso::abi::kTransportTrap, enso::abi::kTransportExitless}) {
        add_guest("pin_unpin", t, enso::abi::kCmdPinUnpin, {per_command(t, 100, 500)});
        add_guest("new_baseptr", t, enso::abi::kCmdNewBaseptr, {per_command(t, 200, 1000)});
        add_guest("evtchn_send", t, enso::abi::kCmdEvtchnSend, {per_command(t, 400, 20000)});
    }
    add("hypercall/pin_unpin/inprocess", [](benchmark::State& s) {
        auto& m = inprocess();
        host_benchmark(s, 2000, [&](std::uint64_t) {
            benchmark::DoNotOptimize(
                m.core().pin_table(InProcessMachine::kGuest, m.spare_l1(), enso::core::kTypeL1));
            benchmark::DoNotOptimize(m.core().unpin_table(InProcessMachine::kGuest, m.spare_l1()));
        });
    });
    add("hypercall/new_baseptr/inprocess", [](benchmark::State& s) {
        auto& m = inprocess();
        host_benchmark(s, 20000, [&](std::uint64_t i) {
            benchmark::DoNotOptimize(
                m.core().new_baseptr(InProcessMachine::kGuest, m.root((i & 1) == 0)));
        });
    });
    add("hypercall/evtchn_send/inprocess", [](benchmark::State& s) {
        auto& m = inprocess();
        host_benchmark(s, 20000, [&](std::uint64_t) {
            benchmark::DoNotOptimize(
                m.core().evtchn_send(InProcessMachine::kGuest, m.guest_port()));
        });
    });
}

void register_grants() {
    for (auto t : {enso::abi::kTransportTrap, enso::abi::kTransportExitless}) {
        add_guest("grant_copy", t, enso::abi::kCmdGrantCopy, {per_command(t, 400, 20000)});
    }
    add_guest("memcpy_4k", enso::abi::kTransportTrap, enso::abi::kCmdMemcpy, {scaled(100000)});
    add("hypercall/grant_copy/inprocess", [](benchmark::State& s) {
        auto& m = inprocess();
        const enso::core::CopySide<enso::core::Concrete> src{false, m.copy_src(), DOMID_SELF, 0};
        const enso::core::CopySide<enso::core::Concrete> dst{false, m.copy_dst(), DOMID_SELF, 0};
        host_benchmark(s, 20000, [&](std::uint64_t) {
            benchmark::DoNotOptimize(m.core().grant_copy(InProcessMachine::kGuest, src, dst, 4096));
        });
    });
    add("hypercall/grant_copy/native", [](benchmark::State& s) {
        std::vector<std::byte> a(4096, std::byte{1});
        std::vector<std::byte> b(4096);
        host_benchmark(s, 100000, [&](std::uint64_t) {
            std::memcpy(b.data(), a.data(), 4096);
            benchmark::ClobberMemory();
        });
    });
    // Domain 0 (the monitor: back ends run here) maps and unmaps a frame the
    // trap guest granted it: the back end's per-request cost on the grant-map path.
    add("hypercall/grant_map_unmap/inprocess", [](benchmark::State& s) {
        auto& pair = GuestPair::get();
        const auto offer =
            pair.run(s, enso::abi::kTransportTrap, enso::abi::kCmdGrantOffer, {0, 0x5a});
        if (!offer) {
            return;
        }
        const auto ref = static_cast<std::uint32_t>(offer->values[0]);
        const auto granter = pair.domain(enso::abi::kTransportTrap);
        bool failed = false;
        host_benchmark(s, 5000, [&](std::uint64_t) {
            pair.monitor().with_core([&](enso::core::Core& core, enso::core::Dispatcher&) {
                std::uint32_t handle = 0;
                std::uint64_t bus = 0;
                failed |=
                    core.grant_map(0, granter, ref, GNTMAP_host_map, 0, handle, bus) != GNTST_okay;
                failed |= core.grant_unmap(0, handle, 0) != GNTST_okay;
                return 0;
            });
        });
        (void)pair.run(s, enso::abi::kTransportTrap, enso::abi::kCmdGrantEnd, {ref});
        if (failed) {
            s.SkipWithError("grant map or unmap by domain 0 failed");
        }
    });
}

void register_multicall() {
    for (std::uint64_t n : {8, 64}) {
        for (auto t : {enso::abi::kTransportTrap, enso::abi::kTransportExitless}) {
            const std::uint64_t loops = per_command(t, 200, std::max<std::uint64_t>(50, 20000 / n));
            add_guest(fmt::format("multicall/{}", n), t, enso::abi::kCmdMulticall, {loops, n},
                      [n](const enso::kvm::CommandOutcome& o) {
                          return static_cast<double>(o.iterations * n);
                      });
        }
    }
}

constexpr std::uint64_t kIntSize = 1 << 20;
constexpr std::uint64_t kChaseBytes = 16ULL << 20;

void register_compute() {
    const std::uint64_t int_reps = g_quick ? 4 : 16;
    add_guest("compute_int", enso::abi::kTransportTrap, enso::abi::kCmdComputeInt,
              {kIntSize, int_reps});
    add("hypercall/compute_int/native", [int_reps](benchmark::State& s) {
        for (auto _ : s) {
            const auto t0 = Clock::now();
            benchmark::DoNotOptimize(enso::compute::int_mix(kIntSize, int_reps));
            const std::chrono::duration<double> dt = Clock::now() - t0;
            s.SetIterationTime(
                dt.count() / static_cast<double>(enso::compute::int_mix_steps(kIntSize, int_reps)));
        }
    });
    const std::uint64_t chase_reps = g_quick ? 1 : 2;
    add_guest("compute_mem", enso::abi::kTransportTrap, enso::abi::kCmdComputeMem,
              {kChaseBytes, chase_reps});
    add("hypercall/compute_mem/native", [chase_reps](benchmark::State& s) {
        // 4 KiB pages, as the guest's buffer has: no transparent huge pages.
        void* mem = ::mmap(nullptr, kChaseBytes, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mem == MAP_FAILED) {
            s.SkipWithError("mmap of the chase buffer failed");
            return;
        }
        ::madvise(mem, kChaseBytes, MADV_NOHUGEPAGE);
        std::span<std::uint64_t> buf(static_cast<std::uint64_t*>(mem),
                                     kChaseBytes / sizeof(std::uint64_t));
        enso::compute::chase_prepare(buf.data(), kChaseBytes);
        const std::uint64_t steps = enso::compute::chase_nodes(kChaseBytes) * chase_reps;
        for (auto _ : s) {
            const auto t0 = Clock::now();
            benchmark::DoNotOptimize(enso::compute::chase_run(buf.data(), steps));
            const std::chrono::duration<double> dt = Clock::now() - t0;
            s.SetIterationTime(dt.count() / static_cast<double>(steps));
        }
        ::munmap(mem, kChaseBytes);
    });
}

} // namespace

int main(int argc, char** argv) {
    enso::bench::prepare_suite_process();
    enso::bench::SuiteOptions options;
    options.quick_env = "ENSO_QUICK";
    const auto cl = enso::bench::init_suite(argc, argv, options);
    if (!cl.ok) {
        return 2;
    }
    g_quick = cl.quick;
    const bool listing = cl.listing;
    register_floors_and_null();
    register_mmu_update();
    register_mmuext_and_events();
    register_grants();
    register_multicall();
    register_compute();

    if (listing) {
        benchmark::RunSpecifiedBenchmarks(); // lists; no guest needed
        benchmark::Shutdown();
        return 0;
    }
    auto& pair = GuestPair::get();
    benchmark::AddCustomContext("enso_suite", "hypercall");
    benchmark::AddCustomContext("enso_quick", g_quick ? "true" : "false");
    benchmark::AddCustomContext("enso_guests", pair.ok() ? "running" : pair.why());
    if (pair.ok()) {
        benchmark::AddCustomContext("enso_guest_tsc_khz", std::to_string(pair.monitor().tsc_khz()));
        benchmark::AddCustomContext("enso_guest_pages", std::to_string(enso::bench::kGuestPages));
        benchmark::AddCustomContext(
            "enso_exitless_policy",
            "poller spins while calls come, sleeps after 2 ms idle; a stub that finds it asleep "
            "kicks an ioeventfd (in-kernel); a stub that waits past its spin budget exits");
    }
    if (!inprocess().ok()) {
        std::fprintf(stderr, "in-process machine could not be set up\n");
        return 1;
    }
    benchmark::RunSpecifiedBenchmarks();
    if (GuestPair::get().ok()) {
        enso::bench::write_topology_beside_results(argc, argv, GuestPair::get().monitor());
    }
    benchmark::Shutdown();
    return 0;
}
