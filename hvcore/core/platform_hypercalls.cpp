// console_io, xen_version and sched_op: the small hypercalls a guest kernel
// needs to say hello, learn what it runs on, and stop; and the vCPU-side
// ones (callback_op, set_trap_table, stack_switch, set_gdt, iret) that the
// platform carries out; vcpu_op for a domain's one vCPU.
#include "hvcore/core/guest_memory.hpp"
#include "hvcore/core/hypercall_dispatch.hpp"

#include <xen/physdev.h>
#include <xen/vcpu.h>

#include <array>
#include <cstdio>
#include <span>
#include <string>

namespace enso::core {

namespace {

// Enso speaks the interface of the Xen headers it is built with (4.17).
constexpr long kXenVersion = (4L << 16) | 17;
constexpr char kExtraVersion[] = "-enso";
constexpr char kCapabilities[] = "xen-3.0-x86_64";
constexpr char kChangeset[] = "enso";
#if defined(__clang__)
constexpr char kCompiler[] = "clang " __clang_version__;
#else
constexpr char kCompiler[] = "gcc " __VERSION__;
#endif

template <std::size_t N, class Out>
Rc write_string(const GuestMemory& guest, std::uint64_t at, const char (&text)[N]) {
    Out out{};
    static_assert(N <= sizeof(out));
    std::memcpy(&out, text, N);
    return guest.write(at, out);
}

} // namespace

long Dispatcher::console_io(std::uint16_t d, const HypercallArgs& a) {
    const GuestMemory guest(core_.state(), d);
    switch (a[0]) {
    case CONSOLEIO_write: {
        if (a[1] > kMaxConsoleWrite) {
            return kEINVAL;
        }
        std::string text(a[1], '\0');
        if (guest.copy_from(a[2], std::as_writable_bytes(std::span(text))) != kOk) {
            return kEFAULT;
        }
        core_.console_append(d, text);
        return kOk;
    }
    case CONSOLEIO_read:
        return 0; // no console input
    default:
        return kENOSYS;
    }
}

long Dispatcher::xen_version(std::uint16_t d, const HypercallArgs& a) {
    const GuestMemory guest(core_.state(), d);
    switch (a[0]) {
    case XENVER_version:
        return kXenVersion;
    case XENVER_extraversion:
        return write_string<sizeof kExtraVersion, xen_extraversion_t>(guest, a[1], kExtraVersion);
    case XENVER_capabilities:
        return write_string<sizeof kCapabilities, xen_capabilities_info_t>(guest, a[1],
                                                                           kCapabilities);
    case XENVER_get_features: {
        xen_feature_info_t info{};
        if (guest.read_inout(a[1], info) != kOk) {
            return kEFAULT;
        }
        info.submap = 0; // no optional features
        return guest.write(a[1], info);
    }
    case XENVER_pagesize:
        return static_cast<long>(kPageSize);
    case XENVER_compile_info: {
        xen_compile_info_t info{};
        std::snprintf(info.compiler, sizeof info.compiler, "%s", kCompiler);
        std::snprintf(info.compile_by, sizeof info.compile_by, "enso");
        std::snprintf(info.compile_domain, sizeof info.compile_domain, "enso");
        std::snprintf(info.compile_date, sizeof info.compile_date, "%s", __DATE__);
        return guest.write(a[1], info);
    }
    case XENVER_changeset:
        return write_string<sizeof kChangeset, xen_changeset_info_t>(guest, a[1], kChangeset);
    case XENVER_platform_parameters: {
        xen_platform_parameters_t p{};
        p.virt_start = HYPERVISOR_VIRT_START;
        return guest.write(a[1], p);
    }
    case XENVER_guest_handle: {
        const xen_domain_handle_t handle{};
        return guest.write(a[1], handle);
    }
    default:
        return kENOSYS;
    }
}

long Dispatcher::sched_op(std::uint16_t d, const HypercallArgs& a) {
    auto& s = core_.state();
    switch (a[0]) {
    case SCHEDOP_yield:
        return kOk;
    case SCHEDOP_block:
        add_effect<Concrete>(s, d, kEffectBlock);
        return kOk;
    case SCHEDOP_shutdown: {
        sched_shutdown_t arg{};
        if (GuestMemory(s, d).read(a[1], arg) != kOk) {
            return kEFAULT;
        }
        if (arg.reason > SHUTDOWN_MAX) {
            return kEINVAL;
        }
        s.doms.shutdown_code.set(d, static_cast<std::uint8_t>(arg.reason));
        add_effect<Concrete>(s, d, kEffectShutdown);
        return kOk;
    }
    default:
        return kENOSYS;
    }
}

// The vCPU-side hypercalls: decoded and checked here, installed by the
// platform (vcpu_platform.hpp); without one they are -ENOSYS.
long Dispatcher::callback_op(std::uint16_t d, const HypercallArgs& a) {
    if (platform_ == nullptr || !platform_->accepts_callbacks(d)) {
        return kENOSYS;
    }
    if (a[0] != CALLBACKOP_register) {
        return kENOSYS;
    }
    callback_register cb{};
    if (GuestMemory(core_.state(), d).read(a[1], cb) != kOk) {
        return kEFAULT;
    }
    constexpr std::uint64_t kLowerHalfEnd = 1ULL << 47;
    const bool known = cb.type == CALLBACKTYPE_event || cb.type == CALLBACKTYPE_syscall ||
                       cb.type == CALLBACKTYPE_syscall32 || cb.type == CALLBACKTYPE_sysenter;
    if (!known || cb.address == 0 || cb.address >= kLowerHalfEnd) {
        return kEINVAL;
    }
    return platform_->register_callback(d, cb);
}

long Dispatcher::set_trap_table(std::uint16_t d, const HypercallArgs& a) {
    if (platform_ == nullptr) {
        return kENOSYS;
    }
    if (a[0] == 0) {
        return platform_->set_trap_table(d, {}, true);
    }
    const GuestMemory guest(core_.state(), d);
    constexpr std::size_t kVectors = 256;
    std::array<trap_info, kVectors> entries{};
    std::size_t n = 0;
    for (; n < kVectors; ++n) {
        if (guest.read(a[0] + n * sizeof(trap_info), entries[n]) != kOk) {
            return kEFAULT;
        }
        if (entries[n].address == 0) {
            break; // the sentinel
        }
    }
    return platform_->set_trap_table(d, std::span(entries.data(), n), false);
}

long Dispatcher::stack_switch(std::uint16_t d, const HypercallArgs& a) {
    return platform_ == nullptr ? kENOSYS : platform_->stack_switch(d, a[0], a[1]);
}

// Xen's GDT holds 14 frames of the guest's (512 descriptors each).
long Dispatcher::set_gdt(std::uint16_t d, const HypercallArgs& a) {
    constexpr std::uint64_t kMaxFrames = 14;
    if (platform_ == nullptr) {
        return kENOSYS;
    }
    const std::uint64_t entries = a[1];
    if (entries > kMaxFrames * 512) {
        return kEINVAL;
    }
    const std::uint64_t nr_frames = (entries + 511) / 512;
    std::array<std::uint64_t, kMaxFrames> frames{};
    const GuestMemory guest(core_.state(), d);
    for (std::uint64_t i = 0; i < nr_frames; ++i) {
        if (guest.read(a[0] + i * 8, frames[i]) != kOk) {
            return kEFAULT;
        }
        if (!core_.owns_frame(d, static_cast<std::uint32_t>(frames[i])) ||
            frames[i] >= core_.nr_frames()) {
            return kEINVAL;
        }
    }
    return platform_->set_gdt(d, std::span(frames.data(), nr_frames),
                              static_cast<std::uint32_t>(entries));
}

long Dispatcher::iret(std::uint16_t d, const HypercallArgs& /*a*/) {
    return platform_ == nullptr ? kENOSYS : platform_->iret(d);
}

// PHYSDEVOP_set_iopl is the only physdev op: Enso gives guests no devices,
// interrupts or I/O ports, so the others are -ENOSYS.
long Dispatcher::physdev_op(std::uint16_t d, const HypercallArgs& a) {
    if (a[0] != PHYSDEVOP_set_iopl || platform_ == nullptr) {
        return kENOSYS;
    }
    physdev_set_iopl op{};
    if (GuestMemory(core_.state(), d).read(a[1], op) != kOk) {
        return kEFAULT;
    }
    return op.iopl > 3 ? kEINVAL : platform_->set_iopl(d, op.iopl);
}

// Xen's order: a type outside the offered set is -EINVAL, then a command
// other than enable/disable -ENOSYS. Only architectural IOPL is offered
// (the others change segment or page-table semantics Enso does not have).
long Dispatcher::vm_assist(std::uint16_t d, const HypercallArgs& a) {
    if (a[1] != VMASST_TYPE_architectural_iopl || platform_ == nullptr) {
        return kEINVAL;
    }
    if (a[0] != VMASST_CMD_enable && a[0] != VMASST_CMD_disable) {
        return kENOSYS;
    }
    return platform_->set_architectural_iopl(d, a[0] == VMASST_CMD_enable);
}

// vCPU 0 runs from the start; the platform may give a domain more, which
// never run. A vCPU the domain lacks is -ENOENT whatever the command, as in
// Xen. VCPUOP_initialise gives a vCPU that is not running its context, of
// which Enso keeps the root: validated as an L4 and held by the core
// (hold_vcpu_root) as Xen's guest_table is; once given, -EEXIST, vCPU 0's
// included. Bringing one up is not built (-ENOSYS).
long Dispatcher::vcpu_op(std::uint16_t d, const HypercallArgs& a) {
    if (!core_.domain_exists(d)) {
        return kESRCH;
    }
    const unsigned count = platform_ != nullptr ? platform_->vcpu_count(d) : 1;
    if (a[1] >= count) {
        return kENOENT;
    }
    const auto vcpu = static_cast<unsigned>(a[1]);
    switch (a[0]) {
    case VCPUOP_initialise: {
        if (vcpu == 0 || platform_->vcpu_root(d, vcpu) != 0) {
            return kEEXIST;
        }
        vcpu_guest_context_t ctx{};
        if (GuestMemory(core_.state(), d).read(a[2], ctx) != kOk) {
            return kEFAULT;
        }
        // A 64-bit guest starts a vCPU in kernel mode or with a user root.
        if ((ctx.flags & VGCF_in_kernel) == 0 && ctx.ctrlreg[1] == 0) {
            return kEINVAL;
        }
        const std::uint64_t root = xen_cr3_to_pfn(ctx.ctrlreg[3]);
        if (root == 0 || root >= core_.nr_frames()) {
            return kEINVAL;
        }
        if (core_.hold_vcpu_root(d, static_cast<std::uint32_t>(root)) != kOk) {
            return kEINVAL; // not an L4 of the caller's that validates
        }
        platform_->set_vcpu_root(d, vcpu, root);
        return kOk;
    }
    case VCPUOP_is_up:
        return vcpu == 0 ? 1 : 0;
    default:
        return kENOSYS;
    }
}

} // namespace enso::core
