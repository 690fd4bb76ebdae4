// How this host delivers exceptions to a guest that runs at CPL3, the way a
// 64-bit Xen PV kernel runs here (XTF's pv64 tests and Enso's guest): which
// faults reach a handler through a DPL 3 trap or interrupt gate whose
// selector is a DPL 3 64-bit code segment, with which hardware frame, error
// code and CR2, whether IST stacks are used, what software interrupts
// through absent or DPL 0 gates give, and what SIDT/SGDT, SYSCALL and
// SYSENTER do at CPL3. Under PVM, where guest ring 0 is emulated, none of
// this can be taken from the architecture manual; the exception path of a
// Xen-compatible domain is designed on these findings.
//
// Each case runs in a fresh VM of a few pages built here (page tables, GDT,
// IDT with one stub per vector, TSS with IST 1 and an I/O bitmap), so a case
// that triple-faults or hangs cannot spoil the next; each is bounded by a
// deadline. The handler records the vector, its stack and the frame in
// guest memory, then leaves with an OUT to a port, so the first exit to user
// space is the handler's own: anything else is reported as what it was.
// Errors are values: nothing throws.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enso::kvm {

enum class TrapOutcome {
    delivered,    // an IDT handler ran at CPL3, before any exit to user space
    completed,    // no exception: the instruction after the probed one ran
    redirected,   // the SYSCALL/SYSENTER target ran
    exited,       // KVM_RUN returned for another reason (named in result)
    triple_fault, // KVM_EXIT_SHUTDOWN
    timed_out,    // nothing happened before the deadline
    failed,       // the case could not be set up (KVM refused a register, ...)
};

std::string_view trap_outcome_name(TrapOutcome outcome);

struct TrapFinding {
    std::string name;    // e.g. "ud.trap_gate"
    std::string meaning; // what the case does and asks, one line
    TrapOutcome outcome = TrapOutcome::failed;
    std::string result; // what happened, one line

    // delivered: the vector whose stub ran and the frame the handler found
    int vector = -1;
    std::optional<std::uint64_t> error_code;
    std::int64_t rip_offset = 0; // frame RIP minus the probed instruction's address
    std::uint64_t frame_cs = 0;
    std::uint64_t frame_rflags = 0;
    std::uint64_t frame_rsp = 0;
    std::uint64_t frame_ss = 0;
    std::uint64_t handler_cs = 0;
    std::uint64_t handler_rsp = 0;    // RSP at the handler's first instruction
    std::uint64_t handler_rflags = 0; // PUSHF in the handler
    bool on_ist_stack = false;        // handler_rsp lies on the IST 1 stack
    std::uint64_t cr2 = 0;            // KVM_GET_SREGS after the handler's exit
    std::uint64_t exit_rflags = 0;    // KVM_GET_REGS after the handler's exit
    // completed: what a store instruction (SIDT, SGDT, ...) wrote, as bytes
    std::vector<std::uint8_t> stored;

    [[nodiscard]] nlohmann::json to_json() const;
};

struct TrapProbe {
    bool ran = false;   // the device opened and the cases ran
    std::string detail; // why not, or a one-line summary
    double elapsed_ms = 0;
    std::vector<TrapFinding> findings;

    [[nodiscard]] const TrapFinding* find(std::string_view name) const;
    [[nodiscard]] nlohmann::json to_json() const;
};

// Runs every case on the KVM device (default: kvm_device_path()); a case
// that neither faults nor finishes within per_case is stopped. Not cached.
TrapProbe probe_cpl3_traps(const std::string& device_path = {},
                           std::chrono::milliseconds per_case = std::chrono::milliseconds(1000));

// probe_cpl3_traps() once per process.
const TrapProbe& cpl3_trap_support();

} // namespace enso::kvm
