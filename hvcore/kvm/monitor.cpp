#include "hvcore/kvm/monitor.hpp"

#include "hvcore/abi/exitless_slot.hpp"
#include "hvcore/abi/guest_layout.hpp"
#include "hvcore/abi/hypercall_ports.hpp"
#include "hvcore/core/frame_table.hpp"
#include "hvcore/core/guest_memory.hpp"
#include "hvcore/kvm/elf_image.hpp"
#include "hvcore/kvm/irq_setup.hpp"
#include "hvcore/kvm/kvm_error.hpp"
#include "hvcore/kvm/memslot_plan.hpp"

#include <fmt/format.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <xen/callback.h>
#include <xen/sched.h>
#include <xen/xen.h>

#include <csignal>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <thread>
#include <unistd.h>

namespace enso::kvm {

namespace {

constexpr std::uint32_t kDom0Pages = 4096;
constexpr std::size_t kConsoleTailLines = 12;

// Pins the calling thread to one CPU; false when it cannot (then it floats).
bool pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return ::sched_setaffinity(0, sizeof set, &set) == 0;
}

int online_cpus() {
    const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? static_cast<int>(n) : 1;
}

void on_kick(int /*sig*/) {}

// SIGUSR1 gets a vCPU thread out of KVM_RUN (EINTR); no SA_RESTART.
void install_kick_handler() {
    static const bool installed = [] {
        struct sigaction sa {};
        sa.sa_handler = on_kick;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;
        return ::sigaction(SIGUSR1, &sa, nullptr) == 0;
    }();
    if (!installed) {
        throw_errno("sigaction(SIGUSR1)");
    }
}

std::string_view shutdown_reason_name(int code) {
    switch (code) {
    case SHUTDOWN_poweroff:
        return "poweroff";
    case SHUTDOWN_reboot:
        return "reboot";
    case SHUTDOWN_suspend:
        return "suspend";
    case SHUTDOWN_crash:
        return "crash";
    case SHUTDOWN_watchdog:
        return "watchdog";
    default:
        return "unknown";
    }
}

} // namespace

std::string default_guest_kernel() {
    if (const char* env = std::getenv("ENSO_GUEST"); env != nullptr && *env != '\0') {
        return env;
    }
#ifdef ENSO_GUEST_ELF
    return ENSO_GUEST_ELF;
#else
    return "enso-guest";
#endif
}

