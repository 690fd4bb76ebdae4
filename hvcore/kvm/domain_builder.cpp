// The domain builder for Enso's own guest kernel (domain_builder.hpp).
#include "hvcore/kvm/domain_builder.hpp"

#include "hvcore/abi/exitless_slot.hpp"
#include "hvcore/abi/guest_layout.hpp"
#include "hvcore/abi/hypercall_ports.hpp"
#include "hvcore/core/page_table_entry.hpp"
#include "hvcore/kvm/boot_page_tables.hpp"
#include "hvcore/kvm/boot_steps.hpp"
#include "hvcore/kvm/hypercall_page.hpp"
#include "hvcore/kvm/kvm_error.hpp"

#include <xen/xen.h>

#include <algorithm>
#include <cstring>
#include <set>

namespace enso::kvm {

namespace {

using core::kPteNX;
using core::kPteP;
using core::kPteRW;
using core::kPteUS;
constexpr std::uint64_t kPage = abi::kPageSize;
constexpr std::uint64_t kRW = kPteP | kPteRW | kPteUS | kPteNX;
constexpr std::uint64_t kRO = kPteP | kPteUS | kPteNX;

constexpr std::string_view kBuilder = "domain builder";

void check(core::Rc rc, const std::string& step) {
    check_build_step(rc, kBuilder, step);
}

std::uint64_t ceil_pages(std::uint64_t bytes) {
    return (bytes + kPage - 1) / kPage;
}

// Where each boot page goes, in pfn order: kernel, hypercall page,
// start_info, command page, stack, mfn list, page tables, free.
struct BootLayout {
    std::uint64_t kernel_pages = 0;
    std::uint64_t hypercall_pfn = 0;
    std::uint64_t start_info_pfn = 0;
    std::uint64_t command_pfn = 0;
    std::uint64_t stack_pfn = 0;
    std::uint64_t mfn_list_pfn = 0;
    std::uint64_t mfn_list_pages = 0;
    std::uint64_t pt_pfn = 0;
};

BootLayout plan_layout(const ElfImage& image, const BuildConfig& config) {
    if (image.lowest < abi::kKernelBaseVa || image.highest > abi::kMfnListVa) {
        throw KvmError("guest kernel must be linked between 0x400000 and 0x40000000");
    }
    BootLayout l;
    l.kernel_pages = ceil_pages(image.highest - abi::kKernelBaseVa);
    l.mfn_list_pages = ceil_pages(std::uint64_t{config.nr_pages} * 8);
    std::uint64_t pfn = l.kernel_pages;
    l.hypercall_pfn = pfn++;
    l.start_info_pfn = pfn++;
    l.command_pfn = pfn++;
    l.stack_pfn = pfn;
    pfn += abi::kStackPages;
    l.mfn_list_pfn = pfn;
    pfn += l.mfn_list_pages;
    l.pt_pfn = pfn;
    return l;
}

// Kernel pages take the union of the permissions of the segments they hold.
std::uint64_t kernel_page_flags(const ElfImage& image, std::uint64_t va) {
    bool writable = false;
    bool executable = false;
    for (const auto& seg : image.segments) {
        if (va + kPage > seg.vaddr && va < seg.vaddr + seg.mem_size) {
            writable = writable || seg.writable;
            executable = executable || seg.executable;
        }
    }
    return kPteP | kPteUS | (writable ? kPteRW : 0) | (executable ? 0 : kPteNX);
}

class Builder {
public:
    Builder(core::Core& core, MachineMemory& memory, const ElfImage& image,
            const BuildConfig& config)
        : core_(core), memory_(memory), image_(image), config_(config), d_(config.domid),
          layout_(plan_layout(image, config)) {}

    BuiltDomain build() {
        allocate_frames();
        write_page_tables(boot_mappings());
        load_kernel();
        write_hypercall_page();
        write_mfn_list();
        open_command_channel();
        write_start_info();
        write_command_page();
        install_page_tables();
        return out_;
    }

private:
    std::uint64_t mfn(std::uint64_t pfn) const { return out_.mfns[pfn]; }
    std::byte* page(std::uint64_t pfn) {
        return memory_.frame(static_cast<std::uint32_t>(mfn(pfn)));
    }

    void allocate_frames() {
        check(core_.grant_setup_table(d_, 1, grant_frames_), "grant table setup");
        out_.shared_info = core_.state().doms.shared_info.get(d_);
        out_.mfns = kvm::allocate_frames(core_, kBuilder, d_, config_.nr_pages);
    }

    std::vector<BootMapping> boot_mappings() {
        const BootLayout& l = layout_;
        std::vector<BootMapping> maps;
        for (std::uint64_t i = 0; i < l.kernel_pages; ++i) {
            const std::uint64_t va = abi::kKernelBaseVa + i * kPage;
            maps.push_back({va, mfn(i), kernel_page_flags(image_, va)});
        }
        maps.push_back({abi::kHypercallPageVa, mfn(l.hypercall_pfn), kPteP | kPteUS});
        maps.push_back({abi::kSharedInfoVa, out_.shared_info, kRW});
        maps.push_back({abi::kStartInfoVa, mfn(l.start_info_pfn), kRW});
        maps.push_back({abi::kCommandPageVa, mfn(l.command_pfn), kRW});
        maps.push_back({abi::kGrantTableVa, grant_frames_.at(0), kRW});
        for (std::uint64_t i = 0; i < abi::kStackPages; ++i) {
            maps.push_back(
                {abi::kStackTopVa - (abi::kStackPages - i) * kPage, mfn(l.stack_pfn + i), kRW});
        }
        for (std::uint64_t i = 0; i < l.mfn_list_pages; ++i) {
            maps.push_back({abi::kMfnListVa + i * kPage, mfn(l.mfn_list_pfn + i), kRO});
        }
        // The phys map covers every frame the domain owns; page tables in it
        // are read-only once their frames are known (write_page_tables).
        phys_first_ = maps.size();
        for (auto m : out_.mfns) {
            // The hypercall page holds the guest's GDT, IDT and TSS: the core
            // holds it as a descriptor frame (install_page_tables), which no
            // writable mapping may take.
            const bool descriptors = m == mfn(l.hypercall_pfn);
            maps.push_back({abi::kPhysMapVa + m * kPage, m, descriptors ? kRO : kRW});
        }
        for (const std::uint64_t shared :
             {std::uint64_t{out_.shared_info}, std::uint64_t{grant_frames_[0]}}) {
            maps.push_back({abi::kPhysMapVa + shared * kPage, shared, kRW});
        }
        return maps;
    }

