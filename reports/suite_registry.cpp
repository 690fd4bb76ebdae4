// The table of registered suites.
#include "reports/suite_registry.hpp"

#include <array>
#include <limits>

namespace enso::reports {

namespace {

constexpr std::array kSuites = {
    SuiteInfo{
        .name = "core",
        .binary = "../bench/core/enso_bench_core",
        .description = "in-process benchmarks of the pure core (hvcore/core), no KVM",
        .understands_quick = false,
        .kind = SuiteKind::other,
        .report_order = 4,
        .topology_rank = std::nullopt,
        .profile_monitor = false,
    },
    SuiteInfo{
        .name = "hypercall",
        .binary = "../bench/hypercall/enso_bench_hypercall",
        .description = "each hypercall from a KVM guest over the trap and exitless transports "
                       "vs. the platform's floors, the in-process handler and native twins "
                       "(needs /dev/kvm)",
        .understands_quick = true,
        .kind = SuiteKind::hypercalls,
        .report_order = 1,
        .topology_rank = 1,
        .profile_monitor = true,
    },
    SuiteInfo{
        .name = "blk",
        .binary = "../bench/blk/enso_bench_blk",
        .description = "block I/O from a KVM guest through blkfront/blkback over each data path "
                       "(grant map, copy, persistent) and notification policy (completions "
                       "polled, by event, or by interrupt where the host delivers one at guest "
                       "CPL3) vs. the same I/O native and an emulated disk, with integrity "
                       "checks (guest rows need /dev/kvm)",
        .understands_quick = true,
        .kind = SuiteKind::block_io,
        .report_order = 3,
        .topology_rank = 0,
        .profile_monitor = false,
    },
    SuiteInfo{
        .name = "pagetable",
        .binary = "../bench/pagetable/enso_bench_pagetable",
        .description = "fork-like page-table work (build, switch, touch, tear down N pages) in a "
                       "PV guest vs. the host's own mmap/touch/munmap",
        .understands_quick = true,
        .kind = SuiteKind::page_tables,
        .report_order = 2,
        .topology_rank = 2,
        .profile_monitor = false,
    },
    SuiteInfo{
        .name = "compute",
        .binary = "../bench/compute/enso_bench_compute",
        .description = "CPU-bound kernels (integer, floating point, memory bandwidth, pointer "
                       "chase) in a KVM guest vs. the same source native",
        .understands_quick = true,
        .kind = SuiteKind::cpu_kernels,
        .report_order = 0,
        .topology_rank = 3,
        .profile_monitor = false,
    },
};

} // namespace

std::span<const SuiteInfo> registered_suites() {
    return kSuites;
}

const SuiteInfo* find_suite(std::string_view name) {
    for (const auto& suite : kSuites) {
        if (suite.name == name) {
            return &suite;
        }
    }
    return nullptr;
}

SuiteKind suite_kind(std::string_view name) {
    const auto* suite = find_suite(name);
    return suite == nullptr ? SuiteKind::other : suite->kind;
}

int suite_report_order(std::string_view name) {
    const auto* suite = find_suite(name);
    return suite == nullptr ? std::numeric_limits<int>::max() : suite->report_order;
}

} // namespace enso::reports
