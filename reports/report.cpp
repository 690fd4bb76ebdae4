#include "reports/report.hpp"

#include "reports/gnuplot_charts.hpp"
#include "reports/graphviz_diagrams.hpp"
#include "reports/html_writer.hpp"
#include "reports/input_error.hpp"
#include "reports/markdown_writer.hpp"
#include "reports/report_model.hpp"
#include "reports/terminal_summary.hpp"

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
    std::optional<XtfSummary> xtf;
    if (options.xtf) {
        xtf = load_xtf_summary(*options.xtf);
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
    if (std::error_code ec; std::filesystem::exists(results_dir / "xtf.json", ec)) {
        options.xtf = results_dir / "xtf.json";
    }
    return write_report(options);
}

} // namespace enso::reports
