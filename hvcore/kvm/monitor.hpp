// The monitor: machine memory, the core, domain 0 (the monitor itself, where
// back ends run) and one KVM VM with one vCPU thread per guest domain. Its
// concerns live one per file: lifecycle (monitor.cpp), the run loop and its
// exit table (run_loop.cpp), the two transports (trap_transport.cpp,
// exitless_transport.cpp), the core's effects (effects.cpp), the vCPU's own
// work (vcpu_work.cpp), event upcalls (event_upcall.cpp), stopping a guest
// (domain_stop.cpp), domain 0's events (dom0_events.cpp), the command
// channel (command_channel.cpp), back ends and devices (monitor_backends.cpp).
// Every
// call into the core - from a vCPU thread (trap transport), the poller
// (exitless transport) or a back end - runs under one lock, and the effects
// the core leaves (memory slots, TLB flushes, a new CR3, events, shutdown)
// are applied before the caller's guest goes on.
#pragma once

#include "hvcore/abi/command_page.hpp"
#include "hvcore/backends/core_access.hpp"
#include "hvcore/core/core.hpp"
#include "hvcore/core/hypercall_dispatch.hpp"
#include "hvcore/core/vcpu_platform.hpp"
#include "hvcore/kvm/exitless_poller.hpp"
#include "hvcore/kvm/guest_domain.hpp"
#include "hvcore/kvm/kvm_probe.hpp"
#include "hvcore/kvm/machine_memory.hpp"
#include "hvcore/kvm/unique_fd.hpp"
#include "hvcore/kvm/vcpu_stats.hpp"

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace enso::kvm {

struct MonitorConfig {
    std::uint32_t machine_frames = 64 * 1024;   // 256 MiB of machine memory
    std::string kvm_device = kvm_device_path(); // $ENSO_KVM_DEVICE or /dev/kvm
    // How long the exitless poller spins without a call before it sleeps.
    std::chrono::microseconds poller_idle{2000};
    // Exitless: the poller and the guest both spin, so they must never share
    // a core (each handoff would wait for a scheduler tick). With two or
    // more CPUs the poller runs on the first and exitless vCPUs on the last.
    bool pin_exitless_threads = true;
};

struct DomainConfig {
    std::uint32_t pages = 4096;
    abi::Transport transport = abi::kTransportTrap;
    std::string kernel; // guest ELF; empty: default_guest_kernel()
    std::string cmd_line;
    // 0: the next free id (Core::pick_free_domid). Otherwise exactly this id,
    // which must be free: a toolstack (or a test) that names its domains.
    std::uint16_t domid = 0;
    // An in-kernel irqchip and an irqfd, so that the guest may register an
    // event upcall (HYPERVISOR_callback_op, CALLBACKTYPE_event) delivered as
    // an interrupt at CPL3 (irq_setup.hpp). Without it the call is -ENOSYS.
    bool event_irq = false;
    // The kernel is an unmodified Xen PV kernel (XTF's tests): built from
    // its Xen ELF notes with Xen's start-of-day layout (xen_pv_builder.hpp),
    // its exceptions delivered as Xen delivers them (xen_pv_exceptions.cpp).
    // It takes no commands; it runs until it shuts down. Trap transport.
    bool xen_pv = false;
    // vCPUs of a Xen PV domain. Only vCPU 0 runs; the others may be given
    // their context (VCPUOP_initialise), not brought up.
    unsigned vcpus = 1;
};

struct CommandOutcome {
    bool completed = false; // the guest answered
    std::int64_t status = 0;
    std::uint64_t tsc_cycles = 0;
    std::uint64_t iterations = 0;
    std::array<std::uint64_t, 8> values{};
    ExitCounts exits;              // during the command, from KVM's statistics
    double host_seconds = 0;       // wall time from posting to the answer
    std::optional<GuestStop> stop; // set when the guest stopped (instead of answering, or after)
};

// The guest kernel built with Enso (ENSO_GUEST overrides it).
std::string default_guest_kernel();

// A back end serving one guest (hvcore/backends): once added, the monitor
// owns it and destroys it - so it disconnects and unmaps - before the
// guest's domain goes.
class GuestBackend {
public:
    virtual ~GuestBackend() = default;
};

// A device model for some ports of one guest (the emulated disk): called on
// the guest's vCPU thread, without the monitor's lock, once per 4-byte `in`
// or `out` in its range (one exit each); returns what an `in` reads.
using PortDevice =
    std::function<std::uint32_t(std::uint16_t port, bool is_out, std::uint32_t value)>;

class Monitor {
public:
    // Throws KvmError when /dev/kvm cannot be used (the message says why).
    explicit Monitor(const MonitorConfig& config = {});
    Monitor(const Monitor&) = delete;
    Monitor& operator=(const Monitor&) = delete;
    ~Monitor();

    // Builds and starts a guest; returns its domain id.
    std::uint16_t start_domain(const DomainConfig& config);
    // Stops its vCPU and destroys it in the core.
    void destroy_domain(std::uint16_t d);

    // Posts a command and waits for the answer, at most `deadline`; a guest
    // that does not answer in time is stopped (StopKind::deadline). One
    // command at a time per domain.
    CommandOutcome command(std::uint16_t d, abi::Command cmd,
                           std::initializer_list<std::uint64_t> args,
                           std::chrono::milliseconds deadline = std::chrono::seconds(30));
    // The command page's data area, for kCmdHypercall arguments.
    std::uint8_t* command_data(std::uint16_t d);
    [[nodiscard]] static std::uint64_t command_data_va();

    // Runs f(core, dispatcher) under the lock, then applies the effects: how
    // domain 0 (back ends, benchmarks) calls the core.
    template <class F>
    auto with_core(F&& f) {
        std::lock_guard lock(mu_);
        struct After {
            Monitor& m;
            ~After() { m.apply_effects(nullptr); }
        } after{*this};
        return f(core_, dispatcher_);
    }

    [[nodiscard]] std::optional<GuestStop> stopped(std::uint16_t d);
    [[nodiscard]] std::string console(std::uint16_t d);
    [[nodiscard]] ExitCounts exits(std::uint16_t d);
    // Every KVM statistic of the domain's vCPU (diagnostics).
    [[nodiscard]] std::map<std::string, std::uint64_t> vcpu_statistics(std::uint16_t d) {
        return domain(d).vcpu->stats().all();
    }
    [[nodiscard]] const BuiltDomain& built(std::uint16_t d);
    [[nodiscard]] std::uint64_t tsc_khz() const { return tsc_khz_; }
    [[nodiscard]] MachineMemory& memory() { return memory_; }
    [[nodiscard]] ExitlessPoller::Stats poller_stats() const;
    [[nodiscard]] std::string poller_state();
    // Domain 0's side, for back ends (monitor_backends.cpp). The core as a
    // back end reaches it: under the lock, effects applied after each call.
    backends::CoreAccess& core_access() { return core_access_; }
    GuestBackend& add_backend(std::uint16_t d, std::unique_ptr<GuestBackend> backend);
    // Destroys a back end added for d now (it disconnects).
    void remove_backend(std::uint16_t d, const GuestBackend* backend);
    // The eventfd a guest's `out` to kPortRingKick + 4 * ring signals, in the
    // kernel (no exit to user space); made on first use, owned by the monitor.
    int ring_kick_fd(std::uint16_t d, std::uint32_t ring);
    // An eventfd the monitor signals at every event on domain 0's port (it
    // consumes domain 0's pending bits itself), until released.
    int dom0_port_fd(std::uint32_t port);
    void release_dom0_port_fd(std::uint32_t port);
    // Ports [first, first + count) of d are served by device from now on.
    void add_port_device(std::uint16_t d, std::uint16_t first, std::uint16_t count,
                         PortDevice device);

    // Exceptions of a Xen PV guest that reached the monitor, and how many of
    // those were instructions it emulated.
    [[nodiscard]] std::uint64_t xen_pv_exceptions(std::uint16_t d);
    [[nodiscard]] std::uint64_t xen_pv_emulated(std::uint16_t d);

    // Upcalls injected through the domain's irqfd so far.
    [[nodiscard]] std::uint64_t upcall_injections(std::uint16_t d);

    struct PlatformCounts {
        std::uint64_t flushes = 0;      // flush_translations calls
        std::uint64_t slot_changes = 0; // KVM_SET_USER_MEMORY_REGION calls
    };
    [[nodiscard]] PlatformCounts platform_counts(std::uint16_t d);

private:
    enum class Caller { vcpu_thread, poller, dom0 };
    struct CallEffects {
        bool block = false;
        bool vcpu_work = false;
    };
    // What a vCPU thread does after an exit (exit_table in run_loop.cpp).
    struct ExitAction {
        enum Kind { resume, leave, stop } kind = resume;
        std::string why; // for stop
    };
    using ExitHandler = ExitAction (Monitor::*)(GuestDomain&);

    GuestDomain& domain(std::uint16_t d);

    // Lifecycle (monitor.cpp).
    std::unique_ptr<GuestDomain> create_guest_vm(const DomainConfig& config);
    void place_domain(GuestDomain& g, const DomainConfig& config); // id, image, slots
    void register_transport_ports(GuestDomain& g);
    void attach_to_poller(GuestDomain& g);

    // The run loop, exits by table (run_loop.cpp).
    void vcpu_loop(GuestDomain& g);
    static ExitHandler exit_handler(std::uint32_t exit_reason);
    ExitAction on_io(GuestDomain& g);
    ExitAction on_interrupted(GuestDomain& g);
    ExitAction on_triple_fault(GuestDomain& g);
    ExitAction on_mmio(GuestDomain& g);
    ExitAction on_internal_error(GuestDomain& g);
    ExitAction on_failed_entry(GuestDomain& g);
    ExitAction on_halt(GuestDomain& g);
    bool handle_io(GuestDomain& g);

    // The trap transport (trap_transport.cpp).
    bool on_hypercall_port(GuestDomain& g);
    long trap_call(GuestDomain& g, std::uint64_t nr, const core::HypercallArgs& args,
                   CallEffects& fx);
    bool event_pending(const GuestDomain& g) const;
    void wait_for_event(GuestDomain& g);

    // The exitless transport (exitless_transport.cpp).
    ExitlessPoller::Hooks poller_hooks();
    CallOutcome exitless_call(std::uint16_t d, std::uint64_t nr, const core::HypercallArgs& args);
    bool on_exitless_wait_port(GuestDomain& g);
    bool on_exitless_kick_port(GuestDomain& g);
    void wait_for_answer(GuestDomain& g);

    // Effects the core leaves (effects.cpp), with mu_ held: applies every
    // domain's. `self` is the domain whose own thread (vCPU or poller on
    // its behalf) is calling.
    CallEffects apply_effects(GuestDomain* self, Caller caller = Caller::dom0);
    void apply_domain_effects(GuestDomain& g, std::uint8_t effects, GuestDomain* self,
                              Caller caller, CallEffects& fx);
    void update_translations(GuestDomain& g, std::uint8_t effects, GuestDomain* self, Caller caller,
                             CallEffects& fx);
    [[nodiscard]] bool root_changed(const GuestDomain& g) const;
    bool sync_memslots(GuestDomain& g); // true if it flushed translations

    // Work only a vCPU's own thread may do, with mu_ held (vcpu_work.cpp).
    void do_vcpu_work(GuestDomain& g);

    // Event upcalls as interrupts (event_upcall.cpp), with mu_ held.
    void deliver_upcall(GuestDomain& g, const GuestDomain* self);
    long install_upcall_gate(GuestDomain& g, std::uint64_t address);
    // The vCPU hypercalls (vcpu_platform.cpp), with mu_ held; `calling_` is
    // the domain whose vCPU thread is in a trap call (iret needs its
    // registers), null otherwise.
    class MonitorVcpuPlatform final : public core::VcpuPlatform {
    public:
        explicit MonitorVcpuPlatform(Monitor& m) : m_(m) {}
        [[nodiscard]] bool accepts_callbacks(std::uint16_t d) const override;
        long register_callback(std::uint16_t d, const callback_register& cb) override;
        long set_trap_table(std::uint16_t d, std::span<const trap_info> entries,
                            bool clear) override;
        long stack_switch(std::uint16_t d, std::uint64_t ss, std::uint64_t sp) override;
        long set_gdt(std::uint16_t d, std::span<const std::uint64_t> frames,
                     std::uint32_t entries) override;
        long iret(std::uint16_t d) override;
        long set_iopl(std::uint16_t d, unsigned iopl) override;
        long set_architectural_iopl(std::uint16_t d, bool on) override;
        [[nodiscard]] unsigned vcpu_count(std::uint16_t d) const override;
        [[nodiscard]] std::uint64_t vcpu_root(std::uint16_t d, unsigned vcpu) const override;
        void set_vcpu_root(std::uint16_t d, unsigned vcpu, std::uint64_t frame) override;

    private:
        GuestDomain* xen_pv(std::uint16_t d) const;
        Monitor& m_;
    };
    GuestDomain* calling_ = nullptr;

    // A Xen PV guest's exceptions (xen_pv_exceptions.cpp), on its vCPU
    // thread: emulated, bounced to its handler, or the end of the guest.
    bool on_exception_port(GuestDomain& g, std::uint32_t vector);
    template <class T>
    bool read_guest(const GuestDomain& g, std::uint64_t va, T& out) { // with mu_ held
        return core_.guest_read(g.domid, va, std::as_writable_bytes(std::span(&out, 1))) ==
               core::kOk;
    }
    template <class T>
    bool write_guest(const GuestDomain& g, std::uint64_t va, const T& value) {
        return core_.guest_write(g.domid, va, std::as_bytes(std::span(&value, 1))) == core::kOk;
    }
    bool emulate(GuestDomain& g, std::uint32_t vector, std::uint64_t rip);
    // Whether sel names a present 64-bit ring-3 code segment of the guest's
    // own GDT (not one of Xen's flat selectors).
    bool guest_code_segment(const GuestDomain& g, std::uint64_t sel);
    bool emulate_far_return(GuestDomain& g);
    bool emulate_m2p_load(GuestDomain& g, std::uint64_t rip, std::uint64_t cr2);
    bool emulate_iopl_insn(GuestDomain& g, std::uint64_t rip); // xen_pv_iopl.cpp
    // xen_pv_debug_regs.cpp
    std::uint64_t guest_cr4(GuestDomain& g);
    void set_guest_cr4(GuestDomain& g, std::uint64_t value);
    bool emulate_mov_dr(GuestDomain& g, bool to_dr, unsigned dr, std::uint64_t& reg);
    void load_debug_registers(GuestDomain& g);
    void note_debug_exception(GuestDomain& g);
    void correct_platform_fault(GuestDomain& g, std::uint32_t& vector, std::uint64_t& error,
                                std::uint64_t rip); // xen_pv_fault_fixups.cpp
    bool bounce(GuestDomain& g, std::uint32_t vector, std::uint64_t error_code, bool has_error,
                std::uint64_t rip, std::uint64_t rflags, std::uint64_t rsp);
    void drain_console(GuestDomain& g);                            // with mu_ held
    [[nodiscard]] GuestDomain* find_domain(std::uint16_t d) const; // with mu_ held

    // Stopping a guest (domain_stop.cpp).
    void stop_domain(GuestDomain& g, GuestStop stop); // with mu_ held
    void kick(GuestDomain& g);
    GuestStop fault_stop(GuestDomain& g, StopKind kind, std::string reason);
    bool fault(GuestDomain& g, std::string reason); // takes mu_; returns false

    // The command channel (command_channel.cpp).
    std::uint64_t post_command(GuestDomain& g, abi::Command cmd,
                               std::initializer_list<std::uint64_t> args);
    bool await_answer(GuestDomain& g, std::unique_lock<std::mutex>& lock, std::uint64_t seq,
                      std::chrono::steady_clock::time_point until);
    std::string describe_unanswered(const GuestDomain& g) const;
    void keep_stopped_registers(GuestDomain& g, std::unique_lock<std::mutex>& lock);

    MonitorConfig config_;
    UniqueFd kvm_;
    MachineMemory memory_;
    std::mutex mu_;
    core::Core core_;
    core::Dispatcher dispatcher_;
    MonitorVcpuPlatform vcpu_platform_{*this};
    std::uint64_t tsc_khz_ = 0;
    std::map<std::uint16_t, std::unique_ptr<GuestDomain>> domains_;
    std::unique_ptr<ExitlessPoller> poller_;

    // Domain 0's side (dom0_events.cpp): command answers arrive as events
    // on its ports. The monitor consumes dom0's pending bits (as a guest
    // kernel would) and counts events per port; a waiter names the port it
    // waits on.
    void consume_dom0_events();
    void signal_dom0_port(std::uint32_t port); // with mu_ held
    std::condition_variable dom0_cv_;
    std::map<std::uint32_t, std::uint64_t> dom0_port_events_;
    // A command waits for its answer: woken only when the answer is there,
    // not by every event on the port (a guest may send thousands).
    struct CommandWaiter {
        const abi::CommandPage* page = nullptr;
        std::uint64_t seq = 0;
        // Latched when an event finds the answer: the guest may change
        // done_seq again before the waiting thread runs (a hostile one does).
        bool answered = false;
    };
    std::map<std::uint32_t, CommandWaiter> dom0_waiters_;
    std::map<std::uint32_t, UniqueFd> dom0_port_fds_;

    // Back ends and devices (monitor_backends.cpp), guarded by mu_.
    class MonitorCoreAccess final : public backends::CoreAccess {
    public:
        explicit MonitorCoreAccess(Monitor& m) : m_(m) {}
        void run(backends::FunctionRef<void(core::Core&)> f) override;
        [[nodiscard]] std::byte* frame(std::uint32_t f) const override;

    private:
        Monitor& m_;
    };
    MonitorCoreAccess core_access_{*this};
    std::map<std::uint16_t, std::vector<std::unique_ptr<GuestBackend>>> backends_;
    std::map<std::pair<std::uint16_t, std::uint32_t>, UniqueFd> ring_kicks_;
    bool device_io(GuestDomain& g, PortDevice& device); // on g's vCPU thread
    void destroy_backends(std::uint16_t d);             // without mu_
};

} // namespace enso::kvm
