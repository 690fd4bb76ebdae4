// Subcommands that exist in the interface but whose work lands with a later
// issue. They say so and fail: they never pretend.
#include "cli/commands.hpp"

#include <fmt/core.h>

#include <string>

namespace enso::cli {

namespace {

[[maybe_unused]] void add_pending(CLI::App& app, Action& action, const std::string& name,
                                  const std::string& description, const std::string& issue) {
    auto* sub = app.add_subcommand(name, description + " (not yet available: " + issue + ")");
    sub->allow_extras();
    sub->callback([&action, name, issue] {
        action = [name, issue] {
            fmt::print(stderr, "enso {}: not yet available: lands with {}\n", name, issue);
            return kExitNotAvailable;
        };
    });
}

} // namespace

void add_pending_commands(CLI::App& /*app*/, Action& /*action*/) {
    // None at the moment: verify landed with issue #4 (cli/verify_command.cpp).
}

} // namespace enso::cli
