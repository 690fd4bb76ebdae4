// The two guests a suite measures: the same guest kernel, one domain per
// transport, in one monitor that lives for the whole run. When
// /dev/kvm cannot be used, why() says so and every guest benchmark is
// skipped with that reason.
#pragma once

#include "bench/common/suite_main.hpp"
#include "hvcore/abi/command_page.hpp"
#include "hvcore/kvm/monitor.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace enso::bench {

inline constexpr std::uint32_t kGuestPages = 8192; // 32 MiB each

class GuestPair {
public:
    // The first call starts the guests, each with `pages` frames.
    static GuestPair& get(std::uint32_t pages = kGuestPages);

    [[nodiscard]] bool ok() const { return monitor_ != nullptr; }
    [[nodiscard]] const std::string& why() const { return why_; }
    kvm::Monitor& monitor() { return *monitor_; }
    [[nodiscard]] std::uint16_t domain(abi::Transport t) const {
        return t == abi::kTransportTrap ? trap_ : exitless_;
    }
    [[nodiscard]] double tsc_hz() const { return tsc_hz_; }
    [[nodiscard]] std::uint32_t pages() const { return pages_; }

    // Runs one command; on failure it marks the benchmark as errored (with
    // the guest's stop report or status) and returns nothing.
    std::optional<kvm::CommandOutcome> run(benchmark::State& state, abi::Transport t,
                                           abi::Command cmd, std::vector<std::uint64_t> args);

private:
    explicit GuestPair(std::uint32_t pages);
    std::unique_ptr<kvm::Monitor> monitor_;
    std::uint16_t trap_ = 0;
    std::uint16_t exitless_ = 0;
    double tsc_hz_ = 0;
    std::uint32_t pages_ = 0;
    std::string why_;
};

} // namespace enso::bench
