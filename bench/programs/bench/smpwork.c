/*
 * The rows of make bench's -smp pass (docs/benchmarks.md, "The SMP
 * rows"), run by the bench program with the argument "smp" in the bench
 * system of its own (system/bench-smp.capnp), and the IPC server those
 * rows call: the bench program again, with the argument "cpu-echo".
 *
 * As the Linux guest's rows pin with sched_setaffinity, these pin with
 * ThreadControl.setCpu: the side that starts a round trip to CPU 0, the
 * side that answers to CPU 1 (left to itself the scheduler would run a
 * woken thread in its waker's place, docs/smp.md, "The hand-off"). They
 * still check where the threads ran (RDTSCP's TSC_AUX, the CPU number)
 * rather than assume it: a row whose two sides met on one CPU is an
 * error, not a figure.
 */
#include <string.h>

#include "ipctest.capnp.h"
#include "rt.h"
#include "scalework.h"
#include "smpwork.h"

static uint32_t
this_cpu(void)
{
	uint32_t lo, hi, aux;

	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	(void)lo;
	(void)hi;
	return aux;
}

/* ---- park_pingpong_2cpu ---- */

static uint32_t turn;
static uint32_t rounds;
static volatile uint32_t pong_cpu;
static uint32_t shared_cpu;	/* round trips with both on one CPU */

static void
pong(void *arg)
{
	(void)arg;
	(void)rt_thread_set_cpu(1);
	for (uint32_t i = 0; i < rounds; i++) {
		while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != 1)
			(void)rt_park_wait(&turn, 0, 0);
		pong_cpu = this_cpu();
		__atomic_store_n(&turn, 0, __ATOMIC_RELEASE);
		(void)rt_park_wake(&turn, 1);
	}
}

/* As park_pingpong (main.c), and each round trip notes whether the two
 * threads were on one CPU as they passed the turn. */
static void
pingpong_2cpu(uint32_t n, uint32_t *failed)
{
	struct rt_thread *t;

	rounds = n;
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
		shared_cpu += pong_cpu == this_cpu();
	}
	if (rt_thread_join(t, NULL) != 0)
		(*failed)++;
}

/* ---- ipc_roundtrip_empty_2cpu ---- */

/* The server's CPU as it answered, from one echo call made here. */
static int
server_cpu(capos_cap_t ipc, uint32_t *cpu)
{
	static uint8_t buf[256] __attribute__((aligned(8)));
	struct capos_IpcTest_echo_Params_b p;
	struct capos_IpcTest_echo_Results_r r;
	struct capnp_builder b;
	static uint8_t pbuf[128] __attribute__((aligned(8)));
	struct rt_result res;
	struct capnp_data d;

	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_IpcTest_echo_Params_init_root(&b, &p) != 0 ||
	    rt_call(ipc, capos_IpcTest_INTERFACE_ID,
	    capos_IpcTest_echo_ORDINAL, &b, NULL, 0, buf, sizeof(buf),
	    &res) != 0)
		return -1;
	r.s = res.root;
	if (capos_IpcTest_echo_Results_get_data(&r, &d) != 0 || d.len != 1)
		return -1;
	*cpu = d.ptr[0];
	return 0;
}

/* ---- The scaling rows ---- */

struct share {
	uint32_t first, n;
	uint64_t sum;
};

static void
share_run(void *arg)
{
	struct share *s = arg;

	s->sum = scalework_units(s->first, s->n);
}

/* All the units over k threads; the cycles it took, or 0 on a failure or
 * a sum that differs from the one-thread sum in *sum (set when 0). */
static uint64_t
scale_once(uint32_t k, uint64_t *sum)
{
	struct share sh[SCALEWORK_MAX_THREADS];
	struct rt_thread *t[SCALEWORK_MAX_THREADS];
	uint64_t t0, total = 0, took;
	uint32_t started = 0;
	int bad = 0;

	t0 = bench_now();
	for (uint32_t i = 0; i < k; i++) {
		sh[i].first = i * (SCALEWORK_UNITS / k);
		sh[i].n = SCALEWORK_UNITS / k;
		if (rt_thread_spawn(share_run, &sh[i], 16384, &t[i]) != 0) {
			bad = 1;
			break;
		}
		started++;
	}
	for (uint32_t i = 0; i < started; i++) {
		bad |= rt_thread_join(t[i], NULL) != 0;
		total += sh[i].sum;
	}
	took = bench_now() - t0;
	if (bad)
		return 0;
	if (*sum == 0)
		*sum = total;
	return total == *sum ? took : 0;
}

