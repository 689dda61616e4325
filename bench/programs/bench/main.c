/*
 * bench: the capOS side of make bench (docs/benchmarks.md). Each row runs
 * one untimed warm-up batch and 7 timed batches; the figure is the median
 * batch's cost per operation, in TSC cycles (rdtsc after lfence), printed
 * as a "[bench] row=" line. The cryptography rows run lib/crypto over
 * wolfCrypt, the same calls as the Linux guest (cryptowork.h). The shell
 * rows play the terminal of the bench system's capos-shell
 * (shellwork.c). With the argument "smp" it runs the rows of the -smp
 * pass instead, and with "cpu-echo" it is the server of their IPC row
 * (smpwork.c).
 */
#include <string.h>

#include "cryptowork.h"
#include "ipctest.capnp.h"
#include "rt.h"
#include "shellwork.h"
#include "smpwork.h"

#define INFLIGHT	32

static struct capos_ring_header *ring;
static struct capos_sqe *sq;
static struct capos_cqe *cq;
static uint8_t result[512] __attribute__((aligned(8)));
static uint8_t results[INFLIGHT][128] __attribute__((aligned(8)));
static uint8_t params256[512] __attribute__((aligned(8)));
static uint32_t params256_len;

uint64_t
bench_now(void)
{
	__asm__ volatile("lfence" ::: "memory");
	return __builtin_ia32_rdtsc();
}

static void
push(const struct capos_sqe *e)
{
	uint32_t t = ring->sq_tail;

	sq[t % CAPOS_SQ_ENTRIES] = *e;
	__atomic_store_n(&ring->sq_tail, t + 1, __ATOMIC_RELEASE);
}

/* Consumes every completion; returns how many, and how many failed. */
static uint32_t
reap(uint32_t *failed)
{
	uint32_t h = ring->cq_head, t, n = 0;

	t = __atomic_load_n(&ring->cq_tail, __ATOMIC_ACQUIRE);
	for (; h != t; h++, n++)
		if (cq[h % CAPOS_CQ_ENTRIES].status < 0 ||
		    (cq[h % CAPOS_CQ_ENTRIES].flags & CAPOS_CQE_EXCEPTION))
			(*failed)++;
	__atomic_store_n(&ring->cq_head, h, __ATOMIC_RELEASE);
	return n;
}

/* Submits e and waits for its completion, one at a time. */
static void
one(const struct capos_sqe *e, uint32_t *failed)
{
	push(e);
	cap_enter(1, CAPOS_TIMEOUT_INFINITE);
	reap(failed);
}

static int
cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t
bench_median(uint64_t *v, int n)
{
	/* Insertion sort: seven values. */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && cmp(&v[j - 1], &v[j]) > 0; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

/* Runs batch(n) once untimed and BENCH_BATCHES times timed; cycles per
 * op. */
uint64_t
bench_measure(void (*batch)(uint32_t n, uint32_t *failed), uint32_t n,
    uint32_t *failed)
{
	uint64_t per[BENCH_BATCHES];

	batch(n, failed);
	for (int i = 0; i < BENCH_BATCHES; i++) {
		uint64_t t0 = bench_now();

		batch(n, failed);
		per[i] = (bench_now() - t0) / n;
	}
	return bench_median(per, BENCH_BATCHES);
}

void
bench_row(const char *key, uint64_t value, const char *unit, uint32_t iters,
    uint32_t failed)
{
	if (failed != 0) {
		rt_printf("[bench] error %s: %u operations failed\n", key,
		    failed);
		return;
	}
	rt_printf("[bench] row=%s value=%llu unit=%s iters=%u\n", key,
	    (unsigned long long)value, unit, iters);
}

static struct capos_sqe call_sqe;

static void
nop_single(uint32_t n, uint32_t *failed)
{
	struct capos_sqe e;

	memset(&e, 0, sizeof(e));
	for (uint32_t i = 0; i < n; i++)
		one(&e, failed);
}

static void
nop_batch32(uint32_t n, uint32_t *failed)
{
	struct capos_sqe e;

	memset(&e, 0, sizeof(e));
	for (uint32_t i = 0; i < n; i += 32) {
		for (int k = 0; k < 32; k++)
			push(&e);
		cap_enter(32, CAPOS_TIMEOUT_INFINITE);
		reap(failed);
	}
}

void
bench_calls(uint32_t n, uint32_t *failed)
{
	for (uint32_t i = 0; i < n; i++)
		one(&call_sqe, failed);
}

/* Keeps INFLIGHT calls outstanding until n have completed. */
static void
inflight(uint32_t n, uint32_t *failed)
{
	uint32_t sent = 0, done = 0;

	while (sent < INFLIGHT && sent < n) {
		call_sqe.result = (uint64_t)(uintptr_t)results[sent];
		push(&call_sqe);
		sent++;
	}
	while (done < n) {
		uint32_t got;

		cap_enter(1, CAPOS_TIMEOUT_INFINITE);
		got = reap(failed);
		done += got;
		for (uint32_t k = 0; k < got && sent < n; k++, sent++) {
			call_sqe.result = (uint64_t)(uintptr_t)
			    results[sent % INFLIGHT];
			push(&call_sqe);
		}
	}
}

static struct rt_mutex bench_lock;

static void
mutex_ops(uint32_t n, uint32_t *failed)
{
	(void)failed;
	for (uint32_t i = 0; i < n; i++) {
		rt_mutex_lock(&bench_lock);
		rt_mutex_unlock(&bench_lock);
	}
}

/* Two threads hand a turn back and forth; one round trip = two wakes. */
static uint32_t turn;
static uint32_t pp_rounds;

static void
pong(void *arg)
{
	(void)arg;
	for (uint32_t i = 0; i < pp_rounds; i++) {
		while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != 1)
			(void)rt_park_wait(&turn, 0, 0);
		__atomic_store_n(&turn, 0, __ATOMIC_RELEASE);
		(void)rt_park_wake(&turn, 1);
	}
}

