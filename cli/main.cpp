// enso: one command for the Enso harness.
#include "cli/commands.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <exception>

namespace {

int enso_main(int argc, char** argv) {
    CLI::App app{"enso: a compact Xen-style paravirtualization core, measured and verified"};
    app.require_subcommand(0, 1);

    enso::cli::Action action;
    enso::cli::add_info_command(app, action);
    enso::cli::add_list_command(app, action);
    enso::cli::add_run_command(app, action);
    enso::cli::add_report_command(app, action);
    enso::cli::add_verify_command(app, action);
    enso::cli::add_xtf_command(app, action);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e); // prints the message (or help) and gives CLI11's exit code
    }
    if (!action) {
        fmt::print(stderr, "{}enso: a subcommand is required\n", app.help());
        return 2;
    }
    return action();
}

} // namespace

int main(int argc, char** argv) {
    try {
        return enso_main(argc, argv);
    } catch (const std::exception& e) {
        fmt::print(stderr, "enso: error: {}\n", e.what());
    } catch (...) {
        fmt::print(stderr, "enso: error: unknown exception\n");
    }
    return 1;
}
