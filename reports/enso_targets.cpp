#include "reports/enso_targets.hpp"

#include "reports/number_format.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace enso::reports {

namespace {

constexpr const char* kNotMeasured = "not measured in this run";

ClaimCheck pending(std::string source, std::string claim, std::string comparable) {
    return {std::move(source), std::move(claim), std::move(comparable), kNotMeasured,
            ClaimStatus::not_measured};
}

// Every ratio must be at most `limit`.
ClaimCheck all_within(std::string source, std::string claim, std::string comparable,
                      const std::vector<const TwinRatio*>& ratios, double limit) {
    auto c = pending(std::move(source), std::move(claim), std::move(comparable));
    if (ratios.empty()) {
        return c;
    }
    c.measured.clear();
    bool ok = true;
    for (const auto* r : ratios) {
        ok = ok && r->ratio.value <= limit;
        c.measured += (c.measured.empty() ? "" : "; ") + r->guest->name->mode + " " +
                      format_ratio_with_spread(r->ratio);
    }
    c.status = ok ? ClaimStatus::met : ClaimStatus::missed;
    return c;
}

// I/O: the guest's share of native throughput. The target is for the best
// paravirtualized path (the design's choice); every path is listed.
ClaimCheck throughput_share(std::string claim, const std::vector<TwinGroup>& groups,
                            const GroupPredicate& pred, double min_share) {
    auto c = pending("issue #5", std::move(claim), "the best paravirtualized path vs native");
    std::string measured;
    double best = 0;
    for (const auto* r : find_ratios(groups, pred, "", Role::native)) {
        if (r->guest->name->mode == "emulated") {
            continue;
        }
        const double share = 1.0 / r->ratio.value;
        best = std::max(best, share);
        measured += fmt::format("{}{} {:.0f}%", measured.empty() ? "" : "; ", r->guest->name->mode,
                                share * 100);
    }
    if (!measured.empty()) {
        c.measured = measured;
        c.status = best >= min_share ? ClaimStatus::met : ClaimStatus::missed;
    }
    return c;
}

} // namespace

