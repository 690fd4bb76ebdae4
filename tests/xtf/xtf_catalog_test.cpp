// The XTF catalogue: a small tree written here (every way a Makefile names
// its environments, and the ones it must refuse), then the real tree when
// one is at hand, whose pv64 tests are listed and one of them built.
#include "xtf/xtf_catalog.hpp"
#include "xtf_tree_or_skip.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using enso::xtf::XtfTest;

struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/enso-xtf-catalog-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

void write(const fs::path& file, const std::string& text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
}

// common.mk as XTF writes it (the environment sets are $(filter)s of the full list).
void write_tree(const fs::path& root) {
    write(root / "build/common.mk",
          "ALL_CATEGORIES     := special functional xsa utility in-development\n\n"
          "ALL_ENVIRONMENTS   := pv64 pv32pae hvm64 hvm32pae hvm32pse hvm32\n\n"
          "PV_ENVIRONMENTS    := $(filter pv%,$(ALL_ENVIRONMENTS))\n"
          "HVM_ENVIRONMENTS   := $(filter hvm%,$(ALL_ENVIRONMENTS))\n"
          "32BIT_ENVIRONMENTS := $(filter pv32% hvm32%,$(ALL_ENVIRONMENTS))\n"
          "64BIT_ENVIRONMENTS := $(filter pv64% hvm64%,$(ALL_ENVIRONMENTS))\n"
          "COMMON_FLAGS := -pipe\n");
    const auto test = [&](const std::string& name, const std::string& envs) {
        write(root / "tests" / name / "Makefile",
              "include $(ROOT)/build/common.mk\n\nNAME      := " + name +
                  "\nCATEGORY  := functional\nTEST-ENVS := " + envs +
                  "\n\nobj-perenv += main.o\n\ninclude $(ROOT)/build/gen.mk\n");
    };
    test("all", "$(ALL_ENVIRONMENTS)");
    test("pv", "$(PV_ENVIRONMENTS)");
    test("hvm", "$(HVM_ENVIRONMENTS)");
    test("mixed", "hvm32 \\\n    pv64 # the continuation and comment are make's");
    test("wide", "$(64BIT_ENVIRONMENTS)");
    test("only32", "pv32pae hvm32");
    write(root / "tests/not-a-test/README", "no Makefile here\n");
}

std::vector<std::string> names(const std::vector<XtfTest>& tests) {
    std::vector<std::string> out;
    for (const auto& t : tests) {
        out.push_back(t.name);
    }
    return out;
}

