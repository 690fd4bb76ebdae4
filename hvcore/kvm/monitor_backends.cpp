// The monitor's side of back ends and emulated devices: domain 0's access to
// the core, back ends owned per guest, ring kicks, and port devices.
#include "hvcore/abi/hypercall_ports.hpp"
#include "hvcore/kvm/kvm_error.hpp"
#include "hvcore/kvm/monitor.hpp"

#include <fmt/format.h>
#include <linux/kvm.h>

#include <algorithm>
#include <cstring>

namespace enso::kvm {

void Monitor::MonitorCoreAccess::run(backends::FunctionRef<void(core::Core&)> f) {
    m_.with_core([&](core::Core& core, core::Dispatcher&) { f(core); });
}

std::byte* Monitor::MonitorCoreAccess::frame(std::uint32_t f) const {
    return m_.memory_.frame(f);
}

GuestBackend& Monitor::add_backend(std::uint16_t d, std::unique_ptr<GuestBackend> backend) {
    (void)domain(d); // throws for a domain that does not exist
    std::lock_guard lock(mu_);
    auto& list = backends_[d];
    list.push_back(std::move(backend));
    return *list.back();
}

void Monitor::remove_backend(std::uint16_t d, const GuestBackend* backend) {
    std::unique_ptr<GuestBackend> victim;
    {
        std::lock_guard lock(mu_);
        auto& list = backends_[d];
        const auto it = std::find_if(list.begin(), list.end(),
                                     [&](const auto& b) { return b.get() == backend; });
        if (it == list.end()) {
            return;
        }
        victim = std::move(*it);
        list.erase(it);
    }
    victim.reset(); // without the lock: it calls the core to unmap
}

void Monitor::destroy_backends(std::uint16_t d) {
    std::vector<std::unique_ptr<GuestBackend>> list;
    std::vector<PortTable::Entry> devices;
    {
        std::lock_guard lock(mu_);
        if (GuestDomain* g = find_domain(d); g != nullptr) {
            devices = g->ports.take_devices();
        }
        const auto it = backends_.find(d);
        if (it != backends_.end()) {
            list = std::move(it->second);
            backends_.erase(it);
        }
        ring_kicks_.erase(ring_kicks_.lower_bound({d, 0}),
                          ring_kicks_.lower_bound({static_cast<std::uint16_t>(d + 1), 0}));
    }
    devices.clear(); // without the lock: a device may call the core as it goes
    while (!list.empty()) {
        list.pop_back(); // newest first
    }
}

int Monitor::ring_kick_fd(std::uint16_t d, std::uint32_t ring) {
    if (ring >= abi::kMaxKickRings) {
        throw KvmError(
            fmt::format("no kick port for ring {} (at most {})", ring, abi::kMaxKickRings));
    }
    GuestDomain& g = domain(d);
    std::lock_guard lock(mu_);
    auto& fd = ring_kicks_[{d, ring}];
    if (!fd.valid()) {
        fd = g.vm->add_ioeventfd(static_cast<std::uint16_t>(abi::kPortRingKick + 4 * ring));
    }
    return fd.get();
}

void Monitor::add_port_device(std::uint16_t d, std::uint16_t first, std::uint16_t count,
                              PortDevice device) {
    GuestDomain& g = domain(d);
    std::lock_guard lock(mu_);
    g.ports.add(first, count, true, [this, device = std::move(device)](GuestDomain& guest) mutable {
        return device_io(guest, device);
    });
}

bool Monitor::device_io(GuestDomain& g, PortDevice& device) {
    auto& run = g.vcpu->state();
    const auto& io = run.io;
    if (io.size != 4 || io.count != 1) {
        return fault(g, fmt::format("device port {:#x}: {}-byte access, count {} (only single "
                                    "4-byte accesses)",
                                    io.port, io.size, io.count));
    }
    auto* data = reinterpret_cast<std::uint8_t*>(&run) + io.data_offset;
    std::uint32_t value = 0;
    if (io.direction == KVM_EXIT_IO_OUT) {
        std::memcpy(&value, data, sizeof value);
        (void)device(io.port, true, value);
    } else {
        value = device(io.port, false, 0);
        std::memcpy(data, &value, sizeof value);
    }
    return !g.stop_requested.load();
}

} // namespace enso::kvm
