/*
 * threadtest: threads, ParkSpace, Timer and preemption. Sibling threads
 * keep calls to a slow and a fast server in flight and each receives only
 * its own completions, out of order; threads join and exit with values;
 * 64 run at once; a thread exits with a call in flight; a contended
 * counter under the runtime's mutex comes out exact; park waits with a
 * stale value or a timeout return as they should; a thread that spins
 * without entering the kernel does not starve another; a thread is kept
 * to the CPU it asks for, and a server runs in its caller's place
 * (cpu.c).
 *
 * With "park-and-exit" it instead parks threads and ends the process
 * under them.
 */
#include <string.h>

#include "ipctest.capnp.h"
#include "check.h"
#include "cpu.h"
#include "rt.h"

#define STACK		16384
#define MANY		64
#define COUNTERS	8
#define ITERATIONS	2000

static capos_cap_t slow, fast;

/* Sibling threads: a slow call then a fast one, answered fast first. */
struct order {
	int first;		/* 0: slow came first, 1: fast */
	int foreign;		/* completions that were not ours */
	int errors;
};

static void
two_calls(void *arg)
{
	struct order *o = arg;
	struct capos_IpcTest_sleep_Params_b sp;
	uint8_t params[64] __attribute__((aligned(8)));
	uint8_t rs[64] __attribute__((aligned(8)));
	uint8_t rf[64] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct capos_sqe es, ef;
	struct capos_cqe c;
	uint64_t tags[2];
	int k;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_IpcTest_sleep_Params_init_root(&b, &sp) != 0) {
		o->errors++;
		return;
	}
	/* Long enough that the fast server answers first however the
	 * host shares its cores among the emulated CPUs. */
	capos_IpcTest_sleep_Params_set_ns(&sp, 1000000000);
	rt_prep_call(&es, slow, capos_IpcTest_INTERFACE_ID,
	    capos_IpcTest_sleep_ORDINAL, &b, rs, sizeof(rs), NULL, 0, 0);
	rt_prep_call(&ef, fast, capos_IpcTest_INTERFACE_ID,
	    capos_IpcTest_echo_ORDINAL, NULL, rf, sizeof(rf), NULL, 0, 0);
	tags[0] = es.user_data;
	tags[1] = ef.user_data;
	if (rt_submit(&es) != 0 || rt_submit(&ef) != 0) {
		o->errors++;
		return;
	}
	/* Read our own CQ directly: every entry must be one of our two. */
	for (int got = 0; got < 2;) {
		struct rt_thread *t = rt_self();
		uint32_t h = t->ring->cq_head;

		cap_enter(1, CAPOS_TIMEOUT_INFINITE);
		for (; h != t->ring->cq_tail; h++) {
			c = t->cq[h % CAPOS_CQ_ENTRIES];
			k = c.user_data == tags[0] ? 0 :
			    c.user_data == tags[1] ? 1 : -1;
			if (k < 0)
				o->foreign++;
			else if (got++ == 0)
				o->first = k;
			if (c.status < 0)
				o->errors++;
		}
		t->ring->cq_head = h;
	}
}

static void
out_of_order(void)
{
	struct order o[2];
	struct rt_thread *t[2];

	memset(o, 0, sizeof(o));
	for (int i = 0; i < 2; i++)
		expect("spawn caller", rt_thread_spawn(two_calls, &o[i], STACK,
		    &t[i]), 0);
	for (int i = 0; i < 2; i++) {
		expect("join caller", rt_thread_join(t[i], NULL), 0);
		expect("fast completion first", o[i].first, 1);
		expect("no foreign completions", o[i].foreign, 0);
		expect("no failed calls", o[i].errors, 0);
	}
	if (o[0].first == 1 && o[1].first == 1 && o[0].foreign == 0 &&
	    o[1].foreign == 0)
		rt_debug("[proof] out-of-order-completions ok\n");
}

static void
exit_with(void *arg)
{
	rt_thread_exit((uint64_t)(uintptr_t)arg);
}

static uint32_t gate;
static uint32_t arrived;

static void
wait_at_gate(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&arrived, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&gate, __ATOMIC_ACQUIRE) == 0)
		(void)rt_park_wait(&gate, 0, 0);
}

