// enso run: runs measurement suites and writes DIR/results.json (Google
// Benchmark's schema plus the host context), then the report. With no suite
// named it runs every registered suite (reports/suite_registry.cpp). Suites
// that are not built are reported as skipped, never faked; guest
// benchmarks without /dev/kvm are marked skipped with the reason by the
// suite itself. Ctrl-C lets the running benchmark finish, skips the rest
// and still writes what was measured.
#include "cli/child_process.hpp"
#include "cli/commands.hpp"
#include "cli/perf_recorder.hpp"
#include "cli/progress_display.hpp"
#include "cli/results_merge.hpp"
#include "cli/suite_binary.hpp"
#include "hvcore/kvm/host_info.hpp"
#include "hvcore/kvm/kvm_probe.hpp"
#include "reports/input_error.hpp"
#include "reports/report.hpp"
#include "reports/suite_registry.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace enso::cli {

namespace {

using reports::SuiteInfo;

struct RunOptions {
    std::string suite;
    bool quick = false;
    std::string filter;
    std::optional<int> repetitions;
    std::string out;
    bool no_report = false;
    bool perf = false;
};

std::atomic<bool> g_interrupted{false};

void on_interrupt(int /*sig*/) {
    g_interrupted.store(true);
}

// The suites see Ctrl-C too (same process group) and stop by themselves;
// enso run only remembers it, so it starts no further suite.
void catch_interrupt() {
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &sa, nullptr);
}

std::string timestamp() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::localtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
    return buf;
}

// The suite's arguments besides output: the user's choices, then what a
// quick run means to it.
std::vector<std::string> suite_args(const SuiteInfo& suite, const RunOptions& opts) {
    std::vector<std::string> args;
    if (!opts.filter.empty()) {
        args.push_back("--benchmark_filter=" + opts.filter);
    }
    if (opts.repetitions) {
        args.push_back("--benchmark_repetitions=" + std::to_string(*opts.repetitions));
    }
    if (opts.quick) {
        if (suite.understands_quick) {
            args.push_back("--enso_quick");
        } else {
            args.push_back("--benchmark_min_time=0.05");
        }
    }
    return args;
}

// The names the suite will run (its --benchmark_list_tests), for progress.
std::vector<std::string> list_benchmarks(const std::filesystem::path& binary,
                                         const std::vector<std::string>& extra) {
    std::vector<std::string> args = {binary.string(), "--benchmark_list_tests=true"};
    for (const auto& a : extra) {
        if (a.rfind("--benchmark_filter", 0) == 0 || a == "--enso_quick") {
            args.push_back(a);
        }
    }
    std::string out;
    capture_child(args, out);
    std::vector<std::string> names;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty()) {
            names.push_back(line);
        }
    }
    return names;
}

// The perf pass: perf stat of every benchmark the suite ran, each in a run of
// its own (quick, one repetition), and a profile of the monitor for suites
// registered with profile_monitor.
nlohmann::json perf_pass(const SuiteInfo& suite, const RunOptions& opts,
                         const std::filesystem::path& dir, const PerfSetup& setup,
                         ProgressDisplay& progress) {
    nlohmann::json out = nlohmann::json::object();
    const auto binary = suite_binary(suite);
    if (!binary) {
        return out;
    }
    RunOptions quick = opts;
    quick.quick = true;
    const auto args = suite_args(suite, quick);
    const auto names = list_benchmarks(*binary, suite_args(suite, opts));
    const auto perf_dir = dir / "perf" / suite.name;
    progress.begin_suite(fmt::format("{} (perf stat)", suite.name), names.size());
    for (const auto& name : names) {
        if (g_interrupted.load()) {
            break;
        }
        const auto counts = perf_stat_benchmark(setup, *binary, name, args, perf_dir);
        nlohmann::json entry = nlohmann::json::object();
        for (const auto& [event, value] : counts.counts) {
            entry[event] = value;
        }
        if (!counts.error.empty()) {
            entry["error"] = counts.error;
        }
        out[name] = entry;
        progress.line({}, true, name);
    }
    progress.end_suite();
    if (suite.profile_monitor && !g_interrupted.load()) {
        progress.message(
            fmt::format("enso run: perf record of the monitor during the {} suite", suite.name));
        if (auto err =
                perf_record_suite(setup, *binary, std::string(suite.name), args, dir / "perf");
            !err.empty()) {
            progress.message("enso run: perf record: " + err);
        }
    }
    return out;
}

