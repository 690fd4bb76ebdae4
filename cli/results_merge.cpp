#include "cli/results_merge.hpp"

#include "reports/gbench_json.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace enso::cli {

nlohmann::json merge_results(const std::vector<SuiteOutcome>& suites, bool interrupted,
                             const nlohmann::json& host) {
    nlohmann::json merged = {{"context", nlohmann::json::object()},
                             {"benchmarks", nlohmann::json::array()}};
    nlohmann::json runs = nlohmann::json::array();
    for (const auto& s : suites) {
        nlohmann::json run = {{"suite", s.suite}, {"exit_code", s.exit_code}, {"note", s.note}};
        if (!s.json.empty() && std::filesystem::exists(s.json)) {
            std::ifstream in(s.json);
            const std::string text((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
            // Google Benchmark writes NaN for undefined counters: JSON has none.
            auto doc = nlohmann::json::parse(reports::nonfinite_to_null(text), nullptr,
                                             /*allow_exceptions=*/false);
            if (doc.is_discarded() || !doc.is_object()) {
                throw std::runtime_error(s.json.string() + " is not valid JSON");
            }
            if (merged["context"].empty() && doc.contains("context")) {
                merged["context"] = doc["context"];
            }
            if (doc.contains("context")) {
                run["context"] = doc["context"];
            }
            std::size_t n = 0;
            for (auto& b : doc.value("benchmarks", nlohmann::json::array())) {
                merged["benchmarks"].push_back(std::move(b));
                ++n;
            }
            run["benchmarks"] = n;
        } else {
            run["benchmarks"] = 0;
        }
        runs.push_back(std::move(run));
    }
    // The diagram of domains, grants and channels at the end of a run: each
    // suite has its own monitor, so one suite's picture is shown - the one
    // with the most between domains (block I/O, then hypercalls).
    for (const char* preferred : {"blk", "hypercall", "pagetable", "compute"}) {
        const auto it = std::find_if(suites.begin(), suites.end(),
                                     [&](const SuiteOutcome& s) { return s.suite == preferred; });
        if (it == suites.end() || it->json.empty()) {
            continue;
        }
        const auto file = std::filesystem::path(it->json.string() + ".topology.json");
        std::ifstream in(file);
        if (!in) {
            continue;
        }
        auto topo = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
        if (!topo.is_discarded() && topo.is_object()) {
            merged["topology"] = std::move(topo);
            merged["context"]["enso_topology_from"] = it->suite;
            break;
        }
    }
    merged["context"].erase("enso_suite");
    merged["context"]["enso_host"] = host;
    merged["context"]["enso_runs"] = std::move(runs);
    merged["context"]["enso_interrupted"] = interrupted;
    return merged;
}

} // namespace enso::cli