    void write_page_tables(std::vector<BootMapping> maps) {
        const std::size_t nr_tables = BootPageTables::count(maps);
        out_.nr_pt_frames = static_cast<std::uint32_t>(nr_tables);
        out_.first_free_pfn = static_cast<std::uint32_t>(layout_.pt_pfn + nr_tables);
        if (out_.first_free_pfn > config_.nr_pages) {
            throw KvmError("domain builder: " + std::to_string(config_.nr_pages) +
                           " pages are too few; the boot image alone needs " +
                           std::to_string(out_.first_free_pfn));
        }
        const auto first = out_.mfns.begin() + static_cast<std::ptrdiff_t>(layout_.pt_pfn);
        const std::vector<std::uint64_t> table_frames(
            first, first + static_cast<std::ptrdiff_t>(nr_tables));
        const std::set<std::uint64_t> table_set(table_frames.begin(), table_frames.end());
        for (std::size_t i = phys_first_; i < maps.size(); ++i) {
            if (table_set.contains(maps[i].mfn)) {
                maps[i].flags = kRO; // page tables are never writable by the guest
            }
        }
        BootPageTables tables(memory_, table_frames);
        for (const auto& m : maps) {
            tables.map(m);
        }
        out_.l4 = static_cast<std::uint32_t>(tables.root());
    }

    void load_kernel() { load_segments(memory_, image_, abi::kKernelBaseVa, out_.mfns); }

    void write_hypercall_page() {
        const auto stubs =
            make_hypercall_page(config_.transport, abi::kSharedInfoVa + abi::kExitlessSlotOffset);
        out_.hypercall_page = static_cast<std::uint32_t>(mfn(layout_.hypercall_pfn));
        std::memcpy(memory_.frame(out_.hypercall_page), stubs.data(), stubs.size());
    }

    void write_mfn_list() { write_frame_list(memory_, out_.mfns, layout_.mfn_list_pfn, out_.mfns); }

    // The event channel to domain 0 that carries commands.
    void open_command_channel() {
        check(core_.evtchn_alloc_unbound(0, d_, 0, out_.guest_cmd_port), "command channel");
        check(core_.evtchn_bind_interdomain(0, d_, out_.guest_cmd_port, out_.dom0_cmd_port),
              "command channel bind");
    }

    void write_start_info() {
        auto* si = reinterpret_cast<start_info_t*>(page(layout_.start_info_pfn));
        std::snprintf(si->magic, sizeof si->magic, "xen-3.0-x86_64");
        si->nr_pages = config_.nr_pages;
        si->shared_info = std::uint64_t{out_.shared_info} * kPage;
        si->pt_base = abi::kPhysMapVa + std::uint64_t{out_.l4} * kPage;
        si->nr_pt_frames = out_.nr_pt_frames;
        si->mfn_list = abi::kMfnListVa;
        std::snprintf(reinterpret_cast<char*>(si->cmd_line), sizeof si->cmd_line, "%s",
                      config_.cmd_line.c_str());
    }

    void write_command_page() {
        out_.command_page = static_cast<std::uint32_t>(mfn(layout_.command_pfn));
        auto* cmd = reinterpret_cast<abi::CommandPage*>(memory_.frame(out_.command_page));
        cmd->tsc_khz = config_.tsc_khz;
        cmd->transport = config_.transport;
        cmd->cmd_port = out_.guest_cmd_port;
        cmd->first_free_pfn = out_.first_free_pfn;
        cmd->boot_magic = abi::kPingMagic;
    }

    void install_page_tables() {
        check(core_.hold_descriptor_frame(d_, out_.hypercall_page), "descriptor frame");
        install_boot_tables(core_, kBuilder, d_, out_.l4);
        out_.start = {image_.entry,
                      abi::kStackTopVa,
                      abi::kStartInfoVa,
                      std::uint64_t{out_.l4} * kPage,
                      abi::kHypercallPageVa + abi::kTssOffset,
                      abi::kTssLimit};
    }

    core::Core& core_;
    MachineMemory& memory_;
    const ElfImage& image_;
    const BuildConfig& config_;
    std::uint16_t d_;
    BootLayout layout_;
    BuiltDomain out_;
    std::vector<std::uint32_t> grant_frames_;
    std::size_t phys_first_ = 0;
};

} // namespace

BuiltDomain build_domain(core::Core& core, MachineMemory& memory, const ElfImage& image,
                         const BuildConfig& config) {
    return build_in_new_domain<BuiltDomain>(
        core, kBuilder, config.domid, config.nr_pages + config.extra_pages + 2,
        [&] { return Builder(core, memory, image, config).build(); });
}

} // namespace enso::kvm