static void
pingpong(uint32_t n, uint32_t *failed)
{
	struct rt_thread *t;

	pp_rounds = n;
	turn = 0;
	if (rt_thread_spawn(pong, NULL, 16384, &t) != 0) {
		(*failed)++;
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		__atomic_store_n(&turn, 1, __ATOMIC_RELEASE);
		(void)rt_park_wake(&turn, 1);
		while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != 0)
			(void)rt_park_wait(&turn, 1, 0);
	}
	if (rt_thread_join(t, NULL) != 0)
		(*failed)++;
}

static void
nothing(void *arg)
{
	(void)arg;
}

static void
spawn_join(uint32_t n, uint32_t *failed)
{
	struct rt_thread *t;

	for (uint32_t i = 0; i < n; i++)
		if (rt_thread_spawn(nothing, NULL, 16384, &t) != 0 ||
		    rt_thread_join(t, NULL) != 0)
			(*failed)++;
}

static void
sleep_1ms(uint32_t n, uint32_t *failed)
{
	for (uint32_t i = 0; i < n; i++)
		if (rt_sleep_ns(1000000) != 0)
			(*failed)++;
}

/* Cycles to microseconds with three decimals, as "[bench]" wants. */
static void
row_us(const char *key, uint64_t cycles, uint64_t tsc_hz, uint32_t iters,
    uint32_t failed)
{
	uint64_t ns = tsc_hz == 0 ? 0 : cycles * 1000 / (tsc_hz / 1000000);

	if (failed != 0) {
		rt_printf("[bench] error %s: %u operations failed\n", key,
		    failed);
		return;
	}
	rt_printf("[bench] row=%s value=%llu.%03llu unit=us iters=%u\n", key,
	    (unsigned long long)(ns / 1000), (unsigned long long)(ns % 1000),
	    iters);
}

/* Bytes per operation over cycles per operation, as MiB/s with three
 * decimals. */
static void
row_mibs(const char *key, uint64_t bytes, uint64_t cycles, uint64_t tsc_hz,
    uint32_t iters, uint32_t failed)
{
	/* Bytes per second first: with bytes at most 16 KiB and a TSC
	 * below 10^12 Hz no product here leaves 64 bits. */
	uint64_t milli = cycles == 0 ? 0 :
	    (bytes * tsc_hz / cycles) * 1000 >> 20;

	if (failed != 0) {
		rt_printf("[bench] error %s: %u operations failed\n", key,
		    failed);
		return;
	}
	rt_printf("[bench] row=%s value=%llu.%03llu unit=MiB/s iters=%u\n",
	    key, (unsigned long long)(milli / 1000),
	    (unsigned long long)(milli % 1000), iters);
}

static struct cryptowork work;

