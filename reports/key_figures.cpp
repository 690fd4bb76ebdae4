#include "reports/key_figures.hpp"

#include "reports/claim_check.hpp"
#include "reports/number_format.hpp"
#include "reports/sample_statistics.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <set>

namespace enso::reports {

namespace {

std::string transport_words(const BenchmarkRun& guest) {
    return guest.name->transport.empty() ? guest.name->mode : guest.name->transport;
}

const char* role_words(Role role) {
    switch (role) {
    case Role::native:
        return "native (bare metal)";
    case Role::floor:
        return "the platform floor";
    case Role::inprocess:
        return "the in-process handler";
    case Role::guest:
        break;
    }
    return "";
}

void compute_card(const ReportModel& m, std::vector<KeyFigure>& out) {
    const auto ratios = find_ratios(m.groups, is_compute(), "", Role::native);
    if (ratios.empty()) {
        return;
    }
    const double g = geomean_of(ratios);
    out.push_back({"Guest code, no hypercalls", format_ratio(g),
                   ratios.size() == 1
                       ? fmt::format("of native · {}", ratios.front()->guest->name->operation)
                       : fmt::format("of native · geomean of {} CPU-bound kernels", ratios.size()),
                   g});
}

void null_cards(const ReportModel& m, std::vector<KeyFigure>& out) {
    const auto null_op = operation_is(SuiteKind::hypercalls, "null");
    const BenchmarkRun* trap = find_guest(m.groups, null_op, "trap");
    for (const auto& group : m.groups) {
        if (!null_op(group)) {
            continue;
        }
        for (const auto* guest : group.members) {
            if (guest->name->role != Role::guest || guest->skipped || !guest->median_ns()) {
                continue;
            }
            const TwinRatio* floor = nullptr;
            for (const auto& r : group.ratios) {
                if (r.guest == guest && r.baseline_role == Role::floor) {
                    floor = &r;
                }
            }
            KeyFigure k;
            k.title = "Null hypercall, " + transport_words(*guest);
            if (floor != nullptr) {
                k.value = format_ratio(floor->ratio.value);
                k.detail = fmt::format("of the {} floor · {} a call", transport_words(*guest),
                                       format_ns(guest->median_ns()));
                k.overhead = floor->ratio.value;
                k.baseline = Role::floor;
            } else {
                k.value = format_ns(guest->median_ns());
                k.detail = "a call (no floor twin measured)";
            }
            if (trap != nullptr && guest != trap && *guest->median_ns() > 0) {
                k.detail += fmt::format(" · {} faster than trap",
                                        format_ratio(*trap->median_ns() / *guest->median_ns()));
            }
            out.push_back(std::move(k));
        }
    }
}

// The largest batch of each batched hypercall, per transport, against in-process.
void batch_cards(const ReportModel& m, std::vector<KeyFigure>& out) {
    std::map<std::string, std::uint64_t> largest;
    for (const auto& g : m.groups) {
        if (g.kind() != SuiteKind::hypercalls || g.members.empty()) {
            continue;
        }
        if (const auto n = g.members.front()->name->batch_size(); n && *n > 1) {
            auto& l = largest[g.members.front()->name->operation];
            l = std::max(l, *n);
        }
    }
    for (const auto& [op, n] : largest) {
        for (const auto& g : m.groups) {
            if (g.kind() != SuiteKind::hypercalls || g.members.front()->name->operation != op ||
                g.members.front()->name->batch_size() != n) {
                continue;
            }
            for (const auto& r : g.ratios) {
                if (r.baseline_role != Role::inprocess) {
                    continue;
                }
                out.push_back({fmt::format("{} ×{}, {}", op, n, transport_words(*r.guest)),
                               format_ratio(r.ratio.value),
                               fmt::format("of the in-process handler · {} per entry",
                                           format_ns(*r.guest->median_ns())),
                               r.ratio.value, Role::inprocess});
            }
        }
    }
}

void blk_cards(const ReportModel& m, std::vector<KeyFigure>& out) {
    std::vector<double> best_shares;
    std::string best_path;
    double best = 0;
    std::vector<const TwinRatio*> emulated;
    for (const auto& g : m.groups) {
        if (g.kind() != SuiteKind::block_io) {
            continue;
        }
        double group_best = 0;
        for (const auto& r : g.ratios) {
            if (r.baseline_role != Role::native) {
                continue;
            }
            if (r.guest->name->mode == "emulated") {
                emulated.push_back(&r);
                continue;
            }
            const double share = 1.0 / r.ratio.value;
            group_best = std::max(group_best, share);
            if (share > best) {
                best = share;
                best_path = r.guest->name->mode;
            }
        }
        if (group_best > 0) {
            best_shares.push_back(group_best);
        }
    }
    if (!best_shares.empty()) {
        const auto [lo, hi] = std::minmax_element(best_shares.begin(), best_shares.end());
        KeyFigure k;
        k.title = "Paravirtualized block I/O";
        k.value = best_shares.size() == 1 ? fmt::format("{:.0f} %", *hi * 100)
                                          : fmt::format("{:.0f}–{:.0f} %", *lo * 100, *hi * 100);
        k.detail = fmt::format("of native throughput, best path per workload ({} workload{}; "
                               "fastest: {})",
                               best_shares.size(), best_shares.size() == 1 ? "" : "s", best_path);
        k.overhead = 1.0 / *lo;
        out.push_back(std::move(k));
    }
    if (!emulated.empty()) {
        const double g = geomean_of(emulated);
        out.push_back({"Emulated block device", format_ratio(g),
                       fmt::format("the cost of native I/O (an exit per register access){}",
                                   emulated.size() > 1
                                       ? fmt::format(" · geomean of {} workloads", emulated.size())
                                       : ""),
                       g});
    }
}

// Whether the cards above cover a suite of this kind.
bool has_own_cards(SuiteKind kind) {
    switch (kind) {
    case SuiteKind::hypercalls:
    case SuiteKind::cpu_kernels:
    case SuiteKind::block_io:
        return true;
    case SuiteKind::page_tables:
    case SuiteKind::other:
        break;
    }
    return false;
}

// Suites the cards above do not cover: one card per baseline.
void other_cards(const ReportModel& m, std::vector<KeyFigure>& out) {
    std::map<std::pair<std::string, Role>, std::vector<double>> by_suite;
    for (const auto& g : m.groups) {
        if (has_own_cards(g.kind())) {
            continue;
        }
        for (const auto& r : g.ratios) {
            by_suite[{g.suite, r.baseline_role}].push_back(r.ratio.value);
        }
    }
    for (const auto& [key, values] : by_suite) {
        const double g = geometric_mean(values);
        out.push_back(
            {key.first + " workloads", format_ratio(g),
             fmt::format("of {} · geomean of {} figures", role_words(key.second), values.size()), g,
             key.second});
    }
}

} // namespace

std::vector<KeyFigure> key_figures(const ReportModel& m) {
    std::vector<KeyFigure> out;
    compute_card(m, out);
    null_cards(m, out);
    batch_cards(m, out);
    other_cards(m, out);
    blk_cards(m, out);
    // A run whose twins the cards do not recognise still gets a headline.
    if (out.empty()) {
        std::map<Role, std::vector<double>> by_role;
        for (const auto& row : m.headline) {
            if (const auto* r = row.primary()) {
                by_role[r->baseline_role].push_back(r->ratio.value);
            }
        }
        for (const auto& [role, values] : by_role) {
            const double g = geometric_mean(values);
            out.push_back({fmt::format("Against {}", role_words(role)), format_ratio(g),
                           fmt::format("geomean of {} figures", values.size()), g, role});
        }
    }
    return out;
}

} // namespace enso::reports
