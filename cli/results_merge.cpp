#include "cli/results_merge.hpp"

#include "reports/gbench_json.hpp"
#include "reports/suite_registry.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <utility>

namespace enso::cli {

namespace {

// The registered suites that leave a topology, in order of preference.
std::vector<const reports::SuiteInfo*> topology_preference() {
    std::vector<const reports::SuiteInfo*> order;
    for (const auto& suite : reports::registered_suites()) {
        if (suite.topology_rank) {
            order.push_back(&suite);
        }
    }
    std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
        return *a->topology_rank < *b->topology_rank;
    });
    return order;
}

// The diagram of domains, grants and channels at the end of a run: each
// suite has its own monitor, so one suite's picture is shown, that of the
// most preferred suite that wrote one. Returns (suite, topology).
std::optional<std::pair<std::string, nlohmann::json>>
first_topology(const std::vector<SuiteOutcome>& suites) {
    for (const auto* preferred : topology_preference()) {
        const auto it = std::find_if(suites.begin(), suites.end(), [&](const SuiteOutcome& s) {
            return s.suite == preferred->name;
        });
        if (it == suites.end() || it->json.empty()) {
            continue;
        }
        std::ifstream in(std::filesystem::path(it->json.string() + ".topology.json"));
        if (!in) {
            continue;
        }
        auto topo = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
        if (!topo.is_discarded() && topo.is_object()) {
            return std::make_pair(it->suite, std::move(topo));
        }
    }
    return std::nullopt;
}

} // namespace

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
    if (auto topology = first_topology(suites)) {
        merged["context"]["enso_topology_from"] = topology->first;
        merged["topology"] = std::move(topology->second);
    }
    merged["context"].erase("enso_suite");
    merged["context"]["enso_host"] = host;
    merged["context"]["enso_runs"] = std::move(runs);
    merged["context"]["enso_interrupted"] = interrupted;
    return merged;
}

} // namespace enso::cli
