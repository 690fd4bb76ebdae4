// The CPL3 exception-delivery probe: its cases, the VM each runs in, and
// how each outcome is read back.
#include "hvcore/kvm/trap_probe.hpp"

#include "hvcore/kvm/kvm_probe.hpp"
#include "hvcore/kvm/unique_fd.hpp"

#include <fmt/format.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <pthread.h>
#include <thread>
#include <unistd.h>
#include <utility>

namespace enso::kvm {

namespace {

using Clock = std::chrono::steady_clock;

// The probe VM's guest-physical (= virtual) layout: 1 MiB of memory.
constexpr std::uint64_t kMemSize = 1ULL << 20;
constexpr std::uint64_t kPml4 = 0x1000;
constexpr std::uint64_t kPdpt = 0x2000;
constexpr std::uint64_t kPd = 0x3000;
constexpr std::uint64_t kPt = 0x4000;
constexpr std::uint64_t kGdt = 0x6000;
constexpr std::uint64_t kIdt = 0x7000;
constexpr std::uint64_t kTss = 0x8000; // 0x68 bytes, then the I/O bitmap
constexpr std::uint32_t kTssIoBitmap = 0x68;
constexpr std::uint32_t kTssLimit = kTssIoBitmap + 8192; // the bitmap's closing 0xff byte included
constexpr std::uint64_t kCode = 0x10000;                 // the probed instruction, then kTail
constexpr std::uint64_t kSyscallTarget = 0x10800;
constexpr std::uint64_t kStubs = 0x11000; // 16 bytes per vector
constexpr std::uint64_t kCommon = 0x12000;
constexpr std::uint64_t kRecord = 0x20000; // what the guest reports (offsets below)
constexpr std::uint64_t kData = 0x21000;
constexpr std::uint64_t kStackTop = 0x30000;
constexpr std::uint64_t kIstTop = 0x40000;
constexpr std::uint64_t kNotPresentPage = 0x50000;
constexpr std::uint64_t kReadOnlyPage = 0x51000;
constexpr std::uint64_t kSupervisorPage = 0x52000;
constexpr std::uint16_t kPort = 0xe9;

// Record offsets (the code below writes them as absolute addresses).
constexpr std::uint64_t kRecVector = 0x00;
constexpr std::uint64_t kRecRsp = 0x08;
constexpr std::uint64_t kRecFrame = 0x10; // six qwords from the handler's RSP
constexpr std::uint64_t kRecCs = 0x40;
constexpr std::uint64_t kRecSs = 0x48;
constexpr std::uint64_t kRecRflags = 0x50;
constexpr std::uint64_t kRecHandled = 0x58;
constexpr std::uint64_t kRecStored = 0x60; // SIDT & co. store here (16 bytes, pre-filled)
constexpr std::uint64_t kRecCompleted = 0x70;
constexpr std::uint64_t kRecSyscallCs = 0x78;
constexpr std::uint64_t kRecSyscalled = 0x80;
constexpr std::uint8_t kStoreFill = 0xa5;

// GDT: 0x10 kernel code (64-bit, DPL 0), 0x18 kernel data, 0x2b user data,
// 0x33 user code (64-bit, DPL 3), 0x40 TSS: the layout SYSCALL/SYSRET
// expect with STAR = 0x0023'0010'0000'0000.
constexpr std::uint16_t kKernelCs = 0x10;
constexpr std::uint16_t kUserDs = 0x2b;
constexpr std::uint16_t kUserCs = 0x33;
constexpr std::uint16_t kTssSel = 0x40;
constexpr std::uint32_t kGdtBytes = 0x50;

// common (kCommon), entered from a stub with the vector in %rax:
//   mov %rax,REC+0; mov %rsp,%rax; mov %rax,REC+8;
//   mov (%rsp),%rcx; mov %rcx,REC+0x10; ... six qwords ... REC+0x38;
//   mov %cs,%ecx; mov %rcx,REC+0x40; mov %ss,%ecx; mov %rcx,REC+0x48;
//   pushfq; pop %rcx; mov %rcx,REC+0x50; movq $1,REC+0x58;
//   out %al,$0xe9; 1: pause; jmp 1b
constexpr std::uint8_t kCommonCode[] = {
    0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x02, 0x00, 0x48, 0x89, 0xe0, 0x48, 0x89, 0x04, 0x25, 0x08,
    0x00, 0x02, 0x00, 0x48, 0x8b, 0x0c, 0x24, 0x48, 0x89, 0x0c, 0x25, 0x10, 0x00, 0x02, 0x00, 0x48,
    0x8b, 0x4c, 0x24, 0x08, 0x48, 0x89, 0x0c, 0x25, 0x18, 0x00, 0x02, 0x00, 0x48, 0x8b, 0x4c, 0x24,
    0x10, 0x48, 0x89, 0x0c, 0x25, 0x20, 0x00, 0x02, 0x00, 0x48, 0x8b, 0x4c, 0x24, 0x18, 0x48, 0x89,
    0x0c, 0x25, 0x28, 0x00, 0x02, 0x00, 0x48, 0x8b, 0x4c, 0x24, 0x20, 0x48, 0x89, 0x0c, 0x25, 0x30,
    0x00, 0x02, 0x00, 0x48, 0x8b, 0x4c, 0x24, 0x28, 0x48, 0x89, 0x0c, 0x25, 0x38, 0x00, 0x02, 0x00,
    0x8c, 0xc9, 0x48, 0x89, 0x0c, 0x25, 0x40, 0x00, 0x02, 0x00, 0x8c, 0xd1, 0x48, 0x89, 0x0c, 0x25,
    0x48, 0x00, 0x02, 0x00, 0x9c, 0x59, 0x48, 0x89, 0x0c, 0x25, 0x50, 0x00, 0x02, 0x00, 0x48, 0xc7,
    0x04, 0x25, 0x58, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0xe6, 0xe9, 0xf3, 0x90, 0xeb, 0xfc};
// After the probed instruction: movq $1,REC+0x70; out %al,$0xe9; 1: pause; jmp 1b
constexpr std::uint8_t kTail[] = {0x48, 0xc7, 0x04, 0x25, 0x70, 0x00, 0x02, 0x00, 0x01,
                                  0x00, 0x00, 0x00, 0xe6, 0xe9, 0xf3, 0x90, 0xeb, 0xfc};
// The SYSCALL target (keeps RCX and R11, where SYSCALL leaves RIP and RFLAGS):
// mov %cs,%edx; mov %rdx,REC+0x78; movq $1,REC+0x80; out %al,$0xe9; 1: pause; jmp 1b
constexpr std::uint8_t kSyscallCode[] = {0x8c, 0xca, 0x48, 0x89, 0x14, 0x25, 0x78, 0x00, 0x02, 0x00,
                                         0x48, 0xc7, 0x04, 0x25, 0x80, 0x00, 0x02, 0x00, 0x01, 0x00,
                                         0x00, 0x00, 0xe6, 0xe9, 0xf3, 0x90, 0xeb, 0xfc};

constexpr std::uint64_t kPteP = 1;
constexpr std::uint64_t kPteRw = 2;
constexpr std::uint64_t kPteUser = 4;

constexpr std::uint64_t kNonCanonical = 0x8000000000000000ULL;
constexpr std::uint64_t kCr0 = 0x80010033; // PE MP ET NE WP PG
constexpr std::uint64_t kCr0Am = 1ULL << 18;
constexpr std::uint64_t kCr4 = 0x620; // PAE OSFXSR OSXMMEXCPT
constexpr std::uint64_t kCr4Umip = 1ULL << 11;
constexpr std::uint64_t kEfer = 0xd00; // LME LMA NXE
constexpr std::uint64_t kEferSce = 1;
constexpr std::uint64_t kRflags = 0x202;
constexpr std::uint64_t kRflagsAc = 1ULL << 18;
constexpr std::uint32_t kMsrStar = 0xc0000081;
constexpr std::uint32_t kMsrLstar = 0xc0000082;
constexpr std::uint32_t kMsrSfmask = 0xc0000084;

enum class GateType : std::uint8_t { interrupt = 0xe, trap = 0xf };
// What a case does to one gate (the others stay DPL 3, present, no IST).
enum class GateTweak { none, dpl0, not_present, beyond_limit };

struct Case {
    std::string name;
    std::string meaning;
    std::vector<std::uint8_t> insn;
    GateType gates = GateType::trap;
    std::uint64_t rax = 0;
    std::uint64_t rcx = 0;
    std::uint64_t rbp = 0;
    std::uint64_t rsp = kStackTop;
    std::uint64_t rflags = kRflags;
    std::uint64_t cr0 = kCr0;
    std::uint64_t cr4 = kCr4;
    std::uint64_t efer = kEfer;
    bool syscall_msrs = false;
    std::vector<std::uint8_t> ist_vectors;
    int tweak_vector = -1;
    GateTweak tweak = GateTweak::none;
    std::size_t store_bytes = 0; // completed: how many bytes at kRecStored to report
    // A data breakpoint on kData armed before the run: in the guest's own
    // debug registers, or by the monitor through KVM's guest debugging.
    enum class Watch { none, guest_registers, monitor_debug } watch = Watch::none;
};

std::vector<std::uint8_t> bytes(std::initializer_list<std::uint8_t> b) {
    return b;
}

std::string gate_word(GateType g) {
    return g == GateType::trap ? "trap" : "interrupt";
}

// Appends a case that runs with the default gates; returns it for tweaks.
Case* add_case(std::vector<Case>& cases, std::string name, std::string meaning,
               std::vector<std::uint8_t> insn) {
    Case c;
    c.name = std::move(name);
    c.meaning = std::move(meaning);
    c.insn = std::move(insn);
    cases.push_back(std::move(c));
    return &cases.back();
}

// Each fault through trap gates and through interrupt gates.
void add_fault_cases(std::vector<Case>& cases) {
    for (const GateType g : {GateType::trap, GateType::interrupt}) {
        const std::string sfx = g == GateType::trap ? ".trap_gate" : ".interrupt_gate";
        const std::string via = ", every gate a DPL 3 " + gate_word(g) + " gate to CS 0x33";
        auto add = [&](std::string name, std::string meaning, std::vector<std::uint8_t> insn) {
            Case c;
            c.name = std::move(name) + sfx;
            c.meaning = std::move(meaning) + via;
            c.insn = std::move(insn);
            c.gates = g;
            cases.push_back(std::move(c));
            return &cases.back();
        };
        add("de", "div %ecx by zero: #DE expected", bytes({0xf7, 0xf1}));
        add("bp", "int3: #BP expected, frame RIP after the int3", bytes({0xcc}));
        add("ud", "ud2: #UD expected", bytes({0x0f, 0x0b}));
        add("gp_cr3", "mov %cr3,%rax at CPL3: #GP(0) expected", bytes({0x0f, 0x20, 0xd8}));
        add("gp_selector", "mov of selector 0x63 (beyond the GDT limit) to %ds: #GP(0x60) expected",
            bytes({0x8e, 0xd8}))
            ->rax = 0x63;
        add("gp_noncanonical", "read through non-canonical %rax: #GP(0) expected",
            bytes({0x48, 0x8b, 0x08}))
            ->rax = kNonCanonical;
        add("pf_not_present", "read of a not-present page: #PF(0x4), CR2 = the address expected",
            bytes({0x48, 0x8b, 0x08}))
            ->rax = kNotPresentPage + 0x18;
        add("pf_read_only", "write to a read-only user page: #PF(0x7) expected",
            bytes({0x48, 0x89, 0x08}))
            ->rax = kReadOnlyPage + 0x20;
        add("pf_supervisor", "read of a supervisor (U=0) page: #PF(0x5) expected",
            bytes({0x48, 0x8b, 0x08}))
            ->rax = kSupervisorPage + 0x28;
        add("ss_noncanonical", "read through non-canonical %rbp (an SS reference): #SS(0) expected",
            bytes({0x48, 0x8b, 0x4d, 0x00}))
            ->rbp = kNonCanonical;
        add("ss_override_noncanonical",
            "read through non-canonical %rax with an %ss override, which 64-bit mode ignores: "
            "#GP(0) expected (xen_pv_fault_fixups corrects an #SS)",
            bytes({0x36, 0x48, 0x8b, 0x08}))
            ->rax = kNonCanonical;
    }
}

// #AC, IST, and a stack the frame cannot be pushed on.
void add_stack_cases(std::vector<Case>& cases) {
    auto add = [&](std::string n, std::string m, std::vector<std::uint8_t> insn) {
        return add_case(cases, std::move(n), std::move(m), std::move(insn));
    };
    {
        auto* c = add("ac", "misaligned read with CR0.AM and RFLAGS.AC set: #AC(0) expected",
                      bytes({0x48, 0x8b, 0x08}));
        c->rax = kData + 1;
        c->cr0 = kCr0 | kCr0Am;
        c->rflags = kRflags | kRflagsAc;
    }
    add("ist.ud", "ud2 with gate 6 on IST 1: does the handler run on the IST stack?",
        bytes({0x0f, 0x0b}))
        ->ist_vectors = {6};
    {
        auto* c = add("ss_bad_rsp.ist",
                      "push with non-canonical RSP, gates 8, 12, 13 on IST 1: #SS(0) expected",
                      bytes({0x50}));
        c->rsp = kNonCanonical;
        c->ist_vectors = {8, 12, 13};
    }
    add("ss_bad_rsp.no_ist",
        "push with non-canonical RSP, no IST: the frame cannot be pushed (#DF, triple fault?)",
        bytes({0x50}))
        ->rsp = kNonCanonical;
}

// The gate rules for software interrupts: DPL, presence, the IDT limit.
void add_gate_rule_cases(std::vector<Case>& cases) {
    auto add = [&](std::string n, std::string m, std::vector<std::uint8_t> insn) {
        return add_case(cases, std::move(n), std::move(m), std::move(insn));
    };
    {
        auto* c =
            add("bp.dpl0_gate", "int3 through a DPL 0 gate: #GP(0x1a) expected", bytes({0xcc}));
        c->tweak_vector = 3;
        c->tweak = GateTweak::dpl0;
    }
    {
        auto* c = add("bp.not_present", "int3 through a not-present gate: #NP(0x1a) expected",
                      bytes({0xcc}));
        c->tweak_vector = 3;
        c->tweak = GateTweak::not_present;
    }
    add("int3_imm.dpl3_gate", "int $3 (cd 03) through a DPL 3 gate: #BP, frame RIP +2 expected",
        bytes({0xcd, 0x03}));
    for (const std::uint8_t v : {std::uint8_t{0x80}, std::uint8_t{0x81}}) {
        const auto code = static_cast<std::uint64_t>(v) * 8 + 2;
        const std::string n = fmt::format("int{:x}", v);
        const std::vector<std::uint8_t> insn{0xcd, v};
        auto tweak = [&](std::string suffix, std::string meaning, GateTweak t) {
            auto* c = add(n + "." + suffix, fmt::format("int ${:#x} {}", v, meaning), insn);
            c->tweak_vector = v;
            c->tweak = t;
        };
        tweak("dpl3_gate", "through a DPL 3 trap gate: delivered, no error code, expected",
              GateTweak::none);
        tweak("dpl0_gate", fmt::format("through a DPL 0 gate: #GP({:#x}) expected", code),
              GateTweak::dpl0);
        tweak("not_present", fmt::format("through a not-present gate: #NP({:#x}) expected", code),
              GateTweak::not_present);
        tweak("beyond_limit",
              fmt::format("with the gate beyond the IDT limit: #GP({:#x}) expected", code),
              GateTweak::beyond_limit);
    }
}

// Descriptor-table stores at CPL3, with and without UMIP.
void add_descriptor_store_cases(std::vector<Case>& cases) {
    auto add = [&](std::string n, std::string m, std::vector<std::uint8_t> insn) {
        return add_case(cases, std::move(n), std::move(m), std::move(insn));
    };
    const auto store = [&](std::string name, std::string what, std::vector<std::uint8_t> insn,
                           std::size_t n) {
        auto* c = add(name, "CR4.UMIP clear: " + what, insn);
        c->store_bytes = n;
        return c;
    };
    const auto sidt = bytes({0x0f, 0x01, 0x0c, 0x25, 0x60, 0x00, 0x02, 0x00});
    const auto sgdt = bytes({0x0f, 0x01, 0x04, 0x25, 0x60, 0x00, 0x02, 0x00});
    store("sidt",
          "sidt at CPL3: faults, or stores which IDTR (the guest's: limit 0xfff base 0x7000)?",
          sidt, 10);
    store("sgdt",
          "sgdt at CPL3: faults, or stores which GDTR (the guest's: limit 0x4f base 0x6000)?", sgdt,
          10);
    store("sldt", "sldt at CPL3: faults, or stores what (the guest has no LDT: 0)?",
          bytes({0x0f, 0x00, 0x04, 0x25, 0x60, 0x00, 0x02, 0x00}), 2);
    store("str", "str at CPL3: faults, or stores what (the guest's TR: 0x40)?",
          bytes({0x0f, 0x00, 0x0c, 0x25, 0x60, 0x00, 0x02, 0x00}), 2);
    store("smsw", "smsw at CPL3: faults, or stores what (the guest's CR0 low word: 0x33)?",
          bytes({0x0f, 0x01, 0x24, 0x25, 0x60, 0x00, 0x02, 0x00}), 2);
    {
        auto* c = add("sidt.umip", "sidt at CPL3 with CR4.UMIP set: #GP(0) expected", sidt);
        c->cr4 = kCr4 | kCr4Umip;
        c->store_bytes = 10;
    }
}

// An instruction a CR4 bit must forbid at CPL3: Xen relies on it to keep
// FS/GS base writes from a PV guest until its kernel allows them (XSA-293,
// XTF's pv-fsgsbase).
void add_cr4_control_cases(std::vector<Case>& cases) {
    add_case(cases, "ud_fsgsbase",
             "rdfsbase %rax at CPL3 with CR4.FSGSBASE clear: #UD expected (completes where the "
             "host's own CR4 governs the guest's CPL3 code)",
             bytes({0xf3, 0x48, 0x0f, 0xae, 0xc0}));
}

// SYSCALL and SYSENTER from CPL3.
void add_syscall_cases(std::vector<Case>& cases) {
    auto add = [&](std::string n, std::string m, std::vector<std::uint8_t> insn) {
        return add_case(cases, std::move(n), std::move(m), std::move(insn));
    };
    add("syscall.sce_clear",
        "syscall at CPL3 with EFER.SCE clear (LSTAR set as below): #UD expected",
        bytes({0x0f, 0x05}))
        ->syscall_msrs = true;
    {
        auto* c =
            add("syscall.sce_set",
                "syscall at CPL3 with EFER.SCE and LSTAR set: enters LSTAR (0x10800, or 0 if KVM "
                "refused it) at CS 0x10?",
                bytes({0x0f, 0x05}));
        c->efer = kEfer | kEferSce;
        c->syscall_msrs = true;
    }
    add("sysenter",
        "sysenter at CPL3 in long mode, SYSENTER_CS 0: #UD on AMD, #GP(0) on Intel expected",
        bytes({0x0f, 0x34}));
}

// Data breakpoints: whether a guest's DR7 is live while it runs (XTF's
// debug-regs and xsa-260 need a #DB from one), and whether KVM's own guest
// debugging sees the hit instead.
void add_breakpoint_cases(std::vector<Case>& cases) {
    auto add = [&](std::string n, std::string m) {
        // mov %rcx,(%rax) with %rax = kData
        auto* c = add_case(cases, std::move(n), std::move(m), bytes({0x48, 0x89, 0x08}));
        c->rax = kData;
        return c;
    };
    add("db.guest_dr7",
        "a store to a watched address, DR0/DR7 set with KVM_SET_DEBUGREGS (a write watch): #DB "
        "expected, frame RIP after the store")
        ->watch = Case::Watch::guest_registers;
    add("db.monitor_watch",
        "the same store, the watch set with KVM_SET_GUEST_DEBUG (hardware breakpoints): an exit "
        "KVM_EXIT_DEBUG expected")
        ->watch = Case::Watch::monitor_debug;
}

std::vector<Case> all_cases() {
    std::vector<Case> cases;
    add_fault_cases(cases);
    add_stack_cases(cases);
    add_gate_rule_cases(cases);
    add_descriptor_store_cases(cases);
    add_cr4_control_cases(cases);
    add_syscall_cases(cases);
    add_breakpoint_cases(cases);
    return cases;
}

void put64(std::byte* at, std::uint64_t v) {
    std::memcpy(at, &v, sizeof v);
}

std::uint64_t gate_low(std::uint64_t handler, std::uint8_t attrs, std::uint8_t ist) {
    return (handler & 0xffff) | (std::uint64_t{kUserCs} << 16) | (std::uint64_t{ist} << 32) |
           (std::uint64_t{attrs} << 40) | ((handler >> 16 & 0xffff) << 48);
}

kvm_segment segment(std::uint16_t selector, bool code, std::uint8_t dpl) {
    kvm_segment s{};
    s.limit = 0xffffffff;
    s.selector = selector;
    s.type = code ? 11 : 3; // execute/read or read/write, accessed
    s.present = 1;
    s.dpl = dpl;
    s.s = 1;
    s.l = code ? 1 : 0;
    s.db = code ? 0 : 1;
    s.g = 1;
    return s;
}

struct ProbeVm {
    UniqueFd vm;
    UniqueFd vcpu;
    kvm_run* run = nullptr;
    std::size_t run_size = 0;
    std::byte* mem = nullptr;

