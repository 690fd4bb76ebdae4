// enso xtf: builds XTF's pv64 tests from an XTF tree with XTF's own
// makefiles, boots each on Enso and reports its verdict as xtf-runner does
// (SUCCESS 0, SKIP 3, ERROR 4, FAILURE 5, CRASH 6; worst wins), optionally
// against a file of expected results.
#include "cli/commands.hpp"
#include "hvcore/kvm/kvm_error.hpp"
#include "xtf/xtf_catalog.hpp"
#include "xtf/xtf_run.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <unistd.h>

namespace enso::cli {

namespace {

namespace fs = std::filesystem;

struct XtfOptions {
    std::string xtf_dir;
    std::vector<std::string> tests;
    std::string json_path;
    std::string expected_path;
    std::string work_dir;
    int timeout_ms = 10000;
    abi::Transport transport = abi::kTransportTrap;
};

struct Row {
    std::string name;
    xtf::XtfRun run;
    std::string expected; // empty: no expectation
    bool regression = false;
};

// The tests to build and, for each, the runs to boot: a name selects every
// variation of a test, name~variation one.
struct Selected {
    xtf::XtfTest test;
    std::vector<xtf::XtfRunSpec> runs;
};
std::vector<Selected> select_tests(const fs::path& root, const XtfOptions& o) {
    const auto all = xtf::xtf_tests_for(xtf::list_xtf_tests(root), "pv64");
    std::vector<Selected> chosen;
    if (o.tests.empty()) {
        for (const auto& t : all) {
            chosen.push_back({t, xtf::xtf_runs(t)});
        }
        return chosen;
    }
    for (const auto& wanted : o.tests) {
        const std::string name = wanted.substr(0, wanted.find('~'));
        const auto it =
            std::find_if(all.begin(), all.end(), [&](const auto& t) { return t.name == name; });
        if (it == all.end()) {
            throw std::runtime_error(fmt::format("no pv64 test '{}' in {}", name, root.string()));
        }
        auto runs = xtf::xtf_runs(*it);
        if (wanted != name) {
            std::erase_if(runs, [&](const auto& r) { return r.id != wanted; });
            if (runs.empty()) {
                throw std::runtime_error(fmt::format("test '{}' has no variation '{}'", name,
                                                     wanted.substr(name.size() + 1)));
            }
        }
        const auto same = std::find_if(chosen.begin(), chosen.end(),
                                       [&](const auto& c) { return c.test.name == name; });
        if (same != chosen.end()) {
            same->runs.insert(same->runs.end(), runs.begin(), runs.end());
        } else {
            chosen.push_back({*it, std::move(runs)});
        }
    }
    return chosen;
}

nlohmann::json load_expected(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        throw std::runtime_error("cannot read " + path);
    }
    return nlohmann::json::parse(in).at("tests");
}

void write_json(const std::string& path, const std::vector<Row>& rows, abi::Transport transport) {
    nlohmann::json out;
    out["environment"] = "pv64";
    out["transport"] = xtf::transport_name(transport);
    for (const auto& r : rows) {
        out["tests"][r.name] = {{"result", xtf::xtf_verdict_name(r.run.verdict)},
                                {"reason", r.run.reason},
                                {"seconds", r.run.seconds},
                                {"user_exits", r.run.user_exits},
                                {"exceptions", r.run.exceptions},
                                {"expected", r.expected},
                                {"regression", r.regression},
                                {"console", r.run.console}};
    }
    std::ofstream(path) << out.dump(2) << "\n";
}

int run_xtf(const XtfOptions& o) {
    const char* env = std::getenv("ENSO_XTF_DIR");
    const fs::path root =
        !o.xtf_dir.empty() ? fs::path(o.xtf_dir) : fs::path(env != nullptr ? env : "");
    if (root.empty() || !fs::exists(root / "build/common.mk")) {
        fmt::print(stderr,
                   "enso xtf: no XTF tree{}: pass --xtf-dir (or set ENSO_XTF_DIR) to a checkout of "
                   "XTF (upstream: https://xenbits.xen.org/gitweb/?p=xtf.git)\n",
                   root.empty() ? "" : " at " + root.string());
        return kExitBadInput;
    }
    const auto selected = select_tests(root, o);
    std::vector<xtf::XtfTest> tests;
    std::size_t nr_runs = 0;
    for (const auto& sel : selected) {
        tests.push_back(sel.test);
        nr_runs += sel.runs.size();
    }
    const nlohmann::json expected =
        o.expected_path.empty() ? nlohmann::json::object() : load_expected(o.expected_path);
    const fs::path work = !o.work_dir.empty()
                              ? fs::path(o.work_dir)
                              : fs::temp_directory_path() / fmt::format("enso-xtf-{}", ::getpid());
    kvm::Monitor monitor; // before building: without /dev/kvm there is nothing to run on
    fmt::print("xtf: building {} pv64 test(s) ({} run(s)) from {} in {}\n", tests.size(), nr_runs,
               root.string(), work.string());
    const auto builds = xtf::build_xtf_tests(root, work, tests, "pv64");
    std::vector<Row> rows;
    int worst = 0;
    int regressions = 0;
    for (std::size_t i = 0; i < tests.size(); ++i) {
        for (const auto& spec : selected[i].runs) {
            Row r;
            r.name = spec.id;
            if (!builds[i].ok) {
                r.run.reason = "did not build: " + builds[i].log.substr(0, 400);
            } else {
                r.run = xtf::run_xtf_kernel(monitor, builds[i].binary,
                                            {std::chrono::milliseconds(o.timeout_ms), spec.cmdline,
                                             o.transport, spec.vcpus});
            }
            const char* got = xtf::xtf_verdict_name(r.run.verdict);
            if (expected.contains(r.name)) {
                r.expected = expected[r.name].at("result").get<std::string>();
                r.regression = r.expected != got && std::string(got) != "SUCCESS";
            }
            regressions += r.regression ? 1 : 0;
            worst = std::max(worst, xtf::xtf_exit_code(r.run.verdict));
            fmt::print("{:<24} {:<8} {:>7.3f} s {:>6} exits {:>5} exceptions  {}{}\n", r.name, got,
                       r.run.seconds, r.run.user_exits, r.run.exceptions,
                       r.regression ? fmt::format("REGRESSION (expected {}) ", r.expected)
                       : (!r.expected.empty() && r.expected != got)
                           ? fmt::format("better than expected {} (update the file) ", r.expected)
                           : "",
                       r.run.verdict == xtf::XtfVerdict::success ? ""
                                                                 : r.run.reason.substr(0, 160));
            rows.push_back(std::move(r));
        }
    }
    std::map<std::string, int> counts;
    for (const auto& r : rows) {
        ++counts[xtf::xtf_verdict_name(r.run.verdict)];
    }
    std::string summary;
    for (const auto& [k, n] : counts) {
        summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", n, k);
    }
    fmt::print("xtf: {} test(s): {}\n", rows.size(), summary);
    if (!o.json_path.empty()) {
        write_json(o.json_path, rows, o.transport);
        fmt::print("xtf: results in {}\n", o.json_path);
    }
    if (o.work_dir.empty()) {
        std::error_code ec;
        fs::remove_all(work, ec);
    }
    if (!o.expected_path.empty()) {
        fmt::print("xtf: {} regression(s) against {}\n", regressions, o.expected_path);
        return regressions == 0 ? 0 : 1;
    }
    return worst;
}

} // namespace

