// Why a guest stopped, with what a person needs to see why: the registers
// (CR2 for a page fault), the last lines it printed, and the reason.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <string>

namespace enso::kvm {

enum class StopKind {
    shutdown, // SCHEDOP_shutdown: the guest asked
    fault,    // triple fault, memory it has no slot for, bad exit
    deadline, // did not answer in time and was stopped
    killed,   // the monitor destroyed it
};

struct GuestStop {
    StopKind kind = StopKind::killed;
    std::string reason;
    int shutdown_code = -1; // SHUTDOWN_* when kind == shutdown
    bool have_regs = false;
    kvm_regs regs{};
    kvm_sregs sregs{};
    std::string console_tail;

    // Several lines: reason, registers, console tail.
    [[nodiscard]] std::string describe() const;
};

inline GuestStop make_stop(StopKind kind, std::string reason) {
    GuestStop stop;
    stop.kind = kind;
    stop.reason = std::move(reason);
    return stop;
}

std::string_view stop_kind_name(StopKind kind);

// The last n lines of text.
std::string last_lines(const std::string& text, std::size_t n);

} // namespace enso::kvm