    ProbeVm() = default;
    ProbeVm(const ProbeVm&) = delete;
    ProbeVm& operator=(const ProbeVm&) = delete;
    ~ProbeVm() {
        if (run != nullptr) {
            ::munmap(run, run_size);
        }
        if (mem != nullptr) {
            ::munmap(mem, kMemSize);
        }
    }
    std::byte* at(std::uint64_t gpa) { return mem + gpa; }
    std::uint64_t load(std::uint64_t gpa) {
        std::uint64_t v = 0;
        std::memcpy(&v, mem + gpa, sizeof v);
        return v;
    }
};

std::string errno_text(const char* what) {
    return fmt::format("{}: {}", what, std::strerror(errno));
}

void write_memory(ProbeVm& p, const Case& c) {
    auto* pml4 = reinterpret_cast<std::uint64_t*>(p.at(kPml4));
    auto* pdpt = reinterpret_cast<std::uint64_t*>(p.at(kPdpt));
    auto* pd = reinterpret_cast<std::uint64_t*>(p.at(kPd));
    auto* pt = reinterpret_cast<std::uint64_t*>(p.at(kPt));
    const std::uint64_t table = kPteP | kPteRw | kPteUser;
    pml4[0] = kPdpt | table;
    pdpt[0] = kPd | table;
    pd[0] = kPt | table;
    for (std::uint64_t i = 0; i < kMemSize / 4096; ++i) {
        pt[i] = i * 4096 | table;
    }
    pt[kNotPresentPage / 4096] = 0;
    pt[kReadOnlyPage / 4096] = kReadOnlyPage | kPteP | kPteUser;
    pt[kSupervisorPage / 4096] = kSupervisorPage | kPteP | kPteRw;

    std::byte* gdt = p.at(kGdt);
    put64(gdt + kKernelCs, 0x00af9b000000ffffULL);       // code, L, DPL 0, accessed
    put64(gdt + kKernelCs + 8, 0x00cf93000000ffffULL);   // data, DPL 0, accessed
    put64(gdt + (kUserDs & ~7U), 0x00cff3000000ffffULL); // data, DPL 3, accessed
    put64(gdt + (kUserCs & ~7U), 0x00affb000000ffffULL); // code, L, DPL 3, accessed
    const std::uint64_t tss_lo = (kTssLimit & 0xffffULL) | ((kTss & 0xffffffULL) << 16) |
                                 (0x8bULL << 40) | ((std::uint64_t{kTssLimit} >> 16 & 0xf) << 48);
    put64(gdt + kTssSel, tss_lo); // busy 64-bit TSS, DPL 0
    put64(gdt + kTssSel + 8, 0);

    std::byte* tss = p.at(kTss);
    put64(tss + 0x24, kIstTop); // IST1
    const auto iomap = static_cast<std::uint16_t>(kTssIoBitmap);
    std::memcpy(tss + 0x66, &iomap, sizeof iomap);
    std::memset(tss + kTssIoBitmap, 0, 8192); // every port open
    tss[kTssLimit] = std::byte{0xff};

    std::byte* idt = p.at(kIdt);
    for (unsigned v = 0; v < 256; ++v) {
        const std::uint64_t stub = kStubs + 16 * v;
        // mov $v,%eax; jmp kCommon
        std::byte* s = p.at(stub);
        s[0] = std::byte{0xb8};
        const std::uint32_t vec = v;
        std::memcpy(s + 1, &vec, 4);
        s[5] = std::byte{0xe9};
        const auto rel = static_cast<std::int32_t>(static_cast<std::int64_t>(kCommon) -
                                                   static_cast<std::int64_t>(stub + 10));
        std::memcpy(s + 6, &rel, 4);

        std::uint8_t dpl = 3;
        bool present = true;
        if (static_cast<int>(v) == c.tweak_vector && c.tweak == GateTweak::dpl0) {
            dpl = 0;
        }
        if (static_cast<int>(v) == c.tweak_vector && c.tweak == GateTweak::not_present) {
            present = false;
        }
        std::uint8_t ist = 0;
        for (const auto iv : c.ist_vectors) {
            ist = iv == v ? 1 : ist;
        }
        const auto attrs = static_cast<std::uint8_t>(static_cast<std::uint8_t>(c.gates) | dpl << 5 |
                                                     (present ? 0x80 : 0));
        put64(idt + 16 * v, gate_low(stub, attrs, ist));
        put64(idt + 16 * v + 8, stub >> 32);
    }
    std::memcpy(p.at(kCommon), kCommonCode, sizeof kCommonCode);
    std::memcpy(p.at(kCode), c.insn.data(), c.insn.size());
    std::memcpy(p.at(kCode + c.insn.size()), kTail, sizeof kTail);
    std::memcpy(p.at(kSyscallTarget), kSyscallCode, sizeof kSyscallCode);
    // Also at 0, LSTAR's reset value: where KVM refuses to set LSTAR (PVM
    // refuses every KVM_SET_MSRS), a SYSCALL that is not #UD lands there.
    std::memcpy(p.at(0), kSyscallCode, sizeof kSyscallCode);
    std::memset(p.at(kRecord + kRecStored), kStoreFill, 16);
}

std::string set_msr(int vcpu_fd, std::uint32_t index, std::uint64_t value) {
    // kvm_msrs ends in a flexible array: one entry in a buffer after it.
    alignas(kvm_msrs) std::array<std::byte, sizeof(kvm_msrs) + sizeof(kvm_msr_entry)> buf{};
    kvm_msrs head{};
    head.nmsrs = 1;
    kvm_msr_entry entry{};
    entry.index = index;
    entry.data = value;
    std::memcpy(buf.data(), &head, sizeof head);
    std::memcpy(buf.data() + sizeof head, &entry, sizeof entry);
    if (::ioctl(vcpu_fd, KVM_SET_MSRS, buf.data()) != 1) {
        return fmt::format("KVM_SET_MSRS {:#x} refused: {}", index, std::strerror(errno));
    }
    return {};
}

// refused: the MSR writes KVM refused (the case still runs).
std::string build(int kvm_fd, ProbeVm& p, const Case& c, std::string& refused) {
    p.vm.reset(::ioctl(kvm_fd, KVM_CREATE_VM, 0));
    if (!p.vm.valid()) {
        return errno_text("KVM_CREATE_VM");
    }
    void* m = ::mmap(nullptr, kMemSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        return errno_text("mmap");
    }
    p.mem = static_cast<std::byte*>(m);
    kvm_userspace_memory_region region{};
    region.memory_size = kMemSize;
    region.userspace_addr = reinterpret_cast<std::uint64_t>(p.mem);
    if (::ioctl(p.vm.get(), KVM_SET_USER_MEMORY_REGION, &region) != 0) {
        return errno_text("KVM_SET_USER_MEMORY_REGION");
    }
    p.vcpu.reset(::ioctl(p.vm.get(), KVM_CREATE_VCPU, 0UL));
    if (!p.vcpu.valid()) {
        return errno_text("KVM_CREATE_VCPU");
    }
    const int size = ::ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    void* r = size > 0 ? ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ | PROT_WRITE,
                                MAP_SHARED, p.vcpu.get(), 0)
                       : MAP_FAILED;
    if (r == MAP_FAILED) {
        return errno_text("mmap of kvm_run");
    }
    p.run = static_cast<kvm_run*>(r);
    p.run_size = static_cast<std::size_t>(size);
    write_memory(p, c);

