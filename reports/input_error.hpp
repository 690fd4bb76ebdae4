// An input the report cannot use: a missing, unreadable or malformed
// results, baseline, verify or XTF file. `enso report` turns it into exit code 2
// with a message that names the file and the problem.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace enso::reports {

class InputError : public std::runtime_error {
public:
    InputError(const std::filesystem::path& file, const std::string& problem)
        : std::runtime_error(file.string() + ": " + problem), file_(file), problem_(problem) {}

    [[nodiscard]] const std::filesystem::path& file() const { return file_; }
    [[nodiscard]] const std::string& problem() const { return problem_; }

private:
    std::filesystem::path file_;
    std::string problem_;
};

} // namespace enso::reports
