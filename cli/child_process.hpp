// A child process whose stdout the parent reads line by line (the suites'
// console output), with its stderr inherited.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace enso::cli {

struct ChildResult {
    int exit_code = -1; // 128 + signal when killed
    bool started = false;
    std::string error; // why it could not start
};

// Runs args[0] with args; on_line gets each stdout line (without '\n').
ChildResult run_child(const std::vector<std::string>& args,
                      const std::function<void(const std::string&)>& on_line);

// Runs args[0] with args and returns its stdout (for short listings).
ChildResult capture_child(const std::vector<std::string>& args, std::string& out);

} // namespace enso::cli
