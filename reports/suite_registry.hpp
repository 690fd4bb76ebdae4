// The benchmark suites Enso knows, one registration each: what `enso list`
// and `enso run` need (binary, description) and the facts the reports branch
// on (kind, order). README.md, "How to add a benchmark suite".
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace enso::reports {

// What a suite's figures are; it decides which tables, charts, key figures
// and claims the report gives them. A suite of kind `other` still gets the
// headline table, the overhead chart and one key figure per baseline.
enum class SuiteKind {
    other,
    // Per-call costs over each transport against the platform floors and the
    // in-process handler: null-call and batch key figures, floor claims,
    // issue #3's targets.
    hypercalls,
    // Fork-like address-space work: set against Xen's Linux-build figure.
    page_tables,
    // CPU-bound code: the compute key figure and claims.
    cpu_kernels,
    // Per-I/O figures (MB/s, IOPS, latency, integrity) per data path: the
    // per-path table and charts, block key figures, the storage claim,
    // issue #5's targets.
    block_io,
};

struct SuiteInfo {
    std::string_view name;        // the first component of its benchmark names
    std::string_view binary;      // relative to the directory of the enso executable
    std::string_view description; // what `enso list` says about it
    bool understands_quick;       // takes --enso_quick (else: a shorter min time)
    SuiteKind kind;
    int report_order; // its rows' place in a report: the cheapest story first
    // Preference (lowest first) for the topology diagram of `enso run`: each
    // suite has its own monitor, so one suite's end state is drawn. None for
    // suites without a monitor.
    std::optional<int> topology_rank;
    bool profile_monitor; // `enso run --perf` also records a profile of the monitor
};

// Every registered suite, in the order `enso list` and `enso run` use.
std::span<const SuiteInfo> registered_suites();

// The registered suite of that name; nullptr if none.
const SuiteInfo* find_suite(std::string_view name);

// Facts of a suite named in a results file; a name no row registers
// (results from another build) is of kind `other` and comes last.
SuiteKind suite_kind(std::string_view name);
int suite_report_order(std::string_view name);

} // namespace enso::reports
