// Boots one XTF test kernel on Enso (xtf_run.hpp).
#include "xtf/xtf_run.hpp"

#include <fmt/format.h>

#include <thread>

namespace enso::xtf {

namespace {

XtfVerdict parse_result(const std::string& console, std::string& line) {
    const auto at = console.rfind("Test result: ");
    if (at == std::string::npos) {
        return XtfVerdict::crash;
    }
    const auto end = console.find('\n', at);
    line = console.substr(at, end == std::string::npos ? std::string::npos : end - at);
    const std::string word = line.substr(13);
    for (const auto& [name, v] :
         {std::pair{"SUCCESS", XtfVerdict::success}, std::pair{"SKIP", XtfVerdict::skip},
          std::pair{"ERROR", XtfVerdict::error}, std::pair{"FAILURE", XtfVerdict::failure}}) {
        if (word.rfind(name, 0) == 0) {
            return v;
        }
    }
    return XtfVerdict::crash;
}

// The last line it printed before `end` that says something (XTF prints a
// test's reason, and a panic's, on the lines before its verdict).
std::string last_message(const std::string& console, std::size_t end) {
    std::string_view text(console.data(), std::min(end, console.size()));
    while (!text.empty()) {
        const auto nl = text.rfind('\n', text.size() - 1);
        const auto start = nl == std::string_view::npos ? 0 : nl + 1;
        std::string_view line = text.substr(start);
        if (!line.empty() && line.find_first_not_of("* \r") != std::string_view::npos) {
            return std::string(line);
        }
        text = text.substr(0, nl == std::string_view::npos ? 0 : nl);
    }
    return "(nothing printed)";
}

} // namespace

XtfRun run_xtf_kernel(kvm::Monitor& monitor, const std::filesystem::path& kernel,
                      const XtfBoot& boot) {
    const auto deadline = boot.deadline;
    XtfRun out;
    kvm::DomainConfig config;
    config.kernel = kernel.string();
    config.cmd_line = boot.cmdline;
    config.transport = boot.transport;
    config.xen_pv = true;
    config.vcpus = boot.vcpus;
    config.pages = 4096;
    const auto t0 = std::chrono::steady_clock::now();
    const std::uint16_t d = monitor.start_domain(config);
    std::optional<kvm::GuestStop> stop;
    while (!(stop = monitor.stopped(d)) && std::chrono::steady_clock::now() - t0 < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out.console = monitor.console(d);
    std::erase(out.console, '\r'); // XTF's console writes CRLF
    out.user_exits = monitor.exits(d).user_exits;
    out.exceptions = monitor.xen_pv_exceptions(d);
    monitor.destroy_domain(d);
    std::string line;
    out.verdict = parse_result(out.console, line);
    if (!stop) {
        out.verdict = XtfVerdict::crash;
        out.reason = fmt::format("no shutdown within {} ms", deadline.count());
    } else if (stop->kind != kvm::StopKind::shutdown) {
        out.verdict = XtfVerdict::crash;
        out.reason = stop->describe();
    } else if (line.empty()) {
        out.reason =
            "shut down without a result line: " + last_message(out.console, std::string::npos);
    } else {
        out.reason = line + ": " + last_message(out.console, out.console.rfind("Test result: "));
    }
    return out;
}

int xtf_exit_code(XtfVerdict v) {
    switch (v) {
    case XtfVerdict::success:
        return 0;
    case XtfVerdict::skip:
        return 3;
    case XtfVerdict::error:
        return 4;
    case XtfVerdict::failure:
        return 5;
    case XtfVerdict::crash:
        return 6;
    }
    return 6;
}

const char* xtf_verdict_name(XtfVerdict v) {
    static constexpr const char* kNames[] = {"SUCCESS", "SKIP", "ERROR", "FAILURE", "CRASH"};
    return kNames[static_cast<int>(v)];
}

const char* transport_name(abi::Transport t) {
    return t == abi::kTransportExitless ? "exitless" : "trap";
}

} // namespace enso::xtf
