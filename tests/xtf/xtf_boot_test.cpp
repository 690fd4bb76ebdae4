// Unmodified XTF kernels booted on Enso: `example` and `selftest` must report
// SUCCESS, and a kernel that faults with nothing to catch it is a CRASH with
// the reason, not a hung or dead monitor. Needs /dev/kvm and an XTF tree
// ($ENSO_XTF_DIR); skipped (77) without either.
#include "tests/kvm/kvm_or_skip.hpp"
#include "xtf/xtf_catalog.hpp"
#include "xtf/xtf_run.hpp"
#include "xtf_tree_or_skip.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

// A copy of the tree for one test case's builds, removed with it.
struct TreeCopy {
    fs::path dir = fs::temp_directory_path() / fmt::format("enso-xtf-boot-{}", ::getpid());
    TreeCopy() = default;
    TreeCopy(const TreeCopy&) = delete;
    TreeCopy& operator=(const TreeCopy&) = delete;
    ~TreeCopy() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

fs::path build_pv64(const fs::path& root, const fs::path& copy, const std::string& name) {
    for (const auto& t : enso::xtf::list_xtf_tests(root)) {
        if (t.name == name) {
            const auto built = enso::xtf::build_xtf_test(root, copy, t, "pv64");
            INFO(built.log);
            REQUIRE(built.ok);
            return built.binary;
        }
    }
    FAIL("no test " << name << " in " << root);
    return {};
}

} // namespace

TEST_CASE("xtf boot: example and selftest report SUCCESS over both transports") {
    enso::test::kvm_or_skip();
    const auto root = enso::test::xtf_tree_or_skip();
    const TreeCopy copy;
    enso::kvm::Monitor monitor;
    for (const auto transport : {enso::abi::kTransportTrap, enso::abi::kTransportExitless}) {
        for (const char* name : {"example", "selftest"}) {
            enso::xtf::XtfBoot boot;
            boot.transport = transport;
            const auto run =
                enso::xtf::run_xtf_kernel(monitor, build_pv64(root, copy.dir, name), boot);
            INFO(name << " over " << enso::xtf::transport_name(transport) << ": "
                      << enso::xtf::xtf_verdict_name(run.verdict) << " (" << run.reason << ")\n"
                      << run.console);
            CHECK(run.verdict == enso::xtf::XtfVerdict::success);
            CHECK(run.console.find("--- Xen Test Framework ---") != std::string::npos);
            CHECK(run.exceptions > 0); // its start of day goes through the exception path
        }
    }
}
