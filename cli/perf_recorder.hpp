// enso run --perf: `perf stat` of each benchmark (software events, the kvm
// tracepoints this host has, hardware counters where supported) and a
// `perf record` profile of the monitor during the hypercall suite, kept in
// DIR/perf beside the results. These runs are separate passes after the
// measured run, so perf never perturbs the figures in results.json.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace enso::cli {

struct PerfSetup {
    std::string perf = "perf";
    std::vector<std::string> events; // those this host supports
    std::string why_not;             // set when perf cannot be used at all
};

// Asks perf which of Enso's candidate events this host supports.
PerfSetup probe_perf();

// perf stat of one benchmark (a pass of its own); writes DIR/perf/<file>.csv
// and returns the counts, event -> value (absent when not counted).
struct PerfCounts {
    std::string benchmark;
    std::vector<std::pair<std::string, double>> counts;
    std::string error;
};
PerfCounts perf_stat_benchmark(const PerfSetup& setup, const std::filesystem::path& binary,
                               const std::string& benchmark,
                               const std::vector<std::string>& suite_args,
                               const std::filesystem::path& out_dir);

// perf record -g of a whole (quick) suite pass, then perf report --stdio into
// DIR/perf/<suite>-profile.txt. Returns an error text, empty on success.
std::string perf_record_suite(const PerfSetup& setup, const std::filesystem::path& binary,
                              const std::string& suite, const std::vector<std::string>& suite_args,
                              const std::filesystem::path& out_dir);

} // namespace enso::cli
