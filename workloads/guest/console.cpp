#include "workloads/guest/console.hpp"

#include "workloads/guest/hypercall.hpp"

#include <stdint.h>

namespace enso::guest {

namespace {

// Appends to a bounded buffer, dropping what does not fit.
struct Out {
    char* buf;
    size_t size;
    size_t len = 0;

    void put(char c) {
        if (len + 1 < size) {
            buf[len] = c;
        }
        ++len;
    }
};

void put_unsigned(Out& out, uint64_t v, unsigned base, unsigned width, char pad) {
    char digits[32];
    unsigned n = 0;
    do {
        const auto d = static_cast<unsigned>(v % base);
        digits[n++] = static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v != 0);
    for (unsigned i = n; i < width; ++i) {
        out.put(pad);
    }
    while (n > 0) {
        out.put(digits[--n]);
    }
}

void put_signed(Out& out, int64_t v, unsigned width, char pad) {
    // The magnitude in unsigned arithmetic, so INT64_MIN does not overflow.
    uint64_t mag = static_cast<uint64_t>(v);
    if (v < 0) {
        mag = ~mag + 1;
        out.put('-');
        width = width > 0 ? width - 1 : 0;
    }
    put_unsigned(out, mag, 10, width, pad);
}

} // namespace

size_t vsnprintk(char* buf, size_t size, const char* fmt, __builtin_va_list ap) {
    Out out{buf, size};
    for (const char* p = fmt; *p != '\0'; ++p) {
        if (*p != '%') {
            out.put(*p);
            continue;
        }
        ++p;
        char pad = ' ';
        if (*p == '0') {
            pad = '0';
            ++p;
        }
        unsigned width = 0;
        while (*p >= '0' && *p <= '9') {
            width = width * 10 + static_cast<unsigned>(*p - '0');
            ++p;
        }
        bool is_long = false;
        while (*p == 'l' || *p == 'z') {
            is_long = true;
            ++p;
        }
        switch (*p) {
        case 'd':
        case 'i':
            put_signed(out, is_long ? __builtin_va_arg(ap, long) : __builtin_va_arg(ap, int), width,
                       pad);
            break;
        case 'u':
            put_unsigned(
                out, is_long ? __builtin_va_arg(ap, unsigned long) : __builtin_va_arg(ap, unsigned),
                10, width, pad);
            break;
        case 'x':
            put_unsigned(
                out, is_long ? __builtin_va_arg(ap, unsigned long) : __builtin_va_arg(ap, unsigned),
                16, width, pad);
            break;
        case 'p':
            out.put('0');
            out.put('x');
            put_unsigned(out, reinterpret_cast<uintptr_t>(__builtin_va_arg(ap, void*)), 16, width,
                         pad);
            break;
        case 's': {
            const char* s = __builtin_va_arg(ap, const char*);
            for (s = s != nullptr ? s : "(null)"; *s != '\0'; ++s) {
                out.put(*s);
            }
            break;
        }
        case 'c':
            out.put(static_cast<char>(__builtin_va_arg(ap, int)));
            break;
        case '%':
            out.put('%');
            break;
        case '\0':
            --p; // a lone % at the end: stop at the terminator
            break;
        default:
            out.put('%');
            out.put(*p);
            break;
        }
    }
    if (size > 0) {
        buf[out.len < size ? out.len : size - 1] = '\0';
    }
    return out.len < size ? out.len : (size > 0 ? size - 1 : 0);
}

void console_write(const char* s, size_t n) {
    HYPERVISOR_console_io(CONSOLEIO_write, static_cast<unsigned>(n), s);
}

void printk(const char* fmt, ...) {
    char line[256];
    __builtin_va_list ap;
    __builtin_va_start(ap, fmt);
    const size_t n = vsnprintk(line, sizeof line, fmt, ap);
    __builtin_va_end(ap);
    console_write(line, n);
}

} // namespace enso::guest
