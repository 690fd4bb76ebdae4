#include "cli/progress_display.hpp"

#include <fmt/core.h>

#include <cmath>
#include <cstdio>

namespace enso::cli {

namespace {

std::string format_duration(double seconds) {
    if (seconds < 60) {
        return fmt::format("{:.0f}s", seconds);
    }
    return fmt::format("{:.0f}m{:02.0f}s", std::floor(seconds / 60),
                       std::floor(std::fmod(seconds, 60.0)));
}

} // namespace

void ProgressDisplay::begin_suite(const std::string& suite, std::size_t benchmarks) {
    suite_ = suite;
    total_ = benchmarks;
    done_ = 0;
    start_ = std::chrono::steady_clock::now();
    message(fmt::format("enso run: suite '{}', {} benchmarks", suite, benchmarks));
}

void ProgressDisplay::clear() {
    if (terminal_ && bar_shown_) {
        std::fputs("\r\033[K", stdout);
        bar_shown_ = false;
    }
}

void ProgressDisplay::message(const std::string& text) {
    clear();
    fmt::print("{}\n", text);
    std::fflush(stdout);
}

void ProgressDisplay::draw(const std::string& next) {
    if (!terminal_) {
        return;
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::string left = "estimating";
    if (done_ > 0 && total_ > done_) {
        left = "~" +
               format_duration(elapsed / static_cast<double>(done_) *
                               static_cast<double>(total_ - done_)) +
               " left";
    }
    constexpr std::size_t kWidth = 24;
    const std::size_t filled = total_ == 0 ? kWidth : kWidth * done_ / total_;
    std::string bar(filled, '#');
    bar.resize(kWidth, '.');
    std::string name = next.size() > 48 ? "..." + next.substr(next.size() - 45) : next;
    fmt::print("\r\033[K[{}] {}/{} {} {} ({})", bar, done_, total_, suite_, name, left);
    std::fflush(stdout);
    bar_shown_ = true;
}

void ProgressDisplay::line(const std::string& text, bool done_now, const std::string& next) {
    if (done_now) {
        ++done_;
    }
    if (text.empty()) {
        draw(next);
        return;
    }
    clear();
    if (terminal_) {
        fmt::print("{}\n", text);
    } else {
        fmt::print("[{}/{}] {}\n", done_, total_, text);
    }
    std::fflush(stdout);
    draw(next);
}

void ProgressDisplay::end_suite() {
    clear();
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    message(fmt::format("enso run: suite '{}' done: {}/{} benchmarks in {}", suite_, done_, total_,
                        format_duration(elapsed)));
}

} // namespace enso::cli
