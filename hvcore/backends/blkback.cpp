#include "hvcore/backends/blkback.hpp"

#include "hvcore/backends/sync_engine.hpp"
#include "hvcore/backends/uring_engine.hpp"

#include <sys/eventfd.h>
#include <sys/resource.h>

#include <cerrno>
#include <poll.h>
#include <sched.h>
#include <stdexcept>
#include <unistd.h>

namespace enso::backends {

namespace {

using Clock = std::chrono::steady_clock;

// How long a sleep lasts at most: a lost wake-up costs this, never a hang.
constexpr std::chrono::milliseconds kSleepBound{50};

// Reads an eventfd's count (0 if none or not an fd).
std::uint64_t drain(int fd) {
    std::uint64_t n = 0;
    if (fd >= 0 && ::read(fd, &n, sizeof n) != static_cast<ssize_t>(sizeof n)) {
        n = 0;
    }
    return n;
}

inline void cpu_relax() {
    __builtin_ia32_pause();
}

} // namespace

std::string_view engine_name(EngineKind e) {
    return e == EngineKind::pread ? "pread" : "io_uring";
}

std::string_view notify_name(NotifyMode n) {
    return n == NotifyMode::poll ? "poll" : "kick";
}

std::unique_ptr<IoEngine> make_engine(EngineKind kind, int fd, unsigned capacity) {
    if (kind == EngineKind::pread) {
        return std::make_unique<SyncEngine>(fd, capacity);
    }
    return std::make_unique<UringEngine>(fd, capacity);
}

BlkBack::BlkBack(CoreAccess& access, const DiskImage& disk, std::uint16_t domid,
                 const BlkBackConfig& config)
    : access_(access), disk_(disk), domid_(domid), config_(config),
      engine_(make_engine(config.engine, disk.fd(), kBlkRingSize)),
      server_(
          std::make_unique<BlkRingServer>(access, *engine_, domid, disk.sectors(), config.server)) {
    stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stop_fd_ < 0) {
        throw std::runtime_error("blkback: eventfd failed");
    }
}

BlkBack::~BlkBack() {
    stop();
    server_.reset(); // releases the grants before the engine goes
    engine_.reset();
    if (stop_fd_ >= 0) {
        ::close(stop_fd_);
    }
}

std::int16_t BlkBack::start(grant_ref_t ring_ref, std::uint32_t dom0_port, BlkBackWakeups wakeups) {
    if (thread_.joinable()) {
        return GNTST_general_error;
    }
    const std::int16_t rc = server_->connect(ring_ref, dom0_port);
    if (rc != GNTST_okay) {
        return rc;
    }
    wakeups_ = wakeups;
    drain(wakeups_.kick_fd); // kicks from an earlier connection
    drain(wakeups_.event_fd);
    stop_.store(false);
    thread_ = std::thread([this] { run(); });
    return GNTST_okay;
}

void BlkBack::stop() {
    if (thread_.joinable()) {
        stop_.store(true);
        const std::uint64_t one = 1;
        (void)::write(stop_fd_, &one, sizeof one);
        thread_.join();
    }
    if (server_) {
        server_->disconnect();
        publish();
    }
}

BlkBackStats BlkBack::stats() const {
    std::lock_guard lock(stats_mu_);
    return published_;
}

void BlkBack::publish() {
    std::lock_guard lock(stats_mu_);
    published_.server = server_->stats();
    published_.path = server_->path_counters();
    published_.kicks = kicks_;
    published_.sleeps = sleeps_;
    published_.io_waits = io_waits_;
    published_.broken = server_->broken();
    published_.nice_applied = nice_applied_;
    published_.cpu_applied = cpu_applied_;
}

void BlkBack::sleep_for_kick() {
    pollfd fds[3] = {
        {stop_fd_, POLLIN, 0}, {wakeups_.kick_fd, POLLIN, 0}, {wakeups_.event_fd, POLLIN, 0}};
    const int rc = ::poll(fds, 3, static_cast<int>(kSleepBound.count()));
    if (rc > 0) {
        kicks_ += (drain(wakeups_.kick_fd) != 0 ? 1 : 0) + (drain(wakeups_.event_fd) != 0 ? 1 : 0);
    }
}

void BlkBack::run() {
    if (config_.nice != 0) {
        nice_applied_ =
            ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), config_.nice) == 0;
    }
    auto last_work = Clock::now();
    const auto spin =
        config_.notify == NotifyMode::poll ? config_.spin : std::chrono::microseconds{0};
    while (!stop_.load(std::memory_order_relaxed)) {
        if (server_->poll_once()) {
            last_work = Clock::now();
            publish();
            continue;
        }
        if (server_->broken()) {
            publish();
            pollfd fd{stop_fd_, POLLIN, 0};
            (void)::poll(&fd, 1, static_cast<int>(kSleepBound.count()));
            continue;
        }
        if (spin.count() > 0 && Clock::now() - last_work < spin) {
            cpu_relax();
            continue;
        }
        if (server_->in_flight() > 0) {
            // The next completion wakes us. No kick is asked for (req_event
            // stays behind): requests that come meanwhile wait for that
            // completion, and cost the front end no exit.
            ++io_waits_;
            engine_->wait(kSleepBound);
            continue;
        }
        if (server_->final_check()) {
            continue;
        }
        ++sleeps_;
        publish();
        sleep_for_kick();
        last_work = Clock::now(); // a kick means requests: spin for them again
    }
    publish();
}

} // namespace enso::backends
