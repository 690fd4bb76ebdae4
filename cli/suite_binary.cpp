// Finding the registered suites' binaries beside the enso executable.
#include "cli/suite_binary.hpp"

#include <system_error>
#include <unistd.h>

namespace enso::cli {

std::vector<std::string> suite_names() {
    std::vector<std::string> names;
    for (const auto& suite : reports::registered_suites()) {
        names.emplace_back(suite.name);
    }
    return names;
}

std::filesystem::path self_dir() {
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) {
        return std::filesystem::current_path(ec);
    }
    return exe.parent_path();
}

std::optional<std::filesystem::path> suite_binary(const reports::SuiteInfo& suite) {
    std::error_code ec;
    auto path = std::filesystem::weakly_canonical(self_dir() / suite.binary, ec);
    if (ec) {
        path = self_dir() / suite.binary;
    }
    if (std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0) {
        return path;
    }
    return std::nullopt;
}

std::filesystem::path expected_suite_binary(const reports::SuiteInfo& suite) {
    return (self_dir() / suite.binary).lexically_normal();
}

} // namespace enso::cli
