// A results file as `enso run` writes it: Google Benchmark's JSON (1.7.1
// schema: "context" + "benchmarks") plus the host block enso adds under
// context.enso_host, an optional "topology" block (topology.hpp) and
// optional notes of what was skipped. Entries are gathered per benchmark
// (run_name): the per-repetition values, the aggregates Google Benchmark
// computed, and the user counters.
#pragma once

#include "reports/benchmark_name.hpp"
#include "reports/topology.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace enso::reports {

// What the results file says about the machine it ran on.
struct HostContext {
    std::string cpu_model;
    std::optional<bool> under_hypervisor; // the `hypervisor` CPU flag: the host is itself a guest
    std::string kernel;
    std::string kvm_backend; // VMX, SVM, PVM, none, unknown; empty when not recorded
    std::optional<bool> guest_ring0_native;
    std::optional<bool> kvm_usable;
    std::string kvm_message; // why /dev/kvm is not usable, when it is not
    std::string compiler;
    std::string build_type;
    std::string git_commit;
    std::string date;
    std::string host_name;
    std::optional<int> num_cpus;
    std::optional<double> mhz_per_cpu;
    bool recorded = false; // whether context.enso_host was there at all
};

// One benchmark across its repetitions.
struct BenchmarkRun {
    std::string run_name;                       // as in the file (Google Benchmark's run_name)
    std::optional<BenchmarkName> name;          // empty when outside the grammar
    std::vector<double> real_ns;                // real (or manual) time per repetition, in ns
    std::map<std::string, double> aggregate_ns; // mean, median, stddev: real time in ns
    std::optional<double> aggregate_cv;         // the cv aggregate, as a fraction
    std::map<std::string, std::vector<double>> counter_samples; // per repetition
    std::map<std::string, double> counter_medians;              // from the median aggregate
    int repetitions = 0;
    std::string label;
    bool skipped = false;
    std::string skip_reason;

    // Values per repetition when the file has them; empty with only aggregates.
    [[nodiscard]] const std::vector<double>& samples() const { return real_ns; }
    // Median real time in ns: of the repetitions, else the median (or mean) aggregate.
    [[nodiscard]] std::optional<double> median_ns() const;
    // Coefficient of variation: of the repetitions, else the cv aggregate.
    [[nodiscard]] std::optional<double> cv() const;
    // Median of a user counter over the repetitions (or its median aggregate).
    [[nodiscard]] std::optional<double> counter(const std::string& key) const;
    [[nodiscard]] std::vector<double> counter_values(const std::string& key) const;
    // Repetitions behind the figures (samples if present, else the field).
    [[nodiscard]] int repetition_count() const;
};

// A benchmark (or a whole suite) `enso run` did not measure, and why.
struct SkipNote {
    std::string what;
    std::string reason;
};

struct ResultsFile {
    std::filesystem::path path;
    nlohmann::json context;
    HostContext host;
    std::vector<BenchmarkRun> runs; // in file order
    std::optional<Topology> topology;
    std::vector<SkipNote> skipped; // skipped entries and the file's own skip notes
    std::vector<std::string> warnings;

    [[nodiscard]] const BenchmarkRun* find(const std::string& run_name) const;
};

// Throws InputError (naming the file) when it is missing, unreadable, not
// JSON, or not shaped like a results file. Malformed entries inside a good
// file become warnings.
ResultsFile load_results_file(const std::filesystem::path& path);
ResultsFile parse_results(const nlohmann::json& doc, const std::filesystem::path& path);

} // namespace enso::reports
