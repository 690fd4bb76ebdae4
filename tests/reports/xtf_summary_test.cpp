// Reading `enso xtf --json` leniently (counts, regressions, synonyms, clear
// errors for malformed files) and the XTF section of the written report.
#include "reports/input_error.hpp"
#include "reports/report.hpp"
#include "reports/xtf_summary.hpp"
#include "tests/reports/fixture_paths.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace enso::reports;
using enso::reports::test::fixture;
using enso::reports::test::ScratchDir;

namespace {

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

const XtfTestResult& find_test(const XtfSummary& x, const std::string& name) {
    for (const auto& t : x.tests) {
        if (t.test == name) {
            return t;
        }
    }
    FAIL("no test " << name);
    throw std::logic_error("unreachable");
}

// The error a load throws, as text; empty when it throws nothing.
std::string load_error(const std::filesystem::path& p) {
    try {
        load_xtf_summary(p);
    } catch (const InputError& e) {
        CHECK(e.file() == p);
        return e.what();
    }
    return "";
}

} // namespace

TEST_CASE("the fixture's verdicts, counts and regressions") {
    const auto x = load_xtf_summary(fixture("xtf.json"));
    CHECK(x.environment == "pv64");
    CHECK(x.transport == "trap");
    REQUIRE(x.tests.size() == 6);
    CHECK(x.count(XtfVerdict::success) == 3);
    CHECK(x.count(XtfVerdict::skip) == 1);
    CHECK(x.count(XtfVerdict::failure) == 1);
    CHECK(x.count(XtfVerdict::crash) == 1);
    CHECK(x.count(XtfVerdict::error) == 0);
    CHECK(x.regressions() == 1);
    CHECK(x.better_than_expected() == 1);
    CHECK(x.total_seconds() == Approx(0.201));
    CHECK(x.warnings.empty());

    const auto& xsa = find_test(x, "xsa-255");
    CHECK(xsa.verdict == XtfVerdict::failure);
    CHECK(xsa.regression);
    CHECK(xsa.expected == "SUCCESS");
    CHECK(xsa.reason == "Status frames still mapped after switching to v1");
    CHECK(xsa.exits == 133u);
    CHECK(xsa.exceptions == 0u);
    CHECK(xsa.seconds == Approx(0.029));
    CHECK(contains(xsa.console, "Test result: FAILURE"));
    CHECK(find_test(x, "argo").reason == "Argo not available"); // no "\r", no "Test result:"
    CHECK(find_test(x, "pv-iopl~hypercall").better_than_expected());
    CHECK_FALSE(find_test(x, "debug-regs").regression); // CRASH as expected

    CHECK(x.summary_line() == "3 of 6 runs SUCCESS, 1 SKIP, 1 FAILURE, 1 CRASH; 1 regression "
                              "against the expected results, 1 better than expected");
}

TEST_CASE("a list of tests, synonyms, a regression worked out, odd entries") {
    ScratchDir dir;
    const auto p = dir.path() / "x.json";
    std::ofstream(p) << R"({"tests": [
        {"name": "example", "verdict": "success", "time_s": 0.5, "exits": 7},
        {"test": "xsa-188", "result": "ERROR", "expected": "SUCCESS", "reason": "EVTCHNOP"},
        {"name": "cpuid", "result": "SKIP", "expected": "SKIP"},
        {"name": "odd", "result": "MAYBE"},
        {"result": "SUCCESS"},
        "junk"
    ]})";
    const auto x = load_xtf_summary(p);
    REQUIRE(x.tests.size() == 4);
    CHECK(x.tests[0].verdict == XtfVerdict::success);
    CHECK(x.tests[0].seconds == Approx(0.5));
    CHECK(x.tests[0].exits == 7u);
    CHECK_FALSE(x.tests[0].exceptions.has_value());
    CHECK(x.tests[1].verdict == XtfVerdict::error);
    CHECK(x.tests[1].regression); // no "regression" field: ERROR where SUCCESS was expected
    CHECK_FALSE(x.tests[2].regression);
    CHECK(x.tests[3].verdict == XtfVerdict::unknown);
    CHECK(x.tests[3].result == "MAYBE");
    CHECK(x.warnings.size() == 3); // the unknown result, the nameless entry, the string
    CHECK(contains(x.summary_line(), "1 of 4 runs SUCCESS, 1 SKIP, 1 ERROR, 1 unknown"));
}

TEST_CASE("without expected results the summary says so") {
    ScratchDir dir;
    const auto p = dir.path() / "x.json";
    std::ofstream(p) << R"({"tests": {"example": {"result": "SUCCESS"}}})";
    CHECK(load_xtf_summary(p).summary_line() ==
          "1 of 1 runs SUCCESS; not compared with expected results");
}

TEST_CASE("a malformed XTF file is an InputError naming the file and the problem") {
    ScratchDir dir;
    const auto bad = dir.path() / "bad.json";
    std::ofstream(bad) << "{ \"tests\": ";
    CHECK(load_error(bad) == bad.string() + ": not valid JSON (expected `enso xtf --json` output)");

    const auto no_tests = dir.path() / "no_tests.json";
    std::ofstream(no_tests) << R"({"environment": "pv64", "tests": "all passed"})";
    const auto e = load_error(no_tests);
    CHECK(contains(e, no_tests.string() + ": no tests"));

    const auto missing = dir.path() / "missing.json";
    CHECK(load_error(missing) == missing.string() + ": no such file");
}

