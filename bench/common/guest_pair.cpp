#include "bench/common/guest_pair.hpp"

#include "hvcore/kvm/kvm_error.hpp"
#include "hvcore/kvm/kvm_probe.hpp"

#include <fmt/format.h>

namespace enso::bench {

GuestPair& GuestPair::get(std::uint32_t pages) {
    static GuestPair pair(pages);
    return pair;
}

GuestPair::GuestPair(std::uint32_t pages) : pages_(pages) {
    const auto probe = kvm::probe_kvm();
    if (!probe.usable()) {
        why_ = fmt::format("skipped: /dev/kvm is {} ({})",
                           kvm::device_state_name(probe.device_state), probe.device_message);
        return;
    }
    try {
        kvm::MonitorConfig config;
        config.machine_frames = 2 * pages + 8192;
        auto monitor = std::make_unique<kvm::Monitor>(config);
        kvm::DomainConfig dc;
        dc.pages = pages;
        dc.transport = abi::kTransportTrap;
        trap_ = monitor->start_domain(dc);
        dc.transport = abi::kTransportExitless;
        exitless_ = monitor->start_domain(dc);
        for (auto d : {trap_, exitless_}) {
            const auto out = monitor->command(d, abi::kCmdPing, {7}, std::chrono::seconds(10));
            if (!out.completed || out.values[0] != (abi::kPingMagic ^ 7)) {
                why_ = fmt::format("guest {} did not boot: {}", d,
                                   out.stop ? out.stop->describe() : "wrong answer to ping");
                return;
            }
        }
        tsc_hz_ = static_cast<double>(monitor->tsc_khz()) * 1000.0;
        if (tsc_hz_ <= 0) {
            why_ = "KVM does not report the guest's TSC frequency";
            return;
        }
        monitor_ = std::move(monitor);
    } catch (const kvm::KvmError& e) {
        why_ = std::string("skipped: ") + e.what();
    }
}

std::optional<kvm::CommandOutcome> GuestPair::run(benchmark::State& state, abi::Transport t,
                                                  abi::Command cmd,
                                                  std::vector<std::uint64_t> args) {
    if (!ok()) {
        state.SkipWithError(why_.c_str());
        return std::nullopt;
    }
    kvm::CommandOutcome out;
    switch (args.size()) {
    case 1:
        out = monitor_->command(domain(t), cmd, {args[0]});
        break;
    case 2:
        out = monitor_->command(domain(t), cmd, {args[0], args[1]});
        break;
    default:
        out = monitor_->command(domain(t), cmd, {});
        break;
    }
    if (!out.completed) {
        const auto msg = out.stop ? out.stop->describe() : std::string("no answer");
        state.SkipWithError(msg.c_str());
        return std::nullopt;
    }
    if (out.status != 0) {
        const auto msg =
            fmt::format("guest command {} failed: {}", static_cast<unsigned>(cmd), out.status);
        state.SkipWithError(msg.c_str());
        return std::nullopt;
    }
    return out;
}

} // namespace enso::bench
