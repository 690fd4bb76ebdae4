// The floating-point compute kernel: Horner evaluation of a fixed degree-8
// polynomial at a moving point, a serial chain of multiply-adds in double
// precision (SSE2), with a running sum. No memory traffic and no hypercalls.
// Header-only and freestanding (only <stdint.h>): the guest kernel and the
// native twin compile this same source.
#pragma once

#include <stdint.h>

namespace enso::compute {

// The steps float_poly(size, reps) runs: one polynomial evaluation each.
constexpr uint64_t float_poly_steps(uint64_t size, uint64_t reps) {
    return size * reps;
}

// Returns the sum's bits, so guest and native checksums compare exactly.
[[gnu::noinline]] inline uint64_t float_poly(uint64_t size, uint64_t reps) {
    constexpr double kCoeff[9] = {1.0,      -0.5,     0.25,       -0.125,    0.0625,
                                  -0.03125, 0.015625, -0.0078125, 0.00390625};
    double sum = 0.0;
    for (uint64_t r = 0; r < reps; ++r) {
        double x = 0.5 + static_cast<double>(r) * 1e-3;
        for (uint64_t i = 0; i < size; ++i) {
            double y = kCoeff[8];
            for (int k = 7; k >= 0; --k) {
                y = y * x + kCoeff[k];
            }
            sum += y;
            x = y * 0.5 + 0.25; // the next point depends on this result
        }
    }
    uint64_t bits = 0;
    __builtin_memcpy(&bits, &sum, sizeof bits);
    return bits;
}

} // namespace enso::compute
