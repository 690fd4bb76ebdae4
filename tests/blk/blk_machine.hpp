// A monitor with one guest and a pattern image, for the KVM block tests.
#pragma once

#include "bench/blk/blk_session.hpp"
#include "bench/blk/pattern_image.hpp"
#include "hvcore/kvm/monitor.hpp"
#include "tests/kvm/kvm_or_skip.hpp"

#include <catch2/catch.hpp>

#include <memory>

namespace enso::test {

inline constexpr std::uint64_t kTestImageBytes = 64ULL << 20;

struct BlkMachine {
    explicit BlkMachine(const std::string& name, bool direct = true,
                        backends::EngineKind engine = backends::EngineKind::uring,
                        std::uint64_t image_bytes = kTestImageBytes, bool with_irq = false)
        : image(name, image_bytes), event_irq(with_irq) {
        kvm::MonitorConfig mc;
        mc.machine_frames = 16384;
        monitor = std::make_unique<kvm::Monitor>(mc);
        domid = start_guest();
        session = std::make_unique<bench::BlkSession>(*monitor, domid, image.path().string(),
                                                      direct, engine);
    }
    ~BlkMachine() {
        session.reset();
        monitor.reset();
    }
    BlkMachine(const BlkMachine&) = delete;
    BlkMachine& operator=(const BlkMachine&) = delete;

    std::uint16_t start_guest() {
        kvm::DomainConfig dc;
        dc.pages = 6144;
        dc.event_irq = event_irq;
        const auto d = monitor->start_domain(dc);
        const auto ping = monitor->command(d, abi::kCmdPing, {1}, std::chrono::seconds(20));
        INFO(monitor->console(d));
        REQUIRE(ping.completed);
        return d;
    }

    bench::TempImage image;
    bool event_irq = false;
    std::unique_ptr<kvm::Monitor> monitor;
    std::uint16_t domid = 0;
    std::unique_ptr<bench::BlkSession> session;
};

} // namespace enso::test