std::string error_of(const fs::path& root) {
    try {
        (void)enso::xtf::list_xtf_tests(root);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST_CASE("xtf catalog: environments come directly or through common.mk's sets") {
    TempDir tmp;
    write_tree(tmp.path);
    const auto sets = enso::xtf::xtf_environment_sets(tmp.path);
    CHECK(sets.at("PV_ENVIRONMENTS") == std::vector<std::string>{"pv64", "pv32pae"});
    CHECK(sets.at("32BIT_ENVIRONMENTS") ==
          std::vector<std::string>{"pv32pae", "hvm32pae", "hvm32pse", "hvm32"});
    const auto tests = enso::xtf::list_xtf_tests(tmp.path);
    CHECK(names(tests) == std::vector<std::string>{"all", "hvm", "mixed", "only32", "pv", "wide"});
    CHECK(tests[2].envs == std::vector<std::string>{"hvm32", "pv64"});
    CHECK(tests[2].category == "functional");
    CHECK(names(enso::xtf::xtf_tests_for(tests, "pv64")) ==
          std::vector<std::string>{"all", "mixed", "pv", "wide"});
}

TEST_CASE("xtf catalog: an unknown environment or set is an error naming the Makefile") {
    TempDir tmp;
    write_tree(tmp.path);
    write(tmp.path / "tests/odd/Makefile", "NAME := odd\nCATEGORY := xsa\nTEST-ENVS := pv128\n");
    CHECK(error_of(tmp.path).find("tests/odd/Makefile: TEST-ENVS names 'pv128'") !=
          std::string::npos);
    write(tmp.path / "tests/odd/Makefile",
          "NAME := odd\nCATEGORY := xsa\nTEST-ENVS := $(ARM_ENVIRONMENTS)\n");
    CHECK(error_of(tmp.path).find("uses $(ARM_ENVIRONMENTS)") != std::string::npos);
    write(tmp.path / "tests/odd/Makefile", "NAME := odd\nTEST-ENVS := pv64\n");
    CHECK(error_of(tmp.path).find("no CATEGORY") != std::string::npos);
    CHECK(error_of(tmp.path / "nowhere").find("cannot open") != std::string::npos);
}

TEST_CASE("xtf catalog: VARY-CFG variations run with their cfg's command line") {
    TempDir tmp;
    write_tree(tmp.path);
    write(tmp.path / "tests/vary/Makefile",
          "NAME := vary\nCATEGORY := functional\nTEST-ENVS := pv64\nVARY-CFG := one shadow\n");
    write(tmp.path / "tests/vary/one.cfg.in", "# first\ncmdline=\"one two\"\n");
    write(tmp.path / "config/shadow.cfg.in", "hap=0\n");
    const auto tests = enso::xtf::list_xtf_tests(tmp.path);
    const auto it =
        std::find_if(tests.begin(), tests.end(), [](const XtfTest& t) { return t.name == "vary"; });
    REQUIRE(it != tests.end());
    const auto runs = enso::xtf::xtf_runs(*it);
    REQUIRE(runs.size() == 2);
    CHECK(runs[0].id == "vary~one");
    CHECK(runs[0].cmdline == "one two");
    CHECK(runs[1].id == "vary~shadow");
    CHECK(runs[1].cmdline.empty());
    CHECK(enso::xtf::xtf_runs(tests[0]).size() == 1); // "all": no variations, one plain run
    write(tmp.path / "tests/vary/Makefile",
          "NAME := vary\nCATEGORY := functional\nTEST-ENVS := pv64\nVARY-CFG := missing\n");
    CHECK(error_of(tmp.path).find("VARY-CFG names 'missing'") != std::string::npos);
}

TEST_CASE("xtf catalog: VCPUS gives every run of a test its vCPUs, 1 by default") {
    TempDir tmp;
    write_tree(tmp.path);
    write(tmp.path / "tests/two/Makefile",
          "NAME := two\nCATEGORY := xsa\nTEST-ENVS := pv64\nVCPUS     := 2\n");
    const auto tests = enso::xtf::list_xtf_tests(tmp.path);
    for (const auto& t : tests) {
        INFO(t.name);
        CHECK(t.vcpus == (t.name == "two" ? 2U : 1U));
        for (const auto& run : enso::xtf::xtf_runs(t)) {
            CHECK(run.vcpus == t.vcpus);
        }
    }
    write(tmp.path / "tests/two/Makefile",
          "NAME := two\nCATEGORY := xsa\nTEST-ENVS := pv64\nVCPUS := two\n");
    CHECK(error_of(tmp.path).find("VCPUS is 'two', not a count") != std::string::npos);
}

TEST_CASE("xtf catalog: the real tree's pv64 tests") {
    const auto root = enso::test::xtf_tree_or_skip();
    const auto tests = enso::xtf::list_xtf_tests(root);
    const auto pv64 = enso::xtf::xtf_tests_for(tests, "pv64");
    std::printf("%zu tests, %zu run in pv64:\n", tests.size(), pv64.size());
    for (const auto& t : pv64) {
        std::printf("  %-22s %s\n", t.name.c_str(), t.category.c_str());
    }
    CHECK(pv64.size() > 0);
    CHECK(pv64.size() < tests.size());
    const auto n = names(pv64);
    CHECK(std::find(n.begin(), n.end(), "example") != n.end());
    CHECK(std::find(n.begin(), n.end(), "selftest") != n.end());
    for (const auto& t : tests) {
        INFO(t.name);
        CHECK(fs::exists(t.dir / "main.c"));
        CHECK_FALSE(t.envs.empty());
    }
}

TEST_CASE("xtf catalog: one pv64 test builds with XTF's makefiles in a copy of the tree") {
    const auto root = enso::test::xtf_tree_or_skip();
    if (std::system("command -v make >/dev/null 2>&1 && command -v gcc >/dev/null 2>&1") != 0) {
        std::printf("SKIPPED: no make or gcc\n");
        std::fflush(stdout);
        std::exit(77);
    }
    const auto tests = enso::xtf::list_xtf_tests(root);
    const auto it = std::find_if(tests.begin(), tests.end(),
                                 [](const XtfTest& t) { return t.name == "example"; });
    REQUIRE(it != tests.end());
    TempDir tmp;
    const auto build = enso::xtf::build_xtf_test(root, tmp.path / "xtf", *it, "pv64");
    INFO(build.log);
    REQUIRE(build.ok);
    CHECK(build.binary == tmp.path / "xtf/tests/example/test-pv64-example");
    std::ifstream in(build.binary, std::ios::binary);
    char magic[4] = {};
    in.read(magic, 4);
    CHECK(std::string(magic, 4) == "\x7f"
                                   "ELF");
    // Only the environment asked for.
    CHECK_FALSE(fs::exists(tmp.path / "xtf/tests/example/test-hvm64-example"));
    CHECK_FALSE(enso::xtf::build_xtf_test(root, tmp.path / "xtf", *it, "pv128").ok);
}
