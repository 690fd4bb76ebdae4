// A running guest domain as the monitor holds it: its VM, its vCPU and the
// thread that runs it, and what the vCPU thread still has to do for it.
#pragma once

#include "hvcore/abi/command_page.hpp"
#include "hvcore/abi/exitless_slot.hpp"
#include "hvcore/kvm/domain_builder.hpp"
#include "hvcore/kvm/guest_stop.hpp"
#include "hvcore/kvm/guest_vm.hpp"
#include "hvcore/kvm/port_table.hpp"
#include "hvcore/kvm/vcpu.hpp"
#include "hvcore/kvm/xen_pv_vcpu.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <pthread.h>
#include <thread>

namespace enso::kvm {

struct GuestDomain {
    std::uint16_t domid = 0;
    abi::Transport transport = abi::kTransportTrap;
    BuiltDomain built;
    std::unique_ptr<GuestVm> vm;
    std::unique_ptr<Vcpu> vcpu;
    abi::ExitlessSlot* slot = nullptr;
    abi::CommandPage* command = nullptr;
    std::uint8_t* upcall_pending = nullptr; // vcpu_info[0].evtchn_upcall_pending
    std::uint8_t* upcall_mask = nullptr;    // vcpu_info[0].evtchn_upcall_mask
    // DomainConfig::event_irq: the eventfd that injects the upcall vector.
    UniqueFd upcall_fd;
    std::atomic<std::uint64_t> upcall_injections{0};

    std::thread thread;
    std::atomic<pthread_t> thread_handle{};
    std::atomic<bool> stop_requested{false};
    std::atomic<bool> running{false};         // the vCPU thread is inside KVM_RUN's loop
    std::atomic<std::uint64_t> user_exits{0}; // KVM_RUN returns: exits to the monitor
    // Where the vCPU thread is, for stop reports (a guest that never answers).
    enum class Where : std::uint8_t {
        starting,
        guest,
        handling,
        waiting_answer,
        waiting_event,
        done
    };
    std::atomic<Where> where{Where::starting};
    [[nodiscard]] const char* where_name() const {
        static constexpr const char* kNames[] = {"starting",
                                                 "in the guest",
                                                 "handling an exit",
                                                 "waiting for an exitless answer",
                                                 "waiting for an event",
                                                 "done"};
        return kNames[static_cast<int>(where.load())];
    }

    // Guarded by the monitor's lock.
    PortTable ports;     // the transports' ports, then devices
    bool xen_pv = false; // an unmodified Xen PV kernel (DomainConfig::xen_pv)
    XenPvVcpu pv;        // its vCPU state as Xen keeps it
    // vCPUs 1.. (DomainConfig::vcpus), which never run: the root frame that
    // VCPUOP_initialise gave each (held by the core), 0 while it has none.
    std::vector<std::uint64_t> idle_vcpu_roots;
    std::uint64_t cr3 = 0;            // what the vCPU runs on
    bool memslots_pending = false;    // left for the vCPU thread (exitless calls)
    bool upcall_registered = false;   // the guest's handler is in the IDT
    bool upcall_load_pending = false; // GDTR, IDTR and RFLAGS.IF still to load
    // The monitor wrote one of the domain's page tables since the last
    // flush. KVM cannot see those writes (PVM's shadow tables, or the TLB
    // under EPT/NPT, go stale), and nothing else makes them stale: the guest
    // cannot write its tables, and a frame changing hands changes a memory
    // slot, which flushes. So a flush the core asks for is needed only then.
    bool pt_dirty = false;
    std::optional<GuestStop> stop; // set once, when it stopped

    // Wakes a vCPU thread that sleeps for an event or an exitless answer.
    std::mutex wait_mu;
    std::condition_variable wait_cv;
};

} // namespace enso::kvm
