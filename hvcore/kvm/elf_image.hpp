// A guest kernel: a static ELF64 x86-64 executable, checked before anything
// of it is loaded (a bad file is an error with the reason, never a crash).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace enso::kvm {

struct ElfSegment {
    std::uint64_t vaddr = 0;
    std::uint64_t file_offset = 0;
    std::uint64_t file_size = 0;
    std::uint64_t mem_size = 0;
    bool writable = false;
    bool executable = false;
};

struct ElfImage {
    std::vector<std::byte> bytes;
    std::uint64_t entry = 0;
    std::vector<ElfSegment> segments; // PT_LOAD, in file order
    // Lowest and highest (exclusive) virtual address any segment covers.
    std::uint64_t lowest = 0;
    std::uint64_t highest = 0;
};

// Reads and checks path; throws KvmError naming the file and the problem.
ElfImage load_elf(const std::string& path);
// Checks an image already in memory (for tests).
ElfImage parse_elf(std::vector<std::byte> bytes, const std::string& name);

} // namespace enso::kvm
