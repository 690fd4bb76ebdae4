// Boot page tables (boot_page_tables.hpp).
#include "hvcore/kvm/boot_page_tables.hpp"

#include "hvcore/abi/guest_layout.hpp"
#include "hvcore/core/page_table_entry.hpp"
#include "hvcore/kvm/kvm_error.hpp"

#include <set>

namespace enso::kvm {

namespace {

unsigned slot_of(std::uint64_t va, unsigned level) {
    return static_cast<unsigned>((va >> (12 + 9 * (level - 1))) & 511);
}

// Which table at `level` (4..2) holds va's entry one level down.
std::uint64_t table_key(std::uint64_t va, unsigned level) {
    return va >> (12 + 9 * (level - 1));
}

} // namespace

std::size_t BootPageTables::count(const std::vector<BootMapping>& maps) {
    std::set<std::pair<unsigned, std::uint64_t>> keys;
    for (const auto& m : maps) {
        for (unsigned level = 4; level > 1; --level) {
            keys.emplace(level, table_key(m.va, level));
        }
    }
    return 1 + keys.size();
}

BootPageTables::BootPageTables(MachineMemory& memory, std::vector<std::uint64_t> table_frames)
    : memory_(memory), frames_(std::move(table_frames)) {
    root_ = take();
}

void BootPageTables::map(const BootMapping& m) {
    std::uint64_t table = root_;
    for (unsigned level = 4; level > 1; --level) {
        const auto key = std::make_pair(level, table_key(m.va, level));
        auto it = tables_.find(key);
        if (it == tables_.end()) {
            const auto child = take();
            it = tables_.emplace(key, child).first;
            entry(table, slot_of(m.va, level)) =
                (child * abi::kPageSize) | core::kPteP | core::kPteRW | core::kPteUS;
        }
        table = it->second;
    }
    entry(table, slot_of(m.va, 1)) = (m.mfn * abi::kPageSize) | m.flags;
}

std::uint64_t BootPageTables::take() {
    if (next_ >= frames_.size()) {
        throw KvmError("domain builder: page-table frame count was wrong");
    }
    return frames_[next_++];
}

std::uint64_t& BootPageTables::entry(std::uint64_t table, unsigned slot) {
    return reinterpret_cast<std::uint64_t*>(memory_.frame(static_cast<std::uint32_t>(table)))[slot];
}

} // namespace enso::kvm