    kvm_sregs sregs{};
    if (::ioctl(p.vcpu.get(), KVM_GET_SREGS, &sregs) != 0) {
        return errno_text("KVM_GET_SREGS");
    }
    const kvm_segment data = segment(kUserDs, false, 3);
    sregs.cs = segment(kUserCs, true, 3);
    sregs.ss = data;
    sregs.ds = data;
    sregs.es = data;
    sregs.fs = data;
    sregs.gs = data;
    sregs.tr = {};
    sregs.tr.base = kTss;
    sregs.tr.limit = kTssLimit;
    sregs.tr.selector = kTssSel;
    sregs.tr.type = 11; // busy 64-bit TSS
    sregs.tr.present = 1;
    sregs.ldt = {};
    sregs.ldt.unusable = 1;
    sregs.gdt = {kGdt, static_cast<std::uint16_t>(kGdtBytes - 1), {}};
    const bool short_idt = c.tweak == GateTweak::beyond_limit;
    sregs.idt = {kIdt, static_cast<std::uint16_t>(short_idt ? 16 * c.tweak_vector - 1 : 0xfff), {}};
    sregs.cr0 = c.cr0;
    sregs.cr4 = c.cr4;
    sregs.efer = c.efer;
    sregs.cr3 = kPml4;
    if (::ioctl(p.vcpu.get(), KVM_SET_SREGS, &sregs) != 0) {
        return fmt::format("KVM_SET_SREGS (cr0 {:#x}, cr4 {:#x}, efer {:#x}): {}", c.cr0, c.cr4,
                           c.efer, std::strerror(errno));
    }
    if (c.syscall_msrs) {
        // Each on its own: PVM refuses some (a refusal is part of the finding).
        using Msr = std::pair<std::uint32_t, std::uint64_t>;
        for (const auto& [index, value] : {Msr{kMsrStar, 0x0023001000000000ULL},
                                           Msr{kMsrLstar, kSyscallTarget}, Msr{kMsrSfmask, 0}}) {
            if (auto err = set_msr(p.vcpu.get(), index, value); !err.empty()) {
                refused += (refused.empty() ? "" : ", ") + err;
            }
        }
    }
    kvm_regs regs{};
    regs.rip = kCode;
    regs.rsp = c.rsp;
    regs.rax = c.rax;
    regs.rcx = c.rcx;
    regs.rbp = c.rbp;
    regs.rflags = c.rflags;
    if (::ioctl(p.vcpu.get(), KVM_SET_REGS, &regs) != 0) {
        return errno_text("KVM_SET_REGS");
    }
    // DR0 = kData, DR7: L0, a write watch (RW0 = 01) of 8 bytes (LEN0 = 10).
    constexpr std::uint64_t kWatchDr7 = 0x400 | 1 | (1ULL << 16) | (2ULL << 18);
    if (c.watch == Case::Watch::guest_registers) {
        kvm_debugregs dbg{};
        dbg.db[0] = kData;
        dbg.dr6 = 0xffff0ff0;
        dbg.dr7 = kWatchDr7;
        if (::ioctl(p.vcpu.get(), KVM_SET_DEBUGREGS, &dbg) != 0) {
            return errno_text("KVM_SET_DEBUGREGS");
        }
    } else if (c.watch == Case::Watch::monitor_debug) {
        kvm_guest_debug dbg{};
        dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP;
        dbg.arch.debugreg[0] = kData;
        dbg.arch.debugreg[7] = kWatchDr7;
        if (::ioctl(p.vcpu.get(), KVM_SET_GUEST_DEBUG, &dbg) != 0) {
            return errno_text("KVM_SET_GUEST_DEBUG");
        }
    }
    return {};
}

void on_signal(int /*sig*/) {}

struct RunEnd {
    bool timed_out = false;
    int run_errno = 0;
    std::uint32_t exit_reason = 0;
};

// KVM_RUN on this thread until the first exit to user space or until the
// deadline, when a watcher thread kicks the vCPU out (immediate_exit and a
// signal, which interrupts KVM_RUN).
RunEnd run_until_exit(ProbeVm& p, std::chrono::milliseconds limit) {
    RunEnd end;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    std::atomic<bool> kicked{false};
    const pthread_t self = ::pthread_self();
    std::thread watcher([&] {
        std::unique_lock lock(mu);
        if (cv.wait_for(lock, limit, [&] { return done; })) {
            return;
        }
        kicked.store(true);
        __atomic_store_n(&p.run->immediate_exit, 1, __ATOMIC_SEQ_CST);
        while (!done) {
            ::pthread_kill(self, SIGUSR2);
            cv.wait_for(lock, std::chrono::milliseconds(1), [&] { return done; });
        }
    });
    for (;;) {
        if (::ioctl(p.vcpu.get(), KVM_RUN, 0) != 0) {
            if (errno == EINTR || errno == EAGAIN) {
                if (kicked.load()) {
                    end.timed_out = true;
                    break;
                }
                continue;
            }
            end.run_errno = errno;
            break;
        }
        if (p.run->exit_reason == KVM_EXIT_INTR) {
            if (kicked.load()) {
                end.timed_out = true;
                break;
            }
            continue;
        }
        end.exit_reason = p.run->exit_reason;
        break;
    }
    {
        std::lock_guard lock(mu);
        done = true;
    }
    cv.notify_all();
    watcher.join();
    return end;
}

std::string vector_name(int v) {
    static const std::array<const char*, 32> names = {
        "#DE", "#DB", "NMI", "#BP", "#OF",       "#BR", "#UD", "#NM", "#DF", "vector 9", "#TS",
        "#NP", "#SS", "#GP", "#PF", "vector 15", "#MF", "#AC", "#MC", "#XM", "#VE",      "#CP"};
    if (v >= 0 && v < 22) {
        return names[static_cast<std::size_t>(v)];
    }
    return fmt::format("vector {:#x}", v);
}

std::string exit_text(ProbeVm& p, std::uint32_t reason) {
    switch (reason) {
    case KVM_EXIT_SHUTDOWN:
        return "a triple fault (KVM_EXIT_SHUTDOWN)";
    case KVM_EXIT_IO:
        return fmt::format("a port {} of port {:#x}",
                           p.run->io.direction == KVM_EXIT_IO_OUT ? "write" : "read",
                           p.run->io.port);
    case KVM_EXIT_MMIO:
        return fmt::format("an MMIO access at {:#x}", p.run->mmio.phys_addr);
    case KVM_EXIT_INTERNAL_ERROR:
        return fmt::format("a KVM internal error (suberror {})", p.run->internal.suberror);
    case KVM_EXIT_FAIL_ENTRY:
        return fmt::format("a failed VM entry (reason {:#x})",
                           p.run->fail_entry.hardware_entry_failure_reason);
    case KVM_EXIT_EXCEPTION:
        return fmt::format("an exception exit ({}, error code {:#x})",
                           vector_name(static_cast<int>(p.run->ex.exception)),
                           p.run->ex.error_code);
    case KVM_EXIT_HLT:
        return "HLT";
    case KVM_EXIT_DEBUG:
        return fmt::format("KVM_EXIT_DEBUG (exception {}, DR6 {:#x})", p.run->debug.arch.exception,
                           p.run->debug.arch.dr6);
    default:
        return fmt::format("KVM exit {}", reason);
    }
}

std::string hex_bytes(const std::vector<std::uint8_t>& b) {
    std::string s;
    for (const auto x : b) {
        s += fmt::format("{:02x}", x);
    }
    return s;
}

// Reads back one case's outcome after the first exit.
void read_outcome(ProbeVm& p, const Case& c, const RunEnd& end, TrapFinding& f) {
    kvm_regs regs{};
    kvm_sregs sregs{};
    (void)::ioctl(p.vcpu.get(), KVM_GET_REGS, &regs);
    (void)::ioctl(p.vcpu.get(), KVM_GET_SREGS, &sregs);
    f.exit_rflags = regs.rflags;
    f.cr2 = sregs.cr2;
    const bool our_exit = end.exit_reason == KVM_EXIT_IO && p.run->io.port == kPort &&
                          p.run->io.direction == KVM_EXIT_IO_OUT;
    if (our_exit && p.load(kRecord + kRecHandled) == 1) {
        f.outcome = TrapOutcome::delivered;
        f.vector = static_cast<int>(p.load(kRecord + kRecVector) & 0xff);
        f.handler_rsp = p.load(kRecord + kRecRsp);
        f.handler_cs = p.load(kRecord + kRecCs);
        f.handler_rflags = p.load(kRecord + kRecRflags);
        f.on_ist_stack = f.handler_rsp <= kIstTop && f.handler_rsp > kIstTop - 0x1000;
        std::array<std::uint64_t, 6> q{};
        for (std::size_t i = 0; i < q.size(); ++i) {
            q[i] = p.load(kRecord + kRecFrame + 8 * i);
        }
        // The interrupted code ran on CS 0x33: that finds the frame, with or
        // without an error code below it.
        std::size_t at = 0;
        if (q[1] == kUserCs) {
            at = 0;
        } else if (q[2] == kUserCs) {
            f.error_code = q[0];
            at = 1;
        } else {
            f.result = fmt::format(
                "{} reached the handler, but the frame is not understood: {:#x} {:#x} {:#x} {:#x} "
                "{:#x} {:#x} (handler rsp {:#x})",
                vector_name(f.vector), q[0], q[1], q[2], q[3], q[4], q[5], f.handler_rsp);
            return;
        }
        f.rip_offset = static_cast<std::int64_t>(q[at] - kCode);
        f.frame_cs = q[at + 1];
        f.frame_rflags = q[at + 2];
        f.frame_rsp = q[at + 3];
        f.frame_ss = q[at + 4];
        const std::string code =
            f.error_code ? fmt::format("({:#x})", *f.error_code) : std::string(" (no error code)");
        f.result = fmt::format(
            "{}{} at CPL3 handler; frame rip {:#x} (probed {:+}) cs {:#x} rflags {:#x} rsp {:#x} "
            "ss {:#x}; handler cs {:#x} rsp {:#x}{} rflags {:#x}; rflags {:#x} at exit",
            vector_name(f.vector), code, q[at], f.rip_offset, f.frame_cs, f.frame_rflags,
            f.frame_rsp, f.frame_ss, f.handler_cs, f.handler_rsp,
            f.on_ist_stack ? " (IST 1 stack)" : "", f.handler_rflags, f.exit_rflags);
        if (f.vector == 14) {
            f.result += fmt::format("; cr2 {:#x}", f.cr2);
        }
        return;
    }
    if (our_exit && p.load(kRecord + kRecCompleted) == 1) {
        f.outcome = TrapOutcome::completed;
        f.result = "no exception: the next instruction ran";
        if (c.store_bytes > 0) {
            for (std::size_t i = 0; i < c.store_bytes; ++i) {
                f.stored.push_back(std::to_integer<std::uint8_t>(*p.at(kRecord + kRecStored + i)));
            }
            f.result += "; it stored " + hex_bytes(f.stored) + " (little-endian bytes)";
            if (c.store_bytes == 10) {
                std::uint16_t limit = 0;
                std::uint64_t base = 0;
                std::memcpy(&limit, f.stored.data(), 2);
                std::memcpy(&base, f.stored.data() + 2, 8);
                f.result += fmt::format(": limit {:#x} base {:#x}", limit, base);
            }
        }
        return;
    }
    if (our_exit && p.load(kRecord + kRecSyscalled) == 1) {
        f.outcome = TrapOutcome::redirected;
        f.result = fmt::format("the target ran at rip {:#x} with cs {:#x} (sregs cs {:#x}, dpl "
                               "{}); rcx {:#x} r11 {:#x}",
                               regs.rip, p.load(kRecord + kRecSyscallCs), sregs.cs.selector,
                               sregs.cs.dpl, regs.rcx, regs.r11);
        return;
    }
    if (end.timed_out) {
        f.outcome = TrapOutcome::timed_out;
        f.result = fmt::format("nothing within the deadline; guest rip {:#x} rsp {:#x}", regs.rip,
                               regs.rsp);
        return;
    }
    if (end.run_errno != 0) {
        f.outcome = TrapOutcome::failed;
        f.result = fmt::format("KVM_RUN failed: {}", std::strerror(end.run_errno));
        return;
    }
    f.outcome =
        end.exit_reason == KVM_EXIT_SHUTDOWN ? TrapOutcome::triple_fault : TrapOutcome::exited;
    f.result = fmt::format("{}; guest rip {:#x} (probed instruction at {:#x}), rsp {:#x}",
                           exit_text(p, end.exit_reason), regs.rip, kCode, regs.rsp);
}

TrapFinding run_case(int kvm_fd, const Case& c, std::chrono::milliseconds limit) {
    TrapFinding f;
    f.name = c.name;
    f.meaning = c.meaning;
    ProbeVm p;
    std::string refused;
    if (auto err = build(kvm_fd, p, c, refused); !err.empty()) {
        f.outcome = TrapOutcome::failed;
        f.result = "setting up: " + err;
        return f;
    }
    const RunEnd end = run_until_exit(p, limit);
    read_outcome(p, c, end, f);
    if (!refused.empty()) {
        f.result += " (" + refused + ")";
    }
    return f;
}

} // namespace

