// From (domain, hypercall number, argument registers) to handlers: Xen's
// x86-64 PV ABI (rdi, rsi, rdx, r10, r8 carry the arguments; the result goes
// to rax). Argument structures are read from guest memory through
// GuestMemory; batches loop here over the per-entry handlers.
#pragma once

#include "hvcore/core/core.hpp"

#include <array>
#include <cstdint>

namespace enso::core {

using HypercallArgs = std::array<std::uint64_t, 5>;

// Bounds on guest-controlled counts, so one call cannot hold the core for
// long (Xen preempts with continuations instead).
inline constexpr std::uint64_t kMaxBatch = 4096;
inline constexpr std::uint64_t kMaxConsoleWrite = 4096;

class Dispatcher {
public:
    explicit Dispatcher(Core& core) : core_(core) {}

    // Returns the value for the guest's rax: >= 0 on success, -errno otherwise.
    long call(std::uint16_t d, std::uint64_t nr, const HypercallArgs& args);

private:
    long mmu_update(std::uint16_t d, const HypercallArgs& a);
    long mmuext_op(std::uint16_t d, const HypercallArgs& a);
    long update_va_mapping(std::uint16_t d, const HypercallArgs& a);
    long memory_op(std::uint16_t d, const HypercallArgs& a);
    long grant_table_op(std::uint16_t d, const HypercallArgs& a);
    long event_channel_op(std::uint16_t d, const HypercallArgs& a);
    long multicall(std::uint16_t d, const HypercallArgs& a);
    long console_io(std::uint16_t d, const HypercallArgs& a);
    long xen_version(std::uint16_t d, const HypercallArgs& a);
    long sched_op(std::uint16_t d, const HypercallArgs& a);

    Core& core_;
    unsigned multicall_depth_ = 0;
};

} // namespace enso::core
