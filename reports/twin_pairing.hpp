// Pairs every guest figure with the twins measured in the same run: the
// same workload natively (bare metal), the platform floor, and the core's
// handler in-process. Twins share (suite, operation, parameters); their
// modes say which is which (benchmark_name.hpp).
#pragma once

#include "reports/benchmark_name.hpp"
#include "reports/ratio_statistics.hpp"
#include "reports/results_file.hpp"
#include "reports/suite_registry.hpp"

#include <string>
#include <vector>

namespace enso::reports {

struct TwinRatio {
    const BenchmarkRun* guest = nullptr;
    const BenchmarkRun* baseline = nullptr;
    Role baseline_role = Role::native;
    CostMetric metric = CostMetric::time;
    Ratio ratio;
};

struct TwinGroup {
    std::string key; // suite/operation[/parameters]
    std::string suite;
    std::string workload;                     // "mmu_update 512"
    std::vector<const BenchmarkRun*> members; // in file order
    std::vector<TwinRatio> ratios;            // guest members x their baselines

    [[nodiscard]] const BenchmarkRun* member(Role role) const;
    [[nodiscard]] SuiteKind kind() const { return suite_kind(suite); }
};

// Groups the runs that follow the name grammar (skipped runs and runs
// without a time are kept as members but never paired) and computes
// guest/native, guest/floor and guest/in-process for each guest member.
// A group without twins has members and no ratios.
//
// Floors may also be recorded as operations of their own,
// <suite>/exit_floor/floor and <suite>/ring_floor/floor (the trap and
// exitless round trips; <suite>/<transport>_floor/floor in general): a
// guest `null` call without a floor twin in its group pairs with the floor
// of its transport.
std::vector<TwinGroup> pair_twins(const std::vector<const BenchmarkRun*>& runs);

} // namespace enso::reports
