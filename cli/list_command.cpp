// enso list: the suites and benchmarks Enso knows, and which are available.
#include "cli/commands.hpp"
#include "cli/suites.hpp"

#include <fmt/core.h>

#include <string>

namespace enso::cli {

namespace {

std::string availability(const Suite& suite) {
    if (!suite.issue.empty()) {
        return "not yet available (" + suite.issue + ")";
    }
    if (const auto bin = suite_binary(suite)) {
        return "available: " + bin->string();
    }
    return "not built: " + (self_dir() / suite.binary).lexically_normal().string() + " is missing";
}

int list_suites() {
    fmt::print("Suites\n");
    for (const auto& suite : known_suites()) {
        fmt::print("  {:<10} {}\n  {:<10} {}\n", suite.name, suite.description, "",
                   availability(suite));
    }
    return 0;
}

} // namespace

void add_list_command(CLI::App& app, Action& action) {
    auto* sub = app.add_subcommand("list", "list the measurement suites and their availability");
    sub->callback([&action] { action = list_suites; });
}

} // namespace enso::cli
