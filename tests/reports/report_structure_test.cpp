// The written report: every section in the HTML page, the headline table
// in report.md, SVGs inlined and beside the Markdown, and graceful output
// when a drawing tool is missing or the run measured nothing comparable.
#include "reports/external_tool.hpp"
#include "reports/report.hpp"
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

bool tool_available(const std::string& program) {
    return run_tool(program, {"-V"}, "").started;
}

size_t count(const std::string& haystack, const std::string& needle) {
    size_t n = 0;
    for (size_t pos = haystack.find(needle); pos != std::string::npos;
         pos = haystack.find(needle, pos + 1)) {
        ++n;
    }
    return n;
}

} // namespace

TEST_CASE("the full report has every section, charts inlined and the headline table") {
    ScratchDir dir;
    ReportOptions o;
    o.results = {fixture("results.json")};
    o.baseline = fixture("baseline.json");
    o.verify = fixture("verify.json");
    o.out_dir = dir.path();
    const auto out = write_report(o);
    CHECK(out.html == dir.path() / "index.html");
    const auto html = slurp(out.html);
    const auto md = slurp(out.markdown);

    for (const char* id : {"headline", "charts", "blk", "baseline", "verification", "claims",
                           "topology", "measurements", "skipped", "method"}) {
        INFO("section " << id);
        CHECK(contains(html, std::string("<section id=\"") + id + "\""));
    }
    // The host and what bare metal means on it.
    CHECK(contains(html, "Nested host"));
    CHECK(contains(html, "KVM backend PVM"));
    CHECK(contains(html, "guest ring 0 not native"));
    CHECK(contains(html, "this host&#39;s native execution"));
    // Key figures and the headline table.
    CHECK(contains(html, "Null hypercall, trap"));
    CHECK(contains(html, "vs native (bare metal)"));
    // Self-contained: inline style, no script, nothing fetched.
    CHECK(contains(html, "<style>"));
    CHECK_FALSE(contains(html, "<script"));
    CHECK_FALSE(contains(html, "src=\"http"));
    CHECK_FALSE(contains(html, "<link"));
    // Published claims and targets.
    CHECK(contains(html, "Xen (SOSP 2003)"));
    CHECK(contains(html, "Firecracker specification"));
    CHECK(contains(html, "issue #5"));
    // Baseline verdicts.
    CHECK(contains(html, ">significant<"));
    CHECK(contains(html, "too few repetitions"));

    CHECK(contains(md, "## Headline: overhead against bare metal"));
    CHECK(contains(md, "| suite | workload | guest | vs native (bare metal) | vs floor | "
                       "vs in-process |"));
    CHECK(contains(md, "| hypercall | null | `guest-trap` |"));
    CHECK(contains(md, "## Change against the baseline"));
    CHECK(contains(md, "## Verification"));

    if (tool_available("gnuplot") && tool_available("dot")) {
        // overhead, batch cost, blk throughput and latency for each of the
        // fixture's two panels (sequential reads, random I/O), exits,
        // topology, verification, two counterexamples.
        CHECK(out.svgs.size() == 11);
        CHECK(count(html, "<svg") >= 11);
        for (const char* chart : {"blk-throughput-seqread", "blk-throughput-random",
                                  "blk-latency-seqread", "blk-latency-random"}) {
            INFO(chart);
            CHECK(std::filesystem::exists(dir.path() / (std::string(chart) + ".svg")));
        }
        CHECK_FALSE(contains(html, "<?xml")); // prologs stripped when inlined
        for (const auto& svg : out.svgs) {
            INFO(svg);
            CHECK(svg.parent_path() == dir.path());
            CHECK(std::filesystem::exists(svg));
            CHECK(contains(md, "](" + svg.filename().string() + ")"));
        }
        CHECK(contains(html, "id=\"overhead-gnuplot_canvas\"")); // ids prefixed per figure
    } else {
        WARN("gnuplot or dot missing: figure checks skipped");
    }
}

TEST_CASE("missing gnuplot and dot leave notes where the pictures would be") {
    ScratchDir dir;
    ReportOptions o;
    o.results = {fixture("results.json")};
    o.verify = fixture("verify.json");
    o.out_dir = dir.path();
    o.gnuplot = "/nonexistent/gnuplot";
    o.dot = "/nonexistent/dot";
    const auto out = write_report(o);
    const auto html = slurp(out.html);
    CHECK(contains(html, "Chart not drawn: /nonexistent/gnuplot is not available"));
    CHECK(contains(html, "Diagram not drawn: /nonexistent/dot is not available"));
    CHECK(contains(html, "<section id=\"headline\""));
    // Counterexamples given as SVG files need no tool; .dot ones do.
    CHECK(out.svgs.size() == 1);
    CHECK_FALSE(out.notes.empty());
    CHECK(contains(slurp(out.markdown), "> Chart not drawn"));
}

TEST_CASE("a run without /dev/kvm renders: skipped guests, in-process figures, no headline") {
    ScratchDir dir;
    ReportOptions o;
    o.results = {fixture("results_nokvm.json")};
    o.out_dir = dir.path();
    const auto out = write_report(o);
    const auto html = slurp(out.html);
    CHECK(contains(html, "<section id=\"skipped\""));
    CHECK(contains(html, "/dev/kvm does not exist"));
    CHECK(contains(html, "/dev/kvm not usable"));
    CHECK(contains(html, "none of them a guest figure with a twin"));
    CHECK(contains(html, "hypercall/null/inprocess"));
    CHECK(contains(html, "No guest figure with a twin in this run."));
    CHECK(contains(slurp(out.markdown), "## Skipped"));
}

TEST_CASE("an empty results file and an aggregates-only one both render") {
    ScratchDir dir;
    ReportOptions o;
    o.results = {fixture("results_empty.json")};
    o.out_dir = dir.path() / "empty";
    const auto empty = write_report(o);
    CHECK(contains(slurp(empty.html), "holds no benchmarks"));

    o.results = {fixture("results_aggregates_only.json")};
    o.out_dir = dir.path() / "aggregates";
    const auto aggregates = write_report(o);
    const auto md = slurp(aggregates.markdown);
    CHECK(contains(md, "| hypercall | null | `guest-trap` |"));
}

TEST_CASE("several results files merge; the report goes beside the first by default") {
    ScratchDir dir;
    std::filesystem::copy_file(fixture("results_nokvm.json"), dir.path() / "results.json");
    ReportOptions o;
    o.results = {dir.path() / "results.json", fixture("results.json")};
    const auto out = write_report(o);
    CHECK(out.html == dir.path() / "index.html");
    const auto html = slurp(out.html);
    // hypercall/null/inprocess is in both: the first file's wins, with a warning.
    CHECK(contains(html, "is in both"));
    CHECK(contains(html, "Null hypercall, trap"));
}

TEST_CASE("write_run_report reads DIR/results.json and writes beside it") {
    ScratchDir dir;
    std::filesystem::copy_file(fixture("results.json"), dir.path() / "results.json");
    const auto out = write_run_report(dir.path());
    CHECK(std::filesystem::exists(dir.path() / "index.html"));
    CHECK(std::filesystem::exists(dir.path() / "report.md"));
    CHECK(contains(out.summary, "Null hypercall, trap"));
}
