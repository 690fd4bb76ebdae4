// The benchmark name grammar every Enso suite follows:
//   <suite>/<operation>[/<parameters>...]/<mode>
// e.g. hypercall/mmu_update/512/guest-exitless, blk/randread/4k/qd32/native.
// The mode says what was measured: a guest over some transport or I/O path,
// or one of the twins a guest figure is compared with (native, floor,
// inprocess). Names outside the grammar (the core suite's BM_*) are still
// reported, just never paired.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enso::reports {

enum class Role {
    guest,     // guest-trap, guest-exitless, a blk path, emulated ...: what pays the overhead
    native,    // the same work as a host process: "bare metal"
    floor,     // the platform's bare exit or ring round trip, no core work
    inprocess, // the core's handler called in-process, no VM boundary
};

std::string_view role_name(Role role);

struct BenchmarkName {
    std::string suite;
    std::string operation;
    std::vector<std::string> parameters;
    std::string mode; // the last component, as written
    Role role = Role::guest;
    std::string transport; // "trap" for guest-trap and floor-trap; empty when the mode names none

    // suite/operation[/parameters]: twins share it.
    [[nodiscard]] std::string group_key() const;
    // "mmu_update 512", "randread 4k qd32": the workload, for tables and charts.
    [[nodiscard]] std::string workload_label() const;
    // The first all-digit parameter (the batch size of mmu_update/512).
    [[nodiscard]] std::optional<std::uint64_t> batch_size() const;
    // qd32 -> 32.
    [[nodiscard]] std::optional<std::uint64_t> queue_depth() const;
};

// Drops what Google Benchmark appends to a registered name: /manual_time,
// /real_time, /process_time, and key:value options (/repeats:5, /threads:1,
// /iterations:100, /min_time:0.5 ...).
std::string strip_benchmark_suffixes(std::string_view name);

// Parses a name (after strip_benchmark_suffixes); empty when it does not
// follow the grammar.
std::optional<BenchmarkName> parse_benchmark_name(std::string_view name);

// Whether a baseline of this name is the twin of that guest entry: same
// group, and a baseline that names a transport (floor-trap) only pairs with
// the guest over that transport.
bool is_twin_of(const BenchmarkName& guest, const BenchmarkName& baseline);

} // namespace enso::reports
