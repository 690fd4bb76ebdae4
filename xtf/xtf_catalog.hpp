// The tests of an XTF tree (Xen Test Framework: tiny guest kernels that each
// print "Test result: SUCCESS|SKIP|ERROR|FAILURE"), read from their
// makefiles, and the build of one of them with XTF's own makefiles in a
// writable copy of the tree (the tree itself is never written).
//
// A test is a folder tests/<name> whose Makefile sets NAME, CATEGORY and
// TEST-ENVS; TEST-ENVS lists environments (pv64, hvm32pae, ...) directly or
// through the variables XTF's build/common.mk defines ($(ALL_ENVIRONMENTS),
// $(PV_ENVIRONMENTS), ... as $(filter ...) of the full list), which are read
// from that file. Errors are exceptions (std::runtime_error) naming the file.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace enso::xtf {

// One of a test's VARY-CFG configurations: the same binary booted with the
// command line its <variation>.cfg.in gives (xtf-runner names the run
// <name>~<variation>).
struct XtfVariation {
    std::string name;
    std::string cmdline; // the cfg's cmdline="...", empty if it sets none
};

struct XtfTest {
    std::string name;                     // NAME: the binary is tests/<name>/test-<env>-<name>
    std::string category;                 // special, functional, xsa, utility or in-development
    std::vector<std::string> envs;        // TEST-ENVS, expanded, in order
    std::filesystem::path dir;            // tests/<name> in the tree
    std::vector<XtfVariation> variations; // VARY-CFG, in order; empty: one plain run
    unsigned vcpus = 1;                   // VCPUS (gen.mk's default is 1)

    [[nodiscard]] bool has_env(const std::string& env) const;
};

// One boot of a test: its name as xtf-runner prints it and the command line.
struct XtfRunSpec {
    std::string id; // <name> or <name>~<variation>
    std::string cmdline;
    unsigned vcpus = 1;
};
std::vector<XtfRunSpec> xtf_runs(const XtfTest& test);

// The environment variables of build/common.mk: ALL_ENVIRONMENTS and every
// *_ENVIRONMENTS defined from it with $(filter patterns,$(ALL_ENVIRONMENTS)).
std::map<std::string, std::vector<std::string>>
xtf_environment_sets(const std::filesystem::path& root);

// Every test under root/tests, sorted by name.
std::vector<XtfTest> list_xtf_tests(const std::filesystem::path& root);

// Those that run in env (e.g. "pv64").
std::vector<XtfTest> xtf_tests_for(const std::vector<XtfTest>& tests, const std::string& env);

struct XtfBuild {
    bool ok = false;
    std::filesystem::path binary; // copy/tests/<name>/test-<env>-<name>
    std::string log;              // make's output
};

// Copies root to copy (unless copy already holds a tree) and builds one
// test for one environment there with XTF's top-level Makefile
// (TESTS=<dir> TEST-ENVS=<env>): XTF's flags, its linker scripts, its
// config files. make -j jobs.
XtfBuild build_xtf_test(const std::filesystem::path& root, const std::filesystem::path& copy,
                        const XtfTest& test, const std::string& env, unsigned jobs = 2);

// Builds several tests for one environment with one make (-k: a test that
// fails to build does not stop the others); one XtfBuild per test, in order,
// sharing make's log.
std::vector<XtfBuild> build_xtf_tests(const std::filesystem::path& root,
                                      const std::filesystem::path& copy,
                                      const std::vector<XtfTest>& tests, const std::string& env,
                                      unsigned jobs = 2);

} // namespace enso::xtf
