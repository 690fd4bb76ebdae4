// The command channel: domain 0 posts a command on the guest's command page,
// signals it, and waits (bounded by a deadline) for the guest's answer to
// arrive as an event on domain 0's port.
#include "hvcore/abi/guest_layout.hpp"
#include "hvcore/kvm/kvm_error.hpp"
#include "hvcore/kvm/monitor.hpp"

#include <fmt/format.h>

#include <thread>

namespace enso::kvm {

std::uint64_t Monitor::command_data_va() {
    return abi::kCommandPageVa + offsetof(abi::CommandPage, data);
}

std::uint8_t* Monitor::command_data(std::uint16_t d) {
    GuestDomain& g = domain(d);
    if (g.command == nullptr) {
        throw KvmError(fmt::format("domain {} takes no commands (a Xen PV kernel)", d));
    }
    return g.command->data;
}

CommandOutcome Monitor::command(std::uint16_t d, abi::Command cmd,
                                std::initializer_list<std::uint64_t> args,
                                std::chrono::milliseconds deadline) {
    GuestDomain& g = domain(d);
    CommandOutcome out;
    const ExitCounts before = exits(d);
    const auto t0 = std::chrono::steady_clock::now();
    std::unique_lock lock(mu_);
    if (g.stop) {
        out.stop = g.stop;
        return out;
    }
    const std::uint64_t seq = post_command(g, cmd, args);
    const bool answered = await_answer(g, lock, seq, t0 + deadline);
    out.host_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!answered && !g.stop) {
        stop_domain(g, make_stop(StopKind::deadline,
                                 fmt::format("no answer to command {} within {} ms ({})",
                                             static_cast<unsigned>(cmd), deadline.count(),
                                             describe_unanswered(g))));
    }
    if (!answered) {
        keep_stopped_registers(g, lock);
        out.stop = g.stop;
        return out;
    }
    const abi::CommandPage& c = *g.command;
    out.stop = g.stop; // answered, then stopped: both are reported
    out.completed = true;
    out.status = c.status;
    out.tsc_cycles = c.tsc_cycles;
    out.iterations = c.iterations;
    for (std::size_t k = 0; k < out.values.size(); ++k) {
        out.values[k] = c.values[k];
    }
    lock.unlock();
    out.exits = exits(d) - before;
    return out;
}

// With mu_ held: writes the command and its arguments, then the sequence
// number the guest answers, and signals it. Returns that number.
std::uint64_t Monitor::post_command(GuestDomain& g, abi::Command cmd,
                                    std::initializer_list<std::uint64_t> args) {
    if (g.command == nullptr) {
        throw KvmError(fmt::format("domain {} takes no commands (a Xen PV kernel)", g.domid));
    }
    if (!core_.owns_frame(g.domid, g.built.command_page)) {
        throw KvmError(fmt::format("domain {} gave its command page away", g.domid));
    }
    abi::CommandPage& c = *g.command;
    c.command = cmd;
    std::size_t i = 0;
    for (auto a : args) {
        if (i < std::size(c.args)) {
            c.args[i++] = a;
        }
    }
    for (; i < std::size(c.args); ++i) {
        c.args[i] = 0;
    }
    const std::uint64_t seq = c.seq + 1;
    __atomic_store_n(&c.seq, seq, __ATOMIC_RELEASE);
    (void)core_.evtchn_send(0, g.built.dom0_cmd_port);
    (void)apply_effects(nullptr);
    return seq;
}

// Waits until the answer is there, the guest stops, or the time is up.
// An answer counts even when the guest stopped right after giving it.
bool Monitor::await_answer(GuestDomain& g, std::unique_lock<std::mutex>& lock, std::uint64_t seq,
                           std::chrono::steady_clock::time_point until) {
    const auto port = g.built.dom0_cmd_port;
    auto& waiter = dom0_waiters_[port];
    waiter = {g.command, seq};
    const auto has_answer = [&] {
        return waiter.answered || __atomic_load_n(&g.command->done_seq, __ATOMIC_ACQUIRE) == seq;
    };
    (void)dom0_cv_.wait_until(lock, until, [&] { return has_answer() || g.stop.has_value(); });
    const bool answered = has_answer();
    dom0_waiters_.erase(port);
    return answered;
}

std::string Monitor::describe_unanswered(const GuestDomain& g) const {
    std::string state =
        fmt::format("the vCPU thread was {}; upcall pending {}", g.where_name(), *g.upcall_pending);
    if (g.transport == abi::kTransportExitless) {
        state += fmt::format("; exitless slot: req {} resp {} nr {}{}", g.slot->req_seq,
                             g.slot->resp_seq, g.slot->nr,
                             g.slot->poller_asleep != 0 ? " (poller asleep)" : "");
    }
    return state;
}

// The registers where a guest that did not answer spun: its vCPU thread
// syncs them as it leaves KVM_RUN.
void Monitor::keep_stopped_registers(GuestDomain& g, std::unique_lock<std::mutex>& lock) {
    lock.unlock();
    for (int k = 0; k < 1000 && g.running.load(); ++k) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    lock.lock();
    if (!g.running.load() && !g.stop->have_regs) {
        g.stop->have_regs = true;
        g.stop->regs = g.vcpu->regs();
        g.stop->sregs = g.vcpu->sregs();
    }
}

} // namespace enso::kvm
