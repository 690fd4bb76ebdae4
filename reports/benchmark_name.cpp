#include "reports/benchmark_name.hpp"

#include <algorithm>
#include <cctype>

namespace enso::reports {

namespace {

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        const size_t pos = s.find(sep, start);
        parts.emplace_back(s.substr(start, pos - start));
        if (pos == std::string_view::npos) {
            return parts;
        }
        start = pos + 1;
    }
}

bool is_gbench_suffix(std::string_view part) {
    if (part == "manual_time" || part == "real_time" || part == "process_time") {
        return true;
    }
    // Google Benchmark's options render as key:value, lower-case keys.
    const size_t colon = part.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        return false;
    }
    return std::all_of(part.begin(), part.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
        return std::islower(static_cast<unsigned char>(c)) || c == '_';
    });
}

bool valid_component(std::string_view part) {
    return !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
               c == '+';
    });
}

bool valid_suite(std::string_view suite) {
    return !suite.empty() && std::all_of(suite.begin(), suite.end(), [](char c) {
        return std::islower(static_cast<unsigned char>(c)) ||
               std::isdigit(static_cast<unsigned char>(c)) || c == '_';
    });
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
    });
}

// "floor" and "floor-trap" are both floors; the suffix is the transport.
bool mode_is(std::string_view mode, std::string_view role, std::string& transport) {
    if (mode == role) {
        return true;
    }
    if (mode.size() > role.size() + 1 && mode.substr(0, role.size()) == role &&
        mode[role.size()] == '-') {
        transport = std::string(mode.substr(role.size() + 1));
        return true;
    }
    return false;
}

} // namespace

std::string_view role_name(Role role) {
    switch (role) {
    case Role::guest:
        return "guest";
    case Role::native:
        return "native";
    case Role::floor:
        return "floor";
    case Role::inprocess:
        return "in-process";
    }
    return "guest";
}

std::string BenchmarkName::group_key() const {
    std::string key = suite + "/" + operation;
    for (const auto& p : parameters) {
        key += "/" + p;
    }
    return key;
}

std::string BenchmarkName::workload_label() const {
    std::string label = operation;
    for (const auto& p : parameters) {
        label += " " + p;
    }
    return label;
}

std::optional<std::uint64_t> BenchmarkName::batch_size() const {
    for (const auto& p : parameters) {
        if (all_digits(p) && p.size() < 19) {
            return std::stoull(p);
        }
    }
    return std::nullopt;
}

std::optional<std::uint64_t> BenchmarkName::queue_depth() const {
    for (const auto& p : parameters) {
        if (p.size() > 2 && p.size() < 21 && p.starts_with("qd") && all_digits(p.substr(2))) {
            return std::stoull(p.substr(2));
        }
    }
    return std::nullopt;
}

std::string strip_benchmark_suffixes(std::string_view name) {
    auto parts = split(name, '/');
    while (parts.size() > 1 && is_gbench_suffix(parts.back())) {
        parts.pop_back();
    }
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
        out += (i == 0 ? "" : "/") + parts[i];
    }
    return out;
}

std::optional<BenchmarkName> parse_benchmark_name(std::string_view raw) {
    const auto parts = split(strip_benchmark_suffixes(raw), '/');
    if (parts.size() < 3 || !valid_suite(parts.front())) {
        return std::nullopt;
    }
    if (!std::all_of(parts.begin(), parts.end(), valid_component)) {
        return std::nullopt;
    }
    BenchmarkName name;
    name.suite = parts.front();
    name.operation = parts[1];
    name.parameters.assign(parts.begin() + 2, parts.end() - 1);
    name.mode = parts.back();
    std::string transport;
    if (mode_is(name.mode, "native", transport)) {
        name.role = Role::native;
    } else if (mode_is(name.mode, "floor", transport)) {
        name.role = Role::floor;
    } else if (mode_is(name.mode, "inprocess", transport)) {
        name.role = Role::inprocess;
    } else {
        name.role = Role::guest;
        mode_is(name.mode, "guest", transport);
    }
    name.transport = transport;
    return name;
}

bool is_twin_of(const BenchmarkName& guest, const BenchmarkName& baseline) {
    return guest.role == Role::guest && baseline.role != Role::guest &&
           guest.group_key() == baseline.group_key() &&
           (baseline.transport.empty() || baseline.transport == guest.transport);
}

} // namespace enso::reports
