// The Xen PV domain builder (xen_pv_builder.hpp).
#include "hvcore/kvm/xen_pv_builder.hpp"

#include "hvcore/abi/exitless_slot.hpp"
#include "hvcore/abi/guest_layout.hpp"
#include "hvcore/abi/hypercall_ports.hpp"
#include "hvcore/abi/xen_pv_layout.hpp"
#include "hvcore/core/page_table_entry.hpp"
#include "hvcore/kvm/boot_page_tables.hpp"
#include "hvcore/kvm/boot_steps.hpp"
#include "hvcore/kvm/elf_image.hpp"
#include "hvcore/kvm/hypercall_page.hpp"
#include "hvcore/kvm/irq_setup.hpp"
#include "hvcore/kvm/kvm_error.hpp"
#include "hvcore/kvm/xen_elf_notes.hpp"

#include <xen/xen.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <set>

namespace enso::kvm {

namespace {

using core::kPteNX;
using core::kPteP;
using core::kPteRW;
using core::kPteUS;
constexpr std::uint64_t kPage = abi::kPageSize;
constexpr std::uint64_t kRW = kPteP | kPteRW | kPteUS;
constexpr std::uint64_t kRO = kPteP | kPteUS;
constexpr std::uint64_t kMiB4 = 4ULL << 20;

constexpr std::string_view kBuilder = "Xen PV builder";

void check(core::Rc rc, const std::string& step) {
    check_build_step(rc, kBuilder, step);
}

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
    return (a + b - 1) / b;
}

// Pfns in Xen's order after the kernel; the machinery takes the last two
// pfns, outside the bootstrap mapping.
struct XenPvPlan {
    std::uint64_t virt_base = 0;
    std::uint64_t kernel_end_pfn = 0;
    std::uint64_t p2m_pfn = 0;
    std::uint64_t p2m_pages = 0;
    std::uint64_t start_info_pfn = 0;
    std::uint64_t store_pfn = 0;
    std::uint64_t console_pfn = 0;
    std::uint64_t pt_pfn = 0;
    std::uint64_t nr_tables = 0;
    std::uint64_t stack_pfn = 0;
    std::uint64_t mapped_pages = 0; // pfns 0 .. mapped_pages-1 are mapped
    std::uint64_t machinery_pfn = 0;
    std::uint64_t m2p_pfn = 0; // the read-only M2P's frames, just below the machinery
    std::uint64_t m2p_pages = 0;
};

class XenPvBuilder {
public:
    XenPvBuilder(core::Core& core, MachineMemory& memory, const std::string& path,
                 const XenPvBuildConfig& config)
        : core_(core), memory_(memory), config_(config), d_(config.domid), image_(load_elf(path)),
          layout_(xen_pv_layout(load_xen_elf_notes(path), path)) {
        if (!layout_.hypercall_page) {
            throw KvmError(path + ": no XEN_ELFNOTE_HYPERCALL_PAGE (Enso writes hypercall "
                                  "stubs only where the kernel asks)");
        }
    }

    BuiltDomain build() {
        allocate_frames();
        plan();
        write_page_tables();
        load_kernel();
        write_machinery();
        write_p2m();
        write_m2p();
        open_channels();
        write_start_info();
        install_page_tables();
        return out_;
    }

private:
    std::uint64_t mfn(std::uint64_t pfn) const { return out_.mfns.at(pfn); }
    std::byte* page(std::uint64_t pfn) {
        return memory_.frame(static_cast<std::uint32_t>(mfn(pfn)));
    }
    std::uint64_t va(std::uint64_t pfn) const { return plan_.virt_base + pfn * kPage; }

    void allocate_frames() {
        std::vector<std::uint32_t> grant_frames;
        check(core_.grant_setup_table(d_, 1, grant_frames), "grant table setup");
        out_.shared_info = core_.state().doms.shared_info.get(d_);
        out_.mfns = kvm::allocate_frames(core_, kBuilder, d_, config_.nr_pages);
    }

    // The bootstrap region is mapped whole, rounded up to 4 MiB with room
    // to spare, as Xen's builder does; its tables are counted by trying.
    void plan() {
        XenPvPlan& p = plan_;
        p.virt_base = layout_.virt_base;
        p.kernel_end_pfn = ceil_div(layout_.virt_kend - layout_.virt_base, kPage);
        p.p2m_pfn = p.kernel_end_pfn;
        p.p2m_pages = ceil_div(std::uint64_t{config_.nr_pages} * 8, kPage);
        p.start_info_pfn = p.p2m_pfn + p.p2m_pages;
        p.store_pfn = p.start_info_pfn + 1;
        p.console_pfn = p.store_pfn + 1;
        p.pt_pfn = p.console_pfn + 1;
        p.machinery_pfn = config_.nr_pages - abi::kXenPvMachineryPages;
        p.m2p_pages = ceil_div(std::uint64_t{core_.nr_frames()} * 8, kPage);
        if (p.m2p_pages + abi::kXenPvMachineryPages >= config_.nr_pages) {
            throw KvmError("Xen PV builder: " + std::to_string(config_.nr_pages) +
                           " pages cannot hold the M2P of " + std::to_string(core_.nr_frames()) +
                           " machine frames");
        }
        p.m2p_pfn = p.machinery_pfn - p.m2p_pages;
        for (std::uint64_t tables = 1; tables < 64; ++tables) {
            const std::uint64_t end = p.pt_pfn + tables + 1; // + the boot stack
            const std::uint64_t mapped = std::min(
                ceil_div(end * kPage + (512 << 10), kMiB4) * (kMiB4 / kPage), p.machinery_pfn);
            if (mapped < end) {
                break;
            }
            p.nr_tables = BootPageTables::count(mappings(mapped));
            p.mapped_pages = mapped;
            if (p.nr_tables <= tables) {
                p.nr_tables = tables;
                p.stack_pfn = p.pt_pfn + tables;
                return;
            }
        }
        throw KvmError("Xen PV builder: " + std::to_string(config_.nr_pages) +
                       " pages are too few for the bootstrap region");
    }

