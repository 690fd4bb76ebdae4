#include "reports/twin_pairing.hpp"

#include <algorithm>
#include <map>

namespace enso::reports {

const BenchmarkRun* TwinGroup::member(Role role) const {
    for (const auto* m : members) {
        if (m->name && m->name->role == role) {
            return m;
        }
    }
    return nullptr;
}

namespace {

// exit_floor -> trap, ring_floor -> exitless, <t>_floor -> t.
std::string floor_transport(const std::string& operation) {
    const std::string prefix = operation.substr(0, operation.size() - 6);
    if (prefix == "exit") {
        return "trap";
    }
    return prefix == "ring" ? "exitless" : prefix;
}

void pair_standalone_floors(std::vector<TwinGroup>& groups,
                            const std::vector<const BenchmarkRun*>& runs) {
    std::map<std::pair<std::string, std::string>, const BenchmarkRun*> floors;
    for (const auto* r : runs) {
        if (r->name && r->name->role == Role::floor && r->name->operation.ends_with("_floor") &&
            r->name->operation.size() > 6 && !r->skipped && r->median_ns()) {
            floors.emplace(std::pair{r->name->suite, floor_transport(r->name->operation)}, r);
        }
    }
    for (auto& g : groups) {
        for (const auto* guest : g.members) {
            if (guest->name->role != Role::guest || guest->name->operation != "null" ||
                guest->skipped || !guest->median_ns()) {
                continue;
            }
            const bool has_floor =
                std::any_of(g.ratios.begin(), g.ratios.end(), [&](const auto& r) {
                    return r.guest == guest && r.baseline_role == Role::floor;
                });
            auto it = floors.find({g.suite, guest->name->transport});
            if (has_floor || it == floors.end()) {
                continue;
            }
            const auto metric = metric_for(*guest, *it->second);
            if (auto r = ratio_of(cost_of(*guest, metric), cost_of(*it->second, metric))) {
                g.ratios.push_back({guest, it->second, Role::floor, metric, *r});
            }
        }
    }
}

} // namespace

std::vector<TwinGroup> pair_twins(const std::vector<const BenchmarkRun*>& runs) {
    std::vector<TwinGroup> groups;
    std::map<std::string, size_t> index;
    for (const auto* run : runs) {
        if (!run->name) {
            continue;
        }
        const auto key = run->name->group_key();
        auto [it, fresh] = index.try_emplace(key, groups.size());
        if (fresh) {
            groups.push_back({key, run->name->suite, run->name->workload_label(), {}, {}});
        }
        groups[it->second].members.push_back(run);
    }
    for (auto& g : groups) {
        for (const auto* guest : g.members) {
            if (guest->name->role != Role::guest || guest->skipped || !guest->median_ns()) {
                continue;
            }
            for (const Role role : {Role::native, Role::floor, Role::inprocess}) {
                // A baseline naming the guest's transport beats a generic one.
                const BenchmarkRun* best = nullptr;
                for (const auto* base : g.members) {
                    if (base->name->role != role || base->skipped || !base->median_ns() ||
                        !is_twin_of(*guest->name, *base->name)) {
                        continue;
                    }
                    if (best == nullptr ||
                        (best->name->transport.empty() && !base->name->transport.empty())) {
                        best = base;
                    }
                }
                if (best == nullptr) {
                    continue;
                }
                const auto metric = metric_for(*guest, *best);
                if (auto r = ratio_of(cost_of(*guest, metric), cost_of(*best, metric))) {
                    g.ratios.push_back({guest, best, role, metric, *r});
                }
            }
        }
    }
    pair_standalone_floors(groups, runs);
    return groups;
}

} // namespace enso::reports
