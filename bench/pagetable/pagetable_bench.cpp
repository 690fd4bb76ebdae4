// The page-table suite ("fork-like"): build an address space of N pages,
// switch to it, touch every page, tear it down - per page, as:
//   guest-trap / guest-exitless  a PV guest: tables written while plain,
//                                protected in one batched mmu_update, the
//                                root pinned (the core validates the tree),
//                                new_baseptr, unpin, unprotect;
//   native                       this host's own page-table work for the same
//                                pages: mmap of resident pages, a touch per
//                                page (a fault each), munmap.
// The comparison Xen's paper made with fork and mmap. A third variant, the
// guest writing its tables directly, needs guest ring 0 (VMX/SVM hosts) and
// is reported as not measured.
#include "bench/common/guest_pair.hpp"
#include "bench/common/suite_main.hpp"
#include "bench/common/topology.hpp"
#include "hvcore/kvm/kvm_probe.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sys/mman.h>

#include <chrono>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using enso::abi::Transport;
using enso::bench::GuestPair;

bool g_quick = false;

std::vector<std::uint64_t> sizes() {
    if (g_quick) {
        return {256, 4096};
    }
    return {256, 1024, 4096, 16384, 65536};
}

std::uint32_t guest_pages() {
    return g_quick ? 8192 : 72 * 1024;
}

int iterations() {
    return g_quick ? 3 : 6;
}

std::uint64_t rounds(std::uint64_t n) {
    return std::max<std::uint64_t>(2, 65536 / n / (g_quick ? 4 : 1));
}

const char* mode(Transport t) {
    return t == enso::abi::kTransportTrap ? "guest-trap" : "guest-exitless";
}

void guest(benchmark::State& s, Transport t, std::uint64_t n) {
    auto& pair = GuestPair::get(guest_pages());
    double exits = 0;
    double pages = 0;
    for (auto _ : s) {
        const auto out = pair.run(s, t, enso::abi::kCmdForkLike, {n, rounds(n)});
        if (!out) {
            return;
        }
        const double p = static_cast<double>(out->iterations * n);
        s.SetIterationTime(static_cast<double>(out->tsc_cycles) / pair.tsc_hz() / p);
        exits += static_cast<double>(out->exits.exits);
        pages += p;
    }
    s.counters["exits_per_op"] = exits / pages;
}

void native(benchmark::State& s, std::uint64_t n) {
    const std::size_t bytes = n * 4096;
    const int fd = ::memfd_create("enso-fork-twin", MFD_CLOEXEC);
    if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
        s.SkipWithError("memfd for the native twin failed");
        return;
    }
    void* warm = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    std::memset(warm, 0, bytes); // the pages exist before timing
    const std::uint64_t r = rounds(n);
    for (auto _ : s) {
        const auto t0 = Clock::now();
        std::uint64_t sum = 0;
        for (std::uint64_t k = 0; k < r; ++k) {
            auto* p = static_cast<volatile std::uint64_t*>(
                ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
            for (std::uint64_t i = 0; i < n; ++i) {
                sum += p[i * 512];
            }
            ::munmap(const_cast<std::uint64_t*>(p), bytes);
        }
        benchmark::DoNotOptimize(sum);
        const std::chrono::duration<double> dt = Clock::now() - t0;
        s.SetIterationTime(dt.count() / static_cast<double>(r * n));
    }
    ::munmap(warm, bytes);
    ::close(fd);
}

void add(const std::string& name, std::function<void(benchmark::State&)> fn) {
    enso::bench::register_interruptible(name, std::move(fn))
        ->UseManualTime()
        ->Iterations(iterations())
        ->Unit(benchmark::kNanosecond);
}

void register_all() {
    const auto backend = enso::kvm::detect_backend();
    const auto ring0 = enso::kvm::guest_ring0_native(backend);
    for (std::uint64_t n : sizes()) {
        for (auto t : {enso::abi::kTransportTrap, enso::abi::kTransportExitless}) {
            add(fmt::format("pagetable/fork/{}/{}", n, mode(t)),
                [t, n](benchmark::State& s) { guest(s, t, n); });
        }
        add(fmt::format("pagetable/fork/{}/native", n), [n](benchmark::State& s) { native(s, n); });
        const std::string why =
            ring0 && *ring0
                ? "not measured: the guest writing its own page tables needs a guest kernel at "
                  "ring 0 with writable tables, which Enso does not have yet"
                : "not measured: the guest writing its own page tables needs guest ring 0 to "
                  "run natively (VMX/SVM); this host's backend is " +
                      std::string(enso::kvm::backend_name(backend));
        add(fmt::format("pagetable/fork/{}/guest-direct", n),
            [why](benchmark::State& s) { s.SkipWithError(why.c_str()); });
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
    benchmark::AddCustomContext("enso_suite", "pagetable");
    benchmark::AddCustomContext("enso_quick", g_quick ? "true" : "false");
    if (!listing) {
        auto& pair = GuestPair::get(guest_pages());
        benchmark::AddCustomContext("enso_guests", pair.ok() ? "running" : pair.why());
    }
    benchmark::RunSpecifiedBenchmarks();
    if (!listing && GuestPair::get().ok()) {
        enso::bench::write_topology_beside_results(argc, argv, GuestPair::get().monitor());
    }
    benchmark::Shutdown();
    return 0;
}