static void
join_and_many(void)
{
	static struct rt_thread *t[MANY];
	uint64_t v = 0;
	int spawned = 0, joined = 0;

	expect("spawn", rt_thread_spawn(exit_with, (void *)42, STACK, &t[0]),
	    0);
	expect("join", rt_thread_join(t[0], &v), 0);
	expect("exit value", (int64_t)v, 42);

	for (int i = 0; i < MANY; i++)
		if (rt_thread_spawn(wait_at_gate, NULL, STACK, &t[i]) == 0)
			spawned++;
	expect("64 threads spawned", spawned, MANY);
	while (__atomic_load_n(&arrived, __ATOMIC_SEQ_CST) < (uint32_t)spawned)
		(void)rt_sleep_ns(1000000);
	expect("all alive at once", arrived, MANY);
	__atomic_store_n(&gate, 1, __ATOMIC_RELEASE);
	(void)rt_park_wake(&gate, UINT32_MAX);
	for (int i = 0; i < spawned; i++)
		joined += rt_thread_join(t[i], NULL) == 0;
	expect("64 threads joined", joined, MANY);
}

/* Leaves a slow call in flight and exits at once. */
static void
leave_call(void *arg)
{
	struct capos_IpcTest_sleep_Params_b sp;
	uint8_t params[64] __attribute__((aligned(8)));
	static uint8_t out[64] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct capos_sqe e;

	(void)arg;
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_IpcTest_sleep_Params_init_root(&b, &sp) != 0)
		return;
	capos_IpcTest_sleep_Params_set_ns(&sp, 20000000);
	rt_prep_call(&e, slow, capos_IpcTest_INTERFACE_ID,
	    capos_IpcTest_sleep_ORDINAL, &b, out, sizeof(out), NULL, 0, 0);
	if (rt_submit(&e) == 0)
		cap_enter(0, CAPOS_TIMEOUT_NONE);
	rt_thread_exit(7);
}

static void
exit_in_flight(void)
{
	struct rt_thread *t;
	struct capos_IpcTest_sleep_Params_b sp;
	uint8_t params[64] __attribute__((aligned(8)));
	uint8_t out[64] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct rt_result res;
	uint64_t v = 0;

	expect("spawn leaver", rt_thread_spawn(leave_call, NULL, STACK, &t), 0);
	expect("join leaver", rt_thread_join(t, &v), 0);
	expect("leaver's value", (int64_t)v, 7);
	/* The server answers the dead thread's call; ours still works. */
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_IpcTest_sleep_Params_init_root(&b, &sp) != 0)
		return;
	capos_IpcTest_sleep_Params_set_ns(&sp, 1000000);
	expect("a call after the leaver", rt_call(slow,
	    capos_IpcTest_INTERFACE_ID, capos_IpcTest_sleep_ORDINAL, &b, NULL,
	    0, out, sizeof(out), &res), 0);
}

static struct rt_mutex counter_lock;
static uint64_t counter;

static void
count(void *arg)
{
	(void)arg;
	for (int i = 0; i < ITERATIONS; i++) {
		rt_mutex_lock(&counter_lock);
		/* A read, a pause and a write: a lost update shows. */
		uint64_t c = counter;

		for (volatile int k = 0; k < 20; k++)
			;
		counter = c + 1;
		rt_mutex_unlock(&counter_lock);
	}
}

static void
contended(void)
{
	struct rt_thread *t[COUNTERS];

	for (int i = 0; i < COUNTERS; i++)
		expect("spawn counter", rt_thread_spawn(count, NULL, STACK,
		    &t[i]), 0);
	for (int i = 0; i < COUNTERS; i++)
		expect("join counter", rt_thread_join(t[i], NULL), 0);
	expect("contended counter exact", (int64_t)counter,
	    COUNTERS * ITERATIONS);
}

static void
park_rules(void)
{
	static uint32_t word = 5;
	uint64_t t0, t1;

	expect("stale expected returns at once", rt_park_wait(&word, 6, 0),
	    RT_PARK_MISMATCH);
	t0 = rt_now_ns();
	expect("timeout fires", rt_park_wait(&word, 5, 20000000),
	    RT_PARK_TIMEDOUT);
	t1 = rt_now_ns();
	expect("not before the timeout", t1 - t0 >= 20000000, 1);
	expect("unaligned word refused", rt_park_wait((uint32_t *)
	    ((uintptr_t)&word + 1), 0, 0), CAPOS_EINVAL);
	expect("no waiter to wake", rt_park_wake(&word, 1), 0);
}