    std::vector<BootMapping> mappings(std::uint64_t mapped) const {
        std::vector<BootMapping> maps;
        for (std::uint64_t pfn = 0; pfn < mapped; ++pfn) {
            const bool table = pfn >= plan_.pt_pfn && pfn < plan_.pt_pfn + plan_.nr_tables;
            maps.push_back({va(pfn), mfn(pfn), table ? kRO : kRW});
        }
        for (std::uint64_t i = 0; i < plan_.m2p_pages; ++i) {
            maps.push_back(
                {MACH2PHYS_VIRT_START + i * kPage, mfn(plan_.m2p_pfn + i), kRO | kPteNX});
        }
        maps.push_back({abi::kXenPvMachineryVa, mfn(plan_.machinery_pfn), kRO});
        maps.push_back({abi::kXenPvIdtVa, mfn(plan_.machinery_pfn + 1), kRO | kPteNX});
        maps.push_back({abi::kXenPvIstVa, mfn(plan_.machinery_pfn + 2), kRW | kPteNX});
        if (config_.transport == abi::kTransportExitless) {
            maps.push_back({abi::kXenPvSharedInfoVa, out_.shared_info, kRW | kPteNX});
        }
        return maps;
    }

    void write_page_tables() {
        const auto first = out_.mfns.begin() + static_cast<std::ptrdiff_t>(plan_.pt_pfn);
        BootPageTables tables(memory_,
                              std::vector<std::uint64_t>(
                                  first, first + static_cast<std::ptrdiff_t>(plan_.nr_tables)));
        for (const auto& m : mappings(plan_.mapped_pages)) {
            tables.map(m);
        }
        out_.l4 = static_cast<std::uint32_t>(tables.root());
        out_.nr_pt_frames = static_cast<std::uint32_t>(plan_.nr_tables);
        out_.first_free_pfn = static_cast<std::uint32_t>(plan_.stack_pfn + 1);
    }

    void load_kernel() {
        load_segments(memory_, image_, plan_.virt_base, out_.mfns);
        const auto stubs = make_xen_hypercall_page(
            config_.transport, abi::kXenPvMachineryVa + abi::kXenPvExitlessCommonOffset);
        const std::uint64_t hp_pfn = (*layout_.hypercall_page - plan_.virt_base) / kPage;
        out_.hypercall_page = static_cast<std::uint32_t>(mfn(hp_pfn));
        std::memcpy(page(hp_pfn), stubs.data(), stubs.size());
    }

    // Trampolines, TSS and GDT in the first frame; the IDT in the second.
    void write_machinery() {
        auto* t = reinterpret_cast<std::uint8_t*>(page(plan_.machinery_pfn));
        std::fill(t, t + kPage, std::uint8_t{0xcc});
        for (std::uint32_t v = 0; v < abi::kExceptionVectors; ++v) {
            std::uint8_t* code = t + v * abi::kTrampolineBytes;
            code[0] = 0xe6; // out %al, $imm8
            code[1] = static_cast<std::uint8_t>(abi::kPortException + v);
            code[2] = 0x0f; // ud2: never reached, the monitor moves the vCPU on
            code[3] = 0x0b;
        }
        std::array<std::uint8_t, abi::kExceptionVectors> exception_ports{};
        for (std::uint32_t v = 0; v < abi::kExceptionVectors; ++v) {
            exception_ports[v] = static_cast<std::uint8_t>(abi::kPortException + v);
        }
        write_io_tss(t + abi::kTssOffset, exception_ports);
        if (config_.transport == abi::kTransportExitless) {
            const auto common =
                exitless_common_code(abi::kXenPvSharedInfoVa + abi::kExitlessSlotOffset);
            static_assert(abi::kXenPvExitlessCommonOffset >=
                          abi::kExceptionVectors * abi::kTrampolineBytes);
            if (abi::kXenPvExitlessCommonOffset + common.size() > abi::kGdtOffset) {
                throw KvmError("Xen PV builder: the exitless common code overlaps the GDT");
            }
            std::copy(common.begin(), common.end(), t + abi::kXenPvExitlessCommonOffset);
        }
        const std::uint64_t ist1 = abi::kXenPvIstVa + kPage; // TSS.IST1, at byte 0x24
        std::memcpy(t + abi::kTssOffset + 0x24, &ist1, sizeof ist1);
        write_gdt(reinterpret_cast<std::byte*>(t) + abi::kGdtOffset,
                  abi::kXenPvMachineryVa + abi::kTssOffset, abi::kTssLimit);
        std::byte* idt = page(plan_.machinery_pfn + 1);
        std::memset(idt, 0, kPage);
        for (std::uint32_t v = 0; v < abi::kExceptionVectors; ++v) {
            write_idt_gate(idt, static_cast<std::uint8_t>(v),
                           abi::kXenPvMachineryVa + v * abi::kTrampolineBytes);
            idt[v * 16 + 4] = std::byte{1}; // IST 1
        }
    }

