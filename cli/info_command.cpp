// enso info: what this host offers, readable or as JSON.
#include "cli/commands.hpp"
#include "hvcore/kvm/host_info.hpp"
#include "hvcore/kvm/trap_probe.hpp"

#include <fmt/core.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace enso::cli {

namespace {

struct InfoOptions {
    bool json = false;
    bool perf = false;
    bool no_traps = false;
};

void row(std::string_view key, std::string_view value) {
    fmt::print("  {:<20} {}\n", key, value);
}

std::string ring0_text(kvm::Backend backend) {
    const auto native = kvm::guest_ring0_native(backend);
    if (!native) {
        return "";
    }
    return *native ? " (guest ring 0 native)" : " (guest ring 0 emulated, not native)";
}

void print_readable(const kvm::HostInfo& info) {
    fmt::print("Host\n");
    row("cpu", info.cpu_model);
    row("logical cpus", std::to_string(info.logical_cpus));
    row("memory", fmt::format("{:.1f} GiB",
                              static_cast<double>(info.memory_bytes) / (1024.0 * 1024.0 * 1024.0)));
    row("under a hypervisor",
        info.under_hypervisor
            ? "yes (cpuinfo 'hypervisor' flag): bare metal here means this host's native execution"
            : "no (bare metal)");
    row("kernel", info.kernel);

    fmt::print("Build\n");
    row("compiler", info.compiler);
    row("build type", info.build_type);
    row("commit", info.git_commit);
    row("z3", info.z3_version);

    const auto& k = info.kvm;
    fmt::print("KVM\n");
    row("device", fmt::format("{}: {} ({})", k.device_path, kvm::device_state_name(k.device_state),
                              k.device_message));
    row("api version", k.api_version ? std::to_string(*k.api_version) : "-");
    row("backend", std::string(kvm::backend_name(k.backend)) + ring0_text(k.backend));
    if (!k.capabilities.empty()) {
        fmt::print("  capabilities\n");
        for (const auto& cap : k.capabilities) {
            fmt::print("    {:<22} {}\n", cap.name, cap.value);
        }
    }

    fmt::print("perf\n");
    if (info.perf) {
        row("binary", info.perf->on_path() ? info.perf->path : "not on PATH");
        row("hardware counters", info.perf->hardware_counters
                                     ? (*info.perf->hardware_counters ? "yes" : "no")
                                     : "unknown");
        row("detail", info.perf->detail);
    } else {
        row("probe", "not run (use `enso info --perf`)");
    }
}

// The exception-delivery findings (trap_probe.hpp), each with what it asks.
void print_traps(const kvm::TrapProbe& probe) {
    fmt::print("Exceptions at guest CPL3\n");
    row("probe", probe.detail);
    for (const auto& f : probe.findings) {
        fmt::print("  {:<30} {}: {}\n", f.name, kvm::trap_outcome_name(f.outcome), f.result);
        fmt::print("  {:<30} ({})\n", "", f.meaning);
    }
}

} // namespace

void add_info_command(CLI::App& app, Action& action) {
    auto opts = std::make_shared<InfoOptions>();
    auto* sub = app.add_subcommand("info", "show the host: CPU, kernel, KVM backend and "
                                           "capabilities, toolchain, build");
    sub->add_flag("--json", opts->json, "print JSON (the host context of every results file)");
    sub->add_flag("--perf", opts->perf, "also probe perf (runs `perf stat` once)");
    sub->add_flag("--no-trap-probe", opts->no_traps,
                  "skip the probe of exception delivery at guest CPL3 (about 50 tiny VMs)");
    sub->callback([&action, opts] {
        action = [opts] {
            const auto info = kvm::collect_host_info(opts->perf);
            std::optional<kvm::TrapProbe> traps;
            if (info.kvm.usable() && !opts->no_traps) {
                traps = kvm::probe_cpl3_traps(info.kvm.device_path);
            }
            if (opts->json) {
                auto j = info.to_json();
                if (traps) {
                    j["cpl3_traps"] = traps->to_json();
                }
                fmt::print("{}\n", j.dump(2));
            } else {
                print_readable(info);
                if (traps) {
                    print_traps(*traps);
                }
            }
            return 0;
        };
    });
}

} // namespace enso::cli
