// What the verify tests share: proof options, and how a sanitizer build
// trims the long proofs (z3 itself is not instrumented, but the handlers'
// symbolic instantiation is, and the whole catalogue takes minutes there).
#pragma once

#include "verify/verification_run.hpp"

#include <cstdlib>
#include <iostream>
#include <string>

namespace enso::verify::test {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

inline RunOptions run_options() {
    RunOptions o;
    o.proof.trace = std::getenv("ENSO_VERIFY_TRACE") != nullptr;
    return o;
}

inline void report(const HandlerOutcome& o) {
    std::cout << "verify: " << o.name << ": " << o.proof.paths << " paths, " << o.status() << " in "
              << o.proof.seconds << " s\n";
    for (const auto& f : o.proof.failures) {
        std::cout << "  path " << f.path << ": " << f.invariant
                  << (f.unknown ? " (unknown: " + f.reason + ")" : "") << "\n";
    }
    for (const auto& [c, r] : o.counterexamples) {
        std::cout << "  counterexample on " << c.invariant << ": " << r.summary << "\n";
    }
}

} // namespace enso::verify::test
