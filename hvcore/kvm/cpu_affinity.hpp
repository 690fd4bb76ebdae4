// Which CPU a thread runs on: the exitless transport's two spinners (the
// poller and an exitless vCPU) must never share one, or each handoff waits
// for a scheduler tick.
#pragma once

namespace enso::kvm {

[[nodiscard]] int online_cpus();
// Pins the calling thread to one CPU; false when it cannot (it then floats).
bool pin_current_thread(int cpu);

// Where the exitless spinners run: the poller on the first CPU and exitless
// vCPUs on the last when there are two or more and pinning is wanted; -1
// (anywhere) otherwise.
struct ExitlessCpus {
    int poller = -1;
    int vcpu = -1;
};
[[nodiscard]] ExitlessCpus exitless_cpus(bool pin);

} // namespace enso::kvm
