#include "hvcore/kvm/domain_builder.hpp"

#include "hvcore/abi/exitless_slot.hpp"
#include "hvcore/abi/guest_layout.hpp"
#include "hvcore/abi/hypercall_ports.hpp"
#include "hvcore/core/page_table_entry.hpp"
#include "hvcore/kvm/hypercall_page.hpp"
#include "hvcore/kvm/kvm_error.hpp"

#include <xen/xen.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

namespace enso::kvm {

namespace {

using core::kPteNX;
using core::kPteP;
using core::kPteRW;
using core::kPteUS;
constexpr std::uint64_t kPage = abi::kPageSize;

struct Mapping {
    std::uint64_t va;
    std::uint64_t mfn;
    std::uint64_t flags; // leaf flags
};

unsigned slot_of(std::uint64_t va, unsigned level) {
    return static_cast<unsigned>((va >> (12 + 9 * (level - 1))) & 511);
}

// Writes 4-level tables for a list of mappings into frames taken in order
// from table_frames; upper entries are P|RW|US, leaves as given.
class TableWriter {
public:
    TableWriter(MachineMemory& memory, std::vector<std::uint64_t> table_frames)
        : memory_(memory), frames_(std::move(table_frames)) {
        l4_ = take();
    }
    void map(const Mapping& m) {
        std::uint64_t table = l4_;
        for (unsigned level = 4; level > 1; --level) {
            const auto key = std::make_pair(level, m.va >> (12 + 9 * (level - 1)));
            auto it = tables_.find(key);
            if (it == tables_.end()) {
                const auto child = take();
                it = tables_.emplace(key, child).first;
                entry(table, slot_of(m.va, level)) = (child * kPage) | kPteP | kPteRW | kPteUS;
            }
            table = it->second;
        }
        entry(table, slot_of(m.va, 1)) = (m.mfn * kPage) | m.flags;
    }
    [[nodiscard]] std::uint64_t l4() const { return l4_; }
    [[nodiscard]] std::size_t used() const { return next_; }

    // Tables a set of mappings needs, without writing anything.
    static std::size_t count(const std::vector<Mapping>& maps) {
        std::set<std::pair<unsigned, std::uint64_t>> keys;
        for (const auto& m : maps) {
            for (unsigned level = 4; level > 1; --level) {
                keys.emplace(level, m.va >> (12 + 9 * (level - 1)));
            }
        }
        return 1 + keys.size();
    }

private:
    std::uint64_t take() {
        if (next_ >= frames_.size()) {
            throw KvmError("domain builder: page-table frame count was wrong");
        }
        return frames_[next_++];
    }
    std::uint64_t& entry(std::uint64_t table, unsigned slot) {
        return reinterpret_cast<std::uint64_t*>(
            memory_.frame(static_cast<std::uint32_t>(table)))[slot];
    }