std::string_view trap_outcome_name(TrapOutcome outcome) {
    switch (outcome) {
    case TrapOutcome::delivered:
        return "delivered";
    case TrapOutcome::completed:
        return "completed";
    case TrapOutcome::redirected:
        return "redirected";
    case TrapOutcome::exited:
        return "exited";
    case TrapOutcome::triple_fault:
        return "triple_fault";
    case TrapOutcome::timed_out:
        return "timed_out";
    case TrapOutcome::failed:
        return "failed";
    }
    return "unknown";
}

nlohmann::json TrapFinding::to_json() const {
    nlohmann::json j{{"name", name},
                     {"meaning", meaning},
                     {"outcome", trap_outcome_name(outcome)},
                     {"result", result}};
    if (outcome == TrapOutcome::delivered) {
        j["vector"] = vector;
        j["error_code"] = error_code ? nlohmann::json(*error_code) : nlohmann::json(nullptr);
        j["rip_offset"] = rip_offset;
        j["frame"] = {
            {"cs", frame_cs}, {"rflags", frame_rflags}, {"rsp", frame_rsp}, {"ss", frame_ss}};
        j["handler"] = {{"cs", handler_cs},
                        {"rsp", handler_rsp},
                        {"rflags", handler_rflags},
                        {"on_ist_stack", on_ist_stack}};
        j["cr2"] = cr2;
        j["exit_rflags"] = exit_rflags;
    }
    if (!stored.empty()) {
        j["stored"] = hex_bytes(stored);
    }
    return j;
}

