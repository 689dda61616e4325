/*
 * The rows of make bench's -smp pass (docs/benchmarks.md, "The SMP
 * rows"): the ping-pong rows with their two sides pinned to CPUs 0 and
 * 1, and the scaling rows over the capOS bench program's own work
 * (bench/programs/bench/scalework.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../programs/bench/scalework.h"
#include "bench.h"

/* Runs row with this thread on CPU 0 and the answering side on CPU 1. */
static int
on_two_cpus(int (*row)(uint64_t, double *), uint64_t n, double *cycles)
{
	int r;

	pin_to_cpu(0);
	pong_cpu = 1;
	r = row(n, cycles);
	pong_cpu = -1;
	pin_to_cpu(-1);
	return r;
}

int
row_futex_pingpong_2cpu(uint64_t n, double *cycles)
{
	return on_two_cpus(row_futex_pingpong, n, cycles);
}

int
row_futex_pingpong_xproc_2cpu(uint64_t n, double *cycles)
{
	return on_two_cpus(row_futex_pingpong_xproc, n, cycles);
}

int
row_pipe_pingpong_1_2cpu(uint64_t n, double *cycles)
{
	return on_two_cpus(row_pipe_pingpong_1, n, cycles);
}

struct share {
	uint32_t first, n;
	uint64_t sum;
};

static void *
share_run(void *arg)
{
	struct share *s = arg;

	s->sum = scalework_units(s->first, s->n);
	return NULL;
}

/* All the units over k threads, unpinned as on capOS; the cycles it
 * took, or 0 on a failure or a sum other than *sum (set when 0). */
static uint64_t
scale_once(uint32_t k, uint64_t *sum)
{
	struct share sh[SCALEWORK_MAX_THREADS];
	pthread_t t[SCALEWORK_MAX_THREADS];
	uint64_t t0, total = 0, took;
	uint32_t started = 0;
	int bad = 0, err;

	t0 = tsc_read();
	for (uint32_t i = 0; i < k; i++) {
		sh[i].first = i * (SCALEWORK_UNITS / k);
		sh[i].n = SCALEWORK_UNITS / k;
		if ((err = pthread_create(&t[i], NULL, share_run, &sh[i])) !=
		    0) {
			report_error("scale: pthread_create: %s",
			    strerror(err));
			bad = 1;
			break;
		}
		started++;
	}
	for (uint32_t i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		total += sh[i].sum;
	}
	took = tsc_read() - t0;
	if (bad)
		return 0;
	if (*sum == 0)
		*sum = total;
	if (total != *sum) {
		report_error("scale: %u threads summed %llx, one %llx", k,
		    (unsigned long long)total, (unsigned long long)*sum);
		return 0;
	}
	return took;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The same batches as the capOS program: one untimed, BENCH_BATCHES
 * timed, the median; the speed-up is one thread's median over k's. */
void
scale_rows(double hz)
{
	static const uint32_t threads[] = { 1, 2, 4 };
	uint64_t med[3], per[BENCH_BATCHES], sum = 0;

	for (int r = 0; r < 3; r++) {
		if (scale_once(threads[r], &sum) == 0)
			return;
		for (int i = 0; i < BENCH_BATCHES; i++)
			if ((per[i] = scale_once(threads[r], &sum)) == 0)
				return;
		qsort(per, BENCH_BATCHES, sizeof per[0], cmp_u64);
		med[r] = per[BENCH_BATCHES / 2];
	}
	report_row("scale_1thread", (double)med[0] / hz * 1e3, "ms",
	    BENCH_BATCHES);
	report_row("scale_2threads", (double)med[0] / (double)med[1], "x",
	    BENCH_BATCHES);
	report_row("scale_4threads", (double)med[0] / (double)med[2], "x",
	    BENCH_BATCHES);
}
