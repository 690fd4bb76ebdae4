#include "reports/report.hpp"

#include "reports/gnuplot_charts.hpp"
#include "reports/graphviz_diagrams.hpp"
#include "reports/html_writer.hpp"
#include "reports/input_error.hpp"
#include "reports/markdown_writer.hpp"
#include "reports/report_model.hpp"
#include "reports/terminal_summary.hpp"

#include <algorithm>
#include <fstream>
#include <stdexcept>

namespace enso::reports {

namespace {

void write_file(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc | std::ios::binary);
    out << text;
    out.close();
    if (!out) {
        throw std::runtime_error("cannot write " + path.string());
    }
}

void keep(const Figure& f, const std::filesystem::path& dir, ReportOutput& out) {
    if (f.drawn()) {
        const auto path = dir / f.file_name();
        write_file(path, f.svg);
        out.svgs.push_back(path);
    } else if (!f.no_data) {
        out.notes.push_back(f.title + ": " + f.note);
    }
}

// xtf.json first (what scripts/run writes over the trap transport), then
// xtf-<transport>.json by name.
std::vector<std::filesystem::path> run_xtf_files(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> more;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const auto name = entry.path().filename().string();
        if (name.starts_with("xtf-") && name.ends_with(".json")) {
            more.push_back(entry.path());
        }
    }
    std::sort(more.begin(), more.end());
    std::vector<std::filesystem::path> files;
    if (std::filesystem::exists(dir / "xtf.json", ec)) {
        files.push_back(dir / "xtf.json");
    }
    files.insert(files.end(), more.begin(), more.end());
    return files;
}

} // namespace

ReportOutput write_report(const ReportOptions& options) {
    if (options.results.empty()) {
        throw std::invalid_argument("write_report: no results file given");
    }
    std::vector<ResultsFile> files;
    for (const auto& p : options.results) {
        files.push_back(load_results_file(p));
    }
    std::optional<ResultsFile> baseline;
    if (options.baseline) {
        baseline = load_results_file(*options.baseline);
    }
    std::optional<VerificationSummary> verification;
    if (options.verify) {
        verification = load_verification_summary(*options.verify);
    }
    std::vector<XtfSummary> xtf;
    for (const auto& p : options.xtf) {
        xtf.push_back(load_xtf_summary(p));
    }
    const auto model = build_report_model(std::move(files), std::move(baseline),
                                          std::move(verification), std::move(xtf));

    FigureSet figs;
    figs.charts = draw_charts(model, options.gnuplot);
    figs.topology = draw_topology(model.topology, options.dot);
    if (model.verification) {
        figs.verification = draw_verification(*model.verification, options.dot);
        figs.counterexamples = counterexample_figures(*model.verification, options.dot);
    }

    auto dir = options.out_dir;
    if (dir.empty()) {
        dir = options.results.front().parent_path();
        if (dir.empty()) {
            dir = ".";
        }
    }
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        throw std::runtime_error("cannot create " + dir.string() + ": " + ec.message());
    }

    ReportOutput out;
    for (const auto& f : figs.charts) {
        keep(f, dir, out);
    }
    keep(figs.topology, dir, out);
    if (figs.verification) {
        keep(*figs.verification, dir, out);
    }
    for (const auto& f : figs.counterexamples) {
        keep(f, dir, out);
    }
    out.html = dir / "index.html";
    out.markdown = dir / "report.md";
    write_file(out.html, render_html(model, figs));
    write_file(out.markdown, render_markdown(model, figs));
    out.notes.insert(out.notes.end(), model.warnings.begin(), model.warnings.end());
    out.summary = terminal_summary(model);
    return out;
}

ReportOutput write_run_report(const std::filesystem::path& results_dir) {
    ReportOptions options;
    options.results = {results_dir / "results.json"};
    options.out_dir = results_dir;
    options.xtf = run_xtf_files(results_dir);
    return write_report(options);
}

} // namespace enso::reports
