// What every Enso benchmark suite's main shares: Ctrl-C finishes the
// benchmark that is running and skips the rest (marked "interrupted" in the
// JSON), so `enso run` keeps what was measured; stdout is line-buffered so
// `enso run` sees each result as it is printed.
#pragma once

#include <benchmark/benchmark.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace enso::bench {

inline std::atomic<bool>& interrupted() {
    static std::atomic<bool> flag{false};
    return flag;
}

inline void on_interrupt(int /*sig*/) {
    interrupted().store(true);
}

inline void prepare_suite_process() {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
}

// A benchmark that does not start once Ctrl-C was pressed.
inline benchmark::internal::Benchmark*
register_interruptible(const std::string& name, std::function<void(benchmark::State&)> fn) {
    return benchmark::RegisterBenchmark(name.c_str(), [fn = std::move(fn)](benchmark::State& s) {
        if (interrupted().load()) {
            s.SkipWithError("interrupted (Ctrl-C): not measured");
            return;
        }
        fn(s);
    });
}

// A suite's command line: --enso_quick (or quick_env=1, when named) asks
// for a short run; without --benchmark_repetitions every row gets
// `repetitions` (`quick_repetitions` when quick), so each has a spread. A
// suite's own --enso_* flags go to own_flag (true: taken; it may throw
// std::exception for a bad value). The rest goes to Google Benchmark.
struct SuiteOptions {
    const char* quick_env = nullptr;
    int repetitions = 5;
    int quick_repetitions = 3;
    std::function<bool(const std::string&)> own_flag;
};

struct SuiteCommandLine {
    bool ok = true;       // false: a bad argument (already reported)
    bool quick = false;   // --enso_quick
    bool listing = false; // --benchmark_list_tests: nothing will run
    std::string filter;   // --benchmark_filter's value, if given
};

inline SuiteCommandLine init_suite(int argc, char** argv, const SuiteOptions& options = {}) {
    SuiteCommandLine cl;
    std::vector<char*> args;
    bool have_repetitions = false;
    for (int i = 0; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--enso_quick") {
            cl.quick = true;
            continue;
        }
        if (i > 0 && options.own_flag) {
            try {
                if (options.own_flag(a)) {
                    continue;
                }
            } catch (const std::exception& e) {
                std::fprintf(stderr, "%s: bad argument %s (%s)\n", argv[0], a.c_str(), e.what());
                cl.ok = false;
                return cl;
            }
        }
        have_repetitions |= a.rfind("--benchmark_repetitions", 0) == 0;
        if (a.rfind("--benchmark_filter=", 0) == 0) {
            cl.filter = a.substr(19);
        }
        cl.listing |=
            a.rfind("--benchmark_list_tests", 0) == 0 && a != "--benchmark_list_tests=false";
        args.push_back(argv[i]);
    }
    if (const char* q = options.quick_env != nullptr ? std::getenv(options.quick_env) : nullptr;
        q != nullptr && *q == '1') {
        cl.quick = true;
    }
    static std::string reps; // Google Benchmark keeps pointers into argv
    reps = "--benchmark_repetitions=" +
           std::to_string(cl.quick ? options.quick_repetitions : options.repetitions);
    if (!have_repetitions) {
        args.push_back(reps.data());
    }
    int n = static_cast<int>(args.size());
    benchmark::Initialize(&n, args.data());
    cl.ok = !benchmark::ReportUnrecognizedArguments(n, args.data());
    return cl;
}

} // namespace enso::bench