SuiteOutcome run_suite(const SuiteInfo& suite, const RunOptions& opts,
                       const std::filesystem::path& dir, ProgressDisplay& progress) {
    SuiteOutcome outcome;
    outcome.suite = suite.name;
    const auto binary = suite_binary(suite);
    if (!binary) {
        outcome.note = "not built: " + expected_suite_binary(suite).string() + " is missing";
        return outcome;
    }
    const auto extra = suite_args(suite, opts);
    const auto names = list_benchmarks(*binary, extra);
    if (names.empty()) {
        outcome.note = "no benchmark matches the filter";
        return outcome;
    }
    outcome.json = dir / fmt::format("{}.json", suite.name);
    std::vector<std::string> args = {
        binary->string(),
        "--benchmark_format=console",
        "--benchmark_color=false",
        "--benchmark_out=" + outcome.json.string(),
        "--benchmark_out_format=json",
        "--benchmark_display_aggregates_only=true",
    };
    args.insert(args.end(), extra.begin(), extra.end());
    progress.begin_suite(std::string(suite.name), names.size());
    std::set<std::string> done;
    std::size_t next = 0;
    const auto result = run_child(args, [&](const std::string& line) {
        // A result line starts with the benchmark's name (an aggregate adds
        // _mean, _median ... to it); the first one marks it done.
        bool finished = false;
        const auto first = line.substr(0, line.find(' '));
        for (std::size_t i = next; i < names.size(); ++i) {
            if (first == names[i] || first.rfind(names[i] + "_", 0) == 0) {
                finished = done.insert(names[i]).second;
                next = i + (finished ? 1 : 0);
                break;
            }
        }
        const bool header = line.find("----") == 0 || line.rfind("Benchmark ", 0) == 0;
        progress.line(header ? std::string() : line, finished,
                      next < names.size() ? names[next] : std::string("finishing"));
    });
    progress.end_suite();
    outcome.exit_code = result.started ? result.exit_code : -1;
    if (!result.started) {
        outcome.note = result.error;
    } else if (result.exit_code != 0) {
        outcome.note = fmt::format("exited with {}", result.exit_code);
    }
    return outcome;
}

// The suites to run: the one named, or every registered one. Empty (after
// saying why) when the name is unknown.
std::vector<const SuiteInfo*> choose_suites(const RunOptions& opts) {
    std::vector<const SuiteInfo*> chosen;
    if (!opts.suite.empty()) {
        if (const auto* suite = reports::find_suite(opts.suite)) {
            chosen.push_back(suite);
        } else { // CLI11's IsMember check normally catches this first
            fmt::print(stderr, "enso run: unknown suite '{}'\n", opts.suite);
        }
        return chosen;
    }
    for (const auto& suite : reports::registered_suites()) {
        chosen.push_back(&suite);
    }
    return chosen;
}

std::vector<SuiteOutcome> run_suites(const std::vector<const SuiteInfo*>& chosen,
                                     const RunOptions& opts, const std::filesystem::path& dir,
                                     ProgressDisplay& progress) {
    std::vector<SuiteOutcome> outcomes;
    for (const SuiteInfo* suite : chosen) {
        if (g_interrupted.load()) {
            outcomes.push_back({std::string(suite->name), {}, 0, "not run: interrupted (Ctrl-C)"});
            continue;
        }
        outcomes.push_back(run_suite(*suite, opts, dir, progress));
        if (!outcomes.back().note.empty()) {
            progress.message(
                fmt::format("enso run: suite '{}': {}", suite->name, outcomes.back().note));
        }
    }
    return outcomes;
}

// The perf passes over the suites that ran; null when --perf was not given
// or the run was interrupted, {"error": ...} when perf cannot be used.
nlohmann::json perf_passes(const std::vector<const SuiteInfo*>& chosen,
                           const std::vector<SuiteOutcome>& outcomes, const RunOptions& opts,
                           const std::filesystem::path& dir, ProgressDisplay& progress) {
    if (!opts.perf || g_interrupted.load()) {
        return nullptr;
    }
    const auto setup = probe_perf();
    if (!setup.why_not.empty()) {
        progress.message("enso run: --perf: " + setup.why_not);
        return {{"error", setup.why_not}};
    }
    std::string events;
    for (const auto& e : setup.events) {
        events += (events.empty() ? "" : ", ") + e;
    }
    progress.message(fmt::format("enso run: --perf: counting {}", events));
    nlohmann::json perf = {
        {"events", setup.events}, {"dir", "perf"}, {"benchmarks", nlohmann::json::object()}};
    for (const SuiteInfo* suite : chosen) {
        const auto it = std::find_if(outcomes.begin(), outcomes.end(), [&](const auto& o) {
            return o.suite == suite->name && o.note.empty();
        });
        if (it != outcomes.end()) {
            perf["benchmarks"].update(perf_pass(*suite, opts, dir, setup, progress));
        }
    }
    std::ofstream(dir / "perf" / "perf.json") << perf.dump(2) << '\n';
    return perf;
}

struct ResultCounts {
    std::size_t measured = 0;
    std::size_t skipped = 0;
};

