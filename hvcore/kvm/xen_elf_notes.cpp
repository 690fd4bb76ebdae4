// Reading a PV kernel's "Xen" ELF notes and applying Xen's defaults.
#include "hvcore/kvm/xen_elf_notes.hpp"

#include "hvcore/kvm/kvm_error.hpp"

#include <fmt/format.h>
#include <xen/elfnote.h>
#include <xen/features.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <elf.h>
#include <fstream>
#include <iterator>
#include <limits>
#include <utility>

namespace enso::kvm {

namespace {

struct NoteKind {
    std::string_view name;
    bool is_string; // else numeric
};

// Xen reads these types; the rest are kept as bytes and ignored.
NoteKind note_kind(std::uint32_t type) {
    switch (type) {
    case XEN_ELFNOTE_ENTRY:
        return {"ENTRY", false};
    case XEN_ELFNOTE_HYPERCALL_PAGE:
        return {"HYPERCALL_PAGE", false};
    case XEN_ELFNOTE_VIRT_BASE:
        return {"VIRT_BASE", false};
    case XEN_ELFNOTE_PADDR_OFFSET:
        return {"PADDR_OFFSET", false};
    case XEN_ELFNOTE_XEN_VERSION:
        return {"XEN_VERSION", true};
    case XEN_ELFNOTE_GUEST_OS:
        return {"GUEST_OS", true};
    case XEN_ELFNOTE_GUEST_VERSION:
        return {"GUEST_VERSION", true};
    case XEN_ELFNOTE_LOADER:
        return {"LOADER", true};
    case XEN_ELFNOTE_PAE_MODE:
        return {"PAE_MODE", true};
    case XEN_ELFNOTE_FEATURES:
        return {"FEATURES", true};
    case XEN_ELFNOTE_BSD_SYMTAB:
        return {"BSD_SYMTAB", true};
    case XEN_ELFNOTE_HV_START_LOW:
        return {"HV_START_LOW", false};
    case XEN_ELFNOTE_L1_MFN_VALID:
        return {"L1_MFN_VALID", false};
    case XEN_ELFNOTE_SUSPEND_CANCEL:
        return {"SUSPEND_CANCEL", false};
    case XEN_ELFNOTE_INIT_P2M:
        return {"INIT_P2M", false};
    case XEN_ELFNOTE_MOD_START_PFN:
        return {"MOD_START_PFN", false};
    case XEN_ELFNOTE_SUPPORTED_FEATURES:
        return {"SUPPORTED_FEATURES", false};
    case XEN_ELFNOTE_PHYS32_ENTRY:
        return {"PHYS32_ENTRY", false};
    default:
        return {"unknown", false};
    }
}

// The names Xen's FEATURES parser knows (libelf's table), by XENFEAT_* bit.
constexpr std::array<std::pair<unsigned, std::string_view>, 7> kFeatureNames = {{
    {XENFEAT_writable_page_tables, "writable_page_tables"},
    {XENFEAT_writable_descriptor_tables, "writable_descriptor_tables"},
    {XENFEAT_auto_translated_physmap, "auto_translated_physmap"},
    {XENFEAT_supervisor_mode_kernel, "supervisor_mode_kernel"},
    {XENFEAT_pae_pgdir_above_4gb, "pae_pgdir_above_4gb"},
    {XENFEAT_hvm_callback_vector, "hvm_callback_vector"},
    {XENFEAT_dom0, "dom0"},
}};

// Bounds-checked reads of the file.
class Reader {
public:
    Reader(std::span<const std::byte> bytes, const std::string& name)
        : bytes_(bytes), name_(name) {}

