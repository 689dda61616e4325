/*
 * The bench program's measuring helpers (main.c), shared with the rows of
 * make bench's -smp pass (smpwork.c).
 */
#ifndef BENCH_SMPWORK_H
#define BENCH_SMPWORK_H

#include <stdint.h>

#include "rt.h"

/* Timed batches per row; the row's value is the median batch. Odd. */
#define BENCH_BATCHES	7

/* The TSC, after lfence. */
uint64_t bench_now(void);
/* The median of n values (sorts them). */
uint64_t bench_median(uint64_t *v, int n);
/* Runs batch(n) once untimed and BENCH_BATCHES times timed; the median
 * batch's cycles per operation. */
uint64_t bench_measure(void (*batch)(uint32_t n, uint32_t *failed),
    uint32_t n, uint32_t *failed);
/* "[bench] row=" lines: a value in unit, cycles as milliseconds, and one
 * thread's cycles over k threads' as a speed-up (unit x). A row with
 * failed operations is an error line instead. */
void bench_row(const char *key, uint64_t value, const char *unit,
    uint32_t iters, uint32_t failed);
void bench_row_ms(const char *key, uint64_t cycles, uint64_t tsc_hz,
    uint32_t iters);
void bench_row_speedup(const char *key, uint64_t one, uint64_t k,
    uint32_t iters);
/* The call bench_calls makes, n times, one at a time. */
void bench_prep_call(capos_cap_t cap, uint64_t iface, uint16_t method,
    const uint8_t *params, uint32_t plen);
void bench_calls(uint32_t n, uint32_t *failed);

/* The -smp pass's rows, and the server its IPC row calls. */
void smp_rows(uint64_t tsc_hz);
int cpu_echo_serve(void);

#endif