Monitor::Monitor(const MonitorConfig& config)
    : config_(config), kvm_(::open(config.kvm_device.c_str(), O_RDWR | O_CLOEXEC)),
      memory_(config.machine_frames), core_(memory_.bytes()), dispatcher_(core_) {
    if (!kvm_.valid()) {
        throw_errno("cannot open " + config.kvm_device);
    }
    if (::ioctl(kvm_.get(), KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        throw KvmError(config.kvm_device + ": unexpected KVM API version");
    }
    for (int cap : {KVM_CAP_SYNC_REGS, KVM_CAP_IOEVENTFD, KVM_CAP_IMMEDIATE_EXIT}) {
        if (::ioctl(kvm_.get(), KVM_CHECK_EXTENSION, cap) <= 0) {
            throw KvmError(config.kvm_device + ": lacks capability " + std::to_string(cap));
        }
    }
    install_kick_handler();
    if (core_.create_domain(0, kDom0Pages) != core::kOk) {
        throw KvmError("cannot create domain 0 (machine memory too small?)");
    }
}

Monitor::~Monitor() {
    std::vector<std::uint16_t> ids;
    {
        std::lock_guard lock(mu_);
        for (const auto& [id, g] : domains_) {
            ids.push_back(id);
        }
    }
    for (auto id : ids) {
        destroy_domain(id);
    }
    poller_.reset();
}

GuestDomain& Monitor::domain(std::uint16_t d) {
    std::lock_guard lock(mu_);
    const auto it = domains_.find(d);
    if (it == domains_.end()) {
        throw KvmError("no guest domain " + std::to_string(d));
    }
    return *it->second;
}

std::uint16_t Monitor::start_domain(const DomainConfig& config) {
    const auto kernel = config.kernel.empty() ? default_guest_kernel() : config.kernel;
    const ElfImage image = load_elf(kernel);
    auto g = std::make_unique<GuestDomain>();
    g->transport = config.transport;
    g->vm = std::make_unique<GuestVm>(kvm_.get(), memory_);
    if (config.event_irq) {
        if (auto err = create_irqchip(g->vm->fd()); !err.empty()) {
            throw KvmError("event upcalls as interrupts: " + err);
        }
    }
    g->vcpu = std::make_unique<Vcpu>(kvm_.get(), g->vm->fd(), 0);
    if (config.event_irq) {
        auto err = enable_lapic(g->vcpu->fd());
        auto irq = err.empty() ? bind_upcall_irqfd(g->vm->fd()) : IrqFd{};
        if (!err.empty() || !irq.error.empty()) {
            throw KvmError("event upcalls as interrupts: " + err + irq.error);
        }
        g->upcall_fd = std::move(irq.fd);
    }
    if (tsc_khz_ == 0) {
        tsc_khz_ = g->vcpu->tsc_khz();
    }
    {
        std::lock_guard lock(mu_);
        const auto taken = [&](std::uint16_t id) { return domains_.contains(id); };
        const std::uint16_t d = config.domid != 0 ? config.domid : core_.pick_free_domid(taken);
        if (d == 0) {
            throw KvmError("no free domain id");
        }
        if (d >= core::kMaxDomains || taken(d) ||
            core_.state().doms.state.get(d) != core::kDomFree) {
            throw KvmError("domain id " + std::to_string(d) + " is not free");
        }
        BuildConfig build;
        build.domid = d;
        build.nr_pages = config.pages;
        build.transport = config.transport;
        build.tsc_khz = tsc_khz_;
        build.cmd_line = config.cmd_line;
        g->domid = d;
        g->built = build_domain(core_, memory_, image, build);
        g->vm->sync_memslots(frame_access(core_.state(), d));
        g->cr3 = g->built.start.cr3;
        std::byte* si = memory_.frame(g->built.shared_info);
        g->slot = reinterpret_cast<abi::ExitlessSlot*>(si + abi::kExitlessSlotOffset);
        g->upcall_pending = reinterpret_cast<std::uint8_t*>(
            si + offsetof(shared_info_t, vcpu_info[0].evtchn_upcall_pending));
        g->upcall_mask = reinterpret_cast<std::uint8_t*>(
            si + offsetof(shared_info_t, vcpu_info[0].evtchn_upcall_mask));
        g->command = reinterpret_cast<abi::CommandPage*>(memory_.frame(g->built.command_page));
    }
    g->vcpu->start_pv(g->built.start);
    const auto d = g->domid;
    if (config.transport == abi::kTransportExitless) {
        auto kick = g->vm->add_ioeventfd(abi::kPortExitlessKick);
        if (!poller_) {
            ExitlessPoller::Hooks hooks;
            hooks.call = [this](std::uint16_t dom, std::uint64_t nr,
                                const core::HypercallArgs& args) {
                return exitless_call(dom, nr, args);
            };
            hooks.ready = [this](std::uint16_t dom) {
                std::lock_guard lock(mu_);
                const auto it = domains_.find(dom);
                return it == domains_.end() || it->second->stop_requested.load() ||
                       event_pending(*it->second);
            };
            hooks.answered = [this](std::uint16_t dom) {
                GuestDomain* g2 = nullptr;
                {
                    std::lock_guard lock(mu_);
                    const auto it = domains_.find(dom);
                    g2 = it == domains_.end() ? nullptr : it->second.get();
                }
                if (g2 != nullptr) {
                    { std::lock_guard wl(g2->wait_mu); }
                    g2->wait_cv.notify_all();
                }
            };
            const int poller_cpu = config_.pin_exitless_threads && online_cpus() >= 2 ? 0 : -1;
            poller_ =
                std::make_unique<ExitlessPoller>(std::move(hooks), config_.poller_idle, poller_cpu);
        }
        poller_->add(d, g->slot, std::move(kick));
    }
    GuestDomain& ref = *g;
    {
        std::lock_guard lock(mu_);
        domains_.emplace(d, std::move(g));
    }
    ref.thread = std::thread([this, &ref] { vcpu_loop(ref); });
    return d;
}

void Monitor::destroy_domain(std::uint16_t d) {
    GuestDomain& g = domain(d);
    {
        std::lock_guard lock(mu_);
        stop_domain(g, make_stop(StopKind::killed, "destroyed by the monitor"));
    }
    if (g.thread.joinable()) {
        g.thread.join();
    }
    if (poller_ && g.transport == abi::kTransportExitless) {
        poller_->remove(d);
    }
    destroy_backends(d); // they unmap the guest's grants through the core
    std::lock_guard lock(mu_);
    (void)core_.destroy_domain(d);
    // Domain 0's end of the command channel goes too: left unbound it would
    // leak a port and stay offered to d, which the next guest may be.
    (void)core_.evtchn_close(0, g.built.dom0_cmd_port);
    (void)apply_effects(nullptr);
    domains_.erase(d);
}

GuestStop Monitor::fault_stop(GuestDomain& g, StopKind kind, std::string reason) {
    GuestStop stop;
    stop.kind = kind;
    stop.reason = std::move(reason);
    stop.have_regs = true;
    stop.regs = g.vcpu->regs();
    stop.sregs = g.vcpu->sregs();
    return stop;
}

void Monitor::stop_domain(GuestDomain& g, GuestStop stop) {
    if (!g.stop) {
        stop.console_tail = last_lines(core_.console(g.domid), kConsoleTailLines);
        g.stop = std::move(stop);
    }
    g.stop_requested.store(true);
    kick(g);
    { std::lock_guard wl(g.wait_mu); }
    g.wait_cv.notify_all();
    dom0_cv_.notify_all();
    if (poller_) {
        poller_->wake();
    }
}

void Monitor::kick(GuestDomain& g) {
    g.vcpu->request_exit();
    if (g.running.load() && g.thread_handle.load() != pthread_self()) {
        ::pthread_kill(g.thread_handle.load(), SIGUSR1);
    }
}

bool Monitor::event_pending(const GuestDomain& g) const {
    return __atomic_load_n(g.upcall_pending, __ATOMIC_ACQUIRE) != 0;
}

void Monitor::vcpu_loop(GuestDomain& g) {
    if (g.transport == abi::kTransportExitless && config_.pin_exitless_threads &&
        online_cpus() >= 2) {
        (void)pin_to_cpu(online_cpus() - 1);
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
        if (err != 0) {
            std::lock_guard lock(mu_);
            stop_domain(g, fault_stop(g, StopKind::fault,
                                      fmt::format("KVM_RUN failed: {}", std::strerror(err))));
            break;
        }
        const auto& run = g.vcpu->state();
        std::string why;
        switch (run.exit_reason) {
        case KVM_EXIT_IO:
            if (handle_io(g)) {
                continue;
            }
            break;
        case KVM_EXIT_INTR:
            continue;
        case KVM_EXIT_SHUTDOWN:
            why = "triple fault: the guest took an exception it cannot handle (it runs at "
                  "CPL3 with no IDT, so a page fault, #GP or #UD ends it)";
            break;
        case KVM_EXIT_MMIO:
            why = fmt::format("{} of {} bytes at guest-physical {:#x}, which is no memory it "
                              "owns or was granted",
                              run.mmio.is_write != 0 ? "write" : "read", run.mmio.len,
                              run.mmio.phys_addr);
            break;
        case KVM_EXIT_INTERNAL_ERROR:
            why = fmt::format("KVM internal error (suberror {})", run.internal.suberror);
            break;
        case KVM_EXIT_FAIL_ENTRY:
            why = fmt::format("VM entry failed (reason {:#x})",
                              run.fail_entry.hardware_entry_failure_reason);
            break;
        case KVM_EXIT_HLT:
            why = "halted";
            break;
        default:
            why = fmt::format("unexpected KVM exit {}", run.exit_reason);
            break;
        }
        if (!why.empty()) {
            std::lock_guard lock(mu_);
            stop_domain(g, fault_stop(g, StopKind::fault, why));
        }
        break;
    }
    g.running.store(false);
    g.where.store(GuestDomain::Where::done, std::memory_order_relaxed);
}

bool Monitor::handle_io(GuestDomain& g) {
    const auto& io = g.vcpu->state().io;
    if (const auto device = port_device(g.domid, io.port)) {
        return device_io(g, *device);
    }
    if (io.direction != KVM_EXIT_IO_OUT || io.size != 4 || io.count != 1) {
        std::lock_guard lock(mu_);
        stop_domain(
            g, fault_stop(g, StopKind::fault,
                          fmt::format("unexpected port access {:#x} ({}, {} bytes)", io.port,
                                      io.direction == KVM_EXIT_IO_OUT ? "out" : "in", io.size)));
        return false;
    }
    switch (io.port) {
    case abi::kPortHypercall: {
        auto& regs = g.vcpu->regs();
        const std::uint64_t nr = regs.rax;
        long rc = 0;
        CallEffects fx;
        if (nr != abi::kFloorHypercall) {
            const core::HypercallArgs args{regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8};
            rc = trap_call(g, nr, args, fx);
        }
        regs.rax = static_cast<std::uint64_t>(rc);
        g.vcpu->regs_changed();
        if (fx.block) {
            wait_for_event(g);
        }
        return !g.stop_requested.load();
    }
    case abi::kPortFloor:
        return true;
    case abi::kPortExitlessWait: {
        wait_for_answer(g);
        std::lock_guard lock(mu_);
        do_vcpu_work(g);
        g.slot->vcpu_work = 0;
        return !g.stop_requested.load();
    }
    case abi::kPortExitlessKick:
        if (poller_) {
            poller_->wake();
        }
        return true;
    default: {
        std::lock_guard lock(mu_);
        stop_domain(
            g, fault_stop(g, StopKind::fault,
                          fmt::format("write to port {:#x}, which means nothing here", io.port)));
        return false;
    }
    }
}

namespace {

// Whether a hypercall can write a page-table entry (see GuestDomain::pt_dirty):
// every call but those known not to.
bool may_write_page_tables(std::uint64_t nr) {
    switch (nr) {
    case __HYPERVISOR_xen_version:
    case __HYPERVISOR_console_io:
    case __HYPERVISOR_sched_op:
    case __HYPERVISOR_event_channel_op:
    case __HYPERVISOR_mmuext_op: // pins, unpins and flushes validate; they never write
    case __HYPERVISOR_memory_op: // a frame still referenced is never released
        return false;
    default:
        return true;
    }
}

} // namespace

long Monitor::trap_call(GuestDomain& g, std::uint64_t nr, const core::HypercallArgs& args,
                        CallEffects& fx) {
    std::lock_guard lock(mu_);
    if (nr == __HYPERVISOR_callback_op) {
        const long rc = callback_op(g, args);
        do_vcpu_work(g);
        return rc;
    }
    g.pt_dirty = g.pt_dirty || may_write_page_tables(nr);
    const long rc = dispatcher_.call(g.domid, nr, args);
    fx = apply_effects(&g, Caller::vcpu_thread);
    return rc;
}

CallOutcome Monitor::exitless_call(std::uint16_t d, std::uint64_t nr,
                                   const core::HypercallArgs& args) {
    std::lock_guard lock(mu_);
    const auto it = domains_.find(d);
    if (it == domains_.end() || it->second->stop_requested.load()) {
        return {-ESRCH, false, false};
    }
    CallOutcome out;
    if (nr == __HYPERVISOR_callback_op) {
        out.result = callback_op(*it->second, args);
        out.vcpu_work = it->second->upcall_load_pending; // loaded on the vCPU thread
        return out;
    }
    it->second->pt_dirty = it->second->pt_dirty || may_write_page_tables(nr);
    out.result = dispatcher_.call(d, nr, args);
    const auto fx = apply_effects(it->second.get(), Caller::poller);
    out.block = fx.block;
    out.vcpu_work = fx.vcpu_work;
    return out;
}

Monitor::CallEffects Monitor::apply_effects(GuestDomain* self, Caller caller) {
    CallEffects fx;
    if ((core_.take_effects(0) & core::kEffectUpcall) != 0) {
        consume_dom0_events();
    }
    for (auto& [id, gp] : domains_) {
        GuestDomain& g = *gp;
        const std::uint8_t e = core_.take_effects(id);
        if (e == 0) {
            continue;
        }
        if ((e & core::kEffectShutdown) != 0) {
            const int code = core_.state().doms.shutdown_code.get(id);
            GuestStop stop;
            stop.kind = StopKind::shutdown;
            stop.shutdown_code = code;
            stop.reason = fmt::format("SCHEDOP_shutdown ({})", shutdown_reason_name(code));
            stop_domain(g, std::move(stop));
            continue;
        }
        bool flushed = false;
        if ((e & core::kEffectMemslots) != 0) {
            // A running vCPU could touch a slot while it is replaced: the
            // poller leaves the change to the vCPU thread, which makes it
            // before the guest sees its answer.
            if (&g == self && caller == Caller::poller) {
                g.memslots_pending = true;
                fx.vcpu_work = true;
            } else {
                flushed = g.vm->sync_memslots(frame_access(core_.state(), id));
            }
        }
        if (flushed) {
            g.pt_dirty = false;
        } else if ((e & (core::kEffectTlbFlush | core::kEffectInvlpg)) != 0 && g.pt_dirty) {
            g.vm->flush_translations();
            g.pt_dirty = false;
        }
        if ((e & core::kEffectUpcall) != 0) {
            // The upcall as an interrupt, unless the guest masked it (Xen's
            // virtual IF: it looks at evtchn_upcall_pending when it unmasks).
            // The core's locked fetch_or of upcall_pending came first: a
            // guest that unmasks meanwhile sees it pending.
            if (g.upcall_registered && __atomic_load_n(g.upcall_mask, __ATOMIC_SEQ_CST) == 0) {
                const std::uint64_t one = 1;
                if (::write(g.upcall_fd.get(), &one, sizeof one) == sizeof one) {
                    g.upcall_injections.fetch_add(1, std::memory_order_relaxed);
                }
            }
            { std::lock_guard wl(g.wait_mu); }
            g.wait_cv.notify_all();
            if (poller_ && g.transport == abi::kTransportExitless && &g != self) {
                poller_->wake();
            }
        }
        if ((e & core::kEffectBlock) != 0 && &g == self) {
            fx.block = true;
        }
    }
    if (self != nullptr && !self->stop_requested.load()) {
        const auto base = core_.state().doms.baseptr.get(self->domid);
        const std::uint64_t cr3 = std::uint64_t{base} * abi::kPageSize;
        if (base != core::kNoFrame && cr3 != self->cr3) {
            if (caller == Caller::vcpu_thread) {
                do_vcpu_work(*self);
            } else {
                fx.vcpu_work = true;
            }
        }
    }
    return fx;
}

void Monitor::consume_dom0_events() {
    auto& mem = core_.state().mem;
    const auto si = core_.state().doms.shared_info.get(0);
    mem.store64(si, core::kUpcallPendingWord, 0);
    mem.store64(si, core::kPendingSelWord, 0);
    bool wake = false;
    for (std::uint32_t word = 0; word < core::kMaxPorts / 64; ++word) {
        std::uint64_t bits = mem.load64(si, core::kEvtchnPendingWord + word);
        if (bits == 0) {
            continue;
        }
        mem.fetch_and64(si, core::kEvtchnPendingWord + word, ~bits);
        while (bits != 0) {
            const auto port = word * 64 + static_cast<std::uint32_t>(__builtin_ctzll(bits));
            bits &= bits - 1;
            ++dom0_port_events_[port];
            signal_dom0_port(port);
            const auto w = dom0_waiters_.find(port);
            if (w != dom0_waiters_.end() &&
                __atomic_load_n(&w->second.page->done_seq, __ATOMIC_ACQUIRE) == w->second.seq) {
                w->second.answered = true;
                wake = true;
            }
        }
    }
    if (wake) {
        dom0_cv_.notify_all();
    }
}

long Monitor::callback_op(GuestDomain& g, const core::HypercallArgs& args) {
    if (!g.upcall_fd.valid()) {
        return -ENOSYS; // no irqchip (DomainConfig::event_irq): events are polled
    }
    if (args[0] != CALLBACKOP_register) {
        return -ENOSYS;
    }
    callback_register cb{};
    if (core::GuestMemory(core_.state(), g.domid).read(args[1], cb) != core::kOk) {
        return -EFAULT;
    }
    constexpr std::uint64_t kLowerHalfEnd = 1ULL << 47;
    if (cb.type != CALLBACKTYPE_event || cb.address == 0 || cb.address >= kLowerHalfEnd) {
        return -EINVAL;
    }
    const auto page = g.built.hypercall_page;
    if ((core_.state().frames.flags.get(page) & core::kFrameAllocated) == 0 ||
        core_.state().frames.owner.get(page) != g.domid) {
        return -EINVAL; // it gave its hypercall page away: nowhere to put the IDT
    }
    write_idt_gate(memory_.frame(page) + abi::kIdtOffset, abi::kUpcallVector, cb.address);
    g.upcall_registered = true;
    g.upcall_load_pending = true;
    return 0;
}

std::uint64_t Monitor::upcall_injections(std::uint16_t d) {
    return domain(d).upcall_injections.load();
}

void Monitor::do_vcpu_work(GuestDomain& g) {
    if (g.upcall_load_pending) {
        g.upcall_load_pending = false;
        auto& sregs = g.vcpu->sregs();
        sregs.gdt = {abi::kHypercallPageVa + abi::kGdtOffset, abi::kGdtLimit, {}};
        sregs.idt = {abi::kHypercallPageVa + abi::kIdtOffset, abi::kIdtLimit, {}};
        g.vcpu->sregs_changed();
        // IF for good: an interrupt gate or an STI would be needed to change
        // it, and under PVM neither works at CPL3 (irq_setup.hpp).
        g.vcpu->regs().rflags |= 1ULL << 9;
        g.vcpu->regs_changed();
    }
    if (g.memslots_pending) {
        g.memslots_pending = false;
        (void)g.vm->sync_memslots(frame_access(core_.state(), g.domid));
    }
    const auto base = core_.state().doms.baseptr.get(g.domid);
    const std::uint64_t cr3 = std::uint64_t{base} * abi::kPageSize;
    if (base != core::kNoFrame && cr3 != g.cr3) {
        g.vcpu->sregs().cr3 = cr3;
        g.vcpu->sregs_changed();
        g.cr3 = cr3;
    }
}

void Monitor::wait_for_event(GuestDomain& g) {
    g.where.store(GuestDomain::Where::waiting_event, std::memory_order_relaxed);
    std::unique_lock wl(g.wait_mu);
    while (!event_pending(g) && !g.stop_requested.load()) {
        g.wait_cv.wait_for(wl, std::chrono::milliseconds(50));
    }
}

void Monitor::wait_for_answer(GuestDomain& g) {
    g.where.store(GuestDomain::Where::waiting_answer, std::memory_order_relaxed);
    std::unique_lock wl(g.wait_mu);
    while (__atomic_load_n(&g.slot->resp_seq, __ATOMIC_ACQUIRE) != g.slot->req_seq &&
           !g.stop_requested.load()) {
        g.wait_cv.wait_for(wl, std::chrono::milliseconds(50));
    }
}

std::uint64_t Monitor::command_data_va() {
    return abi::kCommandPageVa + offsetof(abi::CommandPage, data);
}

std::uint8_t* Monitor::command_data(std::uint16_t d) {
    return domain(d).command->data;
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
    const auto page = g.built.command_page;
    if ((core_.state().frames.flags.get(page) & core::kFrameAllocated) == 0 ||
        core_.state().frames.owner.get(page) != d) {
        throw KvmError(fmt::format("domain {} gave its command page away", d));
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
    const auto port = g.built.dom0_cmd_port;
    auto& waiter = dom0_waiters_[port];
    waiter = {&c, seq};
    const auto has_answer = [&] {
        return waiter.answered || __atomic_load_n(&c.done_seq, __ATOMIC_ACQUIRE) == seq;
    };
    const bool woken = dom0_cv_.wait_until(lock, t0 + deadline,
                                           [&] { return has_answer() || g.stop.has_value(); });
    // An answer counts even when the guest stopped right after giving it.
    const bool answered = has_answer();
    dom0_waiters_.erase(port);
    out.host_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!woken && !answered) {
        static constexpr const char* kWhere[] = {"starting",
                                                 "in the guest",
                                                 "handling an exit",
                                                 "waiting for an exitless answer",
                                                 "waiting for an event",
                                                 "done"};
        std::string state =
            fmt::format("the vCPU thread was {}; upcall pending {}",
                        kWhere[static_cast<int>(g.where.load())], *g.upcall_pending);
        if (g.transport == abi::kTransportExitless) {
            state += fmt::format("; exitless slot: req {} resp {} nr {}{}", g.slot->req_seq,
                                 g.slot->resp_seq, g.slot->nr,
                                 g.slot->poller_asleep != 0 ? " (poller asleep)" : "");
        }
        stop_domain(g, make_stop(StopKind::deadline,
                                 fmt::format("no answer to command {} within {} ms ({})",
                                             static_cast<unsigned>(cmd), deadline.count(), state)));
    }
    if (g.stop && !answered) {
        // The registers where it spun: the vCPU thread syncs them as it
        // leaves KVM_RUN.
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
        out.stop = g.stop;
        return out;
    }
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

std::optional<GuestStop> Monitor::stopped(std::uint16_t d) {
    GuestDomain& g = domain(d);
    std::lock_guard lock(mu_);
    return g.stop;
}

std::string Monitor::console(std::uint16_t d) {
    std::lock_guard lock(mu_);
    return core_.console(d);
}

ExitCounts Monitor::exits(std::uint16_t d) {
    GuestDomain& g = domain(d);
    auto counts = g.vcpu->stats().read();
    counts.user_exits = g.user_exits.load();
    return counts;
}

const BuiltDomain& Monitor::built(std::uint16_t d) {
    return domain(d).built;
}

ExitlessPoller::Stats Monitor::poller_stats() const {
    return poller_ ? poller_->stats() : ExitlessPoller::Stats{};
}

std::string Monitor::poller_state() {
    std::string out = poller_ ? poller_->describe() : std::string();
    std::lock_guard lock(mu_);
    for (const auto& [id, g] : domains_) {
        static constexpr const char* kWhere[] = {"starting",
                                                 "in the guest",
                                                 "handling an exit",
                                                 "waiting for an exitless answer",
                                                 "waiting for an event",
                                                 "done"};
        out += fmt::format("domain {}: vCPU thread {}, upcall pending {}\n", id,
                           kWhere[static_cast<int>(g->where.load())], *g->upcall_pending);
    }
    return out;
}

Monitor::PlatformCounts Monitor::platform_counts(std::uint16_t d) {
    GuestDomain& g = domain(d);
    std::lock_guard lock(mu_);
    return {g.vm->flushes(), g.vm->slot_changes()};
}

} // namespace enso::kvm
