// The domain builder for unmodified Xen PV kernels (XTF's tests): loads the
// ELF where its Xen notes say, with Xen's start-of-day layout - pseudo-
// physical frames from 0 mapped at virt_base + pfn * 4096, the kernel, then
// the P2M list, start_info (%rsi at entry), the xenstore and console rings,
// the bootstrap page tables (mapped read-only), the boot stack - writes a
// hypercall page into the frame the HYPERCALL_PAGE note names, and adds
// Enso's exception machinery (abi/xen_pv_layout.hpp) read-only. The core
// validates the tables by pinning the root, as for every guest.
#pragma once

#include "hvcore/core/core.hpp"
#include "hvcore/kvm/domain_builder.hpp"
#include "hvcore/kvm/machine_memory.hpp"

#include <string>

namespace enso::kvm {

struct XenPvBuildConfig {
    std::uint16_t domid = 1;
    std::uint32_t nr_pages = 4096;  // 16 MiB of pseudo-physical memory
    std::uint32_t extra_pages = 64; // quota left for increase_reservation
    std::string cmd_line;
    abi::Transport transport = abi::kTransportTrap; // how its hypercall stubs call
};

// Throws KvmError with the reason; on failure the partly built domain is
// destroyed.
BuiltDomain build_xen_pv_domain(core::Core& core, MachineMemory& memory,
                                const std::string& kernel_path, const XenPvBuildConfig& config);

} // namespace enso::kvm
