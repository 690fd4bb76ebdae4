#include "reports/twin_pairing.hpp"

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
    return groups;
}

} // namespace enso::reports