static void
ed25519_sign(uint32_t n, uint32_t *failed)
{
	*failed += cryptowork_ed25519_sign(&work, n);
}

static void
x25519(uint32_t n, uint32_t *failed)
{
	*failed += cryptowork_x25519(&work, n);
}

static void
aead(uint32_t n, uint32_t *failed)
{
	*failed += cryptowork_aead(&work, n);
}

/* The cryptography rows; the Linux guest's batch sizes are the same
 * (bench/linux/main.c). */
static void
crypto_rows(uint64_t tsc_hz)
{
	uint32_t failed;
	int rc;

	if ((rc = cryptowork_init(&work)) != 0) {
		rt_printf("[bench] error crypto: %s\n", crypto_strerror(rc));
		return;
	}
	failed = 0;
	bench_row("ed25519_sign",
	    bench_measure(ed25519_sign, 20, &failed), "cycles", 20, failed);
	failed = 0;
	bench_row("x25519",
	    bench_measure(x25519, 20, &failed), "cycles", 20, failed);
	failed = 0;
	row_mibs("chacha20poly1305", CRYPTOWORK_AEAD_LEN,
	    bench_measure(aead, 20, &failed), tsc_hz, 20, failed);
}

/* Cycles to milliseconds with three decimals. */
void
bench_row_ms(const char *key, uint64_t cycles, uint64_t tsc_hz,
    uint32_t iters)
{
	uint64_t us = tsc_hz == 0 ? 0 : cycles * 1000 / (tsc_hz / 1000);

	rt_printf("[bench] row=%s value=%llu.%03llu unit=ms iters=%u\n", key,
	    (unsigned long long)(us / 1000), (unsigned long long)(us % 1000),
	    iters);
}

/* One thread's time over k threads' as "x" with two decimals. */
void
bench_row_speedup(const char *key, uint64_t one, uint64_t k, uint32_t iters)
{
	uint64_t centi = k == 0 ? 0 : one * 100 / k;

	rt_printf("[bench] row=%s value=%llu.%02llu unit=x iters=%u\n", key,
	    (unsigned long long)(centi / 100),
	    (unsigned long long)(centi % 100), iters);
}

/* login_ms and shell_call_us (shellwork.c): medians of BENCH_BATCHES. */
static void
shell_rows_report(uint64_t tsc_hz)
{
	uint64_t login[BENCH_BATCHES], call[BENCH_BATCHES];
	int per;

	if ((per = shell_rows(login, call, BENCH_BATCHES)) < 0) {
		rt_printf("[bench] error shell: the shell did not log in, "
		    "call, or prompt as expected\n");
		return;
	}
	bench_row_ms("login_ms", bench_median(login, BENCH_BATCHES), tsc_hz,
	    BENCH_BATCHES);
	row_us("shell_call_us", bench_median(call, BENCH_BATCHES), tsc_hz,
	    (uint32_t)(per * BENCH_BATCHES), 0);
}

void
bench_prep_call(capos_cap_t cap, uint64_t iface, uint16_t method,
    const uint8_t *params, uint32_t plen)
{
	memset(&call_sqe, 0, sizeof(call_sqe));
	call_sqe.opcode = CAPOS_OP_CALL;
	call_sqe.cap = cap;
	call_sqe.interface_id = iface;
	call_sqe.method = method;
	call_sqe.params = (uint64_t)(uintptr_t)params;
	call_sqe.params_len = plen;
	call_sqe.result = (uint64_t)(uintptr_t)result;
	call_sqe.result_len = sizeof(result);
}

