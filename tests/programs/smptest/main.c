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
 * virtualMemory, processSpawner (to start its children) and "echo", an
 * IpcTest server in another process. The children get the first five and
 * the victim also "beats", the SharedMemory its parent reads.
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
 *   deadline   threads wait in cap_enter for a completion that never
 *              comes, with deadlines from 1 ns to 200 us, while others
 *              call the echo server: each wait must end by its deadline
 *              (a deadline lost between the arming and the block hangs
 *              the part), not before it, with nothing completed.
 *   race       threads park with deadlines of a few microseconds while
 *              others wake the word without pause: every wait ends once,
 *              woken or timed out, and the waits woken are exactly the
 *              ones the wakes counted.
 *   churn      threads map, fill, check and unmap pages while others are
 *              spawned and joined, so address-space edits, shootdowns and
 *              thread teardown run beside each other.
 *   tlb        a child process ("tlb" argument) has threads read a page
 *              in a loop on one CPU while its main thread, on another
 *              CPU (each kept to its CPU with ThreadControl.setCpu),
 *              unmaps the page and then reuses the memory. The reader
 *              checks a flag the unmapper sets once the unmap has returned
 *              before each read: a read that succeeds after it means a
 *              stale translation survived the unmap (exit 2), a changed
 *              value means it read freed memory (exit 3). The reader must
 *              instead fault on the page; the parent checks that the child
 *              ended with a page fault at exactly that address.
 *   prot       the same with writers ("prot" argument), and the page made
 *              read-only under them: a write that completes after the
 *              protect returned went through a writable translation that
 *              survived it (exit 2); the writer must fault there instead.
 *   kill       a victim child ("victim" argument) whose threads write a
 *              page shared with this process, spin in user mode, map,
 *              protect and unmap memory without pause, and park on a word
 *              another of its threads unmaps and maps again, is killed
 *              once they have all run, on two CPUs or more. Once the kill
 *              has returned, no victim thread may write the shared page
 *              again, and its wait must answer killed; what it held is
 *              counted by the leak check at shutdown.
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
popcount(uint64_t m)
{
	int n = 0;

	for (; m != 0; m &= m - 1)
		n++;
	return n;
}