    void write_p2m() { write_frame_list(memory_, out_.mfns, plan_.p2m_pfn, out_.mfns); }

    // Xen's machine-to-phys table, as the guest reads it at
    // MACH2PHYS_VIRT_START: its own frames' pfns, and an invalid entry for
    // every frame it does not own (Xen's table is global; this one tells a
    // guest nothing of other domains).
    void write_m2p() {
        for (std::uint64_t i = 0; i < plan_.m2p_pages; ++i) {
            std::memset(page(plan_.m2p_pfn + i), 0xff, kPage);
        }
        for (std::uint64_t pfn = 0; pfn < out_.mfns.size(); ++pfn) {
            const std::uint64_t m = out_.mfns[pfn];
            auto* entry = reinterpret_cast<std::uint64_t*>(page(plan_.m2p_pfn + m * 8 / kPage));
            entry[m % (kPage / 8)] = pfn;
        }
    }

    // The console's and xenstore's channels go to domain 0, the monitor,
    // which drains the console ring; nothing answers on xenstore's.
    void open_channels() {
        check(core_.evtchn_alloc_unbound(0, d_, 0, console_port_), "console channel");
        check(core_.evtchn_bind_interdomain(0, d_, console_port_, out_.dom0_console_port),
              "console channel bind");
        check(core_.evtchn_alloc_unbound(0, d_, 0, store_port_), "xenstore channel");
        out_.console_page = static_cast<std::uint32_t>(mfn(plan_.console_pfn));
    }

    void write_start_info() {
        auto* si = reinterpret_cast<start_info_t*>(page(plan_.start_info_pfn));
        std::snprintf(si->magic, sizeof si->magic, "xen-3.0-x86_64");
        si->nr_pages = config_.nr_pages;
        si->shared_info = std::uint64_t{out_.shared_info} * kPage;
        si->flags = 0;
        si->store_mfn = mfn(plan_.store_pfn);
        si->store_evtchn = store_port_;
        si->console.domU.mfn = mfn(plan_.console_pfn);
        si->console.domU.evtchn = console_port_;
        si->pt_base = va(plan_.pt_pfn);
        si->nr_pt_frames = plan_.nr_tables;
        si->mfn_list = va(plan_.p2m_pfn);
        std::snprintf(reinterpret_cast<char*>(si->cmd_line), sizeof si->cmd_line, "%s",
                      config_.cmd_line.c_str());
    }

    // The machinery's code and descriptor frames (trampolines, TSS, GDT;
    // the IDT) are the core's to hold, so the guest can never map them
    // writable; the IST stack stays an ordinary frame.
    void install_page_tables() {
        for (std::uint64_t i = 0; i < 2; ++i) {
            check(core_.hold_descriptor_frame(
                      d_, static_cast<std::uint32_t>(mfn(plan_.machinery_pfn + i))),
                  "descriptor frame");
        }
        install_boot_tables(core_, kBuilder, d_, out_.l4);
        out_.start = {layout_.virt_entry,
                      va(plan_.stack_pfn + 1),
                      va(plan_.start_info_pfn),
                      std::uint64_t{out_.l4} * kPage,
                      abi::kXenPvMachineryVa + abi::kTssOffset,
                      abi::kTssLimit};
        out_.start.gdt_base = abi::kXenPvMachineryVa + abi::kGdtOffset;
        out_.start.gdt_limit = abi::kGdtLimit;
        out_.start.idt_base = abi::kXenPvIdtVa;
        out_.start.idt_limit = abi::kXenPvIdtLimit;
    }

    core::Core& core_;
    MachineMemory& memory_;
    const XenPvBuildConfig& config_;
    std::uint16_t d_;
    ElfImage image_;
    XenPvLayout layout_;
    XenPvPlan plan_;
    BuiltDomain out_;
    std::uint32_t console_port_ = 0;
    std::uint32_t store_port_ = 0;
};

} // namespace

BuiltDomain build_xen_pv_domain(core::Core& core, MachineMemory& memory,
                                const std::string& kernel_path, const XenPvBuildConfig& config) {
    return build_in_new_domain<BuiltDomain>(
        core, kBuilder, config.domid, config.nr_pages + config.extra_pages + 2,
        [&] { return XenPvBuilder(core, memory, kernel_path, config).build(); });
}

} // namespace enso::kvm
