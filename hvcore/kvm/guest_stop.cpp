#include "hvcore/kvm/guest_stop.hpp"

#include <fmt/format.h>

namespace enso::kvm {

std::string_view stop_kind_name(StopKind kind) {
    switch (kind) {
    case StopKind::shutdown:
        return "shutdown";
    case StopKind::fault:
        return "fault";
    case StopKind::deadline:
        return "deadline";
    case StopKind::killed:
        return "killed";
    }
    return "unknown";
}

std::string last_lines(const std::string& text, std::size_t n) {
    std::size_t pos = text.size();
    if (pos > 0 && text[pos - 1] == '\n') {
        --pos;
    }
    for (std::size_t lines = 0; pos > 0; --pos) {
        if (text[pos - 1] == '\n' && ++lines == n) {
            break;
        }
    }
    return text.substr(pos);
}

std::string GuestStop::describe() const {
    std::string out = fmt::format("stopped ({}): {}\n", stop_kind_name(kind), reason);
    if (have_regs) {
        const auto& r = regs;
        out += fmt::format("  rip {:016x} rsp {:016x} rflags {:08x} cpl {}\n", r.rip, r.rsp,
                           r.rflags, sregs.cs.dpl);
        out += fmt::format("  rax {:016x} rbx {:016x} rcx {:016x} rdx {:016x}\n", r.rax, r.rbx,
                           r.rcx, r.rdx);
        out += fmt::format("  rsi {:016x} rdi {:016x} rbp {:016x} r8  {:016x}\n", r.rsi, r.rdi,
                           r.rbp, r.r8);
        out += fmt::format("  r9  {:016x} r10 {:016x} r11 {:016x} r12 {:016x}\n", r.r9, r.r10,
                           r.r11, r.r12);
        out += fmt::format("  cr2 {:016x} cr3 {:016x}\n", sregs.cr2, sregs.cr3);
    }
    if (!console_tail.empty()) {
        out += "  last console lines:\n";
        std::size_t start = 0;
        while (start < console_tail.size()) {
            auto end = console_tail.find('\n', start);
            if (end == std::string::npos) {
                end = console_tail.size();
            }
            out += "    | " + console_tail.substr(start, end - start) + "\n";
            start = end + 1;
        }
    }
    return out;
}

} // namespace enso::kvm