static void
scale_rows(uint64_t tsc_hz)
{
	static const uint32_t threads[] = { 1, 2, 4 };
	uint64_t med[3], per[BENCH_BATCHES], sum = 0;

	for (int r = 0; r < 3; r++) {
		if (scale_once(threads[r], &sum) == 0)
			goto failed;
		for (int i = 0; i < BENCH_BATCHES; i++)
			if ((per[i] = scale_once(threads[r], &sum)) == 0)
				goto failed;
		med[r] = bench_median(per, BENCH_BATCHES);
	}
	bench_row_ms("scale_1thread", med[0], tsc_hz, BENCH_BATCHES);
	bench_row_speedup("scale_2threads", med[0], med[1], BENCH_BATCHES);
	bench_row_speedup("scale_4threads", med[0], med[2], BENCH_BATCHES);
	return;
failed:
	rt_printf("[bench] error scale: a thread did not start or its sum "
	    "differed\n");
}

void
smp_rows(uint64_t tsc_hz)
{
	capos_cap_t ipc = rt_cap("ipc", capos_IpcTest_INTERFACE_ID);
	uint32_t failed = 0, cpu, apart = 0, checks = 0;
	uint64_t c;

	if (rt_thread_set_cpu(0) != 0) {
		rt_printf("[bench] error smp: this thread could not be kept "
		    "to CPU 0\n");
		return;
	}
	shared_cpu = 0;
	c = bench_measure(pingpong_2cpu, 200, &failed);
	if (shared_cpu != 0)
		rt_printf("[bench] error park_pingpong_2cpu: the threads met on "
		    "one CPU in %u of %u round trips\n", shared_cpu,
		    200 * (BENCH_BATCHES + 1));
	else
		bench_row("park_pingpong_2cpu", c, "cycles", 200, failed);

	if (ipc != CAPOS_CAP_NULL) {
		/* Where the server answers: eight check calls before the
		 * timed batches and one after, outside the timing. */
		failed = 0;
		bench_prep_call(ipc, capos_IpcTest_INTERFACE_ID,
		    capos_IpcTest_echo_ORDINAL, NULL, 0);
		for (int i = 0; i <= BENCH_BATCHES; i++) {
			if (server_cpu(ipc, &cpu) != 0) {
				failed++;
				break;
			}
			checks++;
			apart += cpu != this_cpu();
		}
		c = bench_measure(bench_calls, 500, &failed);
		if (server_cpu(ipc, &cpu) == 0) {
			checks++;
			apart += cpu != this_cpu();
		}
		if (failed == 0 && apart != checks)
			rt_printf("[bench] error ipc_roundtrip_empty_2cpu: the "
			    "server answered on the client's CPU in %u of %u "
			    "checks\n", checks - apart, checks);
		else
			bench_row("ipc_roundtrip_empty_2cpu", c, "cycles", 500,
			    failed);
	}
	(void)rt_thread_set_cpu(capos_ThreadControl_anyCpu);
	scale_rows(tsc_hz);
}

/* cpu-echo: IpcTest.echo answered with one byte, this CPU's number. */
static int
echo_cpu(void *ctx, struct rt_request *rq)
{
	struct capos_IpcTest_echo_Results_b r;
	uint8_t cpu = (uint8_t)this_cpu();

	(void)ctx;
	if (capos_IpcTest_echo_Results_init_root(&rq->reply, &r) != 0 ||
	    capos_IpcTest_echo_Results_set_data(&r, &cpu, 1) != 0)
		return -1;
	return 0;
}

int
cpu_echo_serve(void)
{
	static const struct rt_method methods[] = {
		{ capos_IpcTest_INTERFACE_ID, capos_IpcTest_echo_ORDINAL,
		    echo_cpu },
	};
	capos_cap_t ep = rt_cap("ipctest", capos_Endpoint_INTERFACE_ID);

	if (ep == CAPOS_CAP_NULL)
		return 2;
	/* The answering side, as the park row's pong. */
	if (rt_thread_set_cpu(1) != 0)
		rt_printf("[bench] error ipc_roundtrip_empty_2cpu: the server "
		    "could not be kept to CPU 1\n");
	return rt_serve(ep, methods, 1, NULL) == CAPOS_EPEER ? 0 : 1;
}