void add_xtf_command(CLI::App& app, Action& action) {
    auto opts = std::make_shared<XtfOptions>();
    auto* cmd = app.add_subcommand(
        "xtf", "build XTF's pv64 tests (Xen's own test suite) from an XTF tree and boot each on "
               "Enso over the trap or the exitless transport; one line per test, xtf-runner's "
               "verdicts. Exit: the "
               "worst verdict's code (SUCCESS 0, SKIP 3, ERROR 4, FAILURE 5, CRASH 6), or with "
               "--expected 0/1 for no regression/some");
    cmd->add_option("tests", opts->tests,
                    "Tests to run: NAME (every variation of it) or NAME~VARIATION as xtf-runner "
                    "names them (default: every pv64 test in the tree)");
    cmd->add_option("--xtf-dir", opts->xtf_dir,
                    "The XTF tree (default: $ENSO_XTF_DIR); it is "
                    "copied, never built in place");
    cmd->add_option("--json", opts->json_path, "Write the results as JSON here");
    cmd->add_option("--expected", opts->expected_path,
                    "Compare with expected results (xtf/expected-pv64.json): fail on any other "
                    "result but a new SUCCESS");
    cmd->add_option("--work", opts->work_dir,
                    "Build in this directory and keep it (default: a "
                    "temporary copy, removed)");
    cmd->add_option("--timeout-ms", opts->timeout_ms, "Per-test deadline (default 10000)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--transport", opts->transport,
                    "How the hypercall stubs call: trap (one exit each) or exitless (a shared "
                    "slot the monitor polls; iret and exceptions still exit). Default trap")
        ->transform(CLI::CheckedTransformer(
            std::map<std::string, abi::Transport>{{"trap", abi::kTransportTrap},
                                                  {"exitless", abi::kTransportExitless}},
            CLI::ignore_case));
    cmd->callback([opts, &action] {
        action = [opts] {
            try {
                return run_xtf(*opts);
            } catch (const kvm::KvmError& e) {
                fmt::print(stderr, "enso xtf: {}\n", e.what());
                return kExitBadInput;
            } catch (const std::exception& e) {
                fmt::print(stderr, "enso xtf: {}\n", e.what());
                return kExitBadInput;
            }
        };
    });
}

} // namespace enso::cli
