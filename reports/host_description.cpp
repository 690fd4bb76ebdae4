#include "reports/host_description.hpp"

#include <fmt/core.h>

namespace enso::reports {

namespace {

std::string or_unknown(const std::string& s) {
    return s.empty() ? "not recorded" : s;
}

std::string ring0_words(const std::optional<bool>& native) {
    if (!native) {
        return "guest ring 0: unknown";
    }
    return *native ? "guest ring 0 native" : "guest ring 0 not native";
}

} // namespace

HostDescription describe_host(const HostContext& host) {
    HostDescription d;
    if (!host.recorded) {
        d.headline = "Host not recorded in the results file";
        d.bare_metal_meaning = "The results file carries no enso host block, so whether the host "
                               "was itself virtualized is unknown. \"Bare metal\" means native "
                               "execution on whatever machine ran the benchmarks.";
        d.facts = {{"CPU", "not recorded"}};
        if (!host.date.empty()) {
            d.facts.emplace_back("date", host.date);
        }
        return d;
    }
    const bool pvm = host.kvm_backend == "PVM";
    d.nested = host.under_hypervisor.value_or(false) || pvm;
    std::string kind;
    if (host.under_hypervisor.has_value()) {
        kind = *host.under_hypervisor ? "Nested host (itself a virtual machine)"
                                      : "Physical host (no hypervisor flag)";
    } else {
        kind = "Host of unknown kind";
    }
    std::string backend =
        host.kvm_backend.empty() ? "KVM backend not recorded" : "KVM backend " + host.kvm_backend;
    d.headline = fmt::format("{} · {} · {}", kind, backend, ring0_words(host.guest_ring0_native));
    if (host.kvm_usable && !*host.kvm_usable) {
        d.headline += " · /dev/kvm not usable";
    }

    if (d.nested) {
        d.bare_metal_meaning =
            "\"Bare metal\" here means this host's native execution: the host is itself a "
            "virtual machine, so native figures already include the outer hypervisor's costs, "
            "and each ratio shows what one more level (Enso's guests) adds on top.";
        if (pvm) {
            d.bare_metal_meaning +=
                " KVM is served by PVM, which runs guests deprivileged in hardware ring 3 with "
                "shadow paging (paravirtualization one level down): an exit to user space costs "
                "far more than on VMX/SVM hardware, so absolute guest figures are not those of "
                "a physical machine.";
        }
    } else if (host.under_hypervisor.has_value()) {
        d.bare_metal_meaning = "\"Bare metal\" means native execution on this physical machine "
                               "(the CPU reports no hypervisor).";
    } else {
        d.bare_metal_meaning = "Whether the host was itself virtualized was not recorded; \"bare "
                               "metal\" means native execution on the machine that ran the "
                               "benchmarks.";
    }

    std::string cpu = or_unknown(host.cpu_model);
    if (host.num_cpus) {
        cpu += fmt::format(", {} logical CPUs", *host.num_cpus);
    }
    if (host.mhz_per_cpu) {
        cpu += fmt::format(", {:.0f} MHz", *host.mhz_per_cpu);
    }
    d.facts.emplace_back("CPU", cpu);
    d.facts.emplace_back("nested", host.under_hypervisor
                                       ? (*host.under_hypervisor ? "yes (hypervisor flag set)"
                                                                 : "no (physical machine)")
                                       : "not recorded");
    std::string kvm = or_unknown(host.kvm_backend);
    if (host.kvm_usable) {
        kvm +=
            *host.kvm_usable ? ", /dev/kvm usable" : ", /dev/kvm not usable: " + host.kvm_message;
    }
    d.facts.emplace_back("KVM backend", kvm);
    d.facts.emplace_back(
        "guest ring 0",
        host.guest_ring0_native
            ? (*host.guest_ring0_native ? "runs natively" : "not native (guests run at CPL3 only)")
            : "not recorded");
    d.facts.emplace_back("kernel", or_unknown(host.kernel));
    d.facts.emplace_back("compiler",
                         or_unknown(host.compiler) + ", " + or_unknown(host.build_type));
    d.facts.emplace_back("commit", or_unknown(host.git_commit));
    if (!host.date.empty()) {
        d.facts.emplace_back("date", host.date);
    }
    return d;
}

} // namespace enso::reports
