// One guest's block devices on a running monitor, as the blk suite and the
// tests drive them: the disk image, a blkback thread (owned by the monitor
// as the guest's back end) connected to the guest's blkfront the way
// xenstore would connect them (kCmdBlkConnect, then the back end maps the
// ring and binds the channel), and the emulated disk on the same image.
#pragma once

#include "hvcore/abi/blk.hpp"
#include "hvcore/backends/blkback.hpp"
#include "hvcore/backends/emulated_disk.hpp"
#include "hvcore/kvm/monitor.hpp"
#include "workloads/blkio/io_pattern.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace enso::bench {

// How the paravirtual device is set up: both ends agree on it.
struct BlkPathConfig {
    backends::DataPath path = backends::DataPath::persistent;
    backends::NotifyMode notify = backends::NotifyMode::poll;
    std::chrono::microseconds spin{50};
    int nice = 0;          // the back-end thread's (BlkBackConfig::nice)
    int cpu = -1;          // the back-end thread's CPU (BlkBackConfig::cpu)
    bool kick_port = true; // kick through the ring's ioeventfd, not EVTCHNOP_send
    bool indirect = true;
    backends::DataPathLimits limits;
};

struct BlkRunResult {
    kvm::CommandOutcome outcome;
    abi::BlkRunStats stats{};
    std::uint64_t queue_depth = 0; // what the guest could keep in flight
    double host_cpu_seconds = 0;   // this process's CPU time during the command
    // Exits the host caused rather than the guest: KVM's irq_exits, a host
    // interrupt (a timer, a disk completion, a reschedule) while the guest
    // ran. On a loaded host they dominate; the rest (kicks, emulated
    // instructions, faults) are the guest's own.
    std::uint64_t host_exits = 0;
    backends::BlkBackStats backend; // the back end's counters, this run only
};

struct BlkRunSpec {
    blkio::Pattern pattern = blkio::Pattern::randread;
    std::uint32_t device = abi::kBlkDevicePv;
    std::uint64_t io_bytes = 4096;
    std::uint64_t queue_depth = 1;
    std::uint64_t count = 1;
    std::uint64_t seed = 1;
    std::uint64_t span_bytes = 0;
    std::uint64_t options = 0; // abi::kBlkRun*
};

class BlkSession {
public:
    // Opens the image (O_DIRECT or buffered) for both devices; the emulated
    // disk is attached to the guest's ports unless with_emulated is false
    // (one session per guest may have it). Throws std::runtime_error (or
    // kvm::KvmError) with the reason.
    BlkSession(kvm::Monitor& monitor, std::uint16_t domid, const std::string& image, bool direct,
               backends::EngineKind engine, bool with_emulated = true);
    BlkSession(const BlkSession&) = delete;
    BlkSession& operator=(const BlkSession&) = delete;
    ~BlkSession();

    // (Re)connects the paravirtual device with this configuration.
    void connect(const BlkPathConfig& config);
    // The back end lets go first, then the guest ends its grants.
    void disconnect();
    [[nodiscard]] bool connected() const { return backend_ != nullptr; }
    [[nodiscard]] const BlkPathConfig& config() const { return config_; }

    BlkRunResult run(const BlkRunSpec& spec,
                     std::chrono::milliseconds deadline = std::chrono::seconds(120));
    [[nodiscard]] backends::BlkBackStats backend_stats() const;
    [[nodiscard]] backends::EmulatedDisk::Stats emulated_stats() const;
    [[nodiscard]] std::uint64_t disk_bytes() const;
    [[nodiscard]] std::uint16_t domid() const { return domid_; }
    [[nodiscard]] backends::EngineKind engine() const { return engine_; }
    [[nodiscard]] bool direct() const { return direct_; }

private:
    class Backend;
    struct Shared;

    kvm::Monitor& monitor_;
    std::uint16_t domid_;
    backends::EngineKind engine_;
    bool direct_;
    std::shared_ptr<Shared> shared_; // the image and the emulated disk
    Backend* backend_ = nullptr;     // owned by the monitor
    BlkPathConfig config_;
};

// The monitor's CPU time (user + system) so far, in seconds.
double process_cpu_seconds();

} // namespace enso::bench
