// enso list: the registered suites and whether each is built here.
#include "cli/commands.hpp"
#include "cli/suite_binary.hpp"

#include <fmt/core.h>

#include <string>

namespace enso::cli {

namespace {

std::string availability(const reports::SuiteInfo& suite) {
    if (const auto bin = suite_binary(suite)) {
        return "available: " + bin->string();
    }
    return "not built: " + expected_suite_binary(suite).string() + " is missing";
}

int list_suites() {
    fmt::print("Suites\n");
    for (const auto& suite : reports::registered_suites()) {
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
