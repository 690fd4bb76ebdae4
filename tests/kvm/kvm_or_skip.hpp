// Tests that need /dev/kvm call kvm_or_skip() first: without a usable device
// the test exits 77, which CTest reports as skipped, with the reason printed.
#pragma once

#include "hvcore/kvm/kvm_probe.hpp"

#include <cstdio>
#include <cstdlib>

namespace enso::test {

inline void kvm_or_skip() {
    const auto probe = kvm::probe_kvm();
    if (!probe.usable()) {
        std::printf("SKIPPED: this test needs /dev/kvm, which is %s here: %s\n",
                    std::string(kvm::device_state_name(probe.device_state)).c_str(),
                    probe.device_message.c_str());
        std::fflush(stdout);
        std::exit(77);
    }
}

} // namespace enso::test
