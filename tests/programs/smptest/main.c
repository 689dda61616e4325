/*
 * smptest: stresses the kernel with threads that really run at the same
 * time on several CPUs (docs/smp.md), and checks invariants that a lost
 * wake-up, a completion delivered twice or to the wrong thread, or a
 * stale TLB entry would break. Each thread learns the CPU it runs on from
 * RDTSCP (the kernel puts the CPU's number in TSC_AUX). The park, ipc
 * and churn parts report how many CPUs their threads were seen on (how
 * the scheduler spreads them is its own affair: with QEMU running the
 * CPUs in turn, a woken thread often stays on the CPU that woke it); the
 * tlb part waits until its two threads run on two.
 *
 * Capabilities: console, threadSpawner, threadControl, parkSpace,
 * virtualMemory, processSpawner (to start its TLB child) and "echo", an
 * IpcTest server in another process.
 *
 * Parts, in order:
 *   park       threads take turns on one word strictly in order, each
 *              sleeping in ParkSpace until the word names it and waking
 *              the next: a lost wake-up stops the ring for good. Other
 *              threads meanwhile add to a counter under the runtime's
 *              park-based mutex; the sum must be exact.
 *   ipc        threads of this process call the echo server at once,
 *              each with payloads naming itself and its call; every
 *              answer must be its own, once.
 *   churn      threads map, fill, check and unmap pages while others are
 *              spawned and joined, so address-space edits, shootdowns and
 *              thread teardown run beside each other.
 *   tlb        a child process ("tlb" argument) has one thread read a page
 *              in a loop on one CPU while its other thread, on another
 *              CPU, unmaps the page and then reuses the memory. The reader
 *              checks a flag the unmapper sets once the unmap has returned
 *              before each read: a read that succeeds after it means a
 *              stale translation survived the unmap (exit 2), a changed
 *              value means it read freed memory (exit 3). The reader must
 *              instead fault on the page; the parent checks that the child
 *              ended with a page fault at exactly that address.
 */
#include <string.h>

#include "capos.capnp.h"
#include "ipctest.capnp.h"
#include "check.h"
#include "rt.h"

#define STACK		16384
#define MAX_CPUS	64

/* The CPU this thread runs on now (TSC_AUX, set by the kernel). */
static uint32_t
this_cpu(void)
{
	uint32_t lo, hi, aux;

	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	(void)lo;
	(void)hi;
	return aux;
}

/* CPUs any thread of a part was seen on: one bit per CPU. */
static uint64_t seen_cpus;

static void
saw_cpu(void)
{
	uint32_t c = this_cpu();

	if (c < MAX_CPUS)
		__atomic_fetch_or(&seen_cpus, 1ull << c, __ATOMIC_RELAXED);
}

static int
ncpus_seen(void)
{
	uint64_t m = __atomic_exchange_n(&seen_cpus, 0, __ATOMIC_RELAXED);
	int n = 0;

	for (; m != 0; m &= m - 1)
		n++;
	return n;
}

/* ---- park: a ring of turns, and a contended counter ---- */

#define RING_THREADS	4
#define RING_ROUNDS	1500
#define COUNT_THREADS	4
#define COUNT_ITERS	4000

static uint32_t turn;			/* whose turn it is in the ring */
static uint32_t turns_taken[RING_THREADS];
static uint32_t out_of_turn;
static struct rt_mutex counter_lock;
static uint64_t counter;

static void
ring_member(void *arg)
{
	uint32_t me = (uint32_t)(uintptr_t)arg;

	for (int r = 0; r < RING_ROUNDS; r++) {
		uint32_t t;

		while ((t = __atomic_load_n(&turn, __ATOMIC_ACQUIRE)) != me)
			(void)rt_park_wait(&turn, t, 0);
		/* Only the one named may be here: count what it saw. */
		if (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != me)
			__atomic_fetch_add(&out_of_turn, 1, __ATOMIC_RELAXED);
		turns_taken[me]++;
		saw_cpu();
		__atomic_store_n(&turn, (me + 1) % RING_THREADS,
		    __ATOMIC_RELEASE);
		/* Every member sleeps on the one word: wake them all, the
		 * one named goes on, the others sleep again. */
		(void)rt_park_wake(&turn, RING_THREADS);
	}
}

