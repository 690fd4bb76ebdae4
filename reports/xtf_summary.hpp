// What `enso xtf --json` found (Xen's own test suite booted on Enso), read
// leniently: {"environment", "transport", "tests": {NAME: {"result":
// "SUCCESS"|"SKIP"|"ERROR"|"FAILURE"|"CRASH", "reason", "seconds",
// "user_exits", "exceptions", "expected", "regression", "console"}}}; the
// tests may also be a list of objects naming themselves ("name"/"test").
// Unknown fields are ignored; odd entries become warnings.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enso::reports {

// xtf-runner's verdicts, best first; `unknown` is a result this reader does
// not know (kept as written).
enum class XtfVerdict { success, skip, error, failure, crash, unknown };
inline constexpr std::array kXtfVerdicts = {XtfVerdict::success, XtfVerdict::skip,
                                            XtfVerdict::error,   XtfVerdict::failure,
                                            XtfVerdict::crash,   XtfVerdict::unknown};
std::string_view xtf_verdict_name(XtfVerdict verdict); // "SUCCESS" ... "unknown"

struct XtfTestResult {
    std::string test; // as xtf-runner names it, e.g. pv-iopl~hypercall
    XtfVerdict verdict = XtfVerdict::unknown;
    std::string result; // as written
    std::string reason;
    std::optional<double> seconds;
    std::optional<std::uint64_t> exits; // user exits to the monitor
    std::optional<std::uint64_t> exceptions;
    std::string expected; // empty: no expectation
    bool regression = false;
    std::string console; // everything the test printed; not shown in tables

    // Expected something worse and got SUCCESS: the expected file is stale.
    [[nodiscard]] bool better_than_expected() const;
};

struct XtfSummary {
    std::filesystem::path path;
    std::string environment; // "pv64"
    std::string transport;   // "trap"
    std::vector<XtfTestResult> tests;
    std::vector<std::string> warnings;

    [[nodiscard]] int count(XtfVerdict verdict) const;
    [[nodiscard]] int regressions() const;
    [[nodiscard]] int better_than_expected() const;
    [[nodiscard]] bool has_expectations() const; // any test compared with an expected result
    [[nodiscard]] double total_seconds() const;
    // "27 of 40 runs SUCCESS, 6 SKIP, 2 CRASH; 0 regressions against the expected results"
    [[nodiscard]] std::string summary_line() const;
};

// Throws InputError when the file is missing, not JSON, or holds no tests
// at all; odd entries become warnings.
XtfSummary load_xtf_summary(const std::filesystem::path& path);

} // namespace enso::reports
