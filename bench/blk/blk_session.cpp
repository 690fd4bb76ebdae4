#include "bench/blk/blk_session.hpp"

#include "hvcore/abi/emulated_disk.hpp"
#include "hvcore/kvm/kvm_error.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace enso::bench {

namespace {

backends::BlkBackStats minus(const backends::BlkBackStats& a, const backends::BlkBackStats& b) {
    backends::BlkBackStats d = a;
    d.server.requests -= b.server.requests;
    d.server.responses -= b.server.responses;
    d.server.refused -= b.server.refused;
    d.server.io_errors -= b.server.io_errors;
    d.server.grant_errors -= b.server.grant_errors;
    d.server.batches -= b.server.batches;
    d.server.core_calls -= b.server.core_calls;
    d.server.notifies -= b.server.notifies;
    d.server.stalls -= b.server.stalls;
    d.server.bytes -= b.server.bytes;
    d.path.grant_maps -= b.path.grant_maps;
    d.path.grant_unmaps -= b.path.grant_unmaps;
    d.path.grant_copies -= b.path.grant_copies;
    d.path.persistent_hits -= b.path.persistent_hits;
    d.path.grant_failures -= b.path.grant_failures;
    d.kicks -= b.kicks;
    d.sleeps -= b.sleeps;
    d.io_waits -= b.io_waits;
    return d;
}

} // namespace

double process_cpu_seconds() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

struct BlkSession::Shared {
    backends::DiskImage image;
    std::unique_ptr<backends::EmulatedDisk> emulated;
    Shared(const std::string& path, bool direct) : image(path, direct) {}
};

// The guest's back end as the monitor owns it: the blkback thread plus its
// end of the event channel.
class BlkSession::Backend final : public kvm::GuestBackend {
public:
    Backend(kvm::Monitor& m, std::shared_ptr<Shared> shared, std::uint16_t domid,
            const backends::BlkBackConfig& config)
        : monitor_(m), shared_(std::move(shared)),
          back_(m.core_access(), shared_->image, domid, config) {}
    ~Backend() override {
        back_.stop();
        if (dom0_port_ != 0) {
            monitor_.release_dom0_port_fd(dom0_port_);
            monitor_.with_core([&](core::Core& core, core::Dispatcher&) {
                (void)core.evtchn_close(0, dom0_port_);
            });
        }
    }
    Backend(const Backend&) = delete;
    Backend& operator=(const Backend&) = delete;

    void start(std::uint16_t domid, grant_ref_t ring_ref, std::uint32_t guest_port,
               std::uint32_t kick_ring) {
        core::Rc rc = core::kOk;
        monitor_.with_core([&](core::Core& core, core::Dispatcher&) {
            rc = core.evtchn_bind_interdomain(0, domid, guest_port, dom0_port_);
        });
        if (rc != core::kOk) {
            dom0_port_ = 0;
            throw std::runtime_error(
                fmt::format("blkback: cannot bind the guest's port {}: {}", guest_port, rc));
        }
        backends::BlkBackWakeups w;
        w.kick_fd = monitor_.ring_kick_fd(domid, kick_ring);
        w.event_fd = monitor_.dom0_port_fd(dom0_port_);
        const auto st = back_.start(ring_ref, dom0_port_, w);
        if (st != GNTST_okay) {
            throw std::runtime_error(
                fmt::format("blkback: cannot map the ring (ref {}): {}", ring_ref, st));
        }
    }
    backends::BlkBack& back() { return back_; }

private:
    kvm::Monitor& monitor_;
    std::shared_ptr<Shared> shared_;
    backends::BlkBack back_;
    std::uint32_t dom0_port_ = 0;
};

BlkSession::BlkSession(kvm::Monitor& monitor, std::uint16_t domid, const std::string& image,
                       bool direct, backends::EngineKind engine, bool with_emulated)
    : monitor_(monitor), domid_(domid), engine_(engine), direct_(direct),
      shared_(std::make_shared<Shared>(image, direct)) {
    if (!with_emulated) {
        return;
    }
    shared_->emulated = std::make_unique<backends::EmulatedDisk>(monitor.core_access(),
                                                                 shared_->image, domid, engine);
    auto shared = shared_;
    monitor_.add_port_device(domid, abi::kPortEmuFirst,
                             static_cast<std::uint16_t>(4 * abi::kEmuRegisters),
                             [shared](std::uint16_t port, bool out, std::uint32_t value) {
                                 return shared->emulated->access(port, out, value);
                             });
}

BlkSession::~BlkSession() {
    try {
        disconnect();
    } catch (const std::exception&) {
        // A guest that stopped cannot answer; the monitor still destroys the back end.
    }
}

std::uint64_t BlkSession::disk_bytes() const {
    return shared_->image.bytes();
}