    MachineMemory& memory_;
    std::vector<std::uint64_t> frames_;
    std::size_t next_ = 0;
    std::uint64_t l4_ = 0;
    std::map<std::pair<unsigned, std::uint64_t>, std::uint64_t> tables_;
};

void check(core::Rc rc, const std::string& step) {
    if (rc != core::kOk) {
        throw KvmError("domain builder: " + step + " refused by the core (" + std::to_string(rc) +
                       ")");
    }
}

std::uint64_t ceil_pages(std::uint64_t bytes) {
    return (bytes + kPage - 1) / kPage;
}

BuiltDomain build(core::Core& core, MachineMemory& memory, const ElfImage& image,
                  const BuildConfig& config) {
    const std::uint16_t d = config.domid;
    if (image.lowest < abi::kKernelBaseVa || image.highest > abi::kMfnListVa) {
        throw KvmError("guest kernel must be linked between 0x400000 and 0x40000000");
    }
    const std::uint64_t kernel_pages = ceil_pages(image.highest - abi::kKernelBaseVa);
    const std::uint64_t mfn_list_pages = ceil_pages(std::uint64_t{config.nr_pages} * 8);

    BuiltDomain out;
    std::vector<std::uint32_t> grant_frames;
    check(core.grant_setup_table(d, 1, grant_frames), "grant table setup");
    out.shared_info = core.state().doms.shared_info.get(d);

    out.mfns.resize(config.nr_pages);
    for (auto& mfn : out.mfns) {
        std::uint32_t f = 0;
        check(core.reserve_frame(d, f), "frame allocation (machine memory or quota too small)");
        mfn = f;
    }

    // pfn layout: kernel, hypercall page, start_info, command page, stack,
    // mfn list, page tables, free.
    std::uint64_t pfn = kernel_pages;
    const std::uint64_t hypercall_pfn = pfn++;
    const std::uint64_t start_info_pfn = pfn++;
    const std::uint64_t command_pfn = pfn++;
    const std::uint64_t stack_pfn = pfn;
    pfn += abi::kStackPages;
    const std::uint64_t mfn_list_pfn = pfn;
    pfn += mfn_list_pages;
    const std::uint64_t pt_pfn = pfn;

    const std::uint64_t kRW = kPteP | kPteRW | kPteUS | kPteNX;
    const std::uint64_t kRO = kPteP | kPteUS | kPteNX;
    std::vector<Mapping> maps;
    for (std::uint64_t i = 0; i < kernel_pages; ++i) {
        const std::uint64_t va = abi::kKernelBaseVa + i * kPage;
        bool writable = false;
        bool executable = false;
        for (const auto& seg : image.segments) {
            if (va + kPage > seg.vaddr && va < seg.vaddr + seg.mem_size) {
                writable = writable || seg.writable;
                executable = executable || seg.executable;
            }
        }
        maps.push_back({va, out.mfns[i],
                        kPteP | kPteUS | (writable ? kPteRW : 0) | (executable ? 0 : kPteNX)});
    }
    maps.push_back({abi::kHypercallPageVa, out.mfns[hypercall_pfn], kPteP | kPteUS});
    maps.push_back({abi::kSharedInfoVa, out.shared_info, kRW});
    maps.push_back({abi::kStartInfoVa, out.mfns[start_info_pfn], kRW});
    maps.push_back({abi::kCommandPageVa, out.mfns[command_pfn], kRW});
    maps.push_back({abi::kGrantTableVa, grant_frames.at(0), kRW});
    for (std::uint64_t i = 0; i < abi::kStackPages; ++i) {
        maps.push_back(
            {abi::kStackTopVa - (abi::kStackPages - i) * kPage, out.mfns[stack_pfn + i], kRW});
    }
    for (std::uint64_t i = 0; i < mfn_list_pages; ++i) {
        maps.push_back({abi::kMfnListVa + i * kPage, out.mfns[mfn_list_pfn + i], kRO});
    }
    // The phys map covers every frame the domain owns; its entries' flags
    // are settled once the page-table frames are known.
    const std::size_t phys_first = maps.size();
    for (auto mfn : out.mfns) {
        maps.push_back({abi::kPhysMapVa + mfn * kPage, mfn, kRW});
    }
    maps.push_back(
        {abi::kPhysMapVa + std::uint64_t{out.shared_info} * kPage, out.shared_info, kRW});
    maps.push_back(
        {abi::kPhysMapVa + std::uint64_t{grant_frames[0]} * kPage, grant_frames[0], kRW});

    const std::size_t nr_tables = TableWriter::count(maps);
    out.nr_pt_frames = static_cast<std::uint32_t>(nr_tables);
    out.first_free_pfn = static_cast<std::uint32_t>(pt_pfn + nr_tables);
    if (out.first_free_pfn > config.nr_pages) {
        throw KvmError("domain builder: " + std::to_string(config.nr_pages) +
                       " pages are too few; the boot image alone needs " +
                       std::to_string(out.first_free_pfn));
    }
    std::set<std::uint64_t> table_set(out.mfns.begin() + static_cast<std::ptrdiff_t>(pt_pfn),
                                      out.mfns.begin() +
                                          static_cast<std::ptrdiff_t>(pt_pfn + nr_tables));
    for (std::size_t i = phys_first; i < maps.size(); ++i) {
        if (table_set.contains(maps[i].mfn)) {
            maps[i].flags = kRO; // page tables are never writable by the guest
        }
    }
    TableWriter tables(memory,
                       std::vector<std::uint64_t>(
                           out.mfns.begin() + static_cast<std::ptrdiff_t>(pt_pfn),
                           out.mfns.begin() + static_cast<std::ptrdiff_t>(pt_pfn + nr_tables)));
    for (const auto& m : maps) {
        tables.map(m);
    }
    out.l4 = static_cast<std::uint32_t>(tables.l4());

    // Contents: kernel segments (bss stays zero: frames come zeroed).
    for (const auto& seg : image.segments) {
        for (std::uint64_t off = 0; off < seg.file_size;) {
            const std::uint64_t va = seg.vaddr + off;
            const std::uint64_t in_page = va % kPage;
            const std::uint64_t n = std::min(kPage - in_page, seg.file_size - off);
            const auto mfn = out.mfns[(va - abi::kKernelBaseVa) / kPage];
            std::memcpy(memory.frame(static_cast<std::uint32_t>(mfn)) + in_page,
                        image.bytes.data() + seg.file_offset + off, n);
            off += n;
        }
    }
    const auto page =
        make_hypercall_page(config.transport, abi::kSharedInfoVa + abi::kExitlessSlotOffset);
    out.hypercall_page = static_cast<std::uint32_t>(out.mfns[hypercall_pfn]);
    std::memcpy(memory.frame(out.hypercall_page), page.data(), page.size());
    auto* list = reinterpret_cast<std::uint64_t*>(
        memory.frame(static_cast<std::uint32_t>(out.mfns[mfn_list_pfn])));
    for (std::uint64_t i = 0; i < mfn_list_pages; ++i) {
        // The list's frames need not be contiguous: fill page by page.
        auto* dst = reinterpret_cast<std::uint64_t*>(
            memory.frame(static_cast<std::uint32_t>(out.mfns[mfn_list_pfn + i])));
        const std::uint64_t first = i * (kPage / 8);
        const std::uint64_t n = std::min<std::uint64_t>(kPage / 8, config.nr_pages - first);
        std::memcpy(dst, out.mfns.data() + first, n * 8);
    }
    (void)list;

    // Event channel to domain 0 for commands.
    check(core.evtchn_alloc_unbound(0, d, 0, out.guest_cmd_port), "command channel");
    check(core.evtchn_bind_interdomain(0, d, out.guest_cmd_port, out.dom0_cmd_port),
          "command channel bind");

    auto* si = reinterpret_cast<start_info_t*>(
        memory.frame(static_cast<std::uint32_t>(out.mfns[start_info_pfn])));
    std::snprintf(si->magic, sizeof si->magic, "xen-3.0-x86_64");
    si->nr_pages = config.nr_pages;
    si->shared_info = std::uint64_t{out.shared_info} * kPage;
    si->pt_base = abi::kPhysMapVa + std::uint64_t{out.l4} * kPage;
    si->nr_pt_frames = nr_tables;
    si->mfn_list = abi::kMfnListVa;
    std::snprintf(reinterpret_cast<char*>(si->cmd_line), sizeof si->cmd_line, "%s",
                  config.cmd_line.c_str());

    out.command_page = static_cast<std::uint32_t>(out.mfns[command_pfn]);
    auto* cmd = reinterpret_cast<abi::CommandPage*>(memory.frame(out.command_page));
    cmd->tsc_khz = config.tsc_khz;
    cmd->transport = config.transport;
    cmd->cmd_port = out.guest_cmd_port;
    cmd->first_free_pfn = out.first_free_pfn;
    cmd->boot_magic = abi::kPingMagic;

    // The core validates the whole tree as it pins the root.
    check(core.pin_table(d, out.l4, core::kTypeL4), "pinning the boot page tables");
    check(core.new_baseptr(d, out.l4), "installing the boot page tables");
    (void)core.take_effects(d);

    out.start = {image.entry,
                 abi::kStackTopVa,
                 abi::kStartInfoVa,
                 std::uint64_t{out.l4} * kPage,
                 abi::kHypercallPageVa + abi::kTssOffset,
                 abi::kTssLimit};
    return out;
}

} // namespace

BuiltDomain build_domain(core::Core& core, MachineMemory& memory, const ElfImage& image,
                         const BuildConfig& config) {
    const std::uint32_t max_pages = config.nr_pages + config.extra_pages + 2;
    check(core.create_domain(config.domid, max_pages),
          "creating domain " + std::to_string(config.domid));
    try {
        return build(core, memory, image, config);
    } catch (...) {
        (void)core.destroy_domain(config.domid);
        throw;
    }
}

} // namespace enso::kvm
