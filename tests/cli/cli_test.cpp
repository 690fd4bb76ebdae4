// Black-box tests of the enso command line.
#include "reports/suite_registry.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {

struct Result {
    int exit_code = -1;
    std::string out; // stdout and stderr together
};

// env: variable assignments to put before the command, e.g. "X=1 ".
Result run_enso(const std::string& args, const std::string& env = "") {
    const std::string cmd = env + "'" + ENSO_BINARY + "' " + args + " 2>&1";
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

Result run_enso_stdout(const std::string& args) {
    return run_enso(args + " 2>/dev/null");
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("--help exits 0 and names every subcommand") {
    const auto r = run_enso("--help");
    CHECK(r.exit_code == 0);
    for (const char* sub : {"info", "list", "run", "report", "verify"}) {
        INFO("subcommand " << sub);
        CHECK(contains(r.out, sub));
    }
}

TEST_CASE("info --json parses and records the KVM backend") {
    const auto r = run_enso_stdout("info --json");
    REQUIRE(r.exit_code == 0);
    const auto j = nlohmann::json::parse(r.out, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    REQUIRE(j.contains("kvm"));
    REQUIRE(j["kvm"].contains("backend"));
    CHECK(j["kvm"]["backend"].is_string());
    CHECK(j["kvm"].contains("device_state"));
    CHECK(j.contains("cpu_model"));
    CHECK(j.contains("git_commit"));
}

TEST_CASE("info prints a readable report") {
    const auto r = run_enso("info");
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "backend"));
    CHECK(contains(r.out, "kernel"));
}

TEST_CASE("list names every suite") {
    const auto r = run_enso("list");
    CHECK(r.exit_code == 0);
    for (const char* suite : {"core", "hypercall", "blk", "pagetable", "compute"}) {
        INFO("suite " << suite);
        CHECK(contains(r.out, suite));
    }
    for (const auto& suite : enso::reports::registered_suites()) {
        INFO("registered suite " << suite.name);
        CHECK(contains(r.out, "  " + std::string(suite.name) + " "));
        CHECK(contains(r.out, std::string(suite.description)));
    }
}

TEST_CASE("run with a filter that matches nothing measures nothing and says so") {
    const std::string dir = "/tmp/enso-cli-empty-" + std::to_string(::getpid());
    const auto r = run_enso("run --filter 'no-such-benchmark' --out " + dir);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.out, "no benchmark matches"));
    CHECK(contains(r.out, "0 results"));
    std::filesystem::remove_all(dir);
}

TEST_CASE("Ctrl-C during a run keeps what was measured and marks the rest") {
    const std::string dir = "/tmp/enso-cli-int-" + std::to_string(::getpid());
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::setpgid(0, 0);
        const std::string out = "--out=" + dir;
        ::execl(ENSO_BINARY, ENSO_BINARY, "run", "core", "--no-report", out.c_str(),
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::setpgid(pid, pid);
    // Interrupt once the first benchmark's result is in the suite's file.
    for (int i = 0; i < 600 && !std::filesystem::exists(dir + "/core.json"); ++i) {
        ::usleep(10000);
    }
    ::usleep(1500000);
    ::kill(-pid, SIGINT); // the whole process group, as a terminal does
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 130);
    std::ifstream in(dir + "/results.json");
    REQUIRE(in);
    const auto j = nlohmann::json::parse(in);
    CHECK(j["context"]["enso_interrupted"] == true);
    std::size_t measured = 0;
    std::size_t interrupted = 0;
    for (const auto& b : j["benchmarks"]) {
        if (b.value("error_occurred", false)) {
            interrupted +=
                b.value("error_message", std::string()).find("interrupted") != std::string::npos
                    ? 1
                    : 0;
        } else {
            ++measured;
        }
    }
    CHECK(measured > 0);
    CHECK(interrupted > 0);
    std::filesystem::remove_all(dir);
}

