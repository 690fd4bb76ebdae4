// What every Enso benchmark suite's main shares: Ctrl-C finishes the
// benchmark that is running and skips the rest (marked "interrupted" in the
// JSON), so `enso run` keeps what was measured; stdout is line-buffered so
// `enso run` sees each result as it is printed.
#pragma once

#include <benchmark/benchmark.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <functional>
#include <string>
#include <utility>

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

} // namespace enso::bench
