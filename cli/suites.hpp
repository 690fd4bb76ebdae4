// The catalogue of measurement suites `enso list` and `enso run` know, and
// where their binaries live relative to the enso executable.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace enso::cli {

struct Suite {
    std::string name;
    std::string description;
    std::string binary; // relative to the directory of the enso executable; empty if none yet
    std::string issue;  // the issue that brings it, when it is not available yet
    bool understands_quick = false; // takes --enso_quick (else: a shorter min time)
};

const std::vector<Suite>& known_suites();
const Suite* find_suite(const std::string& name);
std::vector<std::string> suite_names();

// Directory holding the running enso executable (from /proc/self/exe).
std::filesystem::path self_dir();

// The suite's binary if it has been built, empty otherwise.
std::optional<std::filesystem::path> suite_binary(const Suite& suite);

} // namespace enso::cli
