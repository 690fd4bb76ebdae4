// The host context every Enso result records: CPU, memory, kernel, whether
// the host itself is virtualized, KVM, toolchain, build and commit.
// Errors are values: nothing here throws.
#pragma once

#include "hvcore/kvm/kvm_probe.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace enso::kvm {

struct PerfInfo {
    std::string path;                      // empty when `perf` is not on PATH
    bool probed = false;                   // whether `perf stat` was run
    std::optional<bool> hardware_counters; // empty when unknown
    std::string detail;                    // what perf said, or why it was not run

    [[nodiscard]] bool on_path() const { return !path.empty(); }
    [[nodiscard]] nlohmann::json to_json() const;
};

struct HostInfo {
    std::string cpu_model;
    unsigned logical_cpus = 0;
    std::uint64_t memory_bytes = 0;
    bool under_hypervisor = false; // the `hypervisor` cpuinfo flag: "bare metal" is itself a guest
    std::string kernel;            // uname: sysname release version machine
    std::string compiler;          // id and version, from predefined macros
    std::string build_type;        // CMake build type of this binary
    std::string git_commit;        // at configure time, "unknown" outside a git checkout
    std::string z3_version;
    KvmProbe kvm;
    std::optional<PerfInfo> perf; // only filled when asked (it runs a process)

    [[nodiscard]] nlohmann::json to_json() const;
};

// Collects everything cheap. With probe_perf, also runs probe_perf().
HostInfo collect_host_info(bool with_perf_probe = false);

// Is `perf` on PATH, and does `perf stat -e instructions true` count
// hardware events? Runs perf with the given timeout.
PerfInfo probe_perf(std::chrono::seconds timeout = std::chrono::seconds(5));

} // namespace enso::kvm
