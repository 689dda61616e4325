/*
 * Where threads run: ThreadControl.setCpu keeps the calling thread to one
 * CPU and refuses a CPU that is not running, a call to a server that
 * waits for it runs the server in its caller's place (docs/smp.md, "The
 * hand-off") unless the server is kept to another CPU, and threads kept
 * to one CPU do not stop idle CPUs from taking free ones. RDTSCP's TSC_AUX,
 * which the kernel sets to each CPU's number, says where a thread is.
 */
#include "answer.h"
#include "cpu.h"
#include "check.h"
#include "ipctest.capnp.h"
#include "rt.h"

#define CALLS		100
#define MAX_TRY		16

static uint8_t result[256] __attribute__((aligned(8)));
static uint8_t params[64] __attribute__((aligned(8)));

static uint32_t
cpu_now(void)
{
	uint32_t lo, hi, aux;

	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	(void)lo;
	(void)hi;
	return aux;
}

/* IpcTest.echo answered with one byte: the CPU it was answered on. */
static int
echo_cpu(void *ctx, struct rt_request *rq)
{
	struct capos_IpcTest_echo_Results_b r;
	uint8_t cpu = (uint8_t)cpu_now();

	(void)ctx;
	if (capos_IpcTest_echo_Results_init_root(&rq->reply, &r) != 0 ||
	    capos_IpcTest_echo_Results_set_data(&r, &cpu, 1) != 0)
		return -1;
	return 0;
}

struct server {
	capos_cap_t owner;
	uint32_t pin;		/* capos_ThreadControl_anyCpu: not kept */
	int rc;
};

static void
serve(void *arg)
{
	static const struct rt_method methods[] = {
		{ capos_IpcTest_INTERFACE_ID, capos_IpcTest_echo_ORDINAL,
		    echo_cpu },
	};
	struct server *s = arg;

	if (s->pin != capos_ThreadControl_anyCpu &&
	    rt_thread_set_cpu(s->pin) != 0) {
		s->rc = -1;
		return;
	}
	s->rc = rt_serve(s->owner, methods, 1, NULL);
}

/* The server's CPU for one call, or -1. */
static int
answered_on(capos_cap_t client)
{
	struct capos_IpcTest_echo_Params_b p;
	struct capos_IpcTest_echo_Results_r r;
	struct capnp_builder b;
	struct rt_result res;
	struct capnp_data d;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_IpcTest_echo_Params_init_root(&b, &p) != 0 ||
	    rt_call(client, capos_IpcTest_INTERFACE_ID,
	    capos_IpcTest_echo_ORDINAL, &b, NULL, 0, result, sizeof(result),
	    &res) != 0)
		return -1;
	r.s = res.root;
	if (capos_IpcTest_echo_Results_get_data(&r, &d) != 0 || d.len != 1)
		return -1;
	return d.ptr[0];
}

/*
 * CALLS calls to a server of this process, kept to server_pin (or not);
 * counts those answered on the caller's CPU (the caller on one CPU from
 * before the call to after it) and on other_cpu. -1 if a call failed.
 */
static int
calls(capos_cap_t factory, uint32_t server_pin, uint32_t other_cpu,
    int *same, int *other)
{
	struct server s = { .pin = server_pin, .rc = 0 };
	struct rt_thread *t;
	capos_cap_t client;
	int failed = 0;

	*same = *other = 0;
	if ((s.owner = svc_endpoint(factory,
	    capos_IpcTest_INTERFACE_ID)) == CAPOS_CAP_NULL ||
	    (client = svc_mint(s.owner, 0, 0)) == CAPOS_CAP_NULL ||
	    rt_thread_spawn(serve, &s, 16384, &t) != 0)
		return -1;
	for (int i = 0; i < CALLS; i++) {
		uint32_t before = cpu_now();
		int on = answered_on(client);

		if (on < 0) {
			failed = 1;
			break;
		}
		if (before == cpu_now() && (uint32_t)on == before)
			(*same)++;
		if ((uint32_t)on == other_cpu)
			(*other)++;
	}
	/* No client left: the server's rt_serve ends. */
	rt_release(client);
	if (rt_thread_join(t, NULL) != 0 || s.rc != CAPOS_EPEER)
		failed = 1;
	rt_release(s.owner);
	return failed ? -1 : 0;
}

/*
 * Stealing past pinned threads: three threads kept to CPU 0 spin there
 * (its queue two long), and two free ones spin on CPU 1 (its queue one
 * long); an idle CPU must take a free one from CPU 1 rather than look
 * only at CPU 0's longer queue, where it may take nothing.
 */
