// The exitless transport's monitor side: one thread polls every exitless
// vCPU's call slot, runs the call and writes the answer; the guest never
// exits. Sleep policy: after `idle` without a call the poller marks every
// slot asleep and sleeps on the slots' ioeventfds; a stub that finds its
// slot asleep kicks the eventfd (handled inside the kernel, no exit to user
// space), which wakes the poller. A Dekker pair (store, mfence, load on both
// sides) makes sure no call is missed between the two.
#pragma once

#include "hvcore/abi/exitless_slot.hpp"
#include "hvcore/core/hypercall_dispatch.hpp"
#include "hvcore/kvm/unique_fd.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace enso::kvm {

struct CallOutcome {
    long result = 0;
    bool block = false;     // SCHEDOP_block: answer once `ready` says so
    bool vcpu_work = false; // the vCPU thread must run before the guest goes on
};

class ExitlessPoller {
public:
    struct Hooks {
        // Runs one call (under the monitor's lock).
        std::function<CallOutcome(std::uint16_t d, std::uint64_t nr,
                                  const core::HypercallArgs& args)>
            call;
        // Whether a blocked domain may go on (an event is pending, or it stops).
        std::function<bool(std::uint16_t d)> ready;
        // A slot was answered (wakes a vCPU thread waiting for it).
        std::function<void(std::uint16_t d)> answered;
    };

    // cpu >= 0: the poller thread runs only there.
    ExitlessPoller(Hooks hooks, std::chrono::microseconds idle, int cpu = -1);
    ExitlessPoller(const ExitlessPoller&) = delete;
    ExitlessPoller& operator=(const ExitlessPoller&) = delete;
    ~ExitlessPoller();

    void add(std::uint16_t d, abi::ExitlessSlot* slot, UniqueFd kick);
    void remove(std::uint16_t d);
    // Makes the poller look again soon (a blocked call may be answerable).
    void wake();

    struct Stats {
        std::uint64_t calls = 0;
        std::uint64_t sleeps = 0;
    };
    [[nodiscard]] Stats stats() const;
    // The poller's view of each slot, for a stop report.
    [[nodiscard]] std::string describe();

private:
    struct Client {
        std::uint16_t domid = 0;
        abi::ExitlessSlot* slot = nullptr;
        UniqueFd kick;
        std::uint64_t answered_seq = 0;
        bool blocked = false;
    };

    void loop();
    bool poll_once();
    void answer(Client& c, std::uint64_t seq, const CallOutcome& out);
    void sleep();

    Hooks hooks_;
    std::chrono::microseconds idle_;
    std::mutex clients_mu_; // guards clients_ against add/remove
    std::vector<Client> clients_;
    std::atomic<bool> changed_{false};
    std::atomic<bool> stop_{false};
    UniqueFd wake_fd_;
    std::atomic<std::uint64_t> calls_{0};
    std::atomic<std::uint64_t> sleeps_{0};
    std::thread thread_;
};

} // namespace enso::kvm
