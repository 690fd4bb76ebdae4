// Reading JSON written by other tools leniently: the first of several
// names a field may go by, of the expected kind, or nothing.
#pragma once

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <optional>
#include <string>

namespace enso::reports {

inline std::string first_string(const nlohmann::json& j, std::initializer_list<const char*> keys) {
    for (const char* k : keys) {
        if (j.contains(k) && j[k].is_string()) {
            return j[k].get<std::string>();
        }
    }
    return {};
}

inline std::optional<double> first_number(const nlohmann::json& j,
                                          std::initializer_list<const char*> keys) {
    for (const char* k : keys) {
        if (j.contains(k) && j[k].is_number()) {
            return j[k].get<double>();
        }
    }
    return std::nullopt;
}

} // namespace enso::reports
