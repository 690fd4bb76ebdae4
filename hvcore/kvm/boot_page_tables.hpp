// Boot page tables: the 4-level tables a domain builder writes for a list of
// mappings, into frames it set aside, before the core validates them by
// pinning the root.
#pragma once

#include "hvcore/kvm/machine_memory.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace enso::kvm {

struct BootMapping {
    std::uint64_t va;
    std::uint64_t mfn;
    std::uint64_t flags; // the leaf's flags; upper levels are P|RW|US
};

class BootPageTables {
public:
    // Tables a set of mappings needs, the root included, without writing.
    static std::size_t count(const std::vector<BootMapping>& maps);

    // Writes into table_frames, in order; throws KvmError if they run out.
    BootPageTables(MachineMemory& memory, std::vector<std::uint64_t> table_frames);
    void map(const BootMapping& m);
    [[nodiscard]] std::uint64_t root() const { return root_; }

private:
    std::uint64_t take();
    std::uint64_t& entry(std::uint64_t table, unsigned slot);

    MachineMemory& memory_;
    std::vector<std::uint64_t> frames_;
    std::size_t next_ = 0;
    std::uint64_t root_ = 0;
    std::map<std::pair<unsigned, std::uint64_t>, std::uint64_t> tables_;
};

} // namespace enso::kvm
