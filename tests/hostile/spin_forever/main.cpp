// Answers nothing and makes no hypercall: after the go command it spins
// forever. The monitor stops it at the command's deadline (StopKind
// deadline), with the registers where it spun, and the victim runs on.
#include "tests/hostile/common/hostile.hpp"

namespace enso::hostile {

const char test_title[] = "spin_forever";

void test_main(Args) {
    info("spinning from now on");
    for (;;) {
        asm volatile("pause" : : : "memory");
    }
}

} // namespace enso::hostile
