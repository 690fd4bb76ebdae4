// enso report: results JSON -> DIR/index.html, DIR/report.md and the SVGs.
// A missing or malformed input file exits 2 with the file and the problem.
#include "cli/commands.hpp"
#include "reports/input_error.hpp"
#include "reports/report.hpp"

#include <fmt/core.h>

#include <memory>
#include <string>
#include <vector>

namespace enso::cli {

namespace {

struct ReportCommandOptions {
    std::vector<std::string> results;
    std::string baseline;
    std::string out;
    std::string verify;
    std::vector<std::string> xtf;
};

int report(const ReportCommandOptions& o) {
    reports::ReportOptions options;
    options.results.assign(o.results.begin(), o.results.end());
    if (!o.baseline.empty()) {
        options.baseline = o.baseline;
    }
    if (!o.verify.empty()) {
        options.verify = o.verify;
    }
    options.xtf.assign(o.xtf.begin(), o.xtf.end());
    options.out_dir = o.out;
    try {
        const auto out = reports::write_report(options);
        fmt::print("{}\n", out.summary);
        for (const auto& note : out.notes) {
            fmt::print(stderr, "enso report: note: {}\n", note);
        }
        fmt::print("enso report: wrote {} and {} ({} pictures)\n", out.html.string(),
                   out.markdown.string(), out.svgs.size());
        return 0;
    } catch (const reports::InputError& e) {
        fmt::print(stderr, "enso report: {}: {}\n", e.file().string(), e.problem());
        return kExitBadInput;
    }
}

} // namespace

void add_report_command(CLI::App& app, Action& action) {
    auto opts = std::make_shared<ReportCommandOptions>();
    auto* sub = app.add_subcommand(
        "report", "turn results JSON into an HTML page and a Markdown report with charts");
    sub->add_option("results", opts->results, "results.json files written by `enso run`")
        ->required();
    sub->add_option("--baseline", opts->baseline,
                    "an earlier results.json: per-benchmark change and its significance");
    sub->add_option("--out", opts->out,
                    "directory for index.html, report.md and the SVGs (default: beside the first "
                    "results file)");
    sub->add_option("--verify", opts->verify,
                    "`enso verify --json` output: verification summary and counterexamples");
    sub->add_option("--xtf", opts->xtf,
                    "`enso xtf --json` output: XTF's verdicts per test and the regressions "
                    "(repeat it for each transport's run)")
        ->expected(1)
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    sub->callback([&action, opts] { action = [opts] { return report(*opts); }; });
}

} // namespace enso::cli
