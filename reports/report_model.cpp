#include "reports/report_model.hpp"

#include "reports/enso_targets.hpp"
#include "reports/published_claims.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <set>

namespace enso::reports {

namespace {

std::string host_key(const HostDescription& h) {
    std::string key = h.headline;
    for (const auto& [k, v] : h.facts) {
        if (k != "date") {
            key += "|" + v;
        }
    }
    return key;
}

} // namespace

const TwinRatio* HeadlineRow::primary() const {
    return vs_native != nullptr ? vs_native : (vs_floor != nullptr ? vs_floor : vs_inprocess);
}

int ReportModel::measured_count() const {
    return static_cast<int>(std::count_if(runs.begin(), runs.end(), [](const BenchmarkRun* r) {
        return !r->skipped && r->median_ns().has_value();
    }));
}

std::string ReportModel::title_date() const {
    for (const auto& f : files) {
        if (!f->host.date.empty()) {
            return f->host.date;
        }
    }
    return "";
}

ReportModel build_report_model(std::vector<ResultsFile> files, std::optional<ResultsFile> baseline,
                               std::optional<VerificationSummary> verification,
                               std::vector<XtfSummary> xtf) {
    ReportModel m;
    for (auto& f : files) {
        m.files.push_back(std::make_unique<ResultsFile>(std::move(f)));
    }
    // run name -> (file it came from, position in m.runs)
    std::map<std::string, std::pair<std::string, size_t>> first_file;
    std::set<std::string> host_keys;
    for (const auto& f : m.files) {
        for (const auto& w : f->warnings) {
            m.warnings.push_back(f->path.string() + ": " + w);
        }
        for (const auto& run : f->runs) {
            auto [it, fresh] =
                first_file.try_emplace(run.run_name, f->path.string(), m.runs.size());
            if (fresh) {
                m.runs.push_back(&run);
                continue;
            }
            // A figure measured in one file beats the same benchmark skipped in another.
            const BenchmarkRun*& kept = m.runs[it->second.second];
            const bool kept_measured = !kept->skipped && kept->median_ns();
            if (!kept_measured && !run.skipped && run.median_ns()) {
                m.warnings.push_back(fmt::format("{} is in both {} (not measured) and {}: the "
                                                 "measured one is shown",
                                                 run.run_name, it->second.first, f->path.string()));
                kept = &run;
            } else {
                m.warnings.push_back(fmt::format("{} is in both {} and {}: the first is shown",
                                                 run.run_name, it->second.first, f->path.string()));
            }
        }
        for (const auto& s : f->skipped) {
            m.skipped.push_back(s);
        }
        auto host = describe_host(f->host);
        if (host_keys.insert(host_key(host)).second) {
            m.hosts.push_back(std::move(host));
        }
        if (f->topology && !f->topology->empty()) {
            m.topology = f->topology; // the last run's end state
        }
    }
    // A skip note for a benchmark another file measured is no longer news.
    std::erase_if(m.skipped, [&m](const SkipNote& s) {
        return std::any_of(m.runs.begin(), m.runs.end(), [&s](const BenchmarkRun* r) {
            return r->run_name == s.what && !r->skipped && r->median_ns();
        });
    });
    if (m.hosts.size() > 1) {
        m.warnings.emplace_back("the results files come from different hosts or builds: ratios "
                                "pair twins within one file's run, but compare across files with "
                                "care");
    }

    m.groups = pair_twins(m.runs);
    std::stable_sort(m.groups.begin(), m.groups.end(), [](const TwinGroup& a, const TwinGroup& b) {
        return suite_report_order(a.suite) < suite_report_order(b.suite);
    });
    std::set<const BenchmarkRun*> paired;
    for (const auto& g : m.groups) {
        for (const auto* guest : g.members) {
            HeadlineRow row{&g, guest, nullptr, nullptr, nullptr};
            for (const auto& r : g.ratios) {
                if (r.guest != guest) {
                    continue;
                }
                paired.insert(r.guest);
                paired.insert(r.baseline);
                (r.baseline_role == Role::native  ? row.vs_native
                 : r.baseline_role == Role::floor ? row.vs_floor
                                                  : row.vs_inprocess) = &r;
            }
            if (row.primary() != nullptr) {
                m.headline.push_back(row);
            }
        }
    }
    for (const auto* run : m.runs) {
        if (!paired.contains(run) && !run->skipped && run->median_ns()) {
            m.unpaired.push_back(run);
        }
    }

    if (baseline) {
        m.baseline = std::make_unique<ResultsFile>(std::move(*baseline));
        std::vector<const BenchmarkRun*> base_runs;
        for (const auto& r : m.baseline->runs) {
            base_runs.push_back(&r);
        }
        m.comparison = compare_with_baseline(m.runs, base_runs);
    }
    if (verification) {
        for (const auto& w : verification->warnings) {
            m.warnings.push_back(verification->path.string() + ": " + w);
        }
        m.verification = std::move(verification);
    }
    for (const auto& x : xtf) {
        for (const auto& w : x.warnings) {
            m.warnings.push_back(x.path.string() + ": " + w);
        }
    }
    m.xtf = std::move(xtf);
    m.published_claims = check_published_claims(m.groups);
    m.targets = check_enso_targets(m.groups);
    return m;
}

} // namespace enso::reports
