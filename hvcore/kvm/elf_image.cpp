#include "hvcore/kvm/elf_image.hpp"

#include "hvcore/kvm/kvm_error.hpp"

#include <algorithm>
#include <cstring>
#include <elf.h>
#include <fstream>
#include <iterator>
#include <limits>

namespace enso::kvm {

ElfImage load_elf(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw KvmError("guest kernel " + path + ": cannot open");
    }
    std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> bytes(raw.size());
    std::memcpy(bytes.data(), raw.data(), raw.size());
    return parse_elf(std::move(bytes), path);
}

ElfImage parse_elf(std::vector<std::byte> bytes, const std::string& name) {
    auto fail = [&](const std::string& why) -> KvmError {
        return KvmError("guest kernel " + name + ": " + why);
    };
    Elf64_Ehdr eh{};
    if (bytes.size() < sizeof eh) {
        throw fail("too short for an ELF header");
    }
    std::memcpy(&eh, bytes.data(), sizeof eh);
    if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
        throw fail("not an ELF file");
    }
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
        eh.e_machine != EM_X86_64) {
        throw fail("not a little-endian ELF64 x86-64 file");
    }
    if (eh.e_type != ET_EXEC) {
        throw fail("not a static executable (ET_EXEC)");
    }
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > bytes.size() ||
        std::uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr) > bytes.size() - eh.e_phoff) {
        throw fail("program headers out of the file");
    }
    ElfImage image;
    image.entry = eh.e_entry;
    image.lowest = std::numeric_limits<std::uint64_t>::max();
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
        Elf64_Phdr ph{};
        std::memcpy(&ph, bytes.data() + eh.e_phoff + i * sizeof ph, sizeof ph);
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0) {
            continue;
        }
        if (ph.p_filesz > ph.p_memsz || ph.p_offset > bytes.size() ||
            ph.p_filesz > bytes.size() - ph.p_offset) {
            throw fail("segment " + std::to_string(i) + " lies outside the file");
        }
        if (ph.p_vaddr + ph.p_memsz < ph.p_vaddr) {
            throw fail("segment " + std::to_string(i) + " wraps around");
        }
        image.segments.push_back({ph.p_vaddr, ph.p_offset, ph.p_filesz, ph.p_memsz,
                                  (ph.p_flags & PF_W) != 0, (ph.p_flags & PF_X) != 0});
        image.lowest = std::min(image.lowest, ph.p_vaddr);
        image.highest = std::max(image.highest, ph.p_vaddr + ph.p_memsz);
    }
    if (image.segments.empty()) {
        throw fail("no loadable segment");
    }
    if (image.entry < image.lowest || image.entry >= image.highest) {
        throw fail("entry point outside the loaded segments");
    }
    image.bytes = std::move(bytes);
    return image;
}

} // namespace enso::kvm
