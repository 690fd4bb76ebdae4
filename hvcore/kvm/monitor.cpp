// The monitor's lifecycle: opening KVM, starting and destroying guest
// domains, and what callers may ask about them.
#include "hvcore/kvm/monitor.hpp"

#include "hvcore/abi/exitless_slot.hpp"
#include "hvcore/abi/hypercall_ports.hpp"
#include "hvcore/abi/xen_pv_layout.hpp"
#include "hvcore/kvm/cpu_affinity.hpp"
#include "hvcore/kvm/elf_image.hpp"
#include "hvcore/kvm/irq_setup.hpp"
#include "hvcore/kvm/kvm_error.hpp"
#include "hvcore/kvm/xen_pv_builder.hpp"

#include <fmt/format.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <xen/xen.h>

#include <csignal>
#include <cstddef>
#include <cstdlib>
#include <fcntl.h>
#include <thread>
#include <unistd.h>

namespace enso::kvm {

namespace {

constexpr std::uint32_t kDom0Pages = 4096;

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
    dispatcher_.set_platform(&vcpu_platform_);
    if (core_.create_domain(0, kDom0Pages) != core::kOk) {
        throw KvmError("cannot create domain 0 (machine memory too small?)");
    }
    // Domain 0 has a grant table, as in Xen, though the monitor grants
    // nothing: a guest naming one of its references meets an entry that does
    // not permit it, not a reference beyond a table (XTF's XSA-316 PoC).
    if (std::vector<std::uint32_t> frames; core_.grant_setup_table(0, 1, frames) != GNTST_okay) {
        throw KvmError("cannot give domain 0 its grant table");
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
    GuestDomain* g = find_domain(d);
    if (g == nullptr) {
        throw KvmError("no guest domain " + std::to_string(d));
    }
    return *g;
}

GuestDomain* Monitor::find_domain(std::uint16_t d) const {
    const auto it = domains_.find(d);
    return it == domains_.end() ? nullptr : it->second.get();
}

std::uint16_t Monitor::start_domain(const DomainConfig& config) {
    auto g = create_guest_vm(config);
    place_domain(*g, config);
    g->vcpu->start_pv(g->built.start);
    register_transport_ports(*g);
    if (config.transport == abi::kTransportExitless) {
        attach_to_poller(*g);
    }
    GuestDomain& ref = *g;
    {
        std::lock_guard lock(mu_);
        domains_.emplace(ref.domid, std::move(g));
    }
    ref.thread = std::thread([this, &ref] { vcpu_loop(ref); });
    return ref.domid;
}

// The VM and its vCPU, with an irqchip when the guest takes upcalls as
// interrupts.
std::unique_ptr<GuestDomain> Monitor::create_guest_vm(const DomainConfig& config) {
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
    return g;
}

// Picks the domain id, builds the domain in the core from the kernel image
// and gives the VM the memory slots the core's state allows.
void Monitor::place_domain(GuestDomain& g, const DomainConfig& config) {
    const auto kernel = config.kernel.empty() ? default_guest_kernel() : config.kernel;
    std::optional<ElfImage> image;
    if (!config.xen_pv) {
        image = load_elf(kernel);
    }
    std::lock_guard lock(mu_);
    const auto taken = [&](std::uint16_t id) { return domains_.contains(id); };
    const std::uint16_t d = config.domid != 0 ? config.domid : core_.pick_free_domid(taken);
    if (d == 0) {
        throw KvmError("no free domain id");
    }
    if (taken(d) || !core_.domid_free(d)) {
        throw KvmError("domain id " + std::to_string(d) + " is not free");
    }
    g.domid = d;
    g.xen_pv = config.xen_pv;
    if (config.vcpus == 0 || config.vcpus > XEN_LEGACY_MAX_VCPUS ||
        (!config.xen_pv && config.vcpus != 1)) {
        throw KvmError(fmt::format("{} vCPUs: a Xen PV domain has 1 to {}, any other domain 1",
                                   config.vcpus, XEN_LEGACY_MAX_VCPUS));
    }
    g.idle_vcpu_roots.assign(config.vcpus - 1, 0);
    if (config.xen_pv) {
        XenPvBuildConfig build;
        build.domid = d;
        build.nr_pages = config.pages;
        build.cmd_line = config.cmd_line;
        build.transport = config.transport;
        g.built = build_xen_pv_domain(core_, memory_, kernel, build);
    } else {
        BuildConfig build;
        build.domid = d;
        build.nr_pages = config.pages;
        build.transport = config.transport;
        build.tsc_khz = tsc_khz_;
        build.cmd_line = config.cmd_line;
        g.built = build_domain(core_, memory_, *image, build);
    }
    sync_memslots(g);
    g.cr3 = g.built.start.cr3;
    std::byte* si = memory_.frame(g.built.shared_info);
    g.slot = reinterpret_cast<abi::ExitlessSlot*>(si + abi::kExitlessSlotOffset);
    g.upcall_pending = reinterpret_cast<std::uint8_t*>(
        si + offsetof(shared_info_t, vcpu_info[0].evtchn_upcall_pending));
    g.upcall_mask = reinterpret_cast<std::uint8_t*>(
        si + offsetof(shared_info_t, vcpu_info[0].evtchn_upcall_mask));
    g.command = g.built.command_page == 0
                    ? nullptr
                    : reinterpret_cast<abi::CommandPage*>(memory_.frame(g.built.command_page));
}

// The ports every guest may use, whichever transport it calls through: the
// stubs of both are on its hypercall page.
void Monitor::register_transport_ports(GuestDomain& g) {
    std::lock_guard lock(mu_);
    g.ports.add(abi::kPortHypercall, 1, false,
                [this](GuestDomain& d) { return on_hypercall_port(d); });
    g.ports.add(abi::kPortFloor, 1, false, [](GuestDomain& /*d*/) { return true; });
    g.ports.add(abi::kPortExitlessWait, 1, false,
                [this](GuestDomain& d) { return on_exitless_wait_port(d); });
    g.ports.add(abi::kPortExitlessKick, 1, false,
                [this](GuestDomain& d) { return on_exitless_kick_port(d); });
    if (g.xen_pv) {
        for (std::uint32_t v = 0; v < abi::kExceptionVectors; ++v) {
            g.ports.add(static_cast<std::uint16_t>(abi::kPortException + v), 1, true,
                        [this, v](GuestDomain& d) { return on_exception_port(d, v); });
        }
    }
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
        out += fmt::format("domain {}: vCPU thread {}, upcall pending {}\n", id, g->where_name(),
                           *g->upcall_pending);
    }
    return out;
}

std::uint64_t Monitor::xen_pv_exceptions(std::uint16_t d) {
    GuestDomain& g = domain(d);
    std::lock_guard lock(mu_);
    return g.pv.exceptions;
}

std::uint64_t Monitor::xen_pv_emulated(std::uint16_t d) {
    GuestDomain& g = domain(d);
    std::lock_guard lock(mu_);
    return g.pv.emulated;
}

std::uint64_t Monitor::upcall_injections(std::uint16_t d) {
    return domain(d).upcall_injections.load();
}

Monitor::PlatformCounts Monitor::platform_counts(std::uint16_t d) {
    GuestDomain& g = domain(d);
    std::lock_guard lock(mu_);
    return {g.vm->flushes(), g.vm->slot_changes()};
}

} // namespace enso::kvm
