// What the test driver (hostile_test.cpp) passes a hostile guest in the
// arguments of its go command, by index: one convention for both sides.
// Only <stdint.h>, so the freestanding guest includes it too.
#pragma once

#include <stdint.h>

namespace enso::hostile {

enum GoArg : uint32_t {
    kArgVictim = 0,      // the victim's domain id
    kArgVictimFrame = 1, // a frame the victim owns (one of its pattern frames)
    kArgVictimL4 = 2,    // the victim's root page table
    kArgRef = 3,         // a grant reference the attack uses (who it is for depends on the attack)
    kArgRefFrame = 4,    // the frame behind kArgRef
    kArgExtra = 5,       // attack-specific (a port, a second reference)
};

// The answer to the go command: values[kValChecks] expectations checked,
// values[kValFailures] of them failed; status 0 when none failed.
enum GoValue : uint32_t {
    kValChecks = 0,
    kValFailures = 1,
};

} // namespace enso::hostile