static void
count_member(void *arg)
{
	(void)arg;
	for (int i = 0; i < COUNT_ITERS; i++) {
		rt_mutex_lock(&counter_lock);
		counter++;
		rt_mutex_unlock(&counter_lock);
		if ((i & 63) == 0)
			saw_cpu();
	}
}

static void
park_part(void)
{
	struct rt_thread *t[RING_THREADS + COUNT_THREADS];
	int n = 0, failed = test_failed, cpus;
	uint32_t total = 0;

	for (uint32_t i = 0; i < RING_THREADS; i++)
		expect("spawn a ring member", rt_thread_spawn(ring_member,
		    (void *)(uintptr_t)i, STACK, &t[n++]), 0);
	for (int i = 0; i < COUNT_THREADS; i++)
		expect("spawn a counter", rt_thread_spawn(count_member, NULL,
		    STACK, &t[n++]), 0);
	for (int i = 0; i < n; i++)
		expect("join", rt_thread_join(t[i], NULL), 0);
	for (int i = 0; i < RING_THREADS; i++) {
		expect("each ring member took all its turns", turns_taken[i],
		    RING_ROUNDS);
		total += turns_taken[i];
	}
	expect("no member ran out of turn", out_of_turn, 0);
	expect("the counter under the mutex is exact", (int64_t)counter,
	    COUNT_THREADS * COUNT_ITERS);
	cpus = ncpus_seen();
	if (test_failed == failed)
		rt_printf("[proof] smp-park ok %u turns passed strictly in "
		    "order and %llu locked increments exact (threads seen on "
		    "%d CPUs)\n",
		    total, (unsigned long long)counter, cpus);
}

/* ---- ipc: calls from several threads to another process ---- */

#define IPC_THREADS	4
#define IPC_CALLS	400
#define IPC_LEN		48

struct caller {
	uint32_t id;
	uint32_t good, bad, errors;
};

static capos_cap_t echo;

static void
ipc_caller(void *arg)
{
	struct caller *c = arg;
	struct capos_IpcTest_echo_Params_b p;
	struct capos_IpcTest_echo_Results_r r;
	uint8_t params[128] __attribute__((aligned(8)));
	uint8_t result[128] __attribute__((aligned(8)));
	uint8_t payload[IPC_LEN];
	struct capnp_builder b;
	struct rt_result res;
	struct capnp_data d;

	for (uint32_t k = 0; k < IPC_CALLS; k++) {
		/* The payload names this thread and this call. */
		for (uint32_t i = 0; i < IPC_LEN; i++)
			payload[i] = (uint8_t)(c->id * 131 + k * 7 + i);
		memcpy(payload, &c->id, sizeof(c->id));
		memcpy(payload + 4, &k, sizeof(k));
		if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
		    capos_IpcTest_echo_Params_init_root(&b, &p) != 0 ||
		    capos_IpcTest_echo_Params_set_data(&p, payload,
		    IPC_LEN) != 0 ||
		    rt_call(echo, capos_IpcTest_INTERFACE_ID,
		    capos_IpcTest_echo_ORDINAL, &b, NULL, 0, result,
		    sizeof(result), &res) != 0) {
			c->errors++;
			continue;
		}
		r.s = res.root;
		if (capos_IpcTest_echo_Results_get_data(&r, &d) == 0 &&
		    d.len == IPC_LEN && memcmp(d.ptr, payload, IPC_LEN) == 0)
			c->good++;
		else
			c->bad++;
		if ((k & 15) == 0)
			saw_cpu();
	}
}

static void
ipc_part(void)
{
	struct rt_thread *t[IPC_THREADS];
	struct caller c[IPC_THREADS];
	int failed = test_failed, cpus;
	uint32_t good = 0;

	echo = rt_cap("echo", capos_IpcTest_INTERFACE_ID);
	expect("an echo server", echo != CAPOS_CAP_NULL, 1);
	if (echo == CAPOS_CAP_NULL)
		return;
	memset(c, 0, sizeof(c));
	for (uint32_t i = 0; i < IPC_THREADS; i++) {
		c[i].id = i;
		expect("spawn a caller", rt_thread_spawn(ipc_caller, &c[i],
		    STACK, &t[i]), 0);
	}
	for (int i = 0; i < IPC_THREADS; i++) {
		expect("join a caller", rt_thread_join(t[i], NULL), 0);
		expect("every call was answered", c[i].errors, 0);
		expect("every answer carried the caller's own payload",
		    c[i].bad, 0);
		expect("every call got its answer", c[i].good, IPC_CALLS);
		good += c[i].good;
	}
	cpus = ncpus_seen();
	if (test_failed == failed)
		rt_printf("[proof] smp-ipc ok each of %u calls from %d threads "
		    "got its own payload back, once (threads seen on %d "
		    "CPUs)\n", good,
		    IPC_THREADS, cpus);
}