// Merges the suites' files into DIR/results.json; nullopt (after saying
// why) when that fails.
std::optional<ResultCounts> write_results(const std::filesystem::path& json_file,
                                          const std::vector<SuiteOutcome>& outcomes,
                                          bool interrupted, const nlohmann::json& perf) {
    ResultCounts counts;
    try {
        auto merged = merge_results(outcomes, interrupted,
                                    kvm::collect_host_info(/*with_perf_probe=*/true).to_json());
        if (!perf.is_null()) {
            merged["context"]["enso_perf"] = perf;
        }
        for (const auto& b : merged["benchmarks"]) {
            (b.value("error_occurred", false) ? counts.skipped : counts.measured) += 1;
        }
        std::ofstream out(json_file, std::ios::trunc);
        out << merged.dump(2) << '\n';
        if (!out) {
            fmt::print(stderr, "enso run: cannot write {}\n", json_file.string());
            return std::nullopt;
        }
    } catch (const std::exception& e) {
        fmt::print(stderr, "enso run: {}\n", e.what());
        return std::nullopt;
    }
    return counts;
}

bool write_report(const std::filesystem::path& dir) {
    try {
        const auto report = reports::write_run_report(dir);
        fmt::print("{}", report.summary);
        for (const auto& note : report.notes) {
            fmt::print("enso run: note: {}\n", note);
        }
        fmt::print("enso run: report in {} and {}\n", report.html.string(),
                   report.markdown.string());
    } catch (const std::exception& e) {
        fmt::print(stderr, "enso run: the report could not be written: {}\n", e.what());
        return false;
    }
    return true;
}

int run(const RunOptions& opts) {
    const auto chosen = choose_suites(opts);
    if (chosen.empty()) {
        return 1;
    }
    const std::filesystem::path dir = opts.out.empty() ? "results/" + timestamp() : opts.out;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        fmt::print(stderr, "enso run: cannot create {}: {}\n", dir.string(), ec.message());
        return 1;
    }
    const auto probe = kvm::probe_kvm();
    ProgressDisplay progress(::isatty(STDOUT_FILENO) == 1);
    if (!probe.usable()) {
        progress.message(fmt::format(
            "enso run: /dev/kvm is {} ({}): guest benchmarks will be skipped and marked so; the "
            "in-process and native ones run",
            kvm::device_state_name(probe.device_state), probe.device_message));
    }
    catch_interrupt();
    const auto outcomes = run_suites(chosen, opts, dir, progress);
    const auto perf = perf_passes(chosen, outcomes, opts, dir, progress);
    const bool interrupted = g_interrupted.load();
    const auto json_file = dir / "results.json";
    const auto counts = write_results(json_file, outcomes, interrupted, perf);
    if (!counts) {
        return 1;
    }
    fmt::print("enso run: {} results ({} skipped, with the reason) in {}\n", counts->measured,
               counts->skipped, json_file.string());
    if (interrupted) {
        fmt::print("enso run: interrupted (Ctrl-C): kept what was measured\n");
    }
    if (!opts.no_report && counts->measured > 0 && !write_report(dir)) {
        return 1;
    }
    if (interrupted) {
        return 130;
    }
    const bool all_exited_0 = std::all_of(outcomes.begin(), outcomes.end(),
                                          [](const SuiteOutcome& o) { return o.exit_code == 0; });
    if (!all_exited_0) {
        return 1;
    }
    return counts->measured > 0 ? 0 : kExitNothingMeasured;
}

} // namespace

void add_run_command(CLI::App& app, Action& action) {
    auto opts = std::make_shared<RunOptions>();
    auto* sub = app.add_subcommand(
        "run", "run measurement suites (all available ones by default), write DIR/results.json "
               "and the report");
    sub->add_option("suite", opts->suite, "one suite to run (see `enso list`); same as --suite")
        ->check(CLI::IsMember(suite_names()));
    sub->add_option("--suite", opts->suite, "one suite to run (see `enso list`)")
        ->check(CLI::IsMember(suite_names()));
    sub->add_flag("--quick", opts->quick,
                  "a short run: fewer operations and repetitions (the README gives the "
                  "times measured on the development host)");
    sub->add_option("--filter", opts->filter, "regex of benchmarks to run (--benchmark_filter)");
    sub->add_option("--repetitions", opts->repetitions,
                    "repetitions per benchmark (--benchmark_repetitions)")
        ->check(CLI::Range(1, 1000000));
    sub->add_option("--out", opts->out, "directory for results.json (default results/<timestamp>)");
    sub->add_flag("--no-report", opts->no_report, "write results.json only");
    sub->add_flag("--perf", opts->perf,
                  "afterwards, perf stat of each benchmark (in a pass of its own) and a perf "
                  "record profile of the monitor during the hypercall suite, in DIR/perf");
    sub->callback([&action, opts] { action = [opts] { return run(*opts); }; });
}

} // namespace enso::cli