static volatile int spin_stop;

static void
spinner(void *arg)
{
	(void)arg;
	while (!spin_stop)
		;
}

static void
preemption(void)
{
	struct rt_thread *t;
	int before = test_failed;

	expect("spawn spinner", rt_thread_spawn(spinner, NULL, STACK, &t), 0);
	/* The spinner never enters the kernel: we get the CPU back only
	 * because the timer preempts it. */
	expect("sleep beside a spinner", rt_sleep_ns(30000000), 0);
	spin_stop = 1;
	expect("join spinner", rt_thread_join(t, NULL), 0);
	if (test_failed == before)
		rt_debug("[proof] preemption ok\n");
}

/* A spinner that first blocks and is woken by a timeout: it resumes
 * outside the timer interrupt, which must still leave the timer armed. */
static void
sleeper_spinner(void *arg)
{
	(void)arg;
	(void)rt_sleep_ns(1000000);
	while (!spin_stop)
		;
}

static void
preemption_after_wakeup(void)
{
	struct rt_thread *a, *b;
	int before = test_failed;

	spin_stop = 0;
	expect("spawn spinner", rt_thread_spawn(spinner, NULL, STACK, &a), 0);
	expect("spawn sleeper-spinner", rt_thread_spawn(sleeper_spinner, NULL,
	    STACK, &b), 0);
	expect("sleep beside two spinners", rt_sleep_ns(50000000), 0);
	spin_stop = 1;
	expect("join spinner", rt_thread_join(a, NULL), 0);
	expect("join sleeper-spinner", rt_thread_join(b, NULL), 0);
	if (test_failed == before)
		rt_debug("[proof] preemption-after-wakeup ok\n");
}

/* Arguments the kernel must refuse or survive. */
static void
hostile_arguments(void)
{
	capos_cap_t sp = rt_cap("threadSpawner",
	    capos_ThreadSpawner_INTERFACE_ID);
	struct capos_ThreadSpawner_spawn_Params_b p;
	struct capos_ThreadSpawnResult_r r;
	uint8_t params[128] __attribute__((aligned(8)));
	uint8_t buf[128] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct rt_result res;
	capos_cap_t n;
	int rc;

	/* A TLS base the CPU would refuse to load. */
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_ThreadSpawner_spawn_Params_init_root(&b, &p) != 0)
		return;
	capos_ThreadSpawner_spawn_Params_set_entry(&p, 0x401000);
	capos_ThreadSpawner_spawn_Params_set_stack(&p, 0x100000);
	capos_ThreadSpawner_spawn_Params_set_tls(&p, 0x8000000000000000ull);
	expect("spawn with a kernel-half TLS base", rt_call(sp,
	    capos_ThreadSpawner_INTERFACE_ID, capos_ThreadSpawner_spawn_ORDINAL,
	    &b, NULL, 0, buf, sizeof(buf), &res), 0);
	r.s = res.root;
	expect("is invalid", capos_ThreadSpawnResult_which(&r),
	    capos_ThreadSpawnResult_which_invalid);

	/* A period whose next expiry lies past the end of time. */
	rc = rt_timer_notify(0, UINT64_MAX, &n);
	expect("notify with the longest period", rc, 0);
	if (rc != 0)
		return;
	expect("its first expiry arrives", rt_call(n,
	    capos_TimerNotification_INTERFACE_ID,
	    capos_TimerNotification_next_ORDINAL, NULL, NULL, 0, buf,
	    sizeof(buf), &res), 0);
	expect("the kernel still keeps time", rt_now_ns() != 0, 1);
}

static capos_cap_t left_notification;

/* Leaves a next() waiting on left_notification and exits at once. */
static void
leave_next(void *arg)
{
	static uint8_t out[64] __attribute__((aligned(8)));
	struct capos_sqe e;

	(void)arg;
	rt_prep_call(&e, left_notification, capos_TimerNotification_INTERFACE_ID,
	    capos_TimerNotification_next_ORDINAL, NULL, out, sizeof(out), NULL,
	    0, 0);
	if (rt_submit(&e) == 0)
		cap_enter(0, CAPOS_TIMEOUT_NONE);
	rt_thread_exit(8);
}

