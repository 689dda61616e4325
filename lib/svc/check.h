/*
 * Checks for the test programs that run inside capOS: each check is
 * counted, and a failed one prints what it saw, prefixed with the
 * process's name. A program prints its own summary and proof line from
 * test_checks and test_failed once all its checks have run.
 */
#ifndef CAPOS_SVC_CHECK_H
#define CAPOS_SVC_CHECK_H

#include <stdint.h>

extern int test_checks, test_failed;

void expect(const char *what, int64_t got, int64_t want);

#endif
