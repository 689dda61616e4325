/*
 * The parts of <stdlib.h> that capOS's freestanding C library provides:
 * the number conversions. Allocation lives in the user runtime (lib/rt).
 *
 * There is no errno yet. Out-of-range input is still handled as ISO C
 * says: the strto* functions saturate (LONG_MAX, LONG_MIN, ULONG_MAX, ...)
 * and consume every digit; the ato* functions saturate the same way rather
 * than leaving the result undefined.
 */
#ifndef CAPOS_STDLIB_H
#define CAPOS_STDLIB_H

#include <stddef.h>

int atoi(const char *s);
long atol(const char *s);
long long atoll(const char *s);
long strtol(const char *restrict s, char **restrict end, int base);
long long strtoll(const char *restrict s, char **restrict end, int base);
unsigned long strtoul(const char *restrict s, char **restrict end, int base);
unsigned long long strtoull(const char *restrict s, char **restrict end,
    int base);

#endif
