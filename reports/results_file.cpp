#include "reports/results_file.hpp"

#include "reports/gbench_json.hpp"
#include "reports/input_error.hpp"
#include "reports/sample_statistics.hpp"

#include <fmt/core.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

namespace enso::reports {

namespace {

// Fields of Google Benchmark's schema that are not user counters.
const std::set<std::string>& schema_fields() {
    static const std::set<std::string> fields = {
        "name",
        "family_index",
        "per_family_instance_index",
        "run_name",
        "run_type",
        "repetitions",
        "repetition_index",
        "threads",
        "iterations",
        "real_time",
        "cpu_time",
        "time_unit",
        "aggregate_name",
        "aggregate_unit",
        "error_occurred",
        "error_message",
        "skipped",
        "skip_message",
        "label",
    };
    return fields;
}

std::optional<double> ns_per_unit(const std::string& unit) {
    if (unit == "ns") {
        return 1.0;
    }
    if (unit == "us") {
        return 1e3;
    }
    if (unit == "ms") {
        return 1e6;
    }
    if (unit == "s") {
        return 1e9;
    }
    return std::nullopt;
}

std::string string_or(const nlohmann::json& j, const char* key, const std::string& fallback = {}) {
    return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>()
                                                                  : fallback;
}

std::optional<bool> bool_at(const nlohmann::json& j, const char* key) {
    if (j.is_object() && j.contains(key) && j[key].is_boolean()) {
        return j[key].get<bool>();
    }
    return std::nullopt;
}

HostContext read_host(const nlohmann::json& context) {
    HostContext h;
    if (!context.is_object()) {
        return h;
    }
    h.date = string_or(context, "date");
    h.host_name = string_or(context, "host_name");
    if (context.contains("num_cpus") && context["num_cpus"].is_number_integer()) {
        h.num_cpus = context["num_cpus"].get<int>();
    }
    if (context.contains("mhz_per_cpu") && context["mhz_per_cpu"].is_number()) {
        h.mhz_per_cpu = context["mhz_per_cpu"].get<double>();
    }
    if (!context.contains("enso_host") || !context["enso_host"].is_object()) {
        return h;
    }
    const auto& e = context["enso_host"];
    h.recorded = true;
    h.cpu_model = string_or(e, "cpu_model");
    h.under_hypervisor = bool_at(e, "under_hypervisor");
    h.kernel = string_or(e, "kernel");
    h.compiler = string_or(e, "compiler");
    h.build_type = string_or(e, "build_type");
    h.git_commit = string_or(e, "git_commit");
    if (e.contains("kvm") && e["kvm"].is_object()) {
        const auto& k = e["kvm"];
        h.kvm_backend = string_or(k, "backend");
        h.guest_ring0_native = bool_at(k, "guest_ring0_native");
        h.kvm_usable = bool_at(k, "usable");
        h.kvm_message = string_or(k, "device_message");
    }
    return h;
}

// A skip note given as a string or as {name|suite|benchmark, reason}.
std::optional<SkipNote> read_skip_note(const nlohmann::json& j) {
    if (j.is_string()) {
        return SkipNote{j.get<std::string>(), ""};
    }
    if (!j.is_object()) {
        return std::nullopt;
    }
    SkipNote note;
    for (const char* key : {"name", "benchmark", "suite", "what"}) {
        note.what = string_or(j, key);
        if (!note.what.empty()) {
            break;
        }
    }
    for (const char* key : {"reason", "message", "why"}) {
        note.reason = string_or(j, key);
        if (!note.reason.empty()) {
            break;
        }
    }
    if (note.what.empty()) {
        return std::nullopt;
    }
    return note;
}

void read_skip_notes(const nlohmann::json& list, ResultsFile& out) {
    if (!list.is_array()) {
        return;
    }
    for (const auto& item : list) {
        if (auto note = read_skip_note(item)) {
            out.skipped.push_back(*note);
        }
    }
}

// The aggregate suffix Google Benchmark appends to name when run_name is absent.
std::string run_name_of(const nlohmann::json& b) {
    std::string run_name = string_or(b, "run_name");
    if (!run_name.empty()) {
        return run_name;
    }
    std::string name = string_or(b, "name");
    const std::string agg = string_or(b, "aggregate_name");
    if (!agg.empty() && name.size() > agg.size() + 1 && name.ends_with("_" + agg)) {
        name.resize(name.size() - agg.size() - 1);
    }
    return name;
}

} // namespace

std::optional<double> BenchmarkRun::median_ns() const {
    if (!real_ns.empty()) {
        return summarize(real_ns).median;
    }
    for (const char* key : {"median", "mean"}) {
        if (auto it = aggregate_ns.find(key); it != aggregate_ns.end()) {
            return it->second;
        }
    }
    return std::nullopt;
}

std::optional<double> BenchmarkRun::cv() const {
    if (real_ns.size() >= 2) {
        double mean = 0;
        for (const double v : real_ns) {
            mean += v;
        }
        mean /= static_cast<double>(real_ns.size());
        double var = 0;
        for (const double v : real_ns) {
            var += (v - mean) * (v - mean);
        }
        var /= static_cast<double>(real_ns.size() - 1);
        return mean > 0 ? std::sqrt(var) / mean : 0.0;
    }
    if (aggregate_cv) {
        return aggregate_cv;
    }
    const auto mean = aggregate_ns.find("mean");
    const auto sd = aggregate_ns.find("stddev");
    if (mean != aggregate_ns.end() && sd != aggregate_ns.end() && mean->second > 0) {
        return sd->second / mean->second;
    }
    return std::nullopt;
}

std::optional<double> BenchmarkRun::counter(const std::string& key) const {
    if (auto it = counter_samples.find(key); it != counter_samples.end() && !it->second.empty()) {
        return summarize(it->second).median;
    }
    if (auto it = counter_medians.find(key); it != counter_medians.end()) {
        return it->second;
    }
    return std::nullopt;
}

std::vector<double> BenchmarkRun::counter_values(const std::string& key) const {
    if (auto it = counter_samples.find(key); it != counter_samples.end()) {
        return it->second;
    }
    return {};
}

int BenchmarkRun::repetition_count() const {
    return real_ns.empty() ? repetitions : static_cast<int>(real_ns.size());
}

const BenchmarkRun* ResultsFile::find(const std::string& run_name) const {
    for (const auto& r : runs) {
        if (r.run_name == run_name) {
            return &r;
        }
    }
    return nullptr;
}

ResultsFile parse_results(const nlohmann::json& doc, const std::filesystem::path& path) {
    if (!doc.is_object()) {
        throw InputError(path, "not a results file: the top level is not a JSON object");
    }
    if (!doc.contains("benchmarks")) {
        throw InputError(path, "not a results file: no \"benchmarks\" list (Google Benchmark's "
                               "JSON output is expected)");
    }
    if (!doc["benchmarks"].is_array()) {
        throw InputError(path, "not a results file: \"benchmarks\" is not a list");
    }
    ResultsFile out;
    out.path = path;
    out.context = doc.contains("context") ? doc["context"] : nlohmann::json::object();
    out.host = read_host(out.context);

    std::map<std::string, size_t> index; // run_name -> position in out.runs
    size_t i = 0;
    for (const auto& b : doc["benchmarks"]) {
        const size_t at = i++;
        if (!b.is_object()) {
            out.warnings.push_back(fmt::format("benchmarks[{}] is not an object: skipped", at));
            continue;
        }
        const std::string run_name = run_name_of(b);
        if (run_name.empty()) {
            out.warnings.push_back(fmt::format("benchmarks[{}] has no name: skipped", at));
            continue;
        }
        auto [pos, fresh] = index.try_emplace(run_name, out.runs.size());
        if (fresh) {
            BenchmarkRun run;
            run.run_name = run_name;
            run.name = parse_benchmark_name(run_name);
            out.runs.push_back(std::move(run));
        }
        BenchmarkRun& run = out.runs[pos->second];
        if (b.contains("repetitions") && b["repetitions"].is_number_integer()) {
            run.repetitions = std::max(run.repetitions, b["repetitions"].get<int>());
        }
        run.label = string_or(b, "label", run.label);

        // Google Benchmark 1.7 marks failures error_occurred; 1.8 adds skipped.
        const bool errored = bool_at(b, "error_occurred").value_or(false);
        const bool skipped = bool_at(b, "skipped").value_or(false);
        if (errored || skipped) {
            run.skipped = true;
            run.skip_reason = string_or(b, "error_message", string_or(b, "skip_message"));
            continue;
        }

        const std::string unit = string_or(b, "time_unit", "ns");
        const auto scale = ns_per_unit(unit);
        if (!scale) {
            out.warnings.push_back(
                fmt::format("{}: unknown time_unit \"{}\": entry skipped", run_name, unit));
            continue;
        }
        const bool has_time = b.contains("real_time") && b["real_time"].is_number();
        const std::string run_type = string_or(b, "run_type", "iteration");
        const std::string agg = string_or(b, "aggregate_name");
        if (run_type == "aggregate") {
            if (agg == "cv") {
                if (has_time) {
                    run.aggregate_cv = b["real_time"].get<double>(); // a fraction, not a time
                }
                continue;
            }
            if (has_time && !agg.empty()) {
                run.aggregate_ns[agg] = b["real_time"].get<double>() * *scale;
            }
            if (agg == "median") {
                for (const auto& [key, value] : b.items()) {
                    if (value.is_number() && !schema_fields().contains(key)) {
                        run.counter_medians[key] = value.get<double>();
                    }
                }
            }
            continue;
        }
        if (!has_time) {
            out.warnings.push_back(
                fmt::format("{}: an entry without real_time: skipped", run_name));
            continue;
        }
        run.real_ns.push_back(b["real_time"].get<double>() * *scale);
        for (const auto& [key, value] : b.items()) {
            if (value.is_number() && !schema_fields().contains(key)) {
                run.counter_samples[key].push_back(value.get<double>());
            }
        }
    }
    for (const auto& run : out.runs) {
        if (run.skipped && run.real_ns.empty() && run.aggregate_ns.empty()) {
            out.skipped.push_back({run.run_name, run.skip_reason});
        }
    }
    // Whole suites skipped (no /dev/kvm ...), at the top level or in the context.
    if (doc.contains("skipped")) {
        read_skip_notes(doc["skipped"], out);
    }
    if (out.context.is_object() && out.context.contains("enso_skipped")) {
        read_skip_notes(out.context["enso_skipped"], out);
    }
    if (doc.contains("topology")) {
        out.topology = parse_topology(doc["topology"], out.warnings);
    }
    return out;
}

ResultsFile load_results_file(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        throw InputError(path, "no such file");
    }
    if (std::filesystem::is_directory(path, ec)) {
        throw InputError(path, "is a directory, not a results file (try " +
                                   (path / "results.json").string() + ")");
    }
    std::ifstream in(path);
    if (!in) {
        throw InputError(path, "cannot be read");
    }
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(nonfinite_to_null(text.str()));
    } catch (const nlohmann::json::parse_error& e) {
        // e.what() names the byte offset and what was expected there.
        throw InputError(path, std::string("not valid JSON: ") + e.what());
    }
    return parse_results(doc, path);
}

} // namespace enso::reports
