#include "hvcore/kvm/host_info.hpp"

#include "enso_build_id.hpp" // ENSO_GIT_COMMIT, generated at build time

#include <sys/utsname.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unistd.h>
#include <z3.h>

#ifndef ENSO_BUILD_TYPE
#define ENSO_BUILD_TYPE "unknown"
#endif

namespace enso::kvm {

namespace {

std::string trim(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) {
        return {};
    }
    const auto last = s.find_last_not_of(" \t\r\n");
    return s.substr(first, last - first + 1);
}

// Value of the first "key : value" line of /proc/cpuinfo with this key.
std::string cpuinfo_field(const std::string& key) {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        const auto colon = line.find(':');
        if (colon != std::string::npos && trim(line.substr(0, colon)) == key) {
            return trim(line.substr(colon + 1));
        }
    }
    return {};
}

bool cpuinfo_has_flag(const std::string& flag) {
    std::istringstream flags(cpuinfo_field("flags"));
    std::string word;
    while (flags >> word) {
        if (word == flag) {
            return true;
        }
    }
    return false;
}

std::uint64_t memory_total_bytes() {
    std::ifstream in("/proc/meminfo");
    std::string key;
    std::uint64_t kib = 0;
    std::string unit;
    while (in >> key >> kib >> unit) {
        if (key == "MemTotal:") {
            return kib * 1024;
        }
    }
    return 0;
}

std::string kernel_string() {
    utsname u{};
    if (::uname(&u) != 0) {
        return "unknown";
    }
    return std::string(u.sysname) + " " + u.release + " " + u.version + " " + u.machine;
}

std::string compiler_string() {
#if defined(__clang__)
    return "clang " + std::to_string(__clang_major__) + "." + std::to_string(__clang_minor__) +
           "." + std::to_string(__clang_patchlevel__);
#elif defined(__GNUC__)
    return "gcc " + std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
           std::to_string(__GNUC_PATCHLEVEL__);
#else
    return "unknown";
#endif
}

std::string z3_version_string() {
    unsigned major = 0;
    unsigned minor = 0;
    unsigned build = 0;
    unsigned revision = 0;
    Z3_get_version(&major, &minor, &build, &revision);
    return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(build) + "." +
           std::to_string(revision);
}

std::string find_on_path(const std::string& name) {
    const char* path_env = std::getenv("PATH");
    std::istringstream dirs(path_env != nullptr ? path_env : "/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        if (dir.empty()) {
            continue;
        }
        std::string candidate = dir;
        candidate += '/';
        candidate += name;
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
    }
    return {};
}

} // namespace

nlohmann::json PerfInfo::to_json() const {
    return {
        {"on_path", on_path()},
        {"path", path},
        {"probed", probed},
        {"hardware_counters",
         hardware_counters ? nlohmann::json(*hardware_counters) : nlohmann::json()},
        {"detail", detail},
    };
}

PerfInfo probe_perf(std::chrono::seconds timeout) {
    PerfInfo info;
    info.path = find_on_path("perf");
    if (!info.on_path()) {
        info.detail = "perf not found on PATH";
        return info;
    }
    // CSV output (-x,) puts "<not supported>" in the first field when the
    // event cannot be counted; `timeout` keeps a wedged perf from hanging us.
    const std::string cmd = "timeout " + std::to_string(timeout.count()) + " '" + info.path +
                            "' stat -x, -e instructions true 2>&1";
    FILE* pipe = ::popen(cmd.c_str(), "r");
    if (pipe == nullptr) {
        info.detail = "could not start perf";
        return info;
    }
    std::string output;
    std::array<char, 512> buf{};
    while (std::fgets(buf.data(), static_cast<int>(buf.size()), pipe) != nullptr) {
        output += buf.data();
    }
    const int status = ::pclose(pipe);
    info.probed = true;
    output = trim(output);
    if (output.find("<not supported>") != std::string::npos) {
        info.hardware_counters = false;
        info.detail = "hardware counters not supported (software events and tracepoints only)";
    } else if (output.find("<not counted>") != std::string::npos) {
        info.hardware_counters = false;
        info.detail = "hardware counters not counted: " + output;
    } else if (status == 0 && output.find("instructions") != std::string::npos) {
        info.hardware_counters = true;
        info.detail = "hardware counters available";
    } else {
        info.detail = "perf stat failed (exit status " + std::to_string(status) + "): " + output;
    }
    return info;
}

nlohmann::json HostInfo::to_json() const {
    nlohmann::json j = {
        {"cpu_model", cpu_model},
        {"logical_cpus", logical_cpus},
        {"memory_bytes", memory_bytes},
        {"under_hypervisor", under_hypervisor},
        {"kernel", kernel},
        {"compiler", compiler},
        {"build_type", build_type},
        {"git_commit", git_commit},
        {"z3_version", z3_version},
        {"kvm", kvm.to_json()},
    };
    j["perf"] = perf ? perf->to_json() : nlohmann::json();
    return j;
}

HostInfo collect_host_info(bool with_perf_probe) {
    HostInfo info;
    info.cpu_model = cpuinfo_field("model name");
    if (info.cpu_model.empty()) {
        info.cpu_model = "unknown";
    }
    const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    info.logical_cpus = cpus > 0 ? static_cast<unsigned>(cpus) : 0U;
    info.memory_bytes = memory_total_bytes();
    info.under_hypervisor = cpuinfo_has_flag("hypervisor");
    info.kernel = kernel_string();
    info.compiler = compiler_string();
    info.build_type = ENSO_BUILD_TYPE;
    info.git_commit = ENSO_GIT_COMMIT;
    info.z3_version = z3_version_string();
    info.kvm = probe_kvm();
    if (with_perf_probe) {
        info.perf = probe_perf();
    }
    return info;
}

} // namespace enso::kvm