/* ---- churn: maps and unmaps beside thread spawns and exits ---- */

#define CHURN_MAPPERS	3
#define CHURN_ROUNDS	150
#define CHURN_PAGES	4
#define CHURN_SPAWNS	60

struct mapper {
	uint32_t id;
	uint32_t rounds, bad, errors;
};

static void
mapper(void *arg)
{
	struct mapper *m = arg;
	uint64_t size = CHURN_PAGES * 4096, addr;

	for (uint32_t r = 0; r < CHURN_ROUNDS; r++) {
		volatile uint64_t *w;
		uint64_t mark = ((uint64_t)m->id << 32) | r;

		if (rt_vm_map(0, size, RT_PROT_READ | RT_PROT_WRITE,
		    &addr) != 0) {
			m->errors++;
			continue;
		}
		w = (volatile uint64_t *)addr;
		/* Fresh memory is zero, then holds only what we wrote. */
		for (uint64_t i = 0; i < size / 8; i += 64)
			if (w[i] != 0)
				m->bad++;
		for (uint64_t i = 0; i < size / 8; i += 64)
			w[i] = mark + i;
		for (uint64_t i = 0; i < size / 8; i += 64)
			if (w[i] != mark + i)
				m->bad++;
		if (rt_vm_unmap(addr, size) != 0)
			m->errors++;
		m->rounds++;
		if ((r & 7) == 0)
			saw_cpu();
	}
}

static void
short_life(void *arg)
{
	saw_cpu();
	rt_thread_exit((uint64_t)(uintptr_t)arg * 3);
}

static void
churn_part(void)
{
	struct rt_thread *t[CHURN_MAPPERS];
	struct mapper m[CHURN_MAPPERS];
	int failed = test_failed, cpus, joined = 0;

	memset(m, 0, sizeof(m));
	for (uint32_t i = 0; i < CHURN_MAPPERS; i++) {
		m[i].id = i + 1;
		expect("spawn a mapper", rt_thread_spawn(mapper, &m[i], STACK,
		    &t[i]), 0);
	}
	for (uintptr_t i = 0; i < CHURN_SPAWNS; i++) {
		struct rt_thread *s;
		uint64_t v = 0;

		if (rt_thread_spawn(short_life, (void *)i, STACK, &s) != 0 ||
		    rt_thread_join(s, &v) != 0 || v != i * 3)
			continue;
		joined++;
	}
	expect("every short-lived thread joined with its value", joined,
	    CHURN_SPAWNS);
	for (int i = 0; i < CHURN_MAPPERS; i++) {
		expect("join a mapper", rt_thread_join(t[i], NULL), 0);
		expect("every map and unmap worked", m[i].errors, 0);
		expect("mapped memory held what its thread wrote", m[i].bad,
		    0);
		expect("every round ran", m[i].rounds, CHURN_ROUNDS);
	}
	cpus = ncpus_seen();
	if (test_failed == failed)
		rt_printf("[proof] smp-churn ok %d mappings held only their "
		    "own data while %d threads came and went (threads seen on "
		    "%d CPUs)\n",
		    CHURN_MAPPERS * CHURN_ROUNDS, joined, cpus);
}

/* ---- tlb: the child ---- */

#define TLB_MARK	0x5a5a5a5aa5a5a5a5ull
/* The page the reader reads: fixed, so the parent knows where the fault
 * must be; at the top of the heap window, away from malloc's memory. */
#define TLB_ADDR	(CAPOS_USER_HEAP_END - 64 * 4096)
#define TLB_WARMUP	20000
/* How long the unmapper waits for a reader to run on another CPU than
 * itself (it shares the CPUs with the other parts): a bound, not a goal. */
#define TLB_WAIT_S	30
/* Readers of the page. With one, the scheduler could keep it on the
 * unmapper's CPU for the whole wait: each CPU keeps its own threads, and
 * two CPUs whose queues are as long as each other's exchange none
 * (docs/smp.md). Three beside the unmapper make its CPU's queue the
 * longer one until a reader moves. */
