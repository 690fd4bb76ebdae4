// Steps both domain builders take (boot_steps.hpp).
#include "hvcore/kvm/boot_steps.hpp"

#include "hvcore/abi/guest_layout.hpp"
#include "hvcore/kvm/kvm_error.hpp"

#include <algorithm>
#include <cstring>

namespace enso::kvm {

void check_build_step(core::Rc rc, std::string_view builder, const std::string& step) {
    if (rc != core::kOk) {
        throw KvmError(std::string(builder) + ": " + step + " refused by the core (" +
                       std::to_string(rc) + ")");
    }
}

std::vector<std::uint64_t> allocate_frames(core::Core& core, std::string_view builder,
                                           std::uint16_t d, std::uint32_t nr) {
    std::vector<std::uint64_t> mfns(nr);
    for (auto& m : mfns) {
        std::uint32_t f = 0;
        check_build_step(core.reserve_frame(d, f), builder,
                         "frame allocation (machine memory or quota too small)");
        m = f;
    }
    return mfns;
}

void load_segments(MachineMemory& memory, const ElfImage& image, std::uint64_t base_va,
                   const std::vector<std::uint64_t>& mfns) {
    constexpr std::uint64_t kPage = abi::kPageSize;
    for (const auto& seg : image.segments) {
        for (std::uint64_t off = 0; off < seg.file_size;) {
            const std::uint64_t va = seg.vaddr + off;
            const std::uint64_t in_page = va % kPage;
            const std::uint64_t n = std::min(kPage - in_page, seg.file_size - off);
            const auto mfn = mfns.at((va - base_va) / kPage);
            std::memcpy(memory.frame(static_cast<std::uint32_t>(mfn)) + in_page,
                        image.bytes.data() + seg.file_offset + off, n);
            off += n;
        }
    }
}

void write_frame_list(MachineMemory& memory, const std::vector<std::uint64_t>& mfns,
                      std::uint64_t first_pfn, const std::vector<std::uint64_t>& values) {
    constexpr std::uint64_t kPerPage = abi::kPageSize / 8;
    for (std::uint64_t first = 0, pfn = first_pfn; first < values.size();
         first += kPerPage, ++pfn) {
        const std::uint64_t n = std::min<std::uint64_t>(kPerPage, values.size() - first);
        std::memcpy(memory.frame(static_cast<std::uint32_t>(mfns.at(pfn))), values.data() + first,
                    n * 8);
    }
}

void install_boot_tables(core::Core& core, std::string_view builder, std::uint16_t d,
                         std::uint32_t root) {
    check_build_step(core.pin_table(d, root, core::kTypeL4), builder,
                     "pinning the boot page tables");
    check_build_step(core.new_baseptr(d, root), builder, "installing the boot page tables");
    (void)core.take_effects(d);
}

} // namespace enso::kvm
