// blkback: the back end of one guest's blkif ring, a thread of the monitor
// (domain 0). It owns the disk image and an I/O engine, and runs a
// BlkRingServer with one of two notification policies:
//   poll  while there was work in the last `spin`, keep polling the ring and
//         the engine (no kick needed); after that sleep, on the engine while
//         I/O is in flight, else on the kick after asking for one (req_event);
//   kick  the same with spin = 0: asleep whenever there is nothing to do
//         this instant, so the front end kicks at every idle-to-busy turn.
// A kick is the guest's `out` to its ring's kick port (an ioeventfd: handled
// in the kernel, no exit to user space) or an event on domain 0's port.
#pragma once

#include "hvcore/backends/blk_ring_server.hpp"
#include "hvcore/backends/disk_image.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

namespace enso::backends {

enum class EngineKind : std::uint8_t { pread, uring };
enum class NotifyMode : std::uint8_t { poll, kick };
std::string_view engine_name(EngineKind e);
std::string_view notify_name(NotifyMode n);

struct BlkBackConfig {
    EngineKind engine = EngineKind::uring;
    NotifyMode notify = NotifyMode::poll;
    std::chrono::microseconds spin{50}; // poll mode only
    // The thread's nice value (0: the monitor's). Below 0 it preempts vCPU
    // threads when it wakes, as a hypervisor's I/O threads usually do; it
    // needs CAP_SYS_NICE, and stays at 0 (counted in stats) without.
    int nice = 0;
    // The CPU the thread runs on (-1: any). A guest's vCPU spins while it
    // waits for completions; on a core of its own the back end never
    // preempts it (each preemption is an exit under PVM) nor waits for it.
    int cpu = -1;
    BlkServerConfig server;
};

// What wakes the thread besides its own I/O (eventfds owned by the monitor).
struct BlkBackWakeups {
    int kick_fd = -1;  // the ring's kick ioeventfd, or -1
    int event_fd = -1; // events on domain 0's end of the channel, or -1
};

struct BlkBackStats {
    BlkServerStats server;
    BlkDataPath::Counters path;
    std::uint64_t kicks = 0;    // wake-ups by a kick or an event
    std::uint64_t sleeps = 0;   // times the thread slept with nothing in flight
    std::uint64_t io_waits = 0; // times it slept on the engine with I/O in flight
    bool broken = false;
    bool nice_applied = true; // false: the configured nice value was refused
    bool cpu_applied = true;  // false: the configured CPU was refused
};

// Makes an engine of that kind for fd (capacity: at least a ring's worth).
std::unique_ptr<IoEngine> make_engine(EngineKind kind, int fd, unsigned capacity);

class BlkBack {
public:
    // Opens nothing yet: `disk` outlives this object. Throws
    // std::runtime_error when the engine or the data path cannot be set up.
    BlkBack(CoreAccess& access, const DiskImage& disk, std::uint16_t domid,
            const BlkBackConfig& config);
    BlkBack(const BlkBack&) = delete;
    BlkBack& operator=(const BlkBack&) = delete;
    ~BlkBack();

    // Maps the ring and starts the thread. Returns a GNTST_* (the ring's map).
    std::int16_t start(grant_ref_t ring_ref, std::uint32_t dom0_port, BlkBackWakeups wakeups);
    // Stops the thread and releases every grant (waits for I/O in flight).
    void stop();

    // A snapshot, safe while the thread runs (updated as it works).
    [[nodiscard]] BlkBackStats stats() const;
    [[nodiscard]] std::uint16_t domid() const { return domid_; }
    [[nodiscard]] const BlkBackConfig& config() const { return config_; }

private:
    void run();
    void publish();
    void sleep_for_kick();

    CoreAccess& access_;
    const DiskImage& disk_;
    std::uint16_t domid_;
    BlkBackConfig config_;
    std::unique_ptr<IoEngine> engine_;
    std::unique_ptr<BlkRingServer> server_;
    BlkBackWakeups wakeups_;
    int stop_fd_ = -1;
    std::atomic<bool> stop_{false};
    std::thread thread_;

    // The thread's counters, and their published copy.
    std::uint64_t kicks_ = 0;
    std::uint64_t sleeps_ = 0;
    std::uint64_t io_waits_ = 0;
    bool nice_applied_ = true;
    bool cpu_applied_ = true;
    mutable std::mutex stats_mu_;
    BlkBackStats published_;
};

} // namespace enso::backends
