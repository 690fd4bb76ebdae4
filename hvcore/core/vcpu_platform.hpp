// What the platform keeps per vCPU that the core does not model: where event
// upcalls and exceptions are delivered. The dispatcher decodes and checks a
// guest's arguments; the platform (the KVM monitor) installs them.
#pragma once

#include "hvcore/core/xen_abi.hpp"

#include <cstdint>

namespace enso::core {

class VcpuPlatform {
public:
    virtual ~VcpuPlatform() = default;

    // Whether d's vCPU can take event upcalls at all (-ENOSYS otherwise, and
    // before any argument is read: the guest then polls for events).
    [[nodiscard]] virtual bool delivers_upcalls(std::uint16_t d) const = 0;
    // Installs an event callback whose type and address the dispatcher
    // checked; returns 0 or -errno.
    virtual long register_event_callback(std::uint16_t d, std::uint64_t address) = 0;
};

} // namespace enso::core
