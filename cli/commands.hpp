// The enso subcommands. Each add_*_command registers one subcommand on the
// app; when that subcommand is parsed, its callback stores in `action` what
// to run. main() runs the action and returns its exit code.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace enso::cli {

using Action = std::function<int()>;

// Exit code of enso run when nothing was measured (no suite built, or the
// filter matched nothing).
inline constexpr int kExitNothingMeasured = 2;
// Exit code of a command given a missing or malformed input file.
inline constexpr int kExitBadInput = 2;

void add_info_command(CLI::App& app, Action& action);
void add_list_command(CLI::App& app, Action& action);
void add_run_command(CLI::App& app, Action& action);
void add_report_command(CLI::App& app, Action& action);
void add_verify_command(CLI::App& app, Action& action);
void add_xtf_command(CLI::App& app, Action& action);

} // namespace enso::cli