const TrapFinding* TrapProbe::find(std::string_view name) const {
    for (const auto& f : findings) {
        if (f.name == name) {
            return &f;
        }
    }
    return nullptr;
}

nlohmann::json TrapProbe::to_json() const {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& f : findings) {
        list.push_back(f.to_json());
    }
    return {{"ran", ran}, {"detail", detail}, {"elapsed_ms", elapsed_ms}, {"findings", list}};
}

TrapProbe probe_cpl3_traps(const std::string& device_path, std::chrono::milliseconds per_case) {
    TrapProbe out;
    const auto t0 = Clock::now();
    const std::string path = device_path.empty() ? kvm_device_path() : device_path;
    UniqueFd kvm(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!kvm.valid()) {
        out.detail = fmt::format("cannot open {}: {}", path, std::strerror(errno));
        return out;
    }
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGUSR2, &sa, nullptr);
    out.ran = true;
    std::size_t delivered = 0;
    for (const auto& c : all_cases()) {
        out.findings.push_back(run_case(kvm.get(), c, per_case));
        delivered += out.findings.back().outcome == TrapOutcome::delivered ? 1 : 0;
    }
    out.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    out.detail = fmt::format("{} cases, {} delivered to a CPL3 handler, in {:.0f} ms",
                             out.findings.size(), delivered, out.elapsed_ms);
    return out;
}

const TrapProbe& cpl3_trap_support() {
    static const TrapProbe probe = probe_cpl3_traps();
    return probe;
}

} // namespace enso::kvm
