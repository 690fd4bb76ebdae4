// The in-process twins' machine: the same core the monitor runs, over heap
// memory, with one guest domain prepared the way the guest kernel prepares
// itself (a pinned L1 with free frames to map, two pinned roots, a command
// channel to domain 0), so each twin calls the same handler the guest's
// hypercall reaches - without the VM boundary.
#pragma once

#include "hvcore/core/core.hpp"
#include "hvcore/core/hypercall_dispatch.hpp"
#include "hvcore/core/page_table_entry.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace enso::bench {

class InProcessMachine {
public:
    static constexpr std::uint16_t kGuest = 1;
    static constexpr std::uint32_t kMapFrames = 512;

    InProcessMachine() : memory_(std::size_t{kFrames} * core::kPageSize) {
        core_ = std::make_unique<core::Core>(memory_);
        dispatcher_ = std::make_unique<core::Dispatcher>(*core_);
        check(core_->create_domain(0, 64));
        check(core_->create_domain(kGuest, kFrames - 128));
        l1_ = frame();
        check(core_->pin_table(kGuest, l1_, core::kTypeL1));
        for (auto& f : map_frames_) {
            f = frame();
        }
        spare_l1_ = frame();
        root_a_ = frame();
        root_b_ = frame();
        check(core_->pin_table(kGuest, root_a_, core::kTypeL4));
        check(core_->pin_table(kGuest, root_b_, core::kTypeL4));
        check(core_->new_baseptr(kGuest, root_a_));
        copy_src_ = frame();
        copy_dst_ = frame();
        check(core_->evtchn_alloc_unbound(0, kGuest, 0, guest_port_));
        check(core_->evtchn_bind_interdomain(0, kGuest, guest_port_, dom0_port_));
        (void)core_->take_effects(0);
        (void)core_->take_effects(kGuest);
    }

    [[nodiscard]] bool ok() const { return ok_; }
    core::Core& core() { return *core_; }
    core::Dispatcher& dispatcher() { return *dispatcher_; }
    [[nodiscard]] std::uint32_t l1() const { return l1_; }
    [[nodiscard]] std::uint32_t map_frame(std::uint32_t i) const { return map_frames_[i]; }
    [[nodiscard]] std::uint32_t spare_l1() const { return spare_l1_; }
    [[nodiscard]] std::uint32_t root(bool b) const { return b ? root_b_ : root_a_; }
    [[nodiscard]] std::uint32_t guest_port() const { return guest_port_; }
    [[nodiscard]] std::uint32_t copy_src() const { return copy_src_; }
    [[nodiscard]] std::uint32_t copy_dst() const { return copy_dst_; }

private:
    static constexpr std::uint32_t kFrames = 4096;

    std::uint32_t frame() {
        std::uint32_t f = core::kNoFrame;
        check(core_->reserve_frame(kGuest, f));
        return f;
    }
    void check(core::Rc rc) { ok_ = ok_ && rc == core::kOk; }

    std::vector<std::byte> memory_;
    std::unique_ptr<core::Core> core_;
    std::unique_ptr<core::Dispatcher> dispatcher_;
    bool ok_ = true;
    std::uint32_t l1_ = 0;
    std::uint32_t map_frames_[kMapFrames]{};
    std::uint32_t spare_l1_ = 0;
    std::uint32_t root_a_ = 0;
    std::uint32_t root_b_ = 0;
    std::uint32_t copy_src_ = 0;
    std::uint32_t copy_dst_ = 0;
    std::uint32_t guest_port_ = 0;
    std::uint32_t dom0_port_ = 0;
};

} // namespace enso::bench
