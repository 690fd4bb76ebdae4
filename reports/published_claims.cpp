#include "reports/published_claims.hpp"

#include "reports/number_format.hpp"

#include <fmt/core.h>

namespace enso::reports {

namespace {

constexpr const char* kNotMeasured = "not measured in this run";

ClaimCheck ratio_claim(std::string source, std::string claim, std::string comparable,
                       const std::vector<const TwinRatio*>& ratios, double limit) {
    ClaimCheck c{std::move(source), std::move(claim), std::move(comparable), kNotMeasured,
                 ClaimStatus::not_measured};
    if (!ratios.empty()) {
        c.measured = describe_ratios(ratios);
        c.status = geomean_of(ratios) <= limit ? ClaimStatus::met : ClaimStatus::missed;
    }
    return c;
}

// A platform figure measured by hand while designing Enso, against this run's floor.
ClaimCheck floor_claim(const std::vector<TwinGroup>& groups, std::string claim,
                       std::string_view transport, double design_ns) {
    ClaimCheck c{"Enso's design (this platform, by hand)", std::move(claim),
                 fmt::format("hypercall floor, {} transport", transport), kNotMeasured,
                 ClaimStatus::not_measured};
    const auto hypercalls = of_kind(SuiteKind::hypercalls);
    const BenchmarkRun* floor = find_member(groups, hypercalls, Role::floor, transport);
    if (floor == nullptr) {
        // A generic floor twin of a guest over this transport.
        for (const auto* r : find_ratios(groups, hypercalls, transport, Role::floor)) {
            floor = r->baseline;
            break;
        }
    }
    if (floor != nullptr) {
        const double ns = *floor->median_ns();
        c.measured =
            fmt::format("{} ({}, {} the hand-measured figure)", format_ns(ns),
                        strip_benchmark_suffixes(floor->run_name), format_ratio(ns / design_ns));
        c.status = ClaimStatus::context;
    }
    return c;
}

} // namespace

std::vector<ClaimCheck> check_published_claims(const std::vector<TwinGroup>& groups) {
    std::vector<ClaimCheck> out;
    const auto compute = find_ratios(groups, is_compute(), "", Role::native);
    const auto pagetable = find_ratios(groups, of_kind(SuiteKind::page_tables), "", Role::native);

    out.push_back(ratio_claim("Xen (SOSP 2003)",
                              "Linux build: Xen adds 3% to a native run (about 1.03×)",
                              "page-table workload (fork-like), guest vs native", pagetable, 1.03));
    out.push_back(ratio_claim("Xen (SOSP 2003)", "SPEC WEB99 within 1% of native (≤ 1.01×)",
                              "CPU-bound kernels, guest vs native (nearest analogue)", compute,
                              1.01));
    out.push_back(ratio_claim("Firecracker specification",
                              "compute-only guest above 95% of bare metal (≤ 1.05×)",
                              "CPU-bound kernels, guest vs native", compute, 1.0 / 0.95));

    // Storage: 1 GiB/s using at most 70% of one host core.
    ClaimCheck storage{"Firecracker specification",
                       "storage up to 1 GiB/s using ≤ 70% of a host core",
                       "best paravirtualized blk path: throughput and host CPU", kNotMeasured,
                       ClaimStatus::not_measured};
    const BenchmarkRun* best = nullptr;
    for (const auto& g : groups) {
        if (g.kind() != SuiteKind::block_io) {
            continue;
        }
        for (const auto* m : g.members) {
            if (m->name->role == Role::guest && m->name->mode != "emulated" && !m->skipped &&
                m->counter("MBps") &&
                (best == nullptr || *m->counter("MBps") > *best->counter("MBps"))) {
                best = m;
            }
        }
    }
    if (best != nullptr) {
        const double mbps = *best->counter("MBps");
        storage.measured = fmt::format("{} MB/s ({})", format_number(mbps),
                                       strip_benchmark_suffixes(best->run_name));
        const auto cpu_us = best->counter("host_cpu_us_per_io");
        const auto iops = best->counter("IOPS");
        if (cpu_us && iops) {
            const double core_share = *cpu_us * *iops / 1e6;
            storage.measured += fmt::format(", {:.0f}% of a host core", core_share * 100);
        }
        storage.status = ClaimStatus::context;
    }
    out.push_back(storage);

    out.push_back(floor_claim(groups, "exit to user space and back: about 25 µs", "trap", 25000));
    out.push_back(floor_claim(groups,
                              "round trip through a shared page to a polling thread: about 0.11 µs",
                              "exitless", 110));
    out.push_back(ratio_claim("Enso's design (this platform, by hand)",
                              "code at guest CPL3: 0.99–1.01× native",
                              "CPU-bound kernels, guest vs native", compute, 1.01));
    return out;
}

} // namespace enso::reports