void BlkSession::connect(const BlkPathConfig& config) {
    disconnect();
    config_ = config;
    std::uint64_t features = 0;
    if (config.path == backends::DataPath::persistent) {
        features |= abi::kBlkFeaturePersistent;
    }
    if (config.indirect) {
        features |= abi::kBlkFeatureIndirect;
    }
    if (config.kick_port) {
        features |= abi::kBlkFeatureKickPort;
    }
    constexpr std::uint32_t kKickRing = 0;
    const auto out = monitor_.command(domid_, abi::kCmdBlkConnect,
                                      {shared_->image.sectors(), features, kKickRing,
                                       config.indirect ? backends::kMaxIndirectSegments : 0},
                                      std::chrono::seconds(20));
    if (!out.completed || out.status != 0) {
        throw std::runtime_error(
            fmt::format("blkfront did not connect: {}",
                        out.stop ? out.stop->describe() : fmt::format("status {}", out.status)));
    }
    backends::BlkBackConfig bc;
    bc.engine = engine_;
    bc.notify = config.notify;
    bc.spin = config.spin;
    bc.nice = config.nice;
    bc.cpu = config.cpu;
    bc.server.path = config.path;
    bc.server.path_limits = config.limits;
    bc.server.max_indirect_segments = config.indirect ? backends::kMaxIndirectSegments : 0;
    auto backend = std::make_unique<Backend>(monitor_, shared_, domid_, bc);
    Backend* raw = backend.get();
    monitor_.add_backend(domid_, std::move(backend));
    backend_ = raw;
    try {
        raw->start(domid_, static_cast<grant_ref_t>(out.values[0]),
                   static_cast<std::uint32_t>(out.values[1]), kKickRing);
    } catch (...) {
        disconnect();
        throw;
    }
}

void BlkSession::disconnect() {
    if (backend_ == nullptr) {
        return;
    }
    monitor_.remove_backend(domid_, backend_);
    backend_ = nullptr;
    if (monitor_.stopped(domid_)) {
        return; // nothing to end: the guest is gone
    }
    const auto out = monitor_.command(domid_, abi::kCmdBlkDisconnect, {}, std::chrono::seconds(20));
    if (!out.completed || out.status != 0) {
        throw std::runtime_error(
            fmt::format("blkfront did not disconnect cleanly: {}",
                        out.stop ? out.stop->describe() : fmt::format("status {}", out.status)));
    }
}

backends::BlkBackStats BlkSession::backend_stats() const {
    return backend_ != nullptr ? backend_->back().stats() : backends::BlkBackStats{};
}

backends::EmulatedDisk::Stats BlkSession::emulated_stats() const {
    return shared_->emulated ? shared_->emulated->stats() : backends::EmulatedDisk::Stats{};
}

BlkRunResult BlkSession::run(const BlkRunSpec& spec, std::chrono::milliseconds deadline) {
    if (spec.device == abi::kBlkDevicePv && backend_ == nullptr) {
        throw std::runtime_error("the paravirtual device is not connected");
    }
    BlkRunResult r;
    // A write run's read-back is a command of its own, after the measured
    // one: its I/Os would otherwise count in the run's exits and CPU time.
    const bool read_back =
        blkio::is_write(spec.pattern) && (spec.options & abi::kBlkRunVerifyWrites) != 0;
    const std::uint64_t options =
        read_back ? spec.options & ~abi::kBlkRunVerifyWrites : spec.options;
    const auto blk_run = [&](std::uint64_t with_options) {
        return monitor_.command(domid_, abi::kCmdBlkRun,
                                {static_cast<std::uint64_t>(spec.pattern) |
                                     (std::uint64_t{spec.device} << 8) | with_options,
                                 spec.io_bytes, spec.queue_depth, spec.count, spec.seed,
                                 spec.span_bytes},
                                deadline);
    };
    const auto before = backend_stats();
    const auto stats0 = monitor_.vcpu_statistics(domid_);
    const double cpu0 = process_cpu_seconds();
    r.outcome = blk_run(options);
    r.host_cpu_seconds = process_cpu_seconds() - cpu0;
    auto stats1 = monitor_.vcpu_statistics(domid_);
    const auto irq0 = stats0.find("irq_exits");
    r.host_exits = stats1["irq_exits"] - (irq0 != stats0.end() ? irq0->second : 0);
    r.backend = minus(backend_stats(), before);
    if (r.outcome.completed) {
        std::memcpy(&r.stats, monitor_.command_data(domid_), sizeof r.stats);
        r.queue_depth = r.outcome.values[0];
    }
    if (read_back && r.outcome.completed && r.outcome.status == 0) {
        const auto check = blk_run(options | abi::kBlkRunReadBackOnly);
        abi::BlkRunStats checked{};
        if (check.completed) {
            std::memcpy(&checked, monitor_.command_data(domid_), sizeof checked);
        }
        const bool ran = check.completed && check.status == 0;
        r.stats.readback_bad =
            ran ? checked.readback_bad : std::max<std::uint64_t>(1, checked.readback_bad);
        r.stats.checked_blocks += checked.checked_blocks;
        if (!ran) {
            r.outcome = check; // say why the read-back did not run
        }
    }
    return r;
}

} // namespace enso::bench
