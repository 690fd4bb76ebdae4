// A vCPU thread's loop: run the guest until it exits, hand the exit to its
// handler by exit reason (the exit table), and port I/O to the handler its
// port is registered with.
#include "hvcore/kvm/cpu_affinity.hpp"
#include "hvcore/kvm/monitor.hpp"

#include <fmt/format.h>
#include <linux/kvm.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace enso::kvm {

Monitor::ExitHandler Monitor::exit_handler(std::uint32_t exit_reason) {
    struct Row {
        std::uint32_t reason;
        ExitHandler handler;
    };
    static constexpr std::array<Row, 7> kExitTable{{
        {KVM_EXIT_IO, &Monitor::on_io},
        {KVM_EXIT_INTR, &Monitor::on_interrupted},
        {KVM_EXIT_SHUTDOWN, &Monitor::on_triple_fault},
        {KVM_EXIT_MMIO, &Monitor::on_mmio},
        {KVM_EXIT_INTERNAL_ERROR, &Monitor::on_internal_error},
        {KVM_EXIT_FAIL_ENTRY, &Monitor::on_failed_entry},
        {KVM_EXIT_HLT, &Monitor::on_halt},
    }};
    for (const auto& row : kExitTable) {
        if (row.reason == exit_reason) {
            return row.handler;
        }
    }
    return nullptr;
}

void Monitor::vcpu_loop(GuestDomain& g) {
    if (g.transport == abi::kTransportExitless) {
        if (const int cpu = exitless_cpus(config_.pin_exitless_threads).vcpu; cpu >= 0) {
            (void)pin_current_thread(cpu);
        }
    }
    g.thread_handle.store(pthread_self());
    g.running.store(true);
    while (!g.stop_requested.load()) {
        g.where.store(GuestDomain::Where::guest, std::memory_order_relaxed);
        const int err = g.vcpu->run();
        g.where.store(GuestDomain::Where::handling, std::memory_order_relaxed);
        g.user_exits.fetch_add(1, std::memory_order_relaxed);
        if (err == EINTR || err == EAGAIN) {
            if (!g.stop_requested.load()) {
                g.vcpu->clear_exit_request();
            }
            continue;
        }
        ExitAction action;
        if (err != 0) {
            action = {ExitAction::stop, fmt::format("KVM_RUN failed: {}", std::strerror(err))};
        } else if (const auto reason = g.vcpu->state().exit_reason; exit_handler(reason)) {
            action = (this->*exit_handler(reason))(g);
        } else {
            action = {ExitAction::stop, fmt::format("unexpected KVM exit {}", reason)};
        }
        if (action.kind == ExitAction::resume) {
            continue;
        }
        if (action.kind == ExitAction::stop) {
            std::lock_guard lock(mu_);
            stop_domain(g, fault_stop(g, StopKind::fault, action.why));
        }
        break;
    }
    g.running.store(false);
    g.where.store(GuestDomain::Where::done, std::memory_order_relaxed);
}

Monitor::ExitAction Monitor::on_io(GuestDomain& g) {
    return handle_io(g) ? ExitAction{} : ExitAction{ExitAction::leave, {}};
}

Monitor::ExitAction Monitor::on_interrupted(GuestDomain& /*g*/) {
    return {};
}

Monitor::ExitAction Monitor::on_triple_fault(GuestDomain& /*g*/) {
    return {ExitAction::stop,
            "triple fault: the guest took an exception it cannot handle (it runs at CPL3 with "
            "no IDT, so a page fault, #GP or #UD ends it)"};
}

Monitor::ExitAction Monitor::on_mmio(GuestDomain& g) {
    const auto& mmio = g.vcpu->state().mmio;
    return {ExitAction::stop,
            fmt::format("{} of {} bytes at guest-physical {:#x}, which is no memory it owns or "
                        "was granted",
                        mmio.is_write != 0 ? "write" : "read", mmio.len, mmio.phys_addr)};
}

Monitor::ExitAction Monitor::on_internal_error(GuestDomain& g) {
    return {ExitAction::stop,
            fmt::format("KVM internal error (suberror {})", g.vcpu->state().internal.suberror)};
}

Monitor::ExitAction Monitor::on_failed_entry(GuestDomain& g) {
    return {ExitAction::stop,
            fmt::format("VM entry failed (reason {:#x})",
                        g.vcpu->state().fail_entry.hardware_entry_failure_reason)};
}

Monitor::ExitAction Monitor::on_halt(GuestDomain& /*g*/) {
    return {ExitAction::stop, "halted"};
}

// The port's handler runs without the lock (a device model may take long);
// the table is read under it, since devices are added from other threads.
bool Monitor::handle_io(GuestDomain& g) {
    const auto& io = g.vcpu->state().io;
    std::optional<PortTable::Entry> entry;
    {
        std::lock_guard lock(mu_);
        entry = g.ports.find(io.port);
    }
    if (entry && entry->any_access) {
        return (*entry->handler)(g);
    }
    if (io.direction != KVM_EXIT_IO_OUT || io.size != 4 || io.count != 1) {
        return fault(g, fmt::format("unexpected port access {:#x} ({}, {} bytes)", io.port,
                                    io.direction == KVM_EXIT_IO_OUT ? "out" : "in", io.size));
    }
    if (!entry) {
        return fault(g, fmt::format("write to port {:#x}, which means nothing here", io.port));
    }
    return (*entry->handler)(g);
}

} // namespace enso::kvm
