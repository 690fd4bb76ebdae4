// Everything a report shows, computed once from the inputs; the HTML and
// Markdown writers only lay it out. Holds the loaded files and points into
// them, so it is movable but not copyable.
#pragma once

#include "reports/baseline_comparison.hpp"
#include "reports/claim_check.hpp"
#include "reports/host_description.hpp"
#include "reports/results_file.hpp"
#include "reports/twin_pairing.hpp"
#include "reports/verification_summary.hpp"
#include "reports/xtf_summary.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace enso::reports {

// One guest figure with its twins: a row of the headline table.
struct HeadlineRow {
    const TwinGroup* group = nullptr;
    const BenchmarkRun* guest = nullptr;
    const TwinRatio* vs_native = nullptr;
    const TwinRatio* vs_floor = nullptr;
    const TwinRatio* vs_inprocess = nullptr;

    // The ratio the row leads with: native if measured, else floor, else in-process.
    [[nodiscard]] const TwinRatio* primary() const;
};

struct ReportModel {
    ReportModel() = default;
    ReportModel(const ReportModel&) = delete;
    ReportModel& operator=(const ReportModel&) = delete;
    ReportModel(ReportModel&&) = default;
    ReportModel& operator=(ReportModel&&) = default;

    std::vector<std::unique_ptr<ResultsFile>> files;
    std::vector<const BenchmarkRun*> runs; // all files, first occurrence of a name wins
    std::vector<TwinGroup> groups;
    std::vector<HeadlineRow> headline;
    std::vector<const BenchmarkRun*> unpaired; // measured, but with no twin to compare to
    std::vector<SkipNote> skipped;
    std::vector<HostDescription> hosts; // one per distinct host
    std::unique_ptr<ResultsFile> baseline;
    std::optional<BaselineComparison> comparison;
    std::optional<VerificationSummary> verification;
    std::vector<XtfSummary> xtf; // one per transport run
    std::optional<Topology> topology;
    std::vector<ClaimCheck> published_claims;
    std::vector<ClaimCheck> targets;
    std::vector<std::string> warnings;

    [[nodiscard]] int measured_count() const; // runs with a time
    [[nodiscard]] std::string title_date() const;
};

ReportModel build_report_model(std::vector<ResultsFile> files,
                               std::optional<ResultsFile> baseline = std::nullopt,
                               std::optional<VerificationSummary> verification = std::nullopt,
                               std::vector<XtfSummary> xtf = {});

} // namespace enso::reports