TEST_CASE("the report's XTF section: summary, per-test rows, console escaped in the page") {
    ScratchDir dir;
    ReportOptions o;
    o.results = {fixture("results.json")};
    o.xtf = {fixture("xtf.json")};
    o.out_dir = dir.path();
    o.gnuplot = "/nonexistent/gnuplot";
    o.dot = "/nonexistent/dot";
    const auto out = write_report(o);
    const auto md = slurp(out.markdown);
    const auto html = slurp(out.html);

    CHECK(contains(md, "## Xen Test Framework (XTF) on Enso\n\n3 of 6 runs SUCCESS, 1 SKIP, 1 "
                       "FAILURE, 1 CRASH; 1 regression against the expected results"));
    CHECK(contains(md, "| test | result | reason | seconds | exits | exceptions |"));
    CHECK(contains(md, "| `example` | SUCCESS |  | 0.018 | 88 | 0 |"));
    CHECK(contains(md, "| `xsa-255` | **FAILURE** (regression: expected SUCCESS) | Status frames "
                       "still mapped after switching to v1 | 0.029 | 133 | 0 |"));
    CHECK(contains(md, "| `pv-iopl~hypercall` | SUCCESS (better than expected SKIP) |"));
    CHECK(contains(md, "| `argo` | **SKIP** | Argo not available |"));
    CHECK_FALSE(contains(md, "Hello World")); // the console stays out of report.md

    CHECK(contains(html, "<section id=\"xtf\">"));
    CHECK(contains(html, "<a href=\"#xtf\">XTF</a>"));
    CHECK(contains(html, "<span class=\"badge regression\">regression: expected SUCCESS</span>"));
    CHECK(contains(html, "<details><summary>console</summary><pre>"));
    CHECK(contains(html, "&lt;b&gt;not bold&lt;/b&gt; &amp; co"));
    CHECK_FALSE(contains(html, "<b>not bold</b>"));
    CHECK_FALSE(contains(html, "Hello World")); // consoles of SUCCESS runs are not shown
    CHECK_FALSE(contains(md, "### Over the trap transport")); // one run: no subheading
}

namespace {

// A run over the exitless transport beside the fixture's trap run.
void write_exitless_run(const std::filesystem::path& p) {
    std::ofstream(p) << R"({"environment": "pv64", "transport": "exitless", "tests": {
        "example": {"result": "SUCCESS", "seconds": 0.02, "user_exits": 12, "exceptions": 0,
                    "expected": "SUCCESS", "regression": false},
        "xsa-221": {"result": "CRASH", "reason": "deadline", "seconds": 10.0, "user_exits": 20,
                    "exceptions": 1, "expected": "SUCCESS", "regression": true}}})";
}

} // namespace

TEST_CASE("one XTF table per transport run") {
    ScratchDir dir;
    const auto exitless = dir.path() / "xtf-exitless.json";
    write_exitless_run(exitless);
    ReportOptions o;
    o.results = {fixture("results.json")};
    o.xtf = {fixture("xtf.json"), exitless};
    o.out_dir = dir.path();
    o.gnuplot = "/nonexistent/gnuplot";
    o.dot = "/nonexistent/dot";
    const auto out = write_report(o);
    const auto md = slurp(out.markdown);
    const auto trap = md.find("### Over the trap transport\n\n3 of 6 runs SUCCESS");
    const auto over_exitless = md.find("### Over the exitless transport\n\n1 of 2 runs SUCCESS, "
                                       "1 CRASH; 1 regression against the expected results");
    REQUIRE(trap != std::string::npos);
    REQUIRE(over_exitless != std::string::npos);
    CHECK(trap < over_exitless);
    CHECK(contains(md, "| `xsa-221` | **CRASH** (regression: expected SUCCESS) | deadline | 10.0 | "
                       "20 | 1 |"));
    CHECK(contains(slurp(out.html), "<h3>Over the exitless transport</h3>"));
}

TEST_CASE("write_run_report shows DIR/xtf.json and DIR/xtf-*.json when there are any") {
    ScratchDir dir;
    std::filesystem::copy_file(fixture("results.json"), dir.path() / "results.json");
    auto md = slurp(write_run_report(dir.path()).markdown);
    CHECK_FALSE(contains(md, "Xen Test Framework"));

    std::filesystem::copy_file(fixture("xtf.json"), dir.path() / "xtf.json");
    md = slurp(write_run_report(dir.path()).markdown);
    CHECK(contains(md, "## Xen Test Framework (XTF) on Enso"));
    CHECK(contains(md, "| `debug-regs` | **CRASH** | guest stopped: #GP at 0x10451f |"));
    CHECK_FALSE(contains(md, "### Over the"));

    write_exitless_run(dir.path() / "xtf-exitless.json");
    md = slurp(write_run_report(dir.path()).markdown);
    CHECK(md.find("### Over the trap transport") < md.find("### Over the exitless transport"));
    CHECK(md.find("### Over the exitless transport") != std::string::npos);

    std::ofstream(dir.path() / "xtf.json", std::ios::trunc) << "[1,";
    CHECK_THROWS_AS(write_run_report(dir.path()), InputError);
}
