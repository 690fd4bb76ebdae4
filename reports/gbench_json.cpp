#include "reports/gbench_json.hpp"

#include <array>

namespace enso::reports {

std::string nonfinite_to_null(std::string_view text) {
    static constexpr std::array<std::string_view, 3> kTokens = {"-Infinity", "Infinity", "NaN"};
    std::string out;
    out.reserve(text.size());
    bool in_string = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            out += c;
            if (c == '\\' && i + 1 < text.size()) {
                out += text[++i]; // an escaped character, never the closing quote
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
            out += c;
            continue;
        }
        bool replaced = false;
        for (const auto token : kTokens) {
            if (text.substr(i, token.size()) == token) {
                out += "null";
                i += token.size() - 1;
                replaced = true;
                break;
            }
        }
        if (!replaced) {
            out += c;
        }
    }
    return out;
}

} // namespace enso::reports