#define TLB_READERS	3

static volatile uint64_t *tlb_page;
static uint32_t unmapped;		/* set once rt_vm_unmap returned */
static uint32_t reader_cpu = UINT32_MAX;
static uint64_t reads;

static void
tlb_reader(void *arg)
{
	(void)arg;
	for (;;) {
		uint32_t after = __atomic_load_n(&unmapped, __ATOMIC_ACQUIRE);
		uint64_t v = *tlb_page;

		/* Reached only while the page is still mapped here. */
		if (after) {
			rt_printf("smptest tlb: FAILED: read the page after "
			    "its unmap returned (got %#llx)\n",
			    (unsigned long long)v);
			sys_exit(2);
		}
		if (v != TLB_MARK) {
			rt_printf("smptest tlb: FAILED: read %#llx, not the "
			    "page's contents\n", (unsigned long long)v);
			sys_exit(3);
		}
		__atomic_store_n(&reader_cpu, this_cpu(), __ATOMIC_RELAXED);
		__atomic_store_n(&reads, reads + 1, __ATOMIC_RELEASE);
	}
}

static int
tlb_child(void)
{
	struct rt_thread *t;
	uint64_t addr, reuse, give_up;
	uint32_t rc, me = 0;

	if (rt_vm_map(TLB_ADDR, 4096, RT_PROT_READ | RT_PROT_WRITE,
	    &addr) != 0 || addr != TLB_ADDR)
		return 5;
	tlb_page = (volatile uint64_t *)addr;
	*tlb_page = TLB_MARK;
	for (int i = 0; i < TLB_READERS; i++)
		if (rt_thread_spawn(tlb_reader, NULL, STACK, &t) != 0)
			return 5;
	/* Unmap only while the reader reads on another CPU than this. */
	give_up = __builtin_ia32_rdtsc() + TLB_WAIT_S * rt_start()->tsc_hz;
	for (;;) {
		rc = __atomic_load_n(&reader_cpu, __ATOMIC_RELAXED);
		me = this_cpu();
		if (__atomic_load_n(&reads, __ATOMIC_ACQUIRE) > TLB_WARMUP &&
		    rc != UINT32_MAX && rc != me)
			break;
		if (__builtin_ia32_rdtsc() > give_up)
			break;
		__builtin_ia32_pause();
	}
	if (rc == UINT32_MAX || rc == me) {
		rt_printf("smptest tlb: the reader never ran on another "
		    "CPU\n");
		return 4;
	}
	rt_printf("smptest tlb: cpu %u unmaps %#llx while cpu %u reads it\n",
	    me, (unsigned long long)addr, rc);
	if (rt_vm_unmap(addr, 4096) != 0)
		return 5;
	__atomic_store_n(&unmapped, 1, __ATOMIC_RELEASE);
	/* The frame goes back to the allocator: take memory again and fill
	 * it, so a reader still on the old frame would see new contents. */
	for (int i = 0; i < 16; i++) {
		if (rt_vm_map(0, 4096, RT_PROT_READ | RT_PROT_WRITE,
		    &reuse) != 0)
			break;
		*(volatile uint64_t *)reuse = ~TLB_MARK;
	}
	/* The reader's fault ends the process; it cannot take long. */
	for (;;)
		(void)rt_thread_join(t, NULL);
}

/* ---- tlb: the parent ---- */

static uint8_t spawn_params[512] __attribute__((aligned(8)));
static uint8_t spawn_result[256] __attribute__((aligned(8)));