TEST_CASE("run blk without /dev/kvm measures the native twins and marks the guest rows skipped") {
    const std::string dir = "/tmp/enso-cli-blk-" + std::to_string(::getpid());
    const auto r = run_enso("run blk --quick --repetitions 1 --filter 'randread/4k/qd1/"
                            "(native|guest-persistent-poll)' --out " +
                                dir,
                            "ENSO_KVM_DEVICE=/nonexistent/kvm ENSO_BLK_IMAGE_MB=16 ");
    INFO(r.out);
    CHECK(r.exit_code == 0);
    std::ifstream in(dir + "/results.json");
    REQUIRE(in);
    const auto j = nlohmann::json::parse(in);
    bool guest_skipped = false;
    bool native_measured = false;
    for (const auto& b : j["benchmarks"]) {
        const auto name = b["run_name"].get<std::string>();
        if (name.find("guest-persistent-poll") != std::string::npos) {
            guest_skipped =
                b.value("error_occurred", false) &&
                b.value("error_message", std::string()).find("/dev/kvm") != std::string::npos;
        }
        if (name.find("/native") != std::string::npos) {
            native_measured = !b.value("error_occurred", false) && b.contains("integrity_ok") &&
                              b["integrity_ok"] == 1;
        }
    }
    CHECK(guest_skipped);
    CHECK(native_measured);
    std::filesystem::remove_all(dir);
}

TEST_CASE("run hypercall writes Google Benchmark JSON with the host context") {
    const std::string dir = "/tmp/enso-cli-test-" + std::to_string(::getpid());
    const auto r =
        run_enso("run hypercall --quick --repetitions 1 --filter 'null/inprocess' --out " + dir);
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    std::ifstream in(dir + "/results.json");
    REQUIRE(in);
    const auto j = nlohmann::json::parse(in);
    CHECK(j["context"].contains("enso_host"));
    REQUIRE(j["context"]["enso_runs"].size() == 1);
    const auto& suite_run = j["context"]["enso_runs"][0];
    CHECK(suite_run["suite"] == "hypercall");
    CHECK(suite_run["context"].contains("enso_guests")); // running, or why not
    bool found = false;
    for (const auto& b : j["benchmarks"]) {
        found = found || b["run_name"].get<std::string>().rfind("hypercall/null/inprocess", 0) == 0;
    }
    CHECK(found);
    std::filesystem::remove_all(dir);
}

TEST_CASE("a bad subcommand exits non-zero") {
    const auto r = run_enso("frobnicate");
    CHECK(r.exit_code != 0);
}

TEST_CASE("an unknown suite exits non-zero") {
    const auto r = run_enso("run --suite nosuch");
    CHECK(r.exit_code != 0);
}

TEST_CASE("report without a results file and verify exit non-zero with the reason") {
    const auto report = run_enso("report");
    CHECK(report.exit_code != 0);
    CHECK(contains(report.out, "results"));

    // Bad input to verify is refused at once (exit 2), naming what is wrong.
    const auto handler = run_enso("verify --handler nosuch");
    CHECK(handler.exit_code == 2);
    CHECK(contains(handler.out, "nosuch"));
    const auto mutant = run_enso("verify --mutant nosuch");
    CHECK(mutant.exit_code == 2);
    CHECK(contains(mutant.out, "nosuch"));
}

TEST_CASE("without /dev/kvm, run measures what needs no VM and marks the guest rows skipped") {
    const std::string dir = "/tmp/enso-cli-nokvm-" + std::to_string(::getpid());
    const auto r = run_enso("run hypercall --quick --repetitions 1 --filter 'null' --out " + dir,
                            "ENSO_KVM_DEVICE=/nonexistent/kvm ");
    INFO(r.out);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "guest benchmarks will be skipped"));
    std::ifstream in(dir + "/results.json");
    REQUIRE(in);
    const auto j = nlohmann::json::parse(in);
    bool guest_skipped = false;
    bool inprocess_measured = false;
    for (const auto& b : j["benchmarks"]) {
        const auto name = b["run_name"].get<std::string>();
        if (name.find("guest-trap") != std::string::npos) {
            guest_skipped =
                b.value("error_occurred", false) &&
                b.value("error_message", std::string()).find("/dev/kvm") != std::string::npos;
        }
        if (name.find("null/inprocess") != std::string::npos) {
            inprocess_measured = !b.value("error_occurred", false);
        }
    }
    CHECK(guest_skipped);
    CHECK(inprocess_measured);
    CHECK(std::filesystem::exists(dir + "/index.html"));
    std::filesystem::remove_all(dir);
}
