// Xen PV ELF notes: synthetic kernels written here (good ones, and every
// kind of broken note), and XTF's real pv64 example kernel when an XTF tree
// ($ENSO_XTF_DIR) and make are at hand: it is built
// in a temporary copy, never in the tree itself.
#include "hvcore/kvm/kvm_error.hpp"
#include "hvcore/kvm/xen_elf_notes.hpp"
#include "tests/xtf/xtf_tree_or_skip.hpp"

#include <catch2/catch.hpp>
#include <xen/elfnote.h>
#include <xen/features.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <elf.h>
#include <filesystem>
#include <string>
#include <vector>

namespace {

using enso::kvm::KvmError;
using enso::kvm::XenElfNotes;
using enso::kvm::XenPaeMode;

struct Note {
    std::string owner;
    std::uint32_t type = 0;
    std::vector<std::byte> desc;
};

std::vector<std::byte> text(const std::string& s) {
    std::vector<std::byte> b;
    for (const char c : s) {
        b.push_back(static_cast<std::byte>(c));
    }
    b.push_back(std::byte{0});
    return b;
}

std::vector<std::byte> number(std::uint64_t v, std::size_t size = 8) {
    std::vector<std::byte> b(size);
    for (std::size_t i = 0; i < size; ++i) {
        b[i] = static_cast<std::byte>(v >> (8 * i));
    }
    return b;
}

Note xen(std::uint32_t type, std::vector<std::byte> desc) {
    return {"Xen", type, std::move(desc)};
}

template <class T>
void put(std::vector<std::byte>& out, std::size_t at, const T& v) {
    if (out.size() < at + sizeof v) {
        out.resize(at + sizeof v);
    }
    std::memcpy(out.data() + at, &v, sizeof v);
}

std::vector<std::byte> note_bytes(const std::vector<Note>& notes) {
    std::vector<std::byte> out;
    for (const auto& n : notes) {
        const std::uint32_t head[3] = {static_cast<std::uint32_t>(n.owner.size() + 1),
                                       static_cast<std::uint32_t>(n.desc.size()), n.type};
        put(out, out.size(), head);
        for (const char c : n.owner) {
            out.push_back(static_cast<std::byte>(c));
        }
        out.push_back(std::byte{0});
        out.resize((out.size() + 3) & ~std::size_t{3});
        out.insert(out.end(), n.desc.begin(), n.desc.end());
        out.resize((out.size() + 3) & ~std::size_t{3});
    }
    return out;
}

// A minimal ELF64 x86-64 kernel: one loadable segment [0x100000, +0x10000)
// at entry 0x100000, and the notes in a PT_NOTE segment or, with
// in_section, only in an SHT_NOTE section.
std::vector<std::byte> kernel(const std::vector<Note>& notes, bool in_section = false,
                              std::uint64_t entry = 0x100000) {
    const auto body = note_bytes(notes);
    constexpr std::size_t kNotesAt = 0x200;
    std::vector<std::byte> out(kNotesAt);
    out.insert(out.end(), body.begin(), body.end());
    const std::size_t shoff = (out.size() + 7) & ~std::size_t{7};
    out.resize(shoff);

    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    eh.e_entry = entry;
    eh.e_phoff = sizeof eh;
    eh.e_ehsize = sizeof eh;
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = in_section ? 1 : 2;
    eh.e_shoff = in_section ? shoff : 0;
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shnum = in_section ? 2 : 0;
    put(out, 0, eh);
    Elf64_Phdr load{};
    load.p_type = PT_LOAD;
    load.p_flags = PF_R | PF_W | PF_X;
    load.p_offset = 0;
    load.p_vaddr = 0x100000;
    load.p_paddr = 0x100000;
    load.p_filesz = out.size();
    load.p_memsz = 0x10000;
    put(out, sizeof eh, load);
    if (!in_section) {
        Elf64_Phdr note{};
        note.p_type = PT_NOTE;
        note.p_offset = kNotesAt;
        note.p_filesz = body.size();
        note.p_memsz = body.size();
        put(out, sizeof eh + sizeof load, note);
    } else {
        Elf64_Shdr null{};
        Elf64_Shdr sh{};
        sh.sh_type = SHT_NOTE;
        sh.sh_offset = kNotesAt;
        sh.sh_size = body.size();
        put(out, shoff, null);
        put(out, shoff + sizeof null, sh);
    }
    return out;
}

// The notes XTF's pv64 tests carry (see the real-kernel test below).
std::vector<Note> xtf_like_notes() {
    return {xen(XEN_ELFNOTE_GUEST_OS, text("XTF")),
            xen(XEN_ELFNOTE_GUEST_VERSION, text("0")),
            xen(XEN_ELFNOTE_LOADER, text("generic")),
            xen(XEN_ELFNOTE_HYPERCALL_PAGE, number(0x106000)),
            xen(XEN_ELFNOTE_XEN_VERSION, text("xen-3.0")),
            xen(XEN_ELFNOTE_FEATURES, text("!writable_page_tables|pae_pgdir_above_4gb")),
            xen(XEN_ELFNOTE_PAE_MODE, text("yes"))};
}

XenElfNotes parse(const std::vector<std::byte>& elf) {
    return enso::kvm::parse_xen_elf_notes(elf, "test.elf");
}

std::string error_of(const std::vector<std::byte>& elf, bool with_layout = false) {
    try {
        const auto notes = parse(elf);
        if (with_layout) {
            (void)enso::kvm::xen_pv_layout(notes, "test.elf");
        }
    } catch (const KvmError& e) {
        return e.what();
    }
    return "(no error)";
}

bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("xen notes: XTF's set parses, and Xen's defaults fill the layout") {
    const auto notes = parse(kernel(xtf_like_notes()));
    CHECK(notes.notes.size() == 7);
    CHECK_FALSE(notes.from_sections);
    CHECK(notes.guest_os == "XTF");
    CHECK(notes.guest_version == "0");
    CHECK(notes.loader == "generic");
    CHECK(notes.xen_version == "xen-3.0");
    CHECK(notes.hypercall_page == 0x106000);
    CHECK(notes.pae == XenPaeMode::extended_cr3);
    CHECK(notes.features_supported ==
          ((1U << XENFEAT_writable_page_tables) | (1U << XENFEAT_pae_pgdir_above_4gb)));
    CHECK(notes.features_required == (1U << XENFEAT_writable_page_tables));
    CHECK_FALSE(notes.entry);
    CHECK_FALSE(notes.virt_base);
    CHECK_FALSE(notes.paddr_offset);
    const auto layout = enso::kvm::xen_pv_layout(notes, "test.elf");
    CHECK(layout.virt_base == 0);
    CHECK(layout.paddr_offset == 0);
    CHECK(layout.virt_kstart == 0x100000);
    CHECK(layout.virt_kend == 0x110000);
    CHECK(layout.virt_entry == 0x100000);
    CHECK(layout.hypercall_page == 0x106000);
}

TEST_CASE("xen notes: ENTRY, VIRT_BASE and PADDR_OFFSET move the layout as Xen does") {
    auto list = xtf_like_notes();
    list.push_back(xen(XEN_ELFNOTE_VIRT_BASE, number(0xffffffff80000000ULL)));
    list.push_back(xen(XEN_ELFNOTE_PADDR_OFFSET, number(0, 4)));
    list.push_back(xen(XEN_ELFNOTE_ENTRY, number(0xffffffff80100010ULL)));
    list[3] = xen(XEN_ELFNOTE_HYPERCALL_PAGE, number(0xffffffff80101000ULL));
    const auto layout = enso::kvm::xen_pv_layout(parse(kernel(list)), "test.elf");
    CHECK(layout.virt_offset == 0xffffffff80000000ULL);
    CHECK(layout.virt_kstart == 0xffffffff80100000ULL);
    CHECK(layout.virt_kend == 0xffffffff80110000ULL);
    CHECK(layout.virt_entry == 0xffffffff80100010ULL);
}

TEST_CASE("xen notes: FEATURES, PAE_MODE, foreign and unknown notes follow Xen's rules") {
    auto list = xtf_like_notes();
    list[5] = xen(XEN_ELFNOTE_FEATURES, text("dom0||no_such_thing|!auto_translated_physmap"));
    list[6] = xen(XEN_ELFNOTE_PAE_MODE, text("yes,bimodal"));
    list.push_back({"GNU", 3, number(0x1234)});
    list.push_back({"Xen2", XEN_ELFNOTE_ENTRY, number(0x1234)});
    list.push_back(xen(0x77, number(0xab, 1)));
    list.push_back(
        xen(XEN_ELFNOTE_SUPPORTED_FEATURES, number(1U << XENFEAT_hvm_callback_vector, 4)));
    const auto notes = parse(kernel(list));
    CHECK(notes.notes.size() == 9); // the GNU and "Xen2" notes are not Xen's
    CHECK_FALSE(notes.entry);
    CHECK(notes.pae == XenPaeMode::bimodal);
    CHECK(notes.features_supported ==
          ((1U << XENFEAT_dom0) | (1U << XENFEAT_auto_translated_physmap) |
           (1U << XENFEAT_hvm_callback_vector)));
    CHECK(notes.features_required == (1U << XENFEAT_auto_translated_physmap));
    CHECK(notes.ignored_features == std::vector<std::string>{"no_such_thing"});
    CHECK(notes.notes[7].text == "ab");
    CHECK(enso::kvm::xen_elf_note_name(notes.notes[7].type) == "unknown");

    list[6] = xen(XEN_ELFNOTE_PAE_MODE, text("no"));
    CHECK(parse(kernel(list)).pae == XenPaeMode::no);
    list[5] = xen(XEN_ELFNOTE_FEATURES, text("writable_page_tables|!no_such_thing"));
    CHECK(contains(error_of(kernel(list)), "requires 'no_such_thing'"));
}

TEST_CASE("xen notes: SHT_NOTE sections are read when no segment holds a note") {
    const auto notes = parse(kernel(xtf_like_notes(), true));
    CHECK(notes.from_sections);
    CHECK(notes.loader == "generic");
}

TEST_CASE("xen notes: Xen's loader rules are errors that say which rule") {
    auto list = xtf_like_notes();
    CHECK(contains(error_of(kernel({{"GNU", 1, number(0)}}), true), "no ELF note owned by"));
    list[2] = xen(XEN_ELFNOTE_LOADER, text("other"));
    CHECK(contains(error_of(kernel(list), true), "generic loader or Linux"));
    list[0] = xen(XEN_ELFNOTE_GUEST_OS, text("linux"));
    CHECK(error_of(kernel(list), true) == "(no error)");
    list[4] = xen(XEN_ELFNOTE_XEN_VERSION, text("xen-4.0"));
    CHECK(contains(error_of(kernel(list), true), "XEN_VERSION 'xen-4.0'"));

    list = xtf_like_notes();
    list.push_back(xen(XEN_ELFNOTE_PADDR_OFFSET, number(0)));
    CHECK(contains(error_of(kernel(list), true), "PADDR_OFFSET is set but VIRT_BASE is not"));
    list = xtf_like_notes();
    list[3] = xen(XEN_ELFNOTE_HYPERCALL_PAGE, number(0x200000));
    CHECK(contains(error_of(kernel(list), true), "HYPERCALL_PAGE 0x200000 lies outside"));
    CHECK(contains(error_of(kernel(xtf_like_notes(), false, 0x300000), true), "out of bounds"));
    list = xtf_like_notes();
    list.push_back(xen(XEN_ELFNOTE_INIT_P2M, number(0x104000)));
    CHECK(contains(error_of(kernel(list), true), "INIT_P2M"));
}

TEST_CASE("xen notes: broken notes and headers are errors, never a crash") {
    const auto good = kernel(xtf_like_notes());
    CHECK(contains(error_of({}), "the ELF header lies outside the file"));
    auto bad = good;
    bad[1] = std::byte{'X'};
    CHECK(contains(error_of(bad), "not an ELF file"));
    bad = good;
    bad[EI_CLASS] = std::byte{ELFCLASS32};
    CHECK(contains(error_of(bad), "only pv64"));

    // The PT_NOTE segment is the second program header.
    const std::size_t note_phdr = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);
    bad = good;
    put(bad, note_phdr + offsetof(Elf64_Phdr, p_filesz), std::uint64_t{1} << 40);
    CHECK(contains(error_of(bad), "note segment 1 lies outside the file"));
    bad = good;
    put(bad, note_phdr + offsetof(Elf64_Phdr, p_offset), ~std::uint64_t{0} - 4);
    CHECK(contains(error_of(bad), "lies outside the file"));
    bad = good;
    put(bad, 0x200, std::uint32_t{0xffffffff}); // namesz of the first note
    CHECK(contains(error_of(bad), "run past its end"));
    bad = good;
    put(bad, 0x204, std::uint32_t{0xfffffffd}); // descsz
    CHECK(contains(error_of(bad), "run past its end"));
    bad = good;
    put(bad, note_phdr + offsetof(Elf64_Phdr, p_filesz), std::uint64_t{18});
    CHECK(contains(error_of(bad), "run past its end"));
    bad = good;
    put(bad, note_phdr + offsetof(Elf64_Phdr, p_filesz), std::uint64_t{7});
    CHECK(contains(error_of(bad), "truncated note header"));
    bad = good;
    put(bad, offsetof(Elf64_Ehdr, e_phnum), std::uint16_t{60000});
    CHECK(contains(error_of(bad), "lies outside the file"));