    [[nodiscard]] KvmError fail(const std::string& why) const {
        return KvmError("PV kernel " + name_ + ": " + why);
    }
    [[nodiscard]] bool fits(std::uint64_t offset, std::uint64_t size) const {
        return offset <= bytes_.size() && size <= bytes_.size() - offset;
    }
    template <class T>
    T read(std::uint64_t offset, const std::string& what) const {
        if (!fits(offset, sizeof(T))) {
            throw fail(what + " lies outside the file");
        }
        T v{};
        std::memcpy(&v, bytes_.data() + offset, sizeof v);
        return v;
    }
    [[nodiscard]] std::span<const std::byte> range(std::uint64_t offset, std::uint64_t size,
                                                   const std::string& what) const {
        if (!fits(offset, size)) {
            throw fail(what + " lies outside the file");
        }
        return bytes_.subspan(offset, size);
    }

private:
    std::span<const std::byte> bytes_;
    const std::string& name_;
};

std::uint64_t align4(std::uint64_t v) {
    return (v + 3) & ~std::uint64_t{3};
}

std::string hex_bytes(std::span<const std::byte> b) {
    std::string s;
    for (const auto x : b) {
        s += fmt::format("{:02x}", std::to_integer<unsigned>(x));
    }
    return s;
}

std::uint64_t little_endian(std::span<const std::byte> b) {
    std::uint64_t v = 0;
    for (std::size_t i = b.size(); i-- > 0;) {
        v = v << 8 | std::to_integer<std::uint64_t>(b[i]);
    }
    return v;
}

void parse_features(XenElfNotes& out, const std::string& list, const Reader& r) {
    std::size_t pos = 0;
    while (pos <= list.size()) {
        const std::size_t bar = std::min(list.find('|', pos), list.size());
        std::string_view token(list.data() + pos, bar - pos);
        pos = bar + 1;
        const bool required = !token.empty() && token.front() == '!';
        if (required) {
            token.remove_prefix(1);
        }
        if (token.empty() && !required) {
            continue;
        }
        const auto bit = xen_feature_bit(token);
        if (!bit) {
            if (required) {
                throw r.fail(fmt::format("FEATURES requires '{}', which Xen does not know", token));
            }
            out.ignored_features.emplace_back(token);
            continue;
        }
        out.features_supported |= 1U << *bit;
        if (required) {
            out.features_required |= 1U << *bit;
        }
    }
}

// Applies one Xen note to out (a later note of a type replaces an earlier one).
void apply_note(XenElfNotes& out, XenElfNote& note, const Reader& r) {
    const NoteKind kind = note_kind(note.type);
    const std::span<const std::byte> desc(note.desc);
    if (kind.name == "unknown" || note.type == XEN_ELFNOTE_L1_MFN_VALID) {
        note.text = hex_bytes(desc);
        return;
    }
    if (kind.is_string) {
        const auto nul = std::find(desc.begin(), desc.end(), std::byte{0});
        if (nul == desc.end()) {
            throw r.fail(fmt::format("note {} is not a NUL-terminated string", kind.name));
        }
        note.text.assign(reinterpret_cast<const char*>(desc.data()),
                         static_cast<std::size_t>(nul - desc.begin()));
        switch (note.type) {
        case XEN_ELFNOTE_XEN_VERSION:
            out.xen_version = note.text;
            break;
        case XEN_ELFNOTE_GUEST_OS:
            out.guest_os = note.text;
            break;
        case XEN_ELFNOTE_GUEST_VERSION:
            out.guest_version = note.text;
            break;
        case XEN_ELFNOTE_LOADER:
            out.loader = note.text;
            break;
        case XEN_ELFNOTE_PAE_MODE:
            out.pae_mode = note.text;
            if (note.text == "yes") {
                out.pae = XenPaeMode::extended_cr3;
            }
            if (note.text.find("bimodal") != std::string::npos) {
                out.pae = XenPaeMode::bimodal;
            }
            break;
        case XEN_ELFNOTE_FEATURES:
            out.features = note.text;
            parse_features(out, note.text, r);
            break;
        case XEN_ELFNOTE_BSD_SYMTAB:
            out.bsd_symtab = note.text;
            break;
        default:
            break;
        }
        return;
    }
    if (note.type == XEN_ELFNOTE_SUPPORTED_FEATURES) {
        // An array of 32-bit words, one per XENFEAT submap (there is one).
        if (desc.size() % 4 != 0 || desc.empty()) {
            throw r.fail(fmt::format("note SUPPORTED_FEATURES has {} bytes, not a multiple of 4",
                                     desc.size()));
        }
        out.features_supported |= static_cast<std::uint32_t>(little_endian(desc.first(4)));
        note.text = hex_bytes(desc);
        return;
    }
    if (desc.size() != 1 && desc.size() != 2 && desc.size() != 4 && desc.size() != 8) {
        throw r.fail(fmt::format("numeric note {} has {} bytes (1, 2, 4 or 8 expected)", kind.name,
                                 desc.size()));
    }
    const std::uint64_t v = little_endian(desc);
    note.text = fmt::format("{:#x}", v);
    switch (note.type) {
    case XEN_ELFNOTE_ENTRY:
        out.entry = v;
        break;
    case XEN_ELFNOTE_HYPERCALL_PAGE:
        out.hypercall_page = v;
        break;
    case XEN_ELFNOTE_VIRT_BASE:
        out.virt_base = v;
        break;
    case XEN_ELFNOTE_PADDR_OFFSET:
        out.paddr_offset = v;
        break;
    case XEN_ELFNOTE_HV_START_LOW:
        out.hv_start_low = v;
        break;
    case XEN_ELFNOTE_INIT_P2M:
        out.init_p2m = v;
        break;
    case XEN_ELFNOTE_MOD_START_PFN:
        out.mod_start_pfn = v;
        break;
    case XEN_ELFNOTE_SUSPEND_CANCEL:
        out.suspend_cancel = v;
        break;
    case XEN_ELFNOTE_PHYS32_ENTRY:
        out.phys32_entry = v;
        break;
    default:
        break;
    }
}

// Walks the notes in [offset, offset + size); returns how many were Xen's.
std::size_t parse_note_area(XenElfNotes& out, const Reader& r, std::uint64_t offset,
                            std::uint64_t size, const std::string& where) {
    const auto area = r.range(offset, size, where);
    std::size_t xen = 0;
    std::uint64_t pos = 0;
    for (unsigned index = 0; pos < area.size(); ++index) {
        const std::uint64_t left = area.size() - pos;
        const std::string what = fmt::format("note {} of {}", index, where);
        if (left < 12) {
            throw r.fail(what + ": a truncated note header");
        }
        std::array<std::uint32_t, 3> head{}; // namesz, descsz, type
        std::memcpy(head.data(), area.data() + pos, sizeof head);
        const std::uint64_t name_bytes = align4(head[0]);
        const std::uint64_t desc_bytes = align4(head[1]);
        if (name_bytes > left - 12 || desc_bytes > left - 12 - name_bytes) {
            throw r.fail(what + fmt::format(": name ({} bytes) and descriptor ({} bytes) run past "
                                            "its end",
                                            head[0], head[1]));
        }
        const auto name = area.subspan(pos + 12, head[0]);
        const auto desc = area.subspan(pos + 12 + name_bytes, head[1]);
        pos += 12 + name_bytes + desc_bytes;
        static constexpr std::array<std::byte, 4> kXen = {std::byte{'X'}, std::byte{'e'},
                                                          std::byte{'n'}, std::byte{0}};
        if (!std::equal(name.begin(), name.end(), kXen.begin(), kXen.end())) {
            continue;
        }
        XenElfNote note;
        note.type = head[2];
        note.desc.assign(desc.begin(), desc.end());
        apply_note(out, note, r);
        out.notes.push_back(std::move(note));
        ++xen;
    }
    return xen;
}

} // namespace

std::string_view xen_elf_note_name(std::uint32_t type) {
    return note_kind(type).name;
}

std::optional<unsigned> xen_feature_bit(std::string_view name) {
    for (const auto& [bit, n] : kFeatureNames) {
        if (n == name) {
            return bit;
        }
    }
    return std::nullopt;
}

std::string_view xen_feature_name(unsigned bit) {
    for (const auto& [b, n] : kFeatureNames) {
        if (b == bit) {
            return n;
        }
    }
    return {};
}

XenElfNotes parse_xen_elf_notes(std::span<const std::byte> elf, const std::string& name) {
    const Reader r(elf, name);
    const auto eh = r.read<Elf64_Ehdr>(0, "the ELF header");
    if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
        throw r.fail("not an ELF file");
    }
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
        eh.e_machine != EM_X86_64) {
        throw r.fail("not a little-endian ELF64 x86-64 file (only pv64 kernels are read)");
    }
    if (eh.e_phnum != 0 && eh.e_phentsize != sizeof(Elf64_Phdr)) {
        throw r.fail(fmt::format("program header size {} (expected {})", eh.e_phentsize,
                                 sizeof(Elf64_Phdr)));
    }
    XenElfNotes out;
    out.elf_entry = eh.e_entry;
    std::vector<Elf64_Phdr> phdrs;
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
        phdrs.push_back(r.read<Elf64_Phdr>(eh.e_phoff + std::uint64_t{i} * sizeof(Elf64_Phdr),
                                           fmt::format("program header {}", i)));
    }
    bool any_load = false;
    out.paddr_start = std::numeric_limits<std::uint64_t>::max();
    for (const auto& ph : phdrs) {
        if (ph.p_type != PT_LOAD || (ph.p_flags & (PF_R | PF_W | PF_X)) == 0) {
            continue;
        }
        if (ph.p_paddr + ph.p_memsz < ph.p_paddr) {
            throw r.fail("a loadable segment wraps around the address space");
        }
        any_load = true;
        out.paddr_start = std::min(out.paddr_start, ph.p_paddr);
        out.paddr_end = std::max(out.paddr_end, ph.p_paddr + ph.p_memsz);
    }
    if (!any_load) {
        out.paddr_start = 0;
    }
    std::size_t xen = 0;
    for (std::size_t i = 0; i < phdrs.size(); ++i) {
        // Some binutils leave p_offset 0 in note segments; Xen skips them too.
        if (phdrs[i].p_type == PT_NOTE && phdrs[i].p_offset != 0) {
            xen += parse_note_area(out, r, phdrs[i].p_offset, phdrs[i].p_filesz,
                                   fmt::format("note segment {}", i));
        }
    }
    if (xen == 0 && eh.e_shnum > 1) {
        if (eh.e_shentsize != sizeof(Elf64_Shdr)) {
            throw r.fail(fmt::format("section header size {} (expected {})", eh.e_shentsize,
                                     sizeof(Elf64_Shdr)));
        }
        for (unsigned i = 1; i < eh.e_shnum; ++i) {
            const auto sh = r.read<Elf64_Shdr>(eh.e_shoff + std::uint64_t{i} * sizeof(Elf64_Shdr),
                                               fmt::format("section header {}", i));
            if (sh.sh_type == SHT_NOTE) {
                xen += parse_note_area(out, r, sh.sh_offset, sh.sh_size,
                                       fmt::format("note section {}", i));
            }
        }
        out.from_sections = xen > 0;
    }
    return out;
}

