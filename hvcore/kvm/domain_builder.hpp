// The domain builder: creates a domain in the core, allocates its frames,
// loads the guest ELF, writes its boot page tables and has the core validate
// them by pinning the root (the same path a guest's own tables take), then
// fills start_info, the command page and the hypercall page. Runs under the
// monitor's lock, before the domain's vCPU exists.
#pragma once

#include "hvcore/abi/command_page.hpp"
#include "hvcore/core/core.hpp"
#include "hvcore/kvm/elf_image.hpp"
#include "hvcore/kvm/machine_memory.hpp"
#include "hvcore/kvm/vcpu.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace enso::kvm {

struct BuildConfig {
    std::uint16_t domid = 1;
    std::uint32_t nr_pages = 4096;  // frames the domain starts with (boot + free)
    std::uint32_t extra_pages = 64; // quota left for increase_reservation
    abi::Transport transport = abi::kTransportTrap;
    std::uint64_t tsc_khz = 0;
    std::string cmd_line;
};

struct BuiltDomain {
    VcpuStart start;
    std::vector<std::uint64_t> mfns; // pfn -> machine frame
    std::uint32_t l4 = 0;
    std::uint32_t shared_info = 0;
    std::uint32_t command_page = 0;   // 0: none (a Xen PV kernel takes no commands)
    std::uint32_t hypercall_page = 0; // also holds the TSS, and the GDT and IDT for upcalls
    std::uint32_t guest_cmd_port = 0;
    std::uint32_t dom0_cmd_port = 0;
    std::uint32_t nr_pt_frames = 0;
    std::uint32_t first_free_pfn = 0;
    // A Xen PV kernel's console ring and domain 0's end of its channel.
    std::uint32_t console_page = 0;
    std::uint32_t dom0_console_port = 0;
};

// Throws KvmError with the reason (image does not fit, core refused a step);
// on failure the partly built domain is destroyed.
BuiltDomain build_domain(core::Core& core, MachineMemory& memory, const ElfImage& image,
                         const BuildConfig& config);

} // namespace enso::kvm
