#include "reports/claim_check.hpp"

#include "reports/number_format.hpp"
#include "reports/sample_statistics.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>

namespace enso::reports {

std::string_view claim_status_name(ClaimStatus status) {
    switch (status) {
    case ClaimStatus::met:
        return "met";
    case ClaimStatus::missed:
        return "missed";
    case ClaimStatus::not_measured:
        return "not measured";
    case ClaimStatus::context:
        return "for context";
    }
    return "not measured";
}

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

bool transport_matches(const BenchmarkRun& run, std::string_view transport) {
    return transport.empty() || (run.name && run.name->transport == transport);
}

} // namespace

std::vector<const TwinRatio*> find_ratios(const std::vector<TwinGroup>& groups,
                                          const GroupPredicate& in_group,
                                          std::string_view transport, Role baseline) {
    std::vector<const TwinRatio*> out;
    for (const auto& g : groups) {
        if (!in_group(g)) {
            continue;
        }
        for (const auto& r : g.ratios) {
            if (r.baseline_role == baseline && transport_matches(*r.guest, transport)) {
                out.push_back(&r);
            }
        }
    }
    return out;
}

const BenchmarkRun* find_member(const std::vector<TwinGroup>& groups,
                                const GroupPredicate& in_group, Role role,
                                std::string_view transport) {
    for (const auto& g : groups) {
        if (!in_group(g)) {
            continue;
        }
        for (const auto* m : g.members) {
            if (m->name->role == role && !m->skipped && m->median_ns() &&
                transport_matches(*m, transport)) {
                return m;
            }
        }
    }
    return nullptr;
}

const BenchmarkRun* find_guest(const std::vector<TwinGroup>& groups, const GroupPredicate& in_group,
                               std::string_view transport) {
    return find_member(groups, in_group, Role::guest, transport);
}

GroupPredicate of_kind(SuiteKind kind) {
    return [kind](const TwinGroup& g) { return g.kind() == kind; };
}

GroupPredicate operation_is(SuiteKind kind, std::string_view operation) {
    return [kind, operation = std::string(operation)](const TwinGroup& g) {
        return g.kind() == kind && !g.members.empty() &&
               g.members.front()->name->operation == operation;
    };
}

GroupPredicate is_compute() {
    return [](const TwinGroup& g) {
        return g.kind() == SuiteKind::cpu_kernels ||
               (!g.members.empty() && g.members.front()->name->operation.starts_with("compute"));
    };
}

GroupPredicate blk_group(std::vector<std::string> pattern_words, std::string size_prefix,
                         std::optional<std::uint64_t> queue_depth) {
    return [words = std::move(pattern_words), size = lower(std::move(size_prefix)),
            queue_depth](const TwinGroup& g) {
        if (g.kind() != SuiteKind::block_io || g.members.empty()) {
            return false;
        }
        const auto& name = *g.members.front()->name;
        const auto op = lower(name.operation);
        if (!std::all_of(words.begin(), words.end(),
                         [&op](const std::string& w) { return op.find(w) != std::string::npos; })) {
            return false;
        }
        if (!size.empty() &&
            std::none_of(name.parameters.begin(), name.parameters.end(),
                         [&size](const std::string& p) {
                             const auto lp = lower(p);
                             return lp.starts_with(size) &&
                                    (lp.size() == size.size() ||
                                     !std::isdigit(static_cast<unsigned char>(lp[size.size()])));
                         })) {
            return false;
        }
        return !queue_depth || name.queue_depth() == queue_depth;
    };
}

double geomean_of(const std::vector<const TwinRatio*>& ratios) {
    std::vector<double> values;
    for (const auto* r : ratios) {
        values.push_back(r->ratio.value);
    }
    return geometric_mean(values);
}

std::string describe_ratios(const std::vector<const TwinRatio*>& ratios) {
    if (ratios.empty()) {
        return "";
    }
    if (ratios.size() == 1) {
        return format_ratio_with_spread(ratios.front()->ratio);
    }
    double lo = ratios.front()->ratio.value;
    double hi = lo;
    for (const auto* r : ratios) {
        lo = std::min(lo, r->ratio.value);
        hi = std::max(hi, r->ratio.value);
    }
    return fmt::format("{} geomean of {} (each {}–{})", format_ratio(geomean_of(ratios)),
                       ratios.size(), format_ratio(lo), format_ratio(hi));
}

} // namespace enso::reports