std::vector<ClaimCheck> check_enso_targets(const std::vector<TwinGroup>& groups) {
    std::vector<ClaimCheck> out;
    const auto null_op = operation_is("hypercall", "null");

    out.push_back(all_within("issue #3", "trap transport: guest null within 5% of the exit floor",
                             "hypercall/null guest-trap vs floor",
                             find_ratios(groups, null_op, "trap", Role::floor), 1.05));

    auto exitless =
        pending("issue #3", "exitless: guest null under 1 µs and within 2× of the ring floor",
                "hypercall/null guest-exitless");
    if (const auto* g = find_guest(groups, null_op, "exitless")) {
        const double ns = *g->median_ns();
        const auto floors = find_ratios(groups, null_op, "exitless", Role::floor);
        exitless.measured = format_ns(ns);
        bool ok = ns < 1000;
        if (!floors.empty()) {
            exitless.measured += ", " + format_ratio_with_spread(floors.front()->ratio) + " floor";
            ok = ok && floors.front()->ratio.value <= 2.0;
        } else {
            exitless.measured += " (no floor twin)";
        }
        exitless.status = ok ? ClaimStatus::met : ClaimStatus::missed;
    }
    out.push_back(exitless);

    auto speedup = pending("issue #3", "exitless at least 20× faster than trap (null)",
                           "guest-trap / guest-exitless, hypercall/null");
    const auto* trap = find_guest(groups, null_op, "trap");
    const auto* ring = find_guest(groups, null_op, "exitless");
    if (trap != nullptr && ring != nullptr && *ring->median_ns() > 0) {
        const double x = *trap->median_ns() / *ring->median_ns();
        speedup.measured = format_ratio(x);
        speedup.status = x >= 20 ? ClaimStatus::met : ClaimStatus::missed;
    }
    out.push_back(speedup);

    out.push_back(all_within(
        "issue #3", "mmu_update, 512 entries: per-entry cost within 3× of the in-process handler",
        "hypercall/mmu_update/512 guest vs in-process",
        find_ratios(
            groups,
            [](const TwinGroup& g) {
                return g.suite == "hypercall" && !g.members.empty() &&
                       g.members.front()->name->operation == "mmu_update" &&
                       g.members.front()->name->batch_size() == 512U;
            },
            "", Role::inprocess),
        3.0));

    out.push_back(all_within("issue #3", "compute: guest within 2% of native",
                             "CPU-bound kernels, guest vs native",
                             find_ratios(groups, is_compute(), "", Role::native), 1.02));

    // Exits per operation: 1 for a single trap call, 1/N for a batch, 0 exitless.
    auto exits =
        pending("issue #3", "exits per operation: 1 per trap call, 1/N per batch of N, 0 exitless",
                "exits_per_op of hypercall guests");
    std::string measured;
    bool ok = true;
    for (const auto& g : groups) {
        if (g.suite != "hypercall") {
            continue;
        }
        for (const auto* m : g.members) {
            const auto e = m->counter("exits_per_op");
            if (m->name->role != Role::guest || !e || m->name->operation.starts_with("compute")) {
                continue;
            }
            double expected = -1;
            if (m->name->transport == "exitless") {
                expected = 0;
            } else if (m->name->transport == "trap" &&
                       (m->name->operation == "null" || m->name->operation == "mmu_update")) {
                const auto n = m->name->batch_size().value_or(1);
                expected = m->name->operation == "mmu_update" ? 1.0 / static_cast<double>(n) : 1.0;
            }
            if (expected < 0) {
                continue;
            }
            // A batch's counter may count per call (1) or per entry (1/N): accept either.
            auto close = [expected](double v) {
                return std::abs(v - expected) <= 0.05 * std::max(expected, 0.02);
            };
            double per = *e;
            if (m->name->operation == "mmu_update" && m->name->batch_size() && !close(per)) {
                per = *e / static_cast<double>(*m->name->batch_size());
            }
            const bool this_ok = close(per);
            ok = ok && this_ok;
            if (!this_ok || measured.size() < 160) {
                measured += fmt::format("{}{} {}", measured.empty() ? "" : "; ",
                                        g.workload + " " + m->name->mode, format_number(per));
            }
        }
    }
    if (!measured.empty()) {
        exits.measured = measured;
        exits.status = ok ? ClaimStatus::met : ClaimStatus::missed;
    }
    out.push_back(exits);

    out.push_back(throughput_share("sequential 64 KiB reads at qd32: ≥ 90% of native throughput",
                                   groups, blk_group({"seq", "read"}, "64k", 32), 0.90));
    out.push_back(throughput_share("random 4 KiB reads at qd32: ≥ 70% of native IOPS", groups,
                                   blk_group({"rand", "read"}, "4k", 32), 0.70));

    // The exits the guest caused: KVM's count minus irq_exits (the host's
    // interrupts arrive per unit of time, not per I/O: a 1 MiB I/O that takes
    // milliseconds collects timer ticks whatever the ring does).
    auto blk_exits = pending("issue #5", "exits per I/O at queue depth 32 below 0.2",
                             "guest-caused exits per I/O (guest_exits_per_io; all exits in "
                             "brackets) of the best paravirtualized path at qd32, per workload");
    measured.clear();
    ok = true;
    struct Fewest {
        double guest = 0;
        double all = 0;
        std::string mode;
    };
    std::map<std::string, Fewest> lowest; // workload -> the path with the fewest exits
    for (const auto& g : groups) {
        if (g.suite != "blk") {
            continue;
        }
        for (const auto* m : g.members) {
            const auto all = m->counter("exits_per_io");
            if (m->name->role != Role::guest || m->name->mode == "emulated" || !all ||
                m->name->queue_depth() != 32U) {
                continue;
            }
            const double guest = m->counter("guest_exits_per_io").value_or(*all);
            auto [it, fresh] = lowest.try_emplace(g.workload, Fewest{guest, *all, m->name->mode});
            if (guest < it->second.guest) {
                it->second = {guest, *all, m->name->mode};
            }
        }
    }
    for (const auto& [workload, f] : lowest) {
        ok = ok && f.guest < 0.2;
        measured += fmt::format("{}{} {} {} ({})", measured.empty() ? "" : "; ", workload, f.mode,
                                format_number(f.guest), format_number(f.all));
    }
    if (!measured.empty()) {
        blk_exits.measured = measured;
        blk_exits.status = ok ? ClaimStatus::met : ClaimStatus::missed;
    }
    out.push_back(blk_exits);

    auto emulated =
        pending("issue #5", "the emulated device several (≥ 3) times slower than paravirtualized",
                "emulated vs the fastest paravirtualized path, per workload");
    measured.clear();
    ok = true;
    for (const auto& g : groups) {
        if (g.suite != "blk") {
            continue;
        }
        const BenchmarkRun* emu = nullptr;
        const BenchmarkRun* best = nullptr;
        for (const auto* m : g.members) {
            if (m->name->role != Role::guest || m->skipped || !m->median_ns()) {
                continue;
            }
            if (m->name->mode == "emulated") {
                emu = m;
            } else if (best == nullptr || *m->median_ns() < *best->median_ns()) {
                best = m;
            }
        }
        if (emu == nullptr || best == nullptr) {
            continue;
        }
        const auto metric = metric_for(*emu, *best);
        const auto r = ratio_of(cost_of(*emu, metric), cost_of(*best, metric));
        if (!r) {
            continue;
        }
        ok = ok && r->value >= 3.0;
        measured += fmt::format("{}{} {}", measured.empty() ? "" : "; ", g.workload,
                                format_ratio(r->value));
    }
    if (!measured.empty()) {
        emulated.measured = measured;
        emulated.status = ok ? ClaimStatus::met : ClaimStatus::missed;
    }
    out.push_back(emulated);
    return out;
}

} // namespace enso::reports
