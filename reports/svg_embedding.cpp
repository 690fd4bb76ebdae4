#include "reports/svg_embedding.hpp"

#include <regex>

namespace enso::reports {

bool looks_like_svg(std::string_view text) {
    return text.find("<svg") != std::string_view::npos;
}

std::string embeddable_svg(std::string_view svg, std::string_view id_prefix) {
    std::string s(svg);
    const auto start = s.find("<svg");
    if (start == std::string::npos) {
        return "";
    }
    s.erase(0, start); // prolog, DOCTYPE and leading comments
    static const std::regex comment(R"(<!--[\s\S]*?-->)");
    s = std::regex_replace(s, comment, "");
    const std::string p(id_prefix);
    static const std::regex id_attr(R"(\bid=(['"]))");
    s = std::regex_replace(s, id_attr, "id=$1" + p + "-");
    static const std::regex href_ref(R"(href=(['"])#)");
    s = std::regex_replace(s, href_ref, "href=$1#" + p + "-");
    static const std::regex url_ref(R"(url\(#)");
    s = std::regex_replace(s, url_ref, "url(#" + p + "-");
    return s;
}

} // namespace enso::reports
