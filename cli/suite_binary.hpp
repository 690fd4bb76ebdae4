// Where the registered suites' binaries are (reports/suite_registry.hpp
// holds the suites), relative to the running enso executable.
#pragma once

#include "reports/suite_registry.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace enso::cli {

// The registered suites' names, for CLI11's IsMember check.
std::vector<std::string> suite_names();

// Directory holding the running enso executable (from /proc/self/exe).
std::filesystem::path self_dir();

// The suite's binary if it has been built, empty otherwise.
std::optional<std::filesystem::path> suite_binary(const reports::SuiteInfo& suite);

// Where the suite's binary should be, for messages about a missing one.
std::filesystem::path expected_suite_binary(const reports::SuiteInfo& suite);

} // namespace enso::cli
