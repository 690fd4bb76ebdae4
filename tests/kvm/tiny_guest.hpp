// Hand-assembled guest kernels of a few instructions, written as ELF files:
// they test the platform (boot, both transports, faults, deadlines) without
// depending on the real guest kernel.
#pragma once

#include "hvcore/abi/guest_layout.hpp"

#include <cstdint>
#include <cstring>
#include <elf.h>
#include <fstream>
#include <string>
#include <vector>

namespace enso::test {

class TinyGuest {
public:
    // x86-64 machine code, placed at kKernelBaseVa (the entry point).
    TinyGuest& code(std::initializer_list<std::uint8_t> bytes) {
        code_.insert(code_.end(), bytes);
        return *this;
    }
    TinyGuest& imm32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) {
            code_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
        }
        return *this;
    }
    TinyGuest& text(const std::string& s) {
        code_.insert(code_.end(), s.begin(), s.end());
        return *this;
    }
    [[nodiscard]] std::size_t size() const { return code_.size(); }
    // Sets the rel32 at `field` to reach `target` (both offsets in the code).
    TinyGuest& patch_rel32(std::size_t field, std::size_t target) {
        const auto rel = static_cast<std::uint32_t>(static_cast<std::int64_t>(target) -
                                                    static_cast<std::int64_t>(field + 4));
        for (int i = 0; i < 4; ++i) {
            code_.at(field + i) = static_cast<std::uint8_t>(rel >> (8 * i));
        }
        return *this;
    }

    // `mov $va, %rax; call *%rax` for hypercall nr.
    TinyGuest& hypercall(std::uint32_t nr) {
        code({0x48, 0xc7, 0xc0}).imm32(static_cast<std::uint32_t>(abi::kHypercallPageVa + nr * 32));
        return code({0xff, 0xd0});
    }

    // Writes an ELF64 executable with one R+X segment; returns its path.
    std::string write(const std::string& path) const {
        std::vector<std::uint8_t> file(0x1000 + code_.size(), 0);
        Elf64_Ehdr eh{};
        std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
        eh.e_ident[EI_CLASS] = ELFCLASS64;
        eh.e_ident[EI_DATA] = ELFDATA2LSB;
        eh.e_ident[EI_VERSION] = EV_CURRENT;
        eh.e_type = ET_EXEC;
        eh.e_machine = EM_X86_64;
        eh.e_version = EV_CURRENT;
        eh.e_entry = abi::kKernelBaseVa;
        eh.e_phoff = sizeof eh;
        eh.e_ehsize = sizeof eh;
        eh.e_phentsize = sizeof(Elf64_Phdr);
        eh.e_phnum = 1;
        Elf64_Phdr ph{};
        ph.p_type = PT_LOAD;
        ph.p_flags = PF_R | PF_X;
        ph.p_offset = 0x1000;
        ph.p_vaddr = abi::kKernelBaseVa;
        ph.p_paddr = abi::kKernelBaseVa;
        ph.p_filesz = code_.size();
        ph.p_memsz = code_.size();
        ph.p_align = 0x1000;
        std::memcpy(file.data(), &eh, sizeof eh);
        std::memcpy(file.data() + sizeof eh, &ph, sizeof ph);
        std::memcpy(file.data() + 0x1000, code_.data(), code_.size());
        std::ofstream out(path, std::ios::binary);
        out.write(reinterpret_cast<const char*>(file.data()),
                  static_cast<std::streamsize>(file.size()));
        return path;
    }

private:
    std::vector<std::uint8_t> code_;
};

} // namespace enso::test
