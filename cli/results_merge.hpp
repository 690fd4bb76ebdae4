// One results file from several suites: Google Benchmark's schema (the
// first suite's context, every suite's benchmarks in run order) plus the
// host context and what enso run itself knows (suites run, skipped,
// interrupted).
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace enso::cli {

struct SuiteOutcome {
    std::string suite;
    std::filesystem::path json; // the suite's own Google Benchmark file
    int exit_code = 0;
    std::string note; // why it was skipped or failed, empty when it ran
};

// Throws std::runtime_error naming a suite file that is not valid JSON.
nlohmann::json merge_results(const std::vector<SuiteOutcome>& suites, bool interrupted,
                             const nlohmann::json& host);

} // namespace enso::cli
