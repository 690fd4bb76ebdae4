// The enso subcommands. Each add_*_command registers one subcommand on the
// app; when that subcommand is parsed, its callback stores in `action` what
// to run. main() runs the action and returns its exit code.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace enso::cli {

using Action = std::function<int()>;

// Exit code of a command that exists but whose work has not landed yet.
inline constexpr int kExitNotAvailable = 2;
// Exit code of a command given a missing or malformed input file.
inline constexpr int kExitBadInput = 2;

void add_info_command(CLI::App& app, Action& action);
void add_list_command(CLI::App& app, Action& action);
void add_run_command(CLI::App& app, Action& action);
void add_report_command(CLI::App& app, Action& action);
void add_verify_command(CLI::App& app, Action& action);
void add_pending_commands(CLI::App& app, Action& action); // none at the moment

} // namespace enso::cli
