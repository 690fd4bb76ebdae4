// Boots one XTF test kernel on Enso and reads its verdict as xtf-runner
// does: the last "Test result:" line of its console (SUCCESS, SKIP, ERROR,
// FAILURE), or CRASH when there is none, the guest faulted, or it missed
// its deadline.
#pragma once

#include "hvcore/kvm/monitor.hpp"

#include <chrono>
#include <filesystem>
#include <string>

namespace enso::xtf {

enum class XtfVerdict { success, skip, error, failure, crash };

struct XtfRun {
    XtfVerdict verdict = XtfVerdict::crash;
    std::string reason;  // the result line's text, or why it crashed
    std::string console; // everything it printed
    double seconds = 0;
    std::uint64_t user_exits = 0;
    std::uint64_t exceptions = 0; // that reached the monitor
};

// How to boot it: the deadline, the command line (a VARY-CFG variation's),
// and the transport its hypercall stubs use (iret and exceptions exit on
// either).
struct XtfBoot {
    std::chrono::milliseconds deadline = std::chrono::seconds(10);
    std::string cmdline;
    abi::Transport transport = abi::kTransportTrap;
    unsigned vcpus = 1; // the test's VCPUS
};

XtfRun run_xtf_kernel(kvm::Monitor& monitor, const std::filesystem::path& kernel,
                      const XtfBoot& boot = {});
const char* transport_name(abi::Transport t);

// xtf-runner's exit codes: SUCCESS 0, SKIP 3, ERROR 4, FAILURE 5, CRASH 6.
int xtf_exit_code(XtfVerdict v);
const char* xtf_verdict_name(XtfVerdict v);

} // namespace enso::xtf
