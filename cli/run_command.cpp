// enso run: runs a measurement suite. Only suites whose binaries exist are
// run; everything else is reported as not available. It never pretends.
#include "cli/commands.hpp"
#include "cli/suites.hpp"
#include "hvcore/kvm/host_info.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <spawn.h>
#include <string>
#include <vector>

extern char** environ;

namespace enso::cli {

namespace {

struct RunOptions {
    std::string suite;
    bool quick = false;
    std::string filter;
    std::optional<int> repetitions;
    std::string out;
};

std::string timestamp() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::localtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
    return buf;
}

// Runs argv[0] with argv, inheriting stdio. Returns its exit code, or -1.
int spawn_and_wait(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (const auto& a : args) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int err = ::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ);
    if (err != 0) {
        fmt::print(stderr, "enso run: cannot start {}: {}\n", args[0], std::strerror(err));
        return -1;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    fmt::print(stderr, "enso run: {} killed by signal {}\n", args[0], WTERMSIG(status));
    return 128 + WTERMSIG(status);
}

// Adds the host context to a Google Benchmark JSON file, in place.
bool add_host_context(const std::filesystem::path& file) {
    std::ifstream in(file);
    auto results = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    in.close();
    if (results.is_discarded() || !results.is_object()) {
        fmt::print(stderr, "enso run: {} is not valid JSON\n", file.string());
        return false;
    }
    results["context"]["enso_host"] = kvm::collect_host_info(/*with_perf_probe=*/true).to_json();
    std::ofstream out(file, std::ios::trunc);
    out << results.dump(2) << '\n';
    return static_cast<bool>(out);
}

void print_status() {
    fmt::print("Suites:\n");
    for (const auto& suite : known_suites()) {
        std::string state;
        if (!suite.issue.empty()) {
            state = "not yet available (" + suite.issue + ")";
        } else {
            state = suite_binary(suite) ? "available" : "not built";
        }
        fmt::print("  {:<10} {}\n", suite.name, state);
    }
    fmt::print("The blk, pagetable and compute suites land with issues #5/#6.\n");
}

int run_core(const Suite& suite, const RunOptions& opts) {
    const auto binary = suite_binary(suite);
    if (!binary) {
        fmt::print(stderr, "enso run: suite '{}' is not built: {} is missing\n", suite.name,
                   (self_dir() / suite.binary).lexically_normal().string());
        return kExitNotAvailable;
    }
    const std::filesystem::path dir = opts.out.empty() ? "results/" + timestamp() : opts.out;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        fmt::print(stderr, "enso run: cannot create {}: {}\n", dir.string(), ec.message());
        return 1;
    }
    const auto json_file = dir / "results.json";
    std::vector<std::string> args = {
        binary->string(),
        "--benchmark_format=console",
        "--benchmark_out=" + json_file.string(),
        "--benchmark_out_format=json",
    };
    if (!opts.filter.empty()) {
        args.push_back("--benchmark_filter=" + opts.filter);
    }
    if (opts.repetitions) {
        args.push_back("--benchmark_repetitions=" + std::to_string(*opts.repetitions));
    }
    if (opts.quick) {
        if (suite.name == "hypercall") {
            args.push_back("--enso_quick");
        } else {
            args.push_back("--benchmark_min_time=0.05");
        }
    }
    // Per-repetition rows stay in the JSON (the report's significance test
    // needs them); the console shows the aggregates.
    args.push_back("--benchmark_display_aggregates_only=true");
    fmt::print("enso run: suite '{}' -> {}\n", suite.name, json_file.string());
    std::fflush(stdout); // our lines before the child's
    const int rc = spawn_and_wait(args);
    if (rc != 0) {
        fmt::print(stderr, "enso run: {} exited with {}\n", binary->string(), rc);
        return rc < 0 ? 1 : rc;
    }
    if (!add_host_context(json_file)) {
        return 1;
    }
    fmt::print("enso run: results with host context in {}\n", json_file.string());
    return 0;
}

int run(const RunOptions& opts) {
    if (opts.suite.empty()) {
        print_status();
        fmt::print("No suite selected (use --suite NAME): nothing measured.\n");
        return 0;
    }
    const Suite* suite = find_suite(opts.suite);
    if (suite == nullptr) { // CLI11's IsMember check normally catches this first
        fmt::print(stderr, "enso run: unknown suite '{}'\n", opts.suite);
        return 1;
    }
    if (!suite->issue.empty()) {
        fmt::print(stderr, "enso run: suite '{}' is not yet available: lands with {}\n",
                   suite->name, suite->issue);
        return kExitNotAvailable;
    }
    return run_core(*suite, opts);
}

} // namespace

void add_run_command(CLI::App& app, Action& action) {
    auto opts = std::make_shared<RunOptions>();
    auto* sub = app.add_subcommand(
        "run", "run a measurement suite: core (in-process) or hypercall (KVM guests); blk, "
               "pagetable and compute land with issues #5/#6");
    sub->add_option("suite", opts->suite, "suite to run (see `enso list`); same as --suite")
        ->check(CLI::IsMember(suite_names()));
    sub->add_option("--suite", opts->suite, "suite to run (see `enso list`)")
        ->check(CLI::IsMember(suite_names()));
    sub->add_flag("--quick", opts->quick,
                  "a short run (about a minute): fewer operations and repetitions");
    sub->add_option("--filter", opts->filter, "regex of benchmarks to run (--benchmark_filter)");
    sub->add_option("--repetitions", opts->repetitions,
                    "repetitions per benchmark (--benchmark_repetitions)")
        ->check(CLI::Range(1, 1000000));
    sub->add_option("--out", opts->out, "directory for results.json (default results/<timestamp>)");
    sub->callback([&action, opts] { action = [opts] { return run(*opts); }; });
}

} // namespace enso::cli
