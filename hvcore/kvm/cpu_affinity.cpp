// Which CPU a thread runs on (cpu_affinity.hpp).
#include "hvcore/kvm/cpu_affinity.hpp"

#include <sched.h>
#include <unistd.h>

namespace enso::kvm {

int online_cpus() {
    const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? static_cast<int>(n) : 1;
}

bool pin_current_thread(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return ::sched_setaffinity(0, sizeof set, &set) == 0;
}

ExitlessCpus exitless_cpus(bool pin) {
    if (!pin || online_cpus() < 2) {
        return {};
    }
    return {0, online_cpus() - 1};
}

} // namespace enso::kvm
