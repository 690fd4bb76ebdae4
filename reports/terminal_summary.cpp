#include "reports/terminal_summary.hpp"

#include "reports/key_figures.hpp"
#include "reports/number_format.hpp"
#include "reports/report_prose.hpp"

#include <fmt/core.h>

#include <algorithm>

namespace enso::reports {

namespace {

std::string ratio_text(const TwinRatio* r) {
    return r == nullptr ? "-" : format_ratio_with_spread(r->ratio);
}

// fmt pads by code units; × and – are multi-byte in UTF-8.
std::string pad(const std::string& s, size_t width) {
    size_t shown = 0;
    for (const unsigned char c : s) {
        shown += (c & 0xC0) != 0x80 ? 1 : 0;
    }
    return s + std::string(width > shown ? width - shown : 0, ' ');
}

} // namespace

std::string terminal_summary(const ReportModel& m) {
    std::string s;
    for (const auto& h : m.hosts) {
        s += h.headline + "\n";
    }
    for (const auto& k : key_figures(m)) {
        s += fmt::format("  {}: {} {}\n", k.title, k.value, k.detail);
    }
    for (const auto& line : headline_sentences(m)) {
        s += line + "\n";
    }
    if (m.headline.empty()) {
        return s;
    }
    size_t w = 8;
    for (const auto& row : m.headline) {
        w = std::max(w, row.group->suite.size() + row.group->workload.size() +
                            row.guest->name->mode.size() + 2);
    }
    s += "\n" + pad("workload", w) + "  " + pad("vs native", 22) + pad("vs floor", 22) +
         "vs in-process\n";
    for (const auto& row : m.headline) {
        const auto label =
            row.group->suite + " " + row.group->workload + " " + row.guest->name->mode;
        s += pad(label, w) + "  " + pad(ratio_text(row.vs_native), 22) +
             pad(ratio_text(row.vs_floor), 22) + ratio_text(row.vs_inprocess) + "\n";
    }
    return s;
}

} // namespace enso::reports