    auto list = xtf_like_notes();
    list[3] = xen(XEN_ELFNOTE_HYPERCALL_PAGE, number(0x106000, 3));
    CHECK(contains(error_of(kernel(list)), "HYPERCALL_PAGE has 3 bytes"));
    list = xtf_like_notes();
    list[0] = xen(XEN_ELFNOTE_GUEST_OS, {std::byte{'X'}, std::byte{'T'}});
    CHECK(contains(error_of(kernel(list)), "GUEST_OS is not a NUL-terminated string"));

    // Every prefix of a good file parses or fails cleanly.
    for (std::size_t n = 0; n < good.size(); ++n) {
        const std::vector<std::byte> cut(good.begin(), good.begin() + static_cast<long>(n));
        const auto e = error_of(cut);
        INFO("prefix of " << n << " bytes: " << e);
        CHECK((e == "(no error)" || e.starts_with("PV kernel test.elf: ")));
    }
}

TEST_CASE("xen notes: XTF's pv64 example kernel, built from an XTF tree") {
    const std::filesystem::path src = enso::test::xtf_tree_or_skip();
    if (std::system("command -v make >/dev/null 2>&1 && command -v gcc >/dev/null 2>&1") != 0) {
        std::printf("SKIPPED: no make or gcc to build XTF's example\n");
        std::fflush(stdout);
        std::exit(77);
    }
    char tmpl[] = "/tmp/enso-xtf-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    const std::filesystem::path tmp = tmpl;
    const std::filesystem::path copy = tmp / "xtf";
    std::filesystem::copy(src, copy, std::filesystem::copy_options::recursive);
    // Only the pv64 environment, with XTF's own makefiles (the top-level
    // Makefile would build all six).
    const std::string cmd = "make -rR -s -C '" + (copy / "tests/example").string() + "' ROOT='" +
                            copy.string() +
                            "' CC=gcc LD=ld OBJCOPY=objcopy 'CPP=gcc -E' PYTHON=python3 "
                            "test-pv64-example > '" +
                            (tmp / "make.log").string() + "' 2>&1";
    const int rc = std::system(cmd.c_str());
    INFO("build log: " << (tmp / "make.log").string());
    REQUIRE(rc == 0);
    const auto path = (copy / "tests/example/test-pv64-example").string();
    const auto notes = enso::kvm::load_xen_elf_notes(path);
    for (const auto& n : notes.notes) {
        std::printf("  %-16s %s\n", std::string(enso::kvm::xen_elf_note_name(n.type)).c_str(),
                    n.text.c_str());
    }
    CHECK(notes.guest_os == "XTF");
    CHECK(notes.loader == "generic");
    CHECK(notes.xen_version == "xen-3.0");
    CHECK((notes.features_required >> XENFEAT_writable_page_tables & 1) == 1);
    REQUIRE(notes.hypercall_page);
    const auto layout = enso::kvm::xen_pv_layout(notes, path);
    std::printf("  layout: kernel [%#llx, %#llx), entry %#llx, hypercall page %#llx\n",
                static_cast<unsigned long long>(layout.virt_kstart),
                static_cast<unsigned long long>(layout.virt_kend),
                static_cast<unsigned long long>(layout.virt_entry),
                static_cast<unsigned long long>(*layout.hypercall_page));
    CHECK(layout.virt_entry == notes.elf_entry);
    CHECK(*layout.hypercall_page % 4096 == 0);
    std::filesystem::remove_all(tmp);
}
