// `enso report` as a black box: exit codes, messages and the optional inputs.
#include "tests/reports/fixture_paths.hpp"

#include <catch2/catch.hpp>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

using enso::reports::test::fixture;
using enso::reports::test::ScratchDir;

namespace {

struct Result {
    int exit_code = -1;
    std::string out;
};

Result run_enso(const std::string& args) {
    const std::string cmd = std::string("'") + ENSO_BINARY + "' " + args + " 2>&1";
    Result r;
    FILE* pipe = ::popen(cmd.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::array<char, 4096> buf{};
    size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) {
        r.out.append(buf.data(), n);
    }
    const int status = ::pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("enso report writes the page and the Markdown and prints the headline") {
    ScratchDir dir;
    const auto r = run_enso("report '" + fixture("results.json").string() + "' --out '" +
                            dir.path().string() + "'");
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "Null hypercall, trap"));
    CHECK(contains(r.out, "index.html"));
    CHECK(std::filesystem::exists(dir.path() / "index.html"));
    CHECK(std::filesystem::exists(dir.path() / "report.md"));
}

TEST_CASE("a missing results file exits 2 naming the file") {
    const auto r = run_enso("report /nonexistent/results.json");
    CHECK(r.exit_code == 2);
    CHECK(contains(r.out, "/nonexistent/results.json: no such file"));
}

TEST_CASE("an invalid results, baseline, verify or XTF file exits 2 naming it") {
    ScratchDir dir;
    const auto bad = dir.path() / "bad.json";
    std::ofstream(bad) << "{ not json";
    const auto good = "'" + fixture("results.json").string() + "'";
    const auto out = " --out '" + dir.path().string() + "'";

    auto r = run_enso("report '" + bad.string() + "'" + out);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.out, bad.string() + ": not valid JSON"));

    r = run_enso("report " + good + " --baseline '" + bad.string() + "'" + out);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.out, bad.string()));

    r = run_enso("report " + good + " --verify '" + bad.string() + "'" + out);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.out, bad.string()));

    r = run_enso("report " + good + " --verify /nonexistent/verify.json" + out);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.out, "/nonexistent/verify.json: no such file"));

    r = run_enso("report " + good + " --xtf '" + bad.string() + "'" + out);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.out, bad.string() + ": not valid JSON"));
}

TEST_CASE("enso report --xtf adds the XTF section, once per file given") {
    ScratchDir dir;
    const auto xtf = "'" + fixture("xtf.json").string() + "'";
    // Before the results file: --xtf takes one file each time.
    const auto r = run_enso("report --xtf " + xtf + " '" + fixture("results.json").string() +
                            "' --xtf " + xtf + " --out '" + dir.path().string() + "'");
    CHECK(r.exit_code == 0);
    std::ifstream md(dir.path() / "report.md");
    const std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
    CHECK(contains(text, "## Xen Test Framework (XTF) on Enso"));
    CHECK(contains(text, "| `xsa-255` | **FAILURE** (regression: expected SUCCESS) |"));
    CHECK(contains(text, "### Over the trap transport")); // two runs given: one heading each
}

TEST_CASE("enso report without a results file is a usage error") {
    const auto r = run_enso("report");
    CHECK(r.exit_code != 0);
    CHECK(contains(r.out, "results"));
}