XenElfNotes load_xen_elf_notes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw KvmError("PV kernel " + path + ": cannot open");
    }
    const std::vector<char> raw((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
    return parse_xen_elf_notes(std::as_bytes(std::span(raw)), path);
}

XenPvLayout xen_pv_layout(const XenElfNotes& notes, const std::string& name) {
    const auto fail = [&](const std::string& why) {
        return KvmError("PV kernel " + name + ": " + why);
    };
    if (notes.notes.empty()) {
        throw fail("not a Xen PV kernel: no ELF note owned by \"Xen\" (the legacy __xen_guest "
                   "section is not read)");
    }
    if (!notes.loader.starts_with("generic") && !notes.guest_os.starts_with("linux")) {
        throw fail(fmt::format("Xen loads only kernels for the generic loader or Linux (LOADER "
                               "'{}', GUEST_OS '{}')",
                               notes.loader, notes.guest_os));
    }
    if (!notes.xen_version.starts_with("xen-3.0")) {
        throw fail(fmt::format("XEN_VERSION '{}': Xen loads only kernels built for xen-3.0",
                               notes.xen_version));
    }
    if (notes.paddr_offset && !notes.virt_base) {
        throw fail("PADDR_OFFSET is set but VIRT_BASE is not");
    }
    XenPvLayout l;
    l.virt_base = notes.virt_base.value_or(0);
    l.paddr_offset = notes.paddr_offset.value_or(0);
    l.virt_offset = l.virt_base - l.paddr_offset;
    l.virt_kstart = notes.paddr_start + l.virt_offset;
    l.virt_kend = notes.paddr_end + l.virt_offset;
    l.virt_entry = notes.entry.value_or(notes.elf_entry);
    l.hypercall_page = notes.hypercall_page;
    if (l.virt_kstart > l.virt_kend || l.virt_entry < l.virt_kstart || l.virt_entry > l.virt_kend ||
        l.virt_base > l.virt_kstart) {
        throw fail(fmt::format("kernel [{:#x}, {:#x}), entry {:#x}, VIRT_BASE {:#x}: the entry "
                               "or the start is out of bounds",
                               l.virt_kstart, l.virt_kend, l.virt_entry, l.virt_base));
    }
    if (notes.init_p2m && *notes.init_p2m >= l.virt_kstart && *notes.init_p2m < l.virt_kend) {
        throw fail(fmt::format("INIT_P2M {:#x} lies inside the kernel", *notes.init_p2m));
    }
    if (l.hypercall_page &&
        (*l.hypercall_page < l.virt_kstart || *l.hypercall_page >= l.virt_kend)) {
        throw fail(fmt::format("HYPERCALL_PAGE {:#x} lies outside the kernel [{:#x}, {:#x})",
                               *l.hypercall_page, l.virt_kstart, l.virt_kend));
    }
    return l;
}

} // namespace enso::kvm