static capos_cap_t
spawn_tlb_child(void)
{
	static const char *const names[] = { "console", "threadSpawner",
	    "threadControl", "virtualMemory" };
	struct capos_ProcessSpawner_spawn_Params_b p;
	struct capos_ProcessSpawner_SpawnResult_r r;
	struct capos_ProcessSpawner_NamedCap_b nc;
	struct capos_capdesc caps[4];
	struct capnp_builder b;
	struct capnp_lb gl, al;
	struct rt_result res;
	uint32_t idx;

	caps[0] = (struct capos_capdesc){ rt_cap("console",
	    capos_Console_INTERFACE_ID), CAPOS_XFER_COPY };
	caps[1] = (struct capos_capdesc){ rt_cap("threadSpawner",
	    capos_ThreadSpawner_INTERFACE_ID), CAPOS_XFER_COPY };
	caps[2] = (struct capos_capdesc){ rt_cap("threadControl",
	    capos_ThreadControl_INTERFACE_ID), CAPOS_XFER_COPY };
	caps[3] = (struct capos_capdesc){ rt_cap("virtualMemory",
	    capos_VirtualMemory_INTERFACE_ID), CAPOS_XFER_COPY };
	if (capnp_builder_init(&b, spawn_params, sizeof(spawn_params)) != 0 ||
	    capos_ProcessSpawner_spawn_Params_init_root(&b, &p) != 0 ||
	    capos_ProcessSpawner_spawn_Params_set_binary(&p, "smptest", 7) ||
	    capos_ProcessSpawner_spawn_Params_init_grants(&p, 4, &gl) != 0 ||
	    capos_ProcessSpawner_spawn_Params_init_args(&p, 1, &al) != 0 ||
	    capnp_lb_set_text(&al, 0, "tlb", 3) != 0)
		return CAPOS_CAP_NULL;
	for (uint32_t i = 0; i < 4; i++) {
		if (capos_ProcessSpawner_NamedCap_b_at(&gl, i, &nc) != 0 ||
		    capos_ProcessSpawner_NamedCap_set_name(&nc, names[i],
		    strlen(names[i])) != 0)
			return CAPOS_CAP_NULL;
		capos_ProcessSpawner_NamedCap_set_cap(&nc, i);
	}
	if (rt_call(rt_cap("processSpawner", capos_ProcessSpawner_INTERFACE_ID),
	    capos_ProcessSpawner_INTERFACE_ID,
	    capos_ProcessSpawner_spawn_ORDINAL, &b, caps, 4, spawn_result,
	    sizeof(spawn_result), &res) != 0)
		return CAPOS_CAP_NULL;
	r.s = res.root;
	if (capos_ProcessSpawner_SpawnResult_which(&r) !=
	    capos_ProcessSpawner_SpawnResult_which_handle ||
	    capos_ProcessSpawner_SpawnResult_get_handle(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return CAPOS_CAP_NULL;
	return res.caps[idx].cap;
}

static void
tlb_part(int rounds)
{
	int failed = test_failed, faulted = 0;
	uint64_t addr = 0;

	for (int i = 0; i < rounds; i++) {
		struct capos_ExitStatus_r st;
		struct capos_Fault_r f;
		struct rt_result res;
		capos_cap_t h = spawn_tlb_child();
		int rc;

		expect("spawn the TLB child", h != CAPOS_CAP_NULL, 1);
		if (h == CAPOS_CAP_NULL)
			return;
		rc = rt_call(h, capos_ProcessHandle_INTERFACE_ID,
		    capos_ProcessHandle_wait_ORDINAL, NULL, NULL, 0,
		    spawn_result, sizeof(spawn_result), &res);
		rt_release(h);
		expect("wait for the TLB child", rc, 0);
		if (rc != 0)
			return;
		st.s = res.root;
		if (capos_ExitStatus_which(&st) !=
		    capos_ExitStatus_which_faulted) {
			expect("the TLB child's reader faulted (else its exit "
			    "code says what it saw)", capos_ExitStatus_which(
			    &st) == capos_ExitStatus_which_exited ?
			    capos_ExitStatus_get_exited(&st) : -1, 0);
			continue;
		}
		if (capos_ExitStatus_get_faulted(&st, &f) != 0)
			memset(&f, 0, sizeof(f));
		expect("the fault was a page fault", capos_Fault_get_kind(&f),
		    capos_FaultKind_pageFault);
		addr = capos_Fault_get_address(&f);
		expect("at the unmapped page", (int64_t)addr, TLB_ADDR);
		faulted++;
	}
	if (test_failed == failed)
		rt_printf("[proof] smp-tlb ok in each of %d runs the reader on "
		    "another CPU faulted at the unmapped page (%#llx) and never "
		    "read it, or its frame's next use, after the unmap "
		    "returned\n", faulted, (unsigned long long)addr);
}

int
main(void)
{
	const char *arg = rt_argv(0);

	if (arg != NULL && strcmp(arg, "tlb") == 0)
		return tlb_child();
	park_part();
	ipc_part();
	churn_part();
	tlb_part(5);
	rt_printf("smptest: %d checks, %d failed\n", test_checks,
	    test_failed);
	return test_failed != 0;
}
