// KVM's per-vCPU binary statistics (KVM_GET_STATS_FD): exits without perf.
#pragma once

#include "hvcore/kvm/unique_fd.hpp"

#include <cstdint>
#include <map>
#include <string>

namespace enso::kvm {

// KVM's counters, plus the monitor's own count of exits to user space (PVM
// keeps io_exits at zero, so that count is the one to trust for port exits).
struct ExitCounts {
    std::uint64_t exits = 0;      // every exit from the guest, in-kernel or not
    std::uint64_t io_exits = 0;   // port I/O exits to user space (0 under PVM)
    std::uint64_t mmio_exits = 0; // MMIO exits to user space
    std::uint64_t halt_exits = 0;
    std::uint64_t user_exits = 0; // KVM_RUN returns, counted by the monitor

    friend ExitCounts operator-(const ExitCounts& a, const ExitCounts& b) {
        return {a.exits - b.exits, a.io_exits - b.io_exits, a.mmio_exits - b.mmio_exits,
                a.halt_exits - b.halt_exits, a.user_exits - b.user_exits};
    }
};

class VcpuStats {
public:
    // Opens the vCPU's stats file; available() is false when the kernel has none.
    explicit VcpuStats(int vcpu_fd);

    [[nodiscard]] bool available() const { return fd_.valid(); }
    [[nodiscard]] ExitCounts read() const;
    // Any counter by KVM's name (e.g. "exits", "signal_exits"); 0 if absent.
    [[nodiscard]] std::uint64_t value(const std::string& name) const;
    // Every counter KVM offers, by name (diagnostics).
    [[nodiscard]] std::map<std::string, std::uint64_t> all() const {
        std::map<std::string, std::uint64_t> out;
        for (const auto& [name, c] : counters_) {
            out[name] = value(name);
        }
        return out;
    }

private:
    struct Counter {
        std::uint64_t offset = 0; // byte offset of the value in the file
    };
    UniqueFd fd_;
    std::map<std::string, Counter> counters_;
};

} // namespace enso::kvm
