/*
 * The time-stamp counter: every in-guest figure is taken with it, and its
 * frequency is measured against the kernel's CLOCK_MONOTONIC_RAW so the
 * harness can turn cycles into time.
 */
#include <time.h>

#include "bench.h"

double tsc_hz;

/* The window is long enough that the clock reads bracketing it (well under
 * a microsecond each) cost less than 0.001% of the measurement. */
#define CALIBRATE_NS 200000000LL

uint64_t
tsc_read(void)
{
	uint32_t lo, hi;

	/* lfence keeps rdtsc from running ahead of the work being timed. */
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return (uint64_t)hi << 32 | lo;
}

static long long
ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

double
tsc_calibrate(void)
{
	long long t0, t1;
	uint64_t c0, c1;

	t0 = ns_now();
	c0 = tsc_read();
	do
		t1 = ns_now();
	while (t1 - t0 < CALIBRATE_NS);
	c1 = tsc_read();
	return (double)(c1 - c0) * 1e9 / (double)(t1 - t0);
}
