/*
 * printf-style formatting shared by the kernel, userspace and host tests.
 * Output goes through a sink callback, so the same code serves a serial
 * port, a Console capability or a bounded buffer.
 *
 * Supported: flags "-+ #0", width and precision (numbers or "*"), length
 * modifiers hh h l ll z t j, conversions d i u o x X c s p %. An unknown
 * conversion is printed as written. No floating point.
 */
#ifndef CAPOS_FMT_H
#define CAPOS_FMT_H

#include <stdarg.h>
#include <stddef.h>

typedef void (*fmt_sink)(void *ctx, const char *s, size_t n);

/* Returns the number of characters produced. */
int fmt_vformat(fmt_sink sink, void *ctx, const char *fmt, va_list ap);

/*
 * Like C's vsnprintf: writes at most size - 1 characters and a NUL (when
 * size > 0) and returns the length the full output would have had.
 */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
