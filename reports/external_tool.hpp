// Runs a drawing tool (gnuplot, dot) with its script on stdin and collects
// its output. Whether the tool is missing is a result, not an exception:
// the report then shows a note where the picture would be.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace enso::reports {

struct ToolResult {
    bool started = false; // false: not found on PATH or not executable
    bool timed_out = false;
    int exit_code = -1; // 128 + signal when killed
    std::string out;
    std::string err; // or why it could not start

    [[nodiscard]] bool ok() const { return started && !timed_out && exit_code == 0; }
    // One line for the report: why there is no picture.
    [[nodiscard]] std::string failure(std::string_view program) const;
};

ToolResult run_tool(const std::string& program, const std::vector<std::string>& args,
                    std::string_view input,
                    std::chrono::milliseconds timeout = std::chrono::seconds(30));

} // namespace enso::reports
