/*
 * Case-insensitive comparison in the C locale (ASCII letters only), the
 * part of POSIX <strings.h> that capOS code and wolfCrypt use.
 */
#ifndef CAPOS_STRINGS_H
#define CAPOS_STRINGS_H

#include <stddef.h>

int strcasecmp(const char *a, const char *b);
int strncasecmp(const char *a, const char *b, size_t n);

#endif
