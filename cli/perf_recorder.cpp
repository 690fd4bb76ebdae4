#include "cli/perf_recorder.hpp"

#include "cli/child_process.hpp"

#include <fmt/core.h>

#include <fstream>
#include <regex>
#include <sstream>

namespace enso::cli {

namespace {

// Software events first (always there), then the kvm tracepoints that tell
// exits apart, then hardware counters (absent on PVM hosts).
const std::vector<std::string> kCandidates = {
    "task-clock",
    "context-switches",
    "cpu-migrations",
    "page-faults",
    "kvm:kvm_exit",
    "kvm:kvm_userspace_exit",
    "kvm:kvm_pio",
    "kvm:kvm_mmio",
    "kvm:kvm_page_fault",
    "kvm:kvm_set_user_memory_region",
    "cycles",
    "instructions",
};

std::string file_name(const std::string& benchmark) {
    std::string out;
    for (char c : benchmark) {
        out += (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_') ? c : '_';
    }
    return out;
}

// perf stat -x, lines: value,unit,event,...; "<not supported>" or
// "<not counted>" in place of the value when there is none.
std::vector<std::pair<std::string, std::string>> parse_csv(const std::string& text) {
    std::vector<std::pair<std::string, std::string>> out;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        std::vector<std::string> fields;
        std::istringstream f(line);
        for (std::string field; std::getline(f, field, ',');) {
            fields.push_back(field);
        }
        if (fields.size() >= 3) {
            out.emplace_back(fields[2], fields[0]);
        }
    }
    return out;
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace

PerfSetup probe_perf() {
    PerfSetup setup;
    const auto tmp = std::filesystem::temp_directory_path() / "enso-perf-probe.csv";
    std::vector<std::string> args = {"/usr/bin/env", setup.perf, "stat", "-x,", "-o", tmp.string()};
    for (const auto& e : kCandidates) {
        args.push_back("-e");
        args.push_back(e);
    }
    args.push_back("true");
    std::string out;
    const auto r = capture_child(args, out);
    if (!r.started || r.exit_code != 0) {
        // Unknown tracepoints make perf refuse the whole list: retry one by one.
        for (const auto& e : kCandidates) {
            const auto one = capture_child(
                {"/usr/bin/env", setup.perf, "stat", "-x,", "-o", tmp.string(), "-e", e, "true"},
                out);
            if (one.started && one.exit_code == 0) {
                for (const auto& [event, value] : parse_csv(read_file(tmp))) {
                    if (value.find("not supported") == std::string::npos) {
                        setup.events.push_back(event);
                    }
                }
            }
        }
    } else {
        for (const auto& [event, value] : parse_csv(read_file(tmp))) {
            if (value.find("not supported") == std::string::npos) {
                setup.events.push_back(event);
            }
        }
    }
    std::filesystem::remove(tmp);
    if (setup.events.empty()) {
        setup.why_not = "perf stat counts no event here (is linux-perf installed for this "
                        "kernel, and perf_event_paranoid low enough?)";
    }
    return setup;
}

PerfCounts perf_stat_benchmark(const PerfSetup& setup, const std::filesystem::path& binary,
                               const std::string& benchmark,
                               const std::vector<std::string>& suite_args,
                               const std::filesystem::path& out_dir) {
    PerfCounts counts;
    counts.benchmark = benchmark;
    std::filesystem::create_directories(out_dir);
    const auto csv = out_dir / (file_name(benchmark) + ".csv");
    std::vector<std::string> args = {"/usr/bin/env", setup.perf, "stat", "-x,", "-o", csv.string()};
    for (const auto& e : setup.events) {
        args.push_back("-e");
        args.push_back(e);
    }
    args.push_back("--");
    args.push_back(binary.string());
    // The benchmark alone, once; the suite's own arguments (quick) otherwise.
    args.push_back("--benchmark_filter=^" +
                   std::regex_replace(benchmark, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                   "$");
    args.push_back("--benchmark_repetitions=1");
    for (const auto& a : suite_args) {
        if (a.rfind("--benchmark_filter", 0) != 0 && a.rfind("--benchmark_repetitions", 0) != 0) {
            args.push_back(a);
        }
    }
    std::string out;
    const auto r = capture_child(args, out);
    if (!r.started || r.exit_code != 0) {
        counts.error = r.started ? fmt::format("perf stat exited with {}", r.exit_code) : r.error;
        return counts;
    }
    for (const auto& [event, value] : parse_csv(read_file(csv))) {
        try {
            counts.counts.emplace_back(event, std::stod(value));
        } catch (const std::exception&) {
            // <not counted>: left out
        }
    }
    return counts;
}

std::string perf_record_suite(const PerfSetup& setup, const std::filesystem::path& binary,
                              const std::string& suite, const std::vector<std::string>& suite_args,
                              const std::filesystem::path& out_dir) {
    std::filesystem::create_directories(out_dir);
    const auto data = out_dir / (suite + ".perf.data");
    std::vector<std::string> args = {"/usr/bin/env",
                                     setup.perf,
                                     "record",
                                     "-g",
                                     "-F",
                                     "999",
                                     "-o",
                                     data.string(),
                                     "--",
                                     binary.string(),
                                     "--benchmark_repetitions=1"};
    for (const auto& a : suite_args) {
        if (a.rfind("--benchmark_repetitions", 0) != 0) {
            args.push_back(a);
        }
    }
    std::string out;
    const auto r = capture_child(args, out);
    if (!r.started || r.exit_code != 0) {
        return r.started ? fmt::format("perf record exited with {}", r.exit_code) : r.error;
    }
    const auto report =
        capture_child({"/usr/bin/env", setup.perf, "report", "--stdio", "--no-children",
                       "--percent-limit", "0.5", "-i", data.string()},
                      out);
    std::ofstream(out_dir / (suite + "-profile.txt")) << out;
    if (!report.started || report.exit_code != 0) {
        return "perf report failed; the raw profile is in " + data.string();
    }
    return {};
}

} // namespace enso::cli
