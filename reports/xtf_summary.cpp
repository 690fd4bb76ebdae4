#include "reports/xtf_summary.hpp"

#include "reports/input_error.hpp"
#include "reports/lenient_json.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace enso::reports {

namespace {

std::optional<std::uint64_t> first_count(const nlohmann::json& j,
                                         std::initializer_list<const char*> keys) {
    const auto n = first_number(j, keys);
    if (!n || *n < 0) {
        return std::nullopt;
    }
    return static_cast<std::uint64_t>(*n);
}

std::string lower(std::string_view s) {
    std::string out;
    for (const char c : s) {
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

XtfVerdict classify(std::string_view result) {
    const auto r = lower(result);
    if (r == "success" || r == "pass" || r == "passed" || r == "ok") {
        return XtfVerdict::success;
    }
    if (r == "skip" || r == "skipped") {
        return XtfVerdict::skip;
    }
    if (r == "error") {
        return XtfVerdict::error;
    }
    if (r == "failure" || r == "fail" || r == "failed") {
        return XtfVerdict::failure;
    }
    if (r == "crash" || r == "crashed") {
        return XtfVerdict::crash;
    }
    return XtfVerdict::unknown;
}

// The entries with their names: "tests" as an object keyed by name (what
// `enso xtf --json` writes) or a list of objects that name themselves.
std::vector<std::pair<std::string, const nlohmann::json*>>
named_entries(const nlohmann::json& tests, std::vector<std::string>& warnings) {
    std::vector<std::pair<std::string, const nlohmann::json*>> out;
    if (tests.is_object()) {
        for (const auto& [name, entry] : tests.items()) {
            out.emplace_back(name, &entry);
        }
        return out;
    }
    size_t i = 0;
    for (const auto& entry : tests) {
        const size_t at = i++;
        const auto name = entry.is_object() ? first_string(entry, {"name", "test", "id"}) : "";
        if (name.empty()) {
            warnings.push_back(fmt::format("entry {} names no test: skipped", at));
            continue;
        }
        out.emplace_back(name, &entry);
    }
    return out;
}

// XTF's console ends its lines with "\r\n", and a bare '\r' would end a
// Markdown table row in some renderers.
std::string without_carriage_returns(std::string text) {
    std::erase(text, '\r');
    return text;
}

// `enso xtf` gives the test's own result line as the reason; its prefix
// ("Test result: SKIP: ") repeats the verdict the row already shows.
std::string without_result_prefix(std::string reason) {
    constexpr std::string_view prefix = "Test result: ";
    if (!reason.starts_with(prefix)) {
        return reason;
    }
    auto rest = reason.substr(prefix.size());
    const auto colon = rest.find(':');
    if (colon == std::string::npos || classify(rest.substr(0, colon)) == XtfVerdict::unknown) {
        return reason;
    }
    rest.erase(0, colon + 1);
    rest.erase(0, rest.find_first_not_of(' '));
    return rest;
}

} // namespace

std::string_view xtf_verdict_name(XtfVerdict verdict) {
    switch (verdict) {
    case XtfVerdict::success:
        return "SUCCESS";
    case XtfVerdict::skip:
        return "SKIP";
    case XtfVerdict::error:
        return "ERROR";
    case XtfVerdict::failure:
        return "FAILURE";
    case XtfVerdict::crash:
        return "CRASH";
    case XtfVerdict::unknown:
        return "unknown";
    }
    return "unknown";
}

bool XtfTestResult::better_than_expected() const {
    return verdict == XtfVerdict::success && !expected.empty() &&
           classify(expected) != XtfVerdict::success;
}

int XtfSummary::count(XtfVerdict verdict) const {
    return static_cast<int>(std::count_if(
        tests.begin(), tests.end(), [verdict](const auto& t) { return t.verdict == verdict; }));
}

int XtfSummary::regressions() const {
    return static_cast<int>(
        std::count_if(tests.begin(), tests.end(), [](const auto& t) { return t.regression; }));
}

int XtfSummary::better_than_expected() const {
    return static_cast<int>(std::count_if(tests.begin(), tests.end(),
                                          [](const auto& t) { return t.better_than_expected(); }));
}

bool XtfSummary::has_expectations() const {
    return std::any_of(tests.begin(), tests.end(),
                       [](const auto& t) { return !t.expected.empty() || t.regression; });
}

double XtfSummary::total_seconds() const {
    double total = 0;
    for (const auto& t : tests) {
        total += t.seconds.value_or(0);
    }
    return total;
}

std::string XtfSummary::summary_line() const {
    std::string s = fmt::format("{} of {} runs SUCCESS", count(XtfVerdict::success), tests.size());
    for (const auto v : kXtfVerdicts) {
        if (v != XtfVerdict::success && count(v) > 0) {
            s += fmt::format(", {} {}", count(v), xtf_verdict_name(v));
        }
    }
    if (!has_expectations()) {
        return s + "; not compared with expected results";
    }
    const int n = regressions();
    s += fmt::format("; {} regression{} against the expected results", n, n == 1 ? "" : "s");
    if (const int better = better_than_expected(); better > 0) {
        s += fmt::format(", {} better than expected", better);
    }
    return s;
}

XtfSummary load_xtf_summary(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        throw InputError(path, "no such file");
    }
    std::ifstream in(path);
    if (!in) {
        throw InputError(path, "cannot be read");
    }
    std::stringstream text;
    text << in.rdbuf();
    const auto doc = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
        throw InputError(path, "not valid JSON (expected `enso xtf --json` output)");
    }
    const nlohmann::json* tests = nullptr;
    if (doc.is_array()) {
        tests = &doc;
    } else if (doc.is_object() && doc.contains("tests") &&
               (doc["tests"].is_object() || doc["tests"].is_array())) {
        tests = &doc["tests"];
    }
    if (tests == nullptr) {
        throw InputError(path, "no tests (expected `enso xtf --json` output: {\"tests\": {NAME: "
                               "{\"result\": \"SUCCESS\", ...}}})");
    }
    XtfSummary s;
    s.path = path;
    if (doc.is_object()) {
        s.environment = first_string(doc, {"environment"});
        s.transport = first_string(doc, {"transport"});
    }
    for (const auto& [name, entry] : named_entries(*tests, s.warnings)) {
        if (!entry->is_object()) {
            s.warnings.push_back(fmt::format("test {}: not an object: skipped", name));
            continue;
        }
        const auto& e = *entry;
        XtfTestResult t;
        t.test = name;
        t.result = first_string(e, {"result", "verdict", "status"});
        t.verdict = classify(t.result);
        if (t.verdict == XtfVerdict::unknown) {
            s.warnings.push_back(
                t.result.empty() ? fmt::format("test {}: no result", name)
                                 : fmt::format("test {}: unknown result \"{}\"", name, t.result));
        }
        if (t.result.empty()) {
            t.result = std::string(xtf_verdict_name(t.verdict));
        }
        t.reason = without_result_prefix(
            without_carriage_returns(first_string(e, {"reason", "message", "detail"})));
        t.seconds = first_number(e, {"seconds", "time_s", "time"});
        t.exits = first_count(e, {"user_exits", "exits"});
        t.exceptions = first_count(e, {"exceptions"});
        t.expected = first_string(e, {"expected"});
        if (e.contains("regression") && e["regression"].is_boolean()) {
            t.regression = e["regression"].get<bool>();
        } else {
            // As `enso xtf --expected` decides: anything but the expected result
            // or a new SUCCESS.
            t.regression = !t.expected.empty() && classify(t.expected) != t.verdict &&
                           t.verdict != XtfVerdict::success;
        }
        t.console = without_carriage_returns(first_string(e, {"console", "log"}));
        s.tests.push_back(std::move(t));
    }
    return s;
}

} // namespace enso::reports
