// Console output through console_io(CONSOLEIO_write): the monitor keeps the
// lines and shows the last ones when a guest is stopped.
#pragma once

#include <stddef.h>

namespace enso::guest {

void console_write(const char* s, size_t n);

// A tiny printf: %s %c %d %i %u %x %p %%, with l/ll/z lengths, a width and
// the 0 flag. One console_io call per call (up to 255 characters); printk
// formats whole lines, so lines never interleave.
[[gnu::format(printf, 1, 2)]] void printk(const char* fmt, ...);

// Formats into buf (always terminated when size > 0); returns the length
// written, without the terminator.
size_t vsnprintk(char* buf, size_t size, const char* fmt, __builtin_va_list ap);

} // namespace enso::guest
