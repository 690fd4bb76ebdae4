// Steps both domain builders take (Enso's own kernel, and Xen PV kernels):
// a domain created in the core and destroyed again if building fails, the
// frames allocated, ELF segments copied to the frames behind their pages, a
// list of frames written page by page, and the boot tables pinned and
// installed by the core.
#pragma once

#include "hvcore/core/core.hpp"
#include "hvcore/kvm/elf_image.hpp"
#include "hvcore/kvm/machine_memory.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace enso::kvm {

// Throws KvmError "<builder>: <step> refused by the core (<rc>)".
void check_build_step(core::Rc rc, std::string_view builder, const std::string& step);

// Creates domain d in the core with room for nr_pages + extra_pages (and the
// shared pages), runs build, and destroys the domain if build throws.
template <class Built>
Built build_in_new_domain(core::Core& core, std::string_view builder, std::uint16_t d,
                          std::uint32_t max_pages, const std::function<Built()>& build) {
    check_build_step(core.create_domain(d, max_pages), builder,
                     "creating domain " + std::to_string(d));
    try {
        return build();
    } catch (...) {
        (void)core.destroy_domain(d);
        throw;
    }
}

// nr frames for d, in pfn order.
std::vector<std::uint64_t> allocate_frames(core::Core& core, std::string_view builder,
                                           std::uint16_t d, std::uint32_t nr);

// Copies every segment's file bytes to the frames behind its pages (pfn =
// (va - base_va) / 4096); bss stays zero, as frames come zeroed.
void load_segments(MachineMemory& memory, const ElfImage& image, std::uint64_t base_va,
                   const std::vector<std::uint64_t>& mfns);

// values (8 bytes each) into the frames of pfns first_pfn.. (not
// necessarily contiguous machine frames), page by page.
void write_frame_list(MachineMemory& memory, const std::vector<std::uint64_t>& mfns,
                      std::uint64_t first_pfn, const std::vector<std::uint64_t>& values);

// The core validates the whole tree as it pins the root, then installs it.
void install_boot_tables(core::Core& core, std::string_view builder, std::uint16_t d,
                         std::uint32_t root);

} // namespace enso::kvm
