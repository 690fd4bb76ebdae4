// A claim (published, or one of Enso's own targets) next to what this run
// measured, with the figure that stands in for it here; and the look-ups
// over twin groups both kinds of claim use.
#pragma once

#include "reports/twin_pairing.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enso::reports {

enum class ClaimStatus { met, missed, not_measured, context };
std::string_view claim_status_name(ClaimStatus status);

struct ClaimCheck {
    std::string source;     // "Xen (SOSP 2003)", "issue #3"
    std::string claim;      // what the source says
    std::string comparable; // which Enso figure stands in for it
    std::string measured;   // the figure, or why there is none
    ClaimStatus status = ClaimStatus::not_measured;
};

using GroupPredicate = std::function<bool(const TwinGroup&)>;

// Ratios of guests over the given transport ("" for any) against the role.
std::vector<const TwinRatio*> find_ratios(const std::vector<TwinGroup>& groups,
                                          const GroupPredicate& in_group,
                                          std::string_view transport, Role baseline);

// The guest over this transport in the first matching group, if measured.
const BenchmarkRun* find_guest(const std::vector<TwinGroup>& groups, const GroupPredicate& in_group,
                               std::string_view transport);
const BenchmarkRun* find_member(const std::vector<TwinGroup>& groups,
                                const GroupPredicate& in_group, Role role,
                                std::string_view transport = {});

// Predicates by the suite's kind (suite_registry.hpp) and the name grammar.
GroupPredicate of_kind(SuiteKind kind);
GroupPredicate operation_is(SuiteKind kind, std::string_view operation);
// CPU-bound kernels: a cpu_kernels suite's, or operations named compute*.
GroupPredicate is_compute();
// block_io groups by pattern words ("seq", "read"), a size prefix ("64k") and a queue depth.
GroupPredicate blk_group(std::vector<std::string> pattern_words, std::string size_prefix,
                         std::optional<std::uint64_t> queue_depth);

// "1.03× (1.01–1.05)" for one ratio; "1.01× geomean of 3 (1.00–1.02)" for several.
std::string describe_ratios(const std::vector<const TwinRatio*>& ratios);
double geomean_of(const std::vector<const TwinRatio*>& ratios);

} // namespace enso::reports
