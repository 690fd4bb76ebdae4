// What `enso run` shows while suites run: on a terminal, one bar line that
// names the benchmark running and the time left, redrawn in place, with
// each finished benchmark's line printed above it; elsewhere (CI logs),
// plain lines with a [done/total] prefix.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace enso::cli {

class ProgressDisplay {
public:
    explicit ProgressDisplay(bool terminal) : terminal_(terminal) {}

    void begin_suite(const std::string& suite, std::size_t benchmarks);
    // A line of the suite's console output; done_now when it completed one.
    void line(const std::string& text, bool done_now, const std::string& next);
    void end_suite();
    void message(const std::string& text);

private:
    void draw(const std::string& next);
    void clear();

    bool terminal_;
    std::string suite_;
    std::size_t total_ = 0;
    std::size_t done_ = 0;
    std::chrono::steady_clock::time_point start_;
    bool bar_shown_ = false;
};

} // namespace enso::cli
