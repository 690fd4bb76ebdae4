// What the host was, in words a reader takes in at once, and what "bare
// metal" means on it: on a host that is itself a virtual machine (the
// `hypervisor` CPU flag, a PVM backend) the native twin is this host's
// native execution, not the physical machine's.
#pragma once

#include "reports/results_file.hpp"

#include <string>
#include <utility>
#include <vector>

namespace enso::reports {

struct HostDescription {
    std::string headline;           // "Nested host · KVM backend PVM · guest ring 0 not native"
    std::string bare_metal_meaning; // one or two sentences
    std::vector<std::pair<std::string, std::string>> facts; // CPU, kernel, KVM, toolchain ...
    bool nested = false;
};

HostDescription describe_host(const HostContext& host);

} // namespace enso::reports