/*
 * A single-waiter slot (TimerNotification.next) held by a thread that
 * ended is free again, and the expiry is not spent on the dead thread.
 */
static void
dead_waiter_slot(void)
{
	uint8_t buf[128] __attribute__((aligned(8)));
	struct rt_result res;
	struct rt_thread *t;
	uint64_t v = 0;
	int rc = rt_timer_notify(100000000, 0, &left_notification);

	expect("a one-shot notification", rc, 0);
	if (rc != 0)
		return;
	expect("spawn a thread that leaves next() waiting",
	    rt_thread_spawn(leave_next, NULL, STACK, &t), 0);
	expect("join it", rt_thread_join(t, &v), 0);
	expect("its value", (int64_t)v, 8);
	expect("next() after the dead waiter gets the expiry",
	    rt_call(left_notification, capos_TimerNotification_INTERFACE_ID,
	    capos_TimerNotification_next_ORDINAL, NULL, NULL, 0, buf,
	    sizeof(buf), &res), 0);
	expect("release it", rt_release(left_notification), 0);
}

/*
 * A process holds at most PROC_MAX_KWAITS (192) kernel wait records:
 * notifications beyond that are refused as overloaded, and releasing one
 * gives its record back.
 */
static void
wait_quota(void)
{
	enum { LIMIT = 192 };
	static capos_cap_t held[LIMIT + 1];
	const uint64_t hour = 3600ull * 1000000000ull;
	int n = 0, rc = 0, before = test_failed;

	while (n <= LIMIT && (rc = rt_timer_notify(hour, 0, &held[n])) == 0)
		n++;
	/* The notification hostile_arguments() still holds counts too. */
	expect("notifications granted up to the quota", n, LIMIT - 1);
	expect("the next is refused as overloaded", rc, RT_OVERLOADED);
	expect("sleeping at the quota is refused too", rt_sleep_ns(1000),
	    RT_EXCEPTION);
	if (n > 0) {
		expect("release one", rt_release(held[--n]), 0);
		rc = rt_timer_notify(hour, 0, &held[n]);
		expect("its record serves a new notification", rc, 0);
		if (rc == 0)
			n++;
	}
	while (n > 0)
		(void)rt_release(held[--n]);
	expect("all released: sleeping works again", rt_sleep_ns(1000), 0);
	if (test_failed == before)
		rt_debug("[proof] wait-quota ok\n");
}

static void
park_forever(void *arg)
{
	static uint32_t never;

	(void)arg;
	__atomic_fetch_add(&arrived, 1, __ATOMIC_SEQ_CST);
	(void)rt_park_wait(&never, 0, 0);
}

/* Parks four threads, then ends the process under them. */
static int
park_and_exit(void)
{
	struct rt_thread *t;

	for (int i = 0; i < 4; i++)
		if (rt_thread_spawn(park_forever, NULL, STACK, &t) != 0)
			return 1;
	while (__atomic_load_n(&arrived, __ATOMIC_SEQ_CST) < 4)
		(void)rt_sleep_ns(1000000);
	rt_printf("threadtest: 4 threads parked; ending the process\n");
	return 0;
}

int
main(void)
{
	const char *mode = rt_argv(0);

	if (mode != NULL && strcmp(mode, "park-and-exit") == 0)
		return park_and_exit();
	slow = rt_cap("slow", capos_IpcTest_INTERFACE_ID);
	fast = rt_cap("fast", capos_IpcTest_INTERFACE_ID);
	if (slow == CAPOS_CAP_NULL || fast == CAPOS_CAP_NULL) {
		rt_printf("threadtest: needs \"slow\" and \"fast\"\n");
		return 2;
	}
	out_of_order();
	join_and_many();
	exit_in_flight();
	contended();
	park_rules();
	preemption();
	preemption_after_wakeup();
	hostile_arguments();
	dead_waiter_slot();
	wait_quota();
	cpu_placement();
	rt_printf("threadtest: %d checks, %d failed\n", test_checks, test_failed);
	if (test_failed != 0)
		return 1;
	rt_debug("[proof] threads ok: joins return their values, parked "
	    "waits wake exactly, counters under contention are exact, "
	    "timeouts fire, hostile arguments and wait quotas are refused\n");
	return 0;
}
