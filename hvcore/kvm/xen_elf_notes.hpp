// A Xen PV kernel's ELF notes (owner "Xen", types from <xen/elfnote.h>) and
// the boot layout Xen derives from them. The rules are Xen's libelf rules,
// restated here: notes come from PT_NOTE segments, or from SHT_NOTE
// sections when no segment holds one; a later note of a type replaces an
// earlier one; unknown types are kept but ignored; FEATURES is a
// '|'-separated list in which '!' marks a feature the kernel requires (an
// unknown required feature is an error, an unknown optional one is
// ignored); PAE_MODE "yes" means extended-cr3 and anything containing
// "bimodal" means bimodal. Defaults when a note is absent: VIRT_BASE 0,
// PADDR_OFFSET 0, ENTRY the ELF entry point, no hypercall page.
//
// Only ELF64 x86-64 kernels (pv64). Every note is bounds-checked: a bad
// file is a KvmError naming the file and the problem, never a crash. Where
// Xen reads a numeric note of an odd size as 0, this refuses it, for the
// notes the domain builder uses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace enso::kvm {

// One "Xen" note as found, in file order.
struct XenElfNote {
    std::uint32_t type = 0;
    std::vector<std::byte> desc;
    // The value as Xen reads it: the string, the number in hex, or the bytes
    // in hex for types Xen does not read.
    std::string text;
};

enum class XenPaeMode { no, extended_cr3, bimodal };

struct XenElfNotes {
    std::vector<XenElfNote> notes;
    bool from_sections = false; // no PT_NOTE segment held a Xen note: SHT_NOTE sections did

    // Numeric notes, empty when absent.
    std::optional<std::uint64_t> entry;
    std::optional<std::uint64_t> hypercall_page;
    std::optional<std::uint64_t> virt_base;
    std::optional<std::uint64_t> paddr_offset;
    std::optional<std::uint64_t> hv_start_low;
    std::optional<std::uint64_t> init_p2m;
    std::optional<std::uint64_t> mod_start_pfn;
    std::optional<std::uint64_t> suspend_cancel;
    std::optional<std::uint64_t> phys32_entry;
    // String notes, empty when absent.
    std::string xen_version;
    std::string guest_os;
    std::string guest_version;
    std::string loader;
    std::string pae_mode;
    std::string features;
    std::string bsd_symtab;

    XenPaeMode pae = XenPaeMode::no;
    std::uint32_t features_supported = 0;      // XENFEAT_* bits (FEATURES and SUPPORTED_FEATURES)
    std::uint32_t features_required = 0;       // the '!' ones
    std::vector<std::string> ignored_features; // optional names Xen does not know

    // From the ELF headers, for the defaults.
    std::uint64_t elf_entry = 0;
    std::uint64_t paddr_start = 0; // lowest p_paddr of a loadable segment
    std::uint64_t paddr_end = 0;   // highest p_paddr + p_memsz
};

// Where Xen places a PV kernel, after its defaults and checks.
struct XenPvLayout {
    std::uint64_t virt_base = 0;
    std::uint64_t paddr_offset = 0;
    std::uint64_t virt_offset = 0; // virt_base - paddr_offset
    std::uint64_t virt_kstart = 0; // paddr_start + virt_offset
    std::uint64_t virt_kend = 0;   // paddr_end + virt_offset
    std::uint64_t virt_entry = 0;
    std::optional<std::uint64_t> hypercall_page;
};

// Parses the notes of an ELF64 x86-64 file in memory; throws KvmError.
XenElfNotes parse_xen_elf_notes(std::span<const std::byte> elf, const std::string& name);
// Reads path and parses it; throws KvmError.
XenElfNotes load_xen_elf_notes(const std::string& path);

// Xen's checks and defaults: a Xen note is present, LOADER starts with
// "generic" or GUEST_OS with "linux", XEN_VERSION starts with "xen-3.0",
// PADDR_OFFSET only with VIRT_BASE, the entry inside the kernel, VIRT_BASE
// not above it, INIT_P2M outside it, the hypercall page inside it. Throws
// KvmError naming the file and the rule broken.
XenPvLayout xen_pv_layout(const XenElfNotes& notes, const std::string& name);

// "HYPERCALL_PAGE" for XEN_ELFNOTE_HYPERCALL_PAGE, ...; "unknown" otherwise.
std::string_view xen_elf_note_name(std::uint32_t type);
// The XENFEAT_* bit a FEATURES name stands for, among those Xen's note
// parser knows; empty otherwise.
std::optional<unsigned> xen_feature_bit(std::string_view name);
// The FEATURES name of a XENFEAT_* bit; empty when Xen's parser has none.
std::string_view xen_feature_name(unsigned bit);

} // namespace enso::kvm
