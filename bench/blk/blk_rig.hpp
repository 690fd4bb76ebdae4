// What the blk suite measures on: one pattern image, one monitor with one
// guest (trap transport: its I/O path makes no hypercall), and a BlkSession
// per (engine, open flags) - the main one with the emulated disk attached.
// The native twins need only the image: without /dev/kvm they still run,
// and guest_why() says why every guest benchmark is skipped.
#pragma once

#include "bench/blk/blk_session.hpp"
#include "bench/blk/pattern_image.hpp"
#include "hvcore/kvm/monitor.hpp"

#include <map>
#include <memory>
#include <string>
#include <utility>

namespace enso::bench {

class BlkRig {
public:
    // The first call makes the image (image_bytes) and starts the guest over
    // that transport (exitless: its vCPU thread is pinned to the last CPU,
    // see MonitorConfig::pin_exitless_threads; its I/O path makes no
    // hypercall either way).
    static BlkRig& get(std::uint64_t image_bytes = 0,
                       abi::Transport transport = abi::kTransportTrap);

    // The image exists (native twins can run).
    [[nodiscard]] bool image_ok() const { return image_ != nullptr; }
    [[nodiscard]] const std::string& image_why() const { return image_why_; }
    // The guest runs too.
    [[nodiscard]] bool ok() const { return session_ != nullptr; }
    [[nodiscard]] const std::string& why() const { return why_; }
    // Completions by interrupt can run (the guest's domain has an irqchip
    // and the host delivers interrupts at CPL3); irq_why() says what the
    // probe saw either way.
    [[nodiscard]] bool irq_ok() const { return ok() && irq_ok_; }
    [[nodiscard]] const std::string& irq_why() const { return irq_why_; }
    kvm::Monitor& monitor() { return *monitor_; }
    [[nodiscard]] std::uint16_t domid() const { return domid_; }
    [[nodiscard]] abi::Transport transport() const { return transport_; }
    [[nodiscard]] double tsc_hz() const { return tsc_hz_; }
    [[nodiscard]] const std::string& image() const { return image_->path().native(); }
    [[nodiscard]] std::uint64_t image_bytes() const { return image_->bytes(); }

    // The session with the emulated disk (io_uring, O_DIRECT).
    BlkSession& main() { return *session_; }
    // A session with that engine and flags, connected with config (the
    // others are disconnected first: one paravirtual device at a time).
    BlkSession& connect(backends::EngineKind engine, bool direct, const BlkPathConfig& config);

private:
    BlkRig(std::uint64_t image_bytes, abi::Transport transport);
    std::unique_ptr<TempImage> image_;
    std::unique_ptr<kvm::Monitor> monitor_;
    std::uint16_t domid_ = 0;
    abi::Transport transport_ = abi::kTransportTrap;
    double tsc_hz_ = 0;
    std::string why_;
    std::string image_why_;
    bool irq_ok_ = false;
    std::string irq_why_ = "skipped: no guest";
    std::unique_ptr<BlkSession> session_;
    std::map<std::pair<backends::EngineKind, bool>, std::unique_ptr<BlkSession>> others_;
};

inline constexpr std::uint32_t kBlkGuestPages = 8192; // 32 MiB: 8 MiB of I/O buffers and room

} // namespace enso::bench
