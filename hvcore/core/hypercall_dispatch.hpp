// From (domain, hypercall number, argument registers) to handlers: Xen's
// x86-64 PV ABI (rdi, rsi, rdx, r10, r8 carry the arguments; the result goes
// to rax). Argument structures are read from guest memory through
// GuestMemory; batches loop here over the per-entry handlers. Each hypercall
// is one row of the table in hypercall_table.cpp.
#pragma once

#include "hvcore/core/core.hpp"
#include "hvcore/core/vcpu_platform.hpp"

#include <array>
#include <cstdint>

namespace enso::core {

using HypercallArgs = std::array<std::uint64_t, 5>;

// Bounds on guest-controlled counts, so one call cannot hold the core for
// long (Xen preempts with continuations instead).
inline constexpr std::uint64_t kMaxBatch = 4096;
inline constexpr std::uint64_t kMaxConsoleWrite = 4096;

class Dispatcher;
class GuestMemory;

// One row of the hypercall table.
struct HypercallEntry {
    long (Dispatcher::*handler)(std::uint16_t d, const HypercallArgs& a) = nullptr;
    // Whether the call can write an entry of the caller's page tables (the
    // platform then owes the domain a flush when the core asks for one).
    bool writes_page_tables = true;
};

// Xen's hypercall numbers are below 64 (the hypercall page has 128 stubs,
// the rest are architecture-specific and unused here).
inline constexpr std::size_t kHypercallSlots = 64;
using HypercallTable = std::array<HypercallEntry, kHypercallSlots>;

class Dispatcher {
public:
    explicit Dispatcher(Core& core) : core_(core) {}

    // The platform's per-vCPU side (callback_op, set_trap_table,
    // stack_switch, set_gdt, iret); none: those calls are -ENOSYS, as for an
    // in-process core.
    void set_platform(VcpuPlatform* platform) { platform_ = platform; }

    // Returns the value for the guest's rax: >= 0 on success, -errno otherwise.
    long call(std::uint16_t d, std::uint64_t nr, const HypercallArgs& args);

    // Whether hypercall nr can write one of the caller's page-table entries;
    // an unknown number counts as writing (the safe answer).
    [[nodiscard]] static bool writes_page_tables(std::uint64_t nr);

    // The table itself (hypercall_table.cpp).
    static const HypercallTable kTable;

    // The handlers, one per row of the table.
    long mmu_update(std::uint16_t d, const HypercallArgs& a);
    long mmuext_op(std::uint16_t d, const HypercallArgs& a);
    long update_va_mapping(std::uint16_t d, const HypercallArgs& a);
    long update_descriptor(std::uint16_t d, const HypercallArgs& a);
    long memory_op(std::uint16_t d, const HypercallArgs& a);
    long grant_table_op(std::uint16_t d, const HypercallArgs& a);
    long event_channel_op(std::uint16_t d, const HypercallArgs& a);
    long multicall(std::uint16_t d, const HypercallArgs& a);
    long console_io(std::uint16_t d, const HypercallArgs& a);
    long xen_version(std::uint16_t d, const HypercallArgs& a);
    long sched_op(std::uint16_t d, const HypercallArgs& a);
    long callback_op(std::uint16_t d, const HypercallArgs& a);
    long set_trap_table(std::uint16_t d, const HypercallArgs& a);
    long stack_switch(std::uint16_t d, const HypercallArgs& a);
    long set_gdt(std::uint16_t d, const HypercallArgs& a);
    long iret(std::uint16_t d, const HypercallArgs& a);
    long physdev_op(std::uint16_t d, const HypercallArgs& a);
    long vm_assist(std::uint16_t d, const HypercallArgs& a);
    long vcpu_op(std::uint16_t d, const HypercallArgs& a);

private:
    Rc fifo_init_control(std::uint16_t d, const evtchn_init_control_t& op);
    int get_status_frames(const GuestMemory& guest, std::uint16_t d, domid_t dom,
                          std::uint32_t nr_frames, std::uint64_t out);

    Core& core_;
    VcpuPlatform* platform_ = nullptr;
    unsigned multicall_depth_ = 0;
};

} // namespace enso::core