static uint32_t spinners_started, spin_stop, moved;

static void
spin_pinned(void *arg)
{
	(void)arg;
	if (rt_thread_set_cpu(0) != 0)
		return;
	__atomic_fetch_add(&spinners_started, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&spin_stop, __ATOMIC_ACQUIRE))
		__asm__ volatile("pause");
}

static void
spin_free(void *arg)
{
	(void)arg;
	/* Queued on CPU 1, then free to go anywhere. */
	if (rt_thread_set_cpu(1) != 0)
		return;
	__atomic_fetch_add(&spinners_started, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&spinners_started, __ATOMIC_ACQUIRE) < 5 &&
	    !__atomic_load_n(&spin_stop, __ATOMIC_ACQUIRE))
		__asm__ volatile("pause");
	if (rt_thread_set_cpu(capos_ThreadControl_anyCpu) != 0)
		return;
	while (!__atomic_load_n(&spin_stop, __ATOMIC_ACQUIRE))
		if (cpu_now() > 1)
			__atomic_store_n(&moved, 1, __ATOMIC_RELEASE);
}

/* Whether a free spinner reached an idle CPU within 10 s. */
static int
steal_past_pinned(void)
{
	struct rt_thread *t[5];
	int started = 0, ok;

	for (int i = 0; i < 5; i++) {
		if (rt_thread_spawn(i < 3 ? spin_pinned : spin_free, NULL,
		    16384, &t[i]) != 0)
			break;
		started++;
	}
	for (int i = 0; i < 1000 && started == 5 &&
	    !__atomic_load_n(&moved, __ATOMIC_ACQUIRE); i++)
		(void)rt_sleep_ns(10000000);
	ok = started == 5 && __atomic_load_n(&moved, __ATOMIC_ACQUIRE);
	__atomic_store_n(&spin_stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < started; i++)
		(void)rt_thread_join(t[i], NULL);
	return ok;
}

void
cpu_placement(void)
{
	capos_cap_t factory = rt_cap("endpointFactory",
	    capos_EndpointFactory_INTERFACE_ID);
	uint32_t n = 0;
	int same, other, failed = test_failed;

	/* Kept to each CPU in turn, until one is refused. */
	while (n < MAX_TRY && rt_thread_set_cpu(n) == 0) {
		expect("kept to the CPU it asked for", cpu_now(), n);
		n++;
	}
	expect("a CPU below 16 is refused", n < MAX_TRY, 1);
	expect("the first CPU past the last refused again",
	    rt_thread_set_cpu(n), RT_EXCEPTION);
	expect("CPU anyCpu - 1 refused",
	    rt_thread_set_cpu(capos_ThreadControl_anyCpu - 1), RT_EXCEPTION);
	expect("let run anywhere again",
	    rt_thread_set_cpu(capos_ThreadControl_anyCpu), 0);
	if (n < 2 || factory == CAPOS_CAP_NULL) {
		if (test_failed == failed)
				rt_debug("[proof] cpu-pin ok cpus=%u: kept to each CPU "
			    "in turn, the next refused (no hand-off to see)\n",
			    n);
		return;
	}
	/* Left to the scheduler, the server runs in its caller's place. A
	 * caller preempted, or a CPU with other threads queued, places the
	 * server elsewhere now and then: most calls, not all. */
	expect("calls to an unkept server", calls(factory,
	    capos_ThreadControl_anyCpu, UINT32_MAX, &same, &other), 0);
	expect("most calls answered in the caller's place", same >= CALLS / 2,
	    1);
	rt_printf("threadtest: %d of %d calls answered on the caller's CPU\n",
	    same, CALLS);
	/* Kept apart, every call crosses. */
	expect("kept to CPU 0", rt_thread_set_cpu(0), 0);
	expect("calls to a server kept to CPU 1",
	    calls(factory, 1, 1, &same, &other), 0);
	expect("every call answered on CPU 1", other, CALLS);
	expect("none on the caller's", same, 0);
	expect("let run anywhere again",
	    rt_thread_set_cpu(capos_ThreadControl_anyCpu), 0);
	if (n >= 3)
		expect("a free thread queued behind CPU 1's is taken by an idle "
		    "CPU while CPU 0's longer queue holds only pinned ones",
		    steal_past_pinned(), 1);
	if (test_failed != failed)
		return;
	rt_debug("[proof] cpu-pin ok cpus=%u: kept to each CPU in turn, the "
	    "next refused; a server runs in its caller's place unless kept "
	    "to another CPU, then every call crosses%s\n", n, n >= 3 ?
	    "; idle CPUs steal past pinned threads" : "");
}
