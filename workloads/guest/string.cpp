#include "workloads/guest/string.hpp"

#include <stdint.h>

// String instructions rather than loops: fast on every CPU with ERMS, and the
// compiler cannot turn them back into a call to the function being defined.
extern "C" {

void* memcpy(void* dst, const void* src, size_t n) {
    void* d = dst;
    asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
    const auto d = reinterpret_cast<uintptr_t>(dst);
    const auto s = reinterpret_cast<uintptr_t>(src);
    if (d <= s || d >= s + n) {
        return memcpy(dst, src, n);
    }
    // Overlapping with dst above src: copy backwards.
    void* dlast = static_cast<char*>(dst) + n - 1;
    const void* slast = static_cast<const char*>(src) + n - 1;
    asm volatile("std\n\trep movsb\n\tcld" : "+D"(dlast), "+S"(slast), "+c"(n) : : "memory");
    return dst;
}

void* memset(void* dst, int c, size_t n) {
    void* d = dst;
    asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
    const auto* pa = static_cast<const unsigned char*>(a);
    const auto* pb = static_cast<const unsigned char*>(b);
    for (size_t i = 0; i < n; ++i) {
        if (pa[i] != pb[i]) {
            return pa[i] < pb[i] ? -1 : 1;
        }
    }
    return 0;
}

size_t strlen(const char* s) {
    size_t n = 0;
    while (s[n] != '\0') {
        ++n;
    }
    return n;
}

} // extern "C"
