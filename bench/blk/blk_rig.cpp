#include "bench/blk/blk_rig.hpp"

#include "hvcore/kvm/irq_probe.hpp"
#include "hvcore/kvm/kvm_error.hpp"
#include "hvcore/kvm/kvm_probe.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace enso::bench {

BlkRig& BlkRig::get(std::uint64_t image_bytes, abi::Transport transport) {
    static BlkRig rig(image_bytes, transport);
    return rig;
}

BlkRig::BlkRig(std::uint64_t image_bytes, abi::Transport transport) : transport_(transport) {
    try {
        image_ = std::make_unique<TempImage>("enso-blk-suite", image_bytes);
    } catch (const std::exception& e) {
        image_why_ = std::string("skipped: cannot make the disk image: ") + e.what();
        why_ = image_why_;
        return;
    }
    const auto probe = kvm::probe_kvm();
    if (!probe.usable()) {
        why_ = fmt::format("skipped: /dev/kvm is {} ({})",
                           kvm::device_state_name(probe.device_state), probe.device_message);
        return;
    }
    try {
        kvm::MonitorConfig config;
        config.machine_frames = kBlkGuestPages + 8192;
        monitor_ = std::make_unique<kvm::Monitor>(config);
        kvm::DomainConfig dc;
        dc.pages = kBlkGuestPages;
        dc.transport = transport;
        // Interrupts at CPL3 for the -irq rows, where the host delivers them.
        const auto& irq = kvm::cpl3_irq_support();
        dc.event_irq = irq.delivered;
        irq_ok_ = irq.delivered;
        irq_why_ =
            irq.delivered ? irq.detail : "skipped: no interrupts at guest CPL3 here: " + irq.detail;
        domid_ = monitor_->start_domain(dc);
        const auto out = monitor_->command(domid_, abi::kCmdPing, {7}, std::chrono::seconds(10));
        if (!out.completed || out.values[0] != (abi::kPingMagic ^ 7)) {
            why_ = fmt::format("the guest did not boot: {}",
                               out.stop ? out.stop->describe() : "wrong answer to ping");
            return;
        }
        tsc_hz_ = static_cast<double>(monitor_->tsc_khz()) * 1000.0;
        if (tsc_hz_ <= 0) {
            why_ = "KVM does not report the guest's TSC frequency";
            return;
        }
        session_ = std::make_unique<BlkSession>(*monitor_, domid_, image_->path().string(), true,
                                                backends::EngineKind::uring);
    } catch (const std::exception& e) {
        why_ = std::string("skipped: ") + e.what();
        session_.reset();
    }
}

BlkSession& BlkRig::connect(backends::EngineKind engine, bool direct, const BlkPathConfig& config) {
    BlkSession* target = nullptr;
    if (engine == backends::EngineKind::uring && direct) {
        target = session_.get();
    } else {
        auto& s = others_[{engine, direct}];
        if (!s) {
            s = std::make_unique<BlkSession>(*monitor_, domid_, image_->path().string(), direct,
                                             engine, false);
        }
        target = s.get();
    }
    // One front end per guest: whichever session holds it lets go.
    if (session_.get() != target) {
        session_->disconnect();
    }
    for (auto& [key, s] : others_) {
        if (s.get() != target) {
            s->disconnect();
        }
    }
    const auto& c = target->config();
    if (!target->connected() || c.path != config.path || c.notify != config.notify ||
        c.spin != config.spin || c.nice != config.nice || c.cpu != config.cpu ||
        c.kick_port != config.kick_port || c.indirect != config.indirect) {
        target->connect(config);
    }
    return *target;
}

} // namespace enso::bench
