// `enso report` end to end: load the results (and the baseline, verify and
// XTF files), compute the model, draw the charts and diagrams, and write
// DIR/index.html (self-contained), DIR/report.md and the SVGs beside it.
// `enso run` calls write_run_report() on its results directory after a run.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace enso::reports {

struct ReportOptions {
    std::vector<std::filesystem::path> results; // at least one
    std::optional<std::filesystem::path> baseline;
    std::optional<std::filesystem::path> verify; // `enso verify --json` output
    std::vector<std::filesystem::path> xtf;      // `enso xtf --json` output, one per transport
    std::filesystem::path out_dir;               // empty: the first results file's directory
    std::string gnuplot = "gnuplot";             // executables; a missing one leaves notes
    std::string dot = "dot";
};

struct ReportOutput {
    std::filesystem::path html;
    std::filesystem::path markdown;
    std::vector<std::filesystem::path> svgs;
    std::vector<std::string> notes; // pictures not drawn, warnings
    std::string summary;            // the headline as plain text, for a terminal
};

// Throws InputError (reports/input_error.hpp) for a missing or invalid
// input file, std::runtime_error when the output cannot be written.
ReportOutput write_report(const ReportOptions& options);

// The report `enso run` writes at the end of a run: DIR/results.json (and
// the XTF results, DIR/xtf.json and DIR/xtf-*.json, when there are any) in,
// DIR/index.html, DIR/report.md and the SVGs out. Same exceptions.
ReportOutput write_run_report(const std::filesystem::path& results_dir);

} // namespace enso::reports