static int
ncpus_seen(void)
{
	return popcount(__atomic_exchange_n(&seen_cpus, 0, __ATOMIC_RELAXED));
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

/* ---- deadline: waits ended by their own deadlines beside calls ---- */

#define DEADLINE_THREADS	4
#define DEADLINE_WAITS		150
#define DEADLINE_CALLERS	2

static const uint64_t deadline_ns[] = { 1, 1000, 10000, 50000, 200000 };

struct waiter {
	uint32_t done, early, completions;
};

/* cap_enter waiting for a completion that never comes: each wait must
 * end by its deadline (a lost deadline hangs here), not before it, and
 * with nothing completed. */
static void
deadline_waiter(void *arg)
{
	struct waiter *w = arg;
	uint64_t hz = rt_start()->tsc_hz;

	for (uint32_t k = 0; k < DEADLINE_WAITS; k++) {
		uint64_t ns = deadline_ns[k % (sizeof(deadline_ns) /
		    sizeof(deadline_ns[0]))];
		uint64_t t0 = __builtin_ia32_rdtsc();
		int64_t rc = cap_enter(1, ns);
		uint64_t took = __builtin_ia32_rdtsc() - t0;

		/* The kernel's clock is this TSC at this rate, in whole
		 * nanoseconds: a nanosecond is allowed for the rounding. */
		if (took < (ns - 1) * hz / 1000000000u)
			w->early++;
		if (rc != 0)
			w->completions++;
		w->done++;
		if ((k & 15) == 0)
			saw_cpu();
	}
}

static void
deadline_part(void)
{
	struct rt_thread *t[DEADLINE_THREADS + DEADLINE_CALLERS];
	struct waiter w[DEADLINE_THREADS];
	struct caller c[DEADLINE_CALLERS];
	int n = 0, failed = test_failed, cpus;

	memset(w, 0, sizeof(w));
	memset(c, 0, sizeof(c));
	/* Calls keep the kernel's big lock busy on other CPUs meanwhile. */
	for (uint32_t i = 0; i < DEADLINE_CALLERS; i++) {
		c[i].id = 100 + i;
		expect("spawn a caller", rt_thread_spawn(ipc_caller, &c[i],
		    STACK, &t[n++]), 0);
	}
	for (int i = 0; i < DEADLINE_THREADS; i++)
		expect("spawn a waiter", rt_thread_spawn(deadline_waiter,
		    &w[i], STACK, &t[n++]), 0);
	for (int i = 0; i < n; i++)
		expect("join", rt_thread_join(t[i], NULL), 0);
	for (int i = 0; i < DEADLINE_THREADS; i++) {
		expect("every wait ended", w[i].done, DEADLINE_WAITS);
		expect("no wait ended before its deadline", w[i].early, 0);
		expect("no wait completed anything", w[i].completions, 0);
	}
	for (int i = 0; i < DEADLINE_CALLERS; i++)
		expect("every call beside them got its own answer", c[i].good,
		    IPC_CALLS);
	cpus = ncpus_seen();
	if (test_failed == failed)
		rt_printf("[proof] smp-deadline ok %d waits on empty rings "
		    "with deadlines from 1 ns to 200 us each ended by its "
		    "deadline and none before it, beside %d callers (threads "
		    "seen on %d CPUs)\n", DEADLINE_THREADS * DEADLINE_WAITS,
		    DEADLINE_CALLERS, cpus);
}

/* ---- race: park waits whose deadlines race wakes ---- */

#define RACE_WAITERS	4
#define RACE_WAITS	300
#define RACE_WAKERS	2

static const uint64_t race_ns[] = { 500, 1500, 3000, 5000 };
static uint32_t race_word;		/* never changes: no mismatch */
static uint32_t race_waiting;		/* waiters not yet done */

struct race_waiter {
	uint32_t woken, timed_out, other, stray;
};

struct race_waker {
	uint64_t woke;			/* what its wakes said they woke */
	uint32_t errors;
};

static void
race_waiter(void *arg)
{
	struct race_waiter *w = arg;

	for (uint32_t k = 0; k < RACE_WAITS; k++) {
		int rc = rt_park_wait(&race_word, 0, race_ns[k % (sizeof(
		    race_ns) / sizeof(race_ns[0]))]);

		if (rc == RT_PARK_WOKEN)
			w->woken++;
		else if (rc == RT_PARK_TIMEDOUT)
			w->timed_out++;
		else
			w->other++;
		if ((k & 63) == 0)
			saw_cpu();
	}
	/* A wait answered twice leaves its second answer behind, parked
	 * by the runtime or still in the CQ: waited for well past the
	 * longest deadline, none may come. */
	w->stray = (uint32_t)cap_enter(1, 2000000) + rt_self()->nparked;
	__atomic_fetch_sub(&race_waiting, 1, __ATOMIC_RELEASE);
}

static void
race_waker(void *arg)
{
	struct race_waker *k = arg;

	for (uint32_t i = 0; __atomic_load_n(&race_waiting,
	    __ATOMIC_ACQUIRE) != 0; i++) {
		int n = rt_park_wake(&race_word, 1 + i % 2);

		if (n < 0)
			k->errors++;
		else
			k->woke += (uint64_t)n;
		if ((i & 63) == 0)
			saw_cpu();
	}
}

/*
 * Each wait has a deadline of a few microseconds and wakes come without
 * pause, so deadlines fire while wakes look at the same waits, on other
 * CPUs, with and without the big kernel lock. Every wait must end woken
 * or timed out, no answer may come after it (a wait answered twice), and
 * the waits answered woken must be exactly the ones the wakes counted (a
 * wake counted for an answer that never came breaks the sum).
 */
static void
race_part(void)
{
	struct rt_thread *t[RACE_WAITERS + RACE_WAKERS];
	struct race_waiter w[RACE_WAITERS];
	struct race_waker k[RACE_WAKERS];
	uint64_t woken = 0, timed_out = 0, counted = 0;
	int n = 0, failed = test_failed, cpus;

	memset(w, 0, sizeof(w));
	memset(k, 0, sizeof(k));
	race_waiting = RACE_WAITERS;
	for (int i = 0; i < RACE_WAITERS; i++)
		expect("spawn a racing waiter", rt_thread_spawn(race_waiter,
		    &w[i], STACK, &t[n++]), 0);
	for (int i = 0; i < RACE_WAKERS; i++)
		expect("spawn a racing waker", rt_thread_spawn(race_waker,
		    &k[i], STACK, &t[n++]), 0);
	for (int i = 0; i < n; i++)
		expect("join", rt_thread_join(t[i], NULL), 0);
	for (int i = 0; i < RACE_WAITERS; i++) {
		expect("every racing wait ended woken or timed out",
		    w[i].other, 0);
		expect("no racing wait was answered twice", w[i].stray, 0);
		woken += w[i].woken;
		timed_out += w[i].timed_out;
	}
	for (int i = 0; i < RACE_WAKERS; i++) {
		expect("no wake failed", k[i].errors, 0);
		counted += k[i].woke;
	}
	expect("the waits woken are the ones the wakes counted",
	    (int64_t)woken, (int64_t)counted);
	cpus = ncpus_seen();
	if (test_failed == failed)
		rt_printf("[proof] smp-race ok %d park waits with deadlines "
		    "of 0.5 to 5 us beside %d wakers each ended once, %llu "
		    "woken as the wakes counted and %llu timed out (threads "
		    "seen on %d CPUs)\n", RACE_WAITERS * RACE_WAITS,
		    RACE_WAKERS, (unsigned long long)woken,
		    (unsigned long long)timed_out, cpus);
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
	(void)rt_thread_set_cpu((uint32_t)(uintptr_t)arg);
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

/* The prot child's writers: the same, for a page made read-only under
 * them. A write that completes after the protect returned went through
 * a writable translation that survived it. */
static uint32_t protected_;

static void
tlb_writer(void *arg)
{
	(void)rt_thread_set_cpu((uint32_t)(uintptr_t)arg);
	for (uint64_t n = 1;; n++) {
		uint32_t after = __atomic_load_n(&protected_,
		    __ATOMIC_ACQUIRE);

		*tlb_page = n;
		/* Reached only while the page is still writable here. */
		if (after) {
			rt_printf("smptest prot: FAILED: wrote the page after "
			    "it was made read-only\n");
			sys_exit(2);
		}
		__atomic_store_n(&reader_cpu, this_cpu(), __ATOMIC_RELAXED);
		__atomic_store_n(&reads, reads + 1, __ATOMIC_RELEASE);
	}
}

/* mode "tlb": readers, and the page unmapped under them; "prot": writers,
 * and the page made read-only under them. */
static int
tlb_child(bool prot)
{
	struct rt_thread *t;
	uint64_t addr, reuse, give_up;
	uint32_t rc, me = 0;

	if (rt_vm_map(TLB_ADDR, 4096, RT_PROT_READ | RT_PROT_WRITE,
	    &addr) != 0 || addr != TLB_ADDR)
		return 5;
	tlb_page = (volatile uint64_t *)addr;
	*tlb_page = TLB_MARK;
	/* This thread stays on its CPU and the others go to another: left
	 * to the scheduler, the two stress processes' children sometimes
	 * kept all their threads on one CPU each, queues even, for the
	 * whole wait. */
	me = this_cpu();
	(void)rt_thread_set_cpu(me);
	for (int i = 0; i < TLB_READERS; i++)
		if (rt_thread_spawn(prot ? tlb_writer : tlb_reader,
		    (void *)(uintptr_t)(me == 0 ? 1 : 0), STACK, &t) != 0)
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
		rt_printf("smptest %s: no %s ever ran on another CPU\n",
		    prot ? "prot" : "tlb", prot ? "writer" : "reader");
		return 4;
	}
	if (prot) {
		rt_printf("smptest prot: cpu %u makes %#llx read-only while "
		    "cpu %u writes it\n", me, (unsigned long long)addr, rc);
		if (rt_vm_protect(addr, 4096, RT_PROT_READ) != 0)
			return 5;
		__atomic_store_n(&protected_, 1, __ATOMIC_RELEASE);
		/* A writer's fault ends the process. */
		for (;;)
			(void)rt_thread_join(t, NULL);
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

/* Starts this program again as a child in mode (the TLB children, the
 * victim) with the console, thread, memory and park capabilities, and
 * extra under the name "beats" when it is not CAPOS_CAP_NULL; its
 * ProcessHandle, or CAPOS_CAP_NULL. */
static capos_cap_t
spawn_child(const char *mode, capos_cap_t extra)
{
	static const char *const names[] = { "console", "threadSpawner",
	    "threadControl", "virtualMemory", "parkSpace", "beats" };
	struct capos_ProcessSpawner_spawn_Params_b p;
	struct capos_ProcessSpawner_SpawnResult_r r;
	struct capos_ProcessSpawner_NamedCap_b nc;
	struct capos_capdesc caps[6];
	struct capnp_builder b;
	struct capnp_lb gl, al;
	struct rt_result res;
	uint32_t idx, n = extra != CAPOS_CAP_NULL ? 6 : 5;

	caps[0] = (struct capos_capdesc){ rt_cap("console",
	    capos_Console_INTERFACE_ID), CAPOS_XFER_COPY };
	caps[1] = (struct capos_capdesc){ rt_cap("threadSpawner",
	    capos_ThreadSpawner_INTERFACE_ID), CAPOS_XFER_COPY };
	caps[2] = (struct capos_capdesc){ rt_cap("threadControl",
	    capos_ThreadControl_INTERFACE_ID), CAPOS_XFER_COPY };
	caps[3] = (struct capos_capdesc){ rt_cap("virtualMemory",
	    capos_VirtualMemory_INTERFACE_ID), CAPOS_XFER_COPY };
	caps[4] = (struct capos_capdesc){ rt_cap("parkSpace",
	    capos_ParkSpace_INTERFACE_ID), CAPOS_XFER_COPY };
	caps[5] = (struct capos_capdesc){ extra, CAPOS_XFER_COPY };
	if (capnp_builder_init(&b, spawn_params, sizeof(spawn_params)) != 0 ||
	    capos_ProcessSpawner_spawn_Params_init_root(&b, &p) != 0 ||
	    capos_ProcessSpawner_spawn_Params_set_binary(&p, "smptest", 7) ||
	    capos_ProcessSpawner_spawn_Params_init_grants(&p, n, &gl) != 0 ||
	    capos_ProcessSpawner_spawn_Params_init_args(&p, 1, &al) != 0 ||
	    capnp_lb_set_text(&al, 0, mode, strlen(mode)) != 0)
		return CAPOS_CAP_NULL;
	for (uint32_t i = 0; i < n; i++) {
		if (capos_ProcessSpawner_NamedCap_b_at(&gl, i, &nc) != 0 ||
		    capos_ProcessSpawner_NamedCap_set_name(&nc, names[i],
		    strlen(names[i])) != 0)
			return CAPOS_CAP_NULL;
		capos_ProcessSpawner_NamedCap_set_cap(&nc, i);
	}
	if (rt_call(rt_cap("processSpawner", capos_ProcessSpawner_INTERFACE_ID),
	    capos_ProcessSpawner_INTERFACE_ID,
	    capos_ProcessSpawner_spawn_ORDINAL, &b, caps, n, spawn_result,
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

/* mode "tlb" or "prot": each child must end with a page fault at its
 * page. */
static void
tlb_part(const char *mode, int rounds)
{
	int failed = test_failed, faulted = 0;
	uint64_t addr = 0;

	for (int i = 0; i < rounds; i++) {
		struct capos_ExitStatus_r st;
		struct capos_Fault_r f;
		struct rt_result res;
		capos_cap_t h = spawn_child(mode, CAPOS_CAP_NULL);
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
			expect("the TLB child's reader or writer faulted "
			    "(else its exit code says what it saw)", capos_ExitStatus_which(
			    &st) == capos_ExitStatus_which_exited ?
			    capos_ExitStatus_get_exited(&st) : -1, 0);
			continue;
		}
		if (capos_ExitStatus_get_faulted(&st, &f) != 0)
			memset(&f, 0, sizeof(f));
		expect("the fault was a page fault", capos_Fault_get_kind(&f),
		    capos_FaultKind_pageFault);
		addr = capos_Fault_get_address(&f);
		expect("at the page taken away", (int64_t)addr, TLB_ADDR);
		faulted++;
	}
	if (test_failed != failed)
		return;
	if (strcmp(mode, "prot") == 0)
		rt_debug("[proof] smp-prot ok in each of %d runs a writer on "
		    "another CPU faulted at the page made read-only (%#llx) and "
		    "never wrote it after the protect returned\n", faulted,
		    (unsigned long long)addr);
	else
		rt_printf("[proof] smp-tlb ok in each of %d runs the reader on "
		    "another CPU faulted at the unmapped page (%#llx) and never "
		    "read it, or its frame's next use, after the unmap "
		    "returned\n", faulted, (unsigned long long)addr);
}

/* ---- kill: a process killed while its threads run on other CPUs ---- */

#define VICTIM_BEATERS	3
#define VICTIM_SPINNERS	2
#define VICTIM_STORMERS	2
#define VICTIM_PARKERS	2
#define STORM_PAGES	4
/* The stormers' ranges and the park page, at fixed addresses high in the
 * heap window, away from the runtime's memory and the TLB page. */
#define STORM_ADDR	(CAPOS_USER_HEAP_END - 256 * 4096)
#define PARK_ADDR	(CAPOS_USER_HEAP_END - 128 * 4096)
#define KILL_ROUNDS	4
#define KILL_WAIT_S	30

/* The page the parent shares with its victim: what each victim thread
 * has done, and the CPUs its beaters and spinners ran on. */
struct beats {
	uint64_t beat[VICTIM_BEATERS];
	uint64_t storm[VICTIM_STORMERS];
	uint64_t parked[VICTIM_PARKERS];
	uint64_t park_rounds;
	uint64_t spinning;
	uint64_t cpus;
};

static volatile struct beats *beats;

static void
victim_saw_cpu(void)
{
	uint32_t c = this_cpu();

	if (c < MAX_CPUS)
		__atomic_fetch_or(&beats->cpus, 1ull << c, __ATOMIC_RELAXED);
}

/* Writes the shared page as fast as it can. */
static void
beater(void *arg)
{
	uint32_t i = (uint32_t)(uintptr_t)arg;

	for (uint64_t n = 1;; n++) {
		beats->beat[i] = n;
		if ((n & 1023) == 1)
			victim_saw_cpu();
	}
}

/* Says it runs, then spins in user mode touching no memory: only the
 * kill's IPI brings it into the kernel. */
static void
spinner(void *arg)
{
	(void)arg;
	victim_saw_cpu();
	__atomic_fetch_add(&beats->spinning, 1, __ATOMIC_RELEASE);
	for (;;)
		__asm__ volatile("pause");
}

/* Maps, writes, takes write away, gives it back and unmaps its own range
 * for ever: a shootdown at every step while the others run. */
static void
stormer(void *arg)
{
	uint32_t i = (uint32_t)(uintptr_t)arg;
	uint64_t base = STORM_ADDR + (uint64_t)i * 16 * 4096, a;
	uint64_t size = STORM_PAGES * 4096;

	for (;;) {
		if (rt_vm_map(base, size, RT_PROT_READ | RT_PROT_WRITE,
		    &a) == 0) {
			for (uint64_t o = 0; o < size; o += 4096)
				*(volatile uint64_t *)(base + o) = o;
			(void)rt_vm_protect(base, size, RT_PROT_READ);
			(void)rt_vm_protect(base, size,
			    RT_PROT_READ | RT_PROT_WRITE);
			for (uint64_t o = 0; o < size; o += 4096)
				*(volatile uint64_t *)(base + o) = ~o;
			(void)rt_vm_unmap(base, size);
		}
		beats->storm[i]++;
	}
}

/* Parks on a word of a page the unparker unmaps and maps again under it
 * (the wait answers invalid while it is gone). */
static void
parker(void *arg)
{
	uint32_t i = (uint32_t)(uintptr_t)arg;

	for (;;) {
		(void)rt_park_wait((uint32_t *)PARK_ADDR, 0, 0);
		beats->parked[i]++;
	}
}

static void
unparker(void *arg)
{
	uint64_t a;

	(void)arg;
	for (;;) {
		(void)rt_vm_unmap(PARK_ADDR, 4096);
		(void)rt_vm_map(PARK_ADDR, 4096, RT_PROT_READ | RT_PROT_WRITE,
		    &a);
		(void)rt_park_wake((uint32_t *)PARK_ADDR, VICTIM_PARKERS);
		beats->park_rounds++;
	}
}

/* mode "victim": runs every kind of thread above until it is killed. */
static int
victim_child(void)
{
	capos_cap_t mem = rt_cap("beats", capos_SharedMemory_INTERFACE_ID);
	struct rt_thread *t, *first = NULL;
	uint8_t *addr;
	uint64_t size, a;

	if (mem == CAPOS_CAP_NULL || rt_shared_map(mem, &addr, &size) != 0 ||
	    size < sizeof(struct beats))
		return 5;
	beats = (volatile struct beats *)addr;
	if (rt_vm_map(PARK_ADDR, 4096, RT_PROT_READ | RT_PROT_WRITE, &a) != 0)
		return 5;
	for (uintptr_t i = 0; i < VICTIM_BEATERS; i++) {
		if (rt_thread_spawn(beater, (void *)i, STACK, &t) != 0)
			return 5;
		if (first == NULL)
			first = t;
	}
	for (uintptr_t i = 0; i < VICTIM_SPINNERS; i++)
		if (rt_thread_spawn(spinner, NULL, STACK, &t) != 0)
			return 5;
	for (uintptr_t i = 0; i < VICTIM_STORMERS; i++)
		if (rt_thread_spawn(stormer, (void *)i, STACK, &t) != 0)
			return 5;
	for (uintptr_t i = 0; i < VICTIM_PARKERS; i++)
		if (rt_thread_spawn(parker, (void *)i, STACK, &t) != 0)
			return 5;
	if (rt_thread_spawn(unparker, NULL, STACK, &t) != 0)
		return 5;
	/* Killed while it waits. */
	for (;;)
		(void)rt_thread_join(first, NULL);
}

static void
beats_read(volatile const struct beats *b, struct beats *out)
{
	for (int i = 0; i < VICTIM_BEATERS; i++)
		out->beat[i] = b->beat[i];
	for (int i = 0; i < VICTIM_STORMERS; i++)
		out->storm[i] = b->storm[i];
	for (int i = 0; i < VICTIM_PARKERS; i++)
		out->parked[i] = b->parked[i];
	out->park_rounds = b->park_rounds;
	out->spinning = b->spinning;
	out->cpus = b->cpus;
}

/* Every victim thread has run (the parkers woken or refused at least
 * once each), on two CPUs or more. */
static bool
victim_running(const struct beats *b)
{
	for (int i = 0; i < VICTIM_BEATERS; i++)
		if (b->beat[i] == 0)
			return false;
	for (int i = 0; i < VICTIM_STORMERS; i++)
		if (b->storm[i] == 0)
			return false;
	for (int i = 0; i < VICTIM_PARKERS; i++)
		if (b->parked[i] == 0)
			return false;
	return b->park_rounds != 0 && b->spinning == VICTIM_SPINNERS &&
	    popcount(b->cpus) >= 2;
}

/* Sleeps about ns in ParkSpace, on a word nobody wakes. */
static void
nap(uint64_t ns)
{
	static uint32_t never;

	(void)rt_park_wait(&never, 0, ns);
}

static bool
kill_child(capos_cap_t h)
{
	struct rt_result res;

	return rt_call(h, capos_ProcessHandle_INTERFACE_ID,
	    capos_ProcessHandle_kill_ORDINAL, NULL, NULL, 0, spawn_result,
	    sizeof(spawn_result), &res) == 0;
}

static bool
waited_killed(capos_cap_t h)
{
	struct capos_ExitStatus_r st;
	struct rt_result res;

	if (rt_call(h, capos_ProcessHandle_INTERFACE_ID,
	    capos_ProcessHandle_wait_ORDINAL, NULL, NULL, 0, spawn_result,
	    sizeof(spawn_result), &res) != 0)
		return false;
	st.s = res.root;
	return capos_ExitStatus_which(&st) == capos_ExitStatus_which_killed;
}

/*
 * Starts a victim whose threads write a page shared with this process,
 * spin, storm their address space with maps, protects and unmaps, and
 * park on a word being unmapped, until they have all run and on two CPUs
 * at least; then kills it. Once the kill has returned no victim thread
 * may write the shared page again (the killed process's mapping of it is
 * gone from every CPU), its wait must answer killed, and in the end the
 * leak check must find everything it held returned (test_smp.py).
 */
static void
kill_part(int rounds)
{
	int failed = test_failed, killed = 0, cpus = 0;
	capos_cap_t mem;
	uint8_t *addr;
	uint64_t size;

	if (rt_vm_share(4096, &mem) != 0 ||
	    rt_shared_map(mem, &addr, &size) != 0) {
		expect("share a page with the victims", 0, 1);
		return;
	}
	beats = (volatile struct beats *)addr;
	for (int r = 0; r < rounds; r++) {
		struct beats at_kill, now;
		uint64_t give_up, until;
		bool running = false;
		int changed = 0;
		capos_cap_t h;

		memset((void *)(uintptr_t)addr, 0, sizeof(struct beats));
		h = spawn_child("victim", mem);
		expect("spawn a victim", h != CAPOS_CAP_NULL, 1);
		if (h == CAPOS_CAP_NULL)
			break;
		give_up = __builtin_ia32_rdtsc() + KILL_WAIT_S *
		    rt_start()->tsc_hz;
		while (__builtin_ia32_rdtsc() < give_up) {
			beats_read(beats, &now);
			if ((running = victim_running(&now)))
				break;
			nap(1000000);
		}
		expect("every victim thread ran, on two CPUs or more",
		    running, 1);
		expect("kill the victim", kill_child(h), 1);
		beats_read(beats, &at_kill);
		until = __builtin_ia32_rdtsc() + rt_start()->tsc_hz / 20;
		while (__builtin_ia32_rdtsc() < until) {
			beats_read(beats, &now);
			changed += memcmp(&now, &at_kill, sizeof(now)) != 0;
			nap(1000000);
		}
		expect("no victim thread wrote the shared page after the kill "
		    "returned", changed, 0);
		expect("the victim's wait answers killed", waited_killed(h), 1);
		rt_release(h);
		if (popcount(at_kill.cpus) > cpus)
			cpus = popcount(at_kill.cpus);
		killed++;
	}
	rt_release(mem);
	if (test_failed == failed)
		rt_debug("[proof] smp-kill ok %d victims killed while their "
		    "threads wrote shared memory, spun, stormed maps, protects "
		    "and unmaps and parked on a word being unmapped (on up to "
		    "%d CPUs); none wrote the shared page after its kill "
		    "returned, each wait answered killed\n", killed, cpus);
}

/* ---- reap: a killed process is reaped though it spun on other CPUs ---- */

#define REAP_SPINNERS	8
#define REAP_ROUNDS	3
#define REAP_WAIT_S	20

/* mode "spinners": only spinners, more than there are CPUs, so that at
 * any moment every CPU but its parent's runs one. */
static int
spinners_child(void)
{
	capos_cap_t mem = rt_cap("beats", capos_SharedMemory_INTERFACE_ID);
	struct rt_thread *t, *first = NULL;
	uint8_t *addr;
	uint64_t size;

	if (mem == CAPOS_CAP_NULL || rt_shared_map(mem, &addr, &size) != 0 ||
	    size < sizeof(struct beats))
		return 5;
	beats = (volatile struct beats *)addr;
	for (int i = 0; i < REAP_SPINNERS; i++) {
		if (rt_thread_spawn(spinner, NULL, STACK, &t) != 0)
			return 5;
		if (first == NULL)
			first = t;
	}
	for (;;)
		(void)rt_thread_join(first, NULL);
}

/* Whether the TSC has passed end; waits here spin in user mode and arm
 * no kernel timeout, which would bring the other CPUs into the kernel. */
static bool
past(uint64_t end)
{
	__builtin_ia32_pause();
	return __builtin_ia32_rdtsc() > end;
}

/*
 * Run alone (system/smp-reap.capnp) with room for itself and one child
 * (processes = 2): kills a child whose threads spin in user mode on every
 * CPU but this one, then must be able to start the next, which the kernel
 * allows only once the killed one is reaped, and it is reaped only once no
 * CPU is on its threads. Nothing else runs and this process waits without
 * kernel timeouts, so only the kill's IPI to those CPUs brings the
 * spinning threads into the kernel to end.
 */
static void
reap_part(void)
{
	int failed = test_failed, cpus = 0, r;
	capos_cap_t mem, h = CAPOS_CAP_NULL;
	uint64_t size, end;
	uint8_t *addr;
	uint32_t tries = 0;

	if (rt_vm_share(4096, &mem) != 0 ||
	    rt_shared_map(mem, &addr, &size) != 0) {
		expect("share a page with the victims", 0, 1);
		return;
	}
	beats = (volatile struct beats *)addr;
	for (r = 0; r <= REAP_ROUNDS; r++) {
		struct beats now;

		memset((void *)(uintptr_t)addr, 0, sizeof(struct beats));
		/* Refused (no process slot) until the last one is reaped. */
		end = __builtin_ia32_rdtsc() + REAP_WAIT_S * rt_start()->tsc_hz;
		while ((h = spawn_child("spinners", mem)) == CAPOS_CAP_NULL &&
		    !past(end))
			tries++;
		expect("a killed victim was reaped: the next one started", h !=
		    CAPOS_CAP_NULL, 1);
		if (h == CAPOS_CAP_NULL)
			break;
		end = __builtin_ia32_rdtsc() + REAP_WAIT_S * rt_start()->tsc_hz;
		do
			beats_read(beats, &now);
		while ((now.spinning != REAP_SPINNERS ||
		    popcount(now.cpus) < 2) && !past(end));
		/* The last round only shows its predecessor was reaped. */
		if (r < REAP_ROUNDS) {
			expect("every spinner ran, on two CPUs or more",
			    now.spinning == REAP_SPINNERS &&
			    popcount(now.cpus) >= 2, 1);
			if (popcount(now.cpus) > cpus)
				cpus = popcount(now.cpus);
		}
		expect("kill the victim", kill_child(h), 1);
		expect("the victim's wait answers killed", waited_killed(h), 1);
		rt_release(h);
	}
	rt_release(mem);
	if (test_failed == failed)
		rt_debug("[proof] smp-reap ok %d victims killed while their "
		    "threads spun in user mode on every other CPU (%d CPUs) were "
		    "each reaped, their process slot back for the next (%u "
		    "spawns refused meanwhile)\n", REAP_ROUNDS, cpus, tries);
}

int
main(void)
{
	const char *arg = rt_argv(0);

	if (arg != NULL && strcmp(arg, "tlb") == 0)
		return tlb_child(false);
	if (arg != NULL && strcmp(arg, "prot") == 0)
		return tlb_child(true);
	if (arg != NULL && strcmp(arg, "victim") == 0)
		return victim_child();
	if (arg != NULL && strcmp(arg, "spinners") == 0)
		return spinners_child();
	if (arg != NULL && strcmp(arg, "reap") == 0) {
		reap_part();
		rt_printf("smptest: %d checks, %d failed\n", test_checks,
		    test_failed);
		return test_failed != 0;
	}
	park_part();
	ipc_part();
	deadline_part();
	race_part();
	churn_part();
	tlb_part("tlb", 5);
	tlb_part("prot", 5);
	kill_part(KILL_ROUNDS);
	rt_printf("smptest: %d checks, %d failed\n", test_checks,
	    test_failed);
	return test_failed != 0;
}
