/*
 * The work of the scaling rows (docs/benchmarks.md), shared by the capOS
 * bench program and the Linux guest: SCALEWORK_UNITS units of pure
 * computation split evenly over 1, 2 or 4 threads. A unit is a chain of
 * xorshift-multiply steps on one 64-bit value: no memory traffic and no
 * system call, so the speed-up over one thread shows how the kernel
 * spreads runnable threads over the CPUs, not the memory system.
 */
#ifndef BENCH_SCALEWORK_H
#define BENCH_SCALEWORK_H

#include <stdint.h>

/* Divisible by every thread count the rows use. */
#define SCALEWORK_UNITS		16
#define SCALEWORK_STEPS		400000
/* The thread counts of the rows; 1 is the reference. */
#define SCALEWORK_MAX_THREADS	4

/* Units [first, first + n): a value folded from every step, so that no
 * step can be left out. */
static inline uint64_t
scalework_units(uint32_t first, uint32_t n)
{
	uint64_t acc = 0;

	for (uint32_t u = first; u < first + n; u++) {
		uint64_t x = 0x9E3779B97F4A7C15ull ^ u;

		for (uint32_t i = 0; i < SCALEWORK_STEPS; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			x *= 0xD6E8FEB86659FD93ull;
		}
		acc += x;
	}
	return acc;
}

#endif