int
main(void)
{
	const struct capos_start *sb = rt_start();
	capos_cap_t vm = rt_cap("virtualMemory",
	    capos_VirtualMemory_INTERFACE_ID);
	capos_cap_t ipc = rt_cap("ipc", capos_IpcTest_INTERFACE_ID);
	struct capos_IpcTest_echo_Params_b p;
	struct capnp_builder b;
	static uint8_t data[256];
	uint32_t failed;
	uint64_t c;

	ring = rt_ring();
	sq = (struct capos_sqe *)((uint8_t *)ring + ring->sq_offset);
	cq = (struct capos_cqe *)((uint8_t *)ring + ring->cq_offset);
	rt_flush();
	/* The -smp pass's system (system/bench-smp.capnp) runs this
	 * program twice: the rows, and the server their IPC row calls. */
	if (rt_argc() > 0 && strcmp(rt_argv(0), "cpu-echo") == 0)
		return cpu_echo_serve();
	if (rt_argc() > 0 && strcmp(rt_argv(0), "smp") == 0) {
		smp_rows(sb->tsc_hz);
		rt_printf("[bench] end\n");
		return 0;
	}
	/* The TCP pass's system (system/bench-net.capnp): no rows of its
	 * own; netbench serves the host's once this end has gone by. */
	if (rt_argc() > 0 && strcmp(rt_argv(0), "net") == 0) {
		rt_printf("[bench] end\n");
		return 0;
	}
	/* With the shell rows in this system, auth's start-up (a decoy
	 * scrypt) must be over before anything is timed. */
	if (rt_cap("terminal", 0) != CAPOS_CAP_NULL && shell_rows_sync() != 0)
		rt_printf("[bench] error shell: auth did not answer\n");

	failed = 0;
	bench_row("nop_single",
	    bench_measure(nop_single, 2000, &failed), "cycles", 2000, failed);
	failed = 0;
	bench_row("nop_batch32",
	    bench_measure(nop_batch32, 2048, &failed), "cycles", 2048, failed);
	if (vm != CAPOS_CAP_NULL) {
		failed = 0;
		bench_prep_call(vm, capos_VirtualMemory_INTERFACE_ID,
		    capos_VirtualMemory_quota_ORDINAL, NULL, 0);
		bench_row("call_kernel_object",
		    bench_measure(bench_calls, 1000, &failed),
		"cycles", 1000, failed);
	}
	if (ipc != CAPOS_CAP_NULL) {
		failed = 0;
		bench_prep_call(ipc, capos_IpcTest_INTERFACE_ID,
		    capos_IpcTest_echo_ORDINAL, NULL, 0);
		bench_row("ipc_roundtrip_empty",
		    bench_measure(bench_calls, 500, &failed),
		"cycles", 500, failed);
		memset(data, 0x5a, sizeof(data));
		if (capnp_builder_init(&b, params256, sizeof(params256)) == 0 &&
		    capos_IpcTest_echo_Params_init_root(&b, &p) == 0 &&
		    capos_IpcTest_echo_Params_set_data(&p, data,
		    sizeof(data)) == 0) {
			params256_len = (uint32_t)capnp_builder_finish(&b);
			failed = 0;
			bench_prep_call(ipc, capos_IpcTest_INTERFACE_ID,
			    capos_IpcTest_echo_ORDINAL, params256,
			    params256_len);
			bench_row("ipc_roundtrip_256",
			    bench_measure(bench_calls, 500, &failed),
			"cycles", 500, failed);
		}
		failed = 0;
		bench_prep_call(ipc, capos_IpcTest_INTERFACE_ID,
		    capos_IpcTest_echo_ORDINAL, NULL, 0);
		call_sqe.result_len = sizeof(results[0]);
		c = bench_measure(inflight, 2000, &failed);
		bench_row("ipc_calls_32inflight", c == 0 ? 0 : sb->tsc_hz / c,
		    "calls/s", 2000, failed);
	}
	failed = 0;
	bench_row("mutex_uncontended",
	    bench_measure(mutex_ops, 10000, &failed), "cycles", 10000, failed);
	if (rt_cap("threadSpawner", 0) != CAPOS_CAP_NULL) {
		failed = 0;
		bench_row("park_pingpong",
		    bench_measure(pingpong, 200, &failed),
		"cycles", 200, failed);
		failed = 0;
		row_us("thread_spawn_join",
		    bench_measure(spawn_join, 50, &failed),
		sb->tsc_hz, 50, failed);
	}
	if (rt_cap("timer", 0) != CAPOS_CAP_NULL) {
		/* The overshoot past 1 ms, from the cost of one sleep. */
		uint64_t one_ms = sb->tsc_hz / 1000;

		failed = 0;
		c = bench_measure(sleep_1ms, 20, &failed);
		row_us("timer_sleep_1ms_overshoot", c > one_ms ? c - one_ms : 0,
		    sb->tsc_hz, 20, failed);
	}
	crypto_rows(sb->tsc_hz);
	if (rt_cap("terminal", 0) != CAPOS_CAP_NULL)
		shell_rows_report(sb->tsc_hz);
	rt_printf("[bench] end\n");
	return 0;
}
