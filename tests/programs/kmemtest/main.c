/*
 * kmemtest: a hostile test program for the kernel's memory accounting and
 * teardown (docs/abi.md, "Kernel memory"). Each part does what a process
 * bent on hurting the kernel would, and checks the kernel's answer:
 *
 *   notices     mints and drops badged clients of an endpoint it never
 *               receives from: the notices are charged to it, so minting
 *               stops at its kernel memory limit, and everything comes back
 *               when the endpoint goes
 *   owners      tries to queue an endpoint owner inside a call, and builds
 *               a chain of endpoints whose head it then drops: owners never
 *               wait in a queue, so neither a cycle nor a deep chain forms
 *   cancel      a thread queues a call carrying a moved capability on an
 *               endpoint nobody serves, then exits: the call is cancelled
 *               and the capability is back in the table, usable
 *   recv        moves an endpoint owner away from the id a RECV was posted
 *               on: that RECV no longer serves, the new holder's does
 *   spawn       spawns with a read-only result buffer and with a moved
 *               capability no grant names: both refused before a child
 *               runs, the moved capability still ours
 *   threads     makes threads until the kernel refuses: the refusal comes
 *               from its own limit, and a child can still make threads
 *   handles     a child with a 128 KiB kernel memory limit makes threads
 *               that end at once and keeps their ThreadHandles: the
 *               handles are kernel objects charged to it, so its limit,
 *               not its 256-slot capability table, is what stops it; a
 *               second child does the same with the ProcessHandles of
 *               children that have ended
 *   kill        kills children through their ProcessHandles, one each
 *               spinning in user mode (on another CPU when there is one),
 *               parked, blocked in a RECV and blocked in a call: each wait
 *               answers killed, and a second kill of the ended child
 *               answers cleanly
 *   slots       a child granted 4 process slots spawns children that stay
 *               until its spawns are refused: the refusal comes at its own
 *               quota (3 children), not at the full process table, and a
 *               later spawn of ours still works
 *   soak        mint/release and spawn/exit cycles (counts from the
 *               arguments); the shutdown leak check then shows that free
 *               memory is back at its baseline
 *
 * Capabilities: "console" (output), "spare" and "spare2" (two more Console
 * capabilities to move around and test), "endpointFactory",
 * "processSpawner", "threadSpawner", "threadControl", "virtualMemory",
 * "timer" (to let the kernel reap ended threads), "parkSpace" (for the
 * kill part's parked child).
 *   oom         with little RAM (system/oom.capnp), takes every frame, then
 *               asks for threads, children and endpoints: ordinary refusals,
 *               no panic, and all works again once memory is given back
 *
 * Arguments: "mints=N spawns=N" for the soak; "only=PART" runs one part
 * (notices, owners, cancel, recv, spawn, threads, handles, kill, slots, soak,
 * oom;
 * all but oom run when none is named); "child" runs as the spawned
 * child (exits 0); "victim=HOW" as the kill part's child; "threads" as a child that makes 8 threads; "handles" as
 * the handles part's child, "phandles" as its second; "slots" as the slots
 * part's child, "hold" as its children; "tattle" as
 * a child that must never run (it prints a line the harness looks for).
 * The system gives it a small kernel memory limit (system/kmem.capnp), so
 * the limits are reached quickly.
 */
#include <string.h>

#include "answer.h"
#include "check.h"
#include "rt.h"

#define TEST_IFACE	0x6b6d656d74657374ull	/* this program's endpoints */
#define MAX_MINTS	100000
#define CHAIN_LINKS	100	/* well inside one capability table */

static uint8_t rbuf[1024] __attribute__((aligned(8)));
static uint8_t pbuf[1024] __attribute__((aligned(8)));

/* A fresh endpoint's owner, or CAPOS_CAP_NULL. */
static capos_cap_t
endpoint_new(void)
{
	return svc_endpoint(rt_cap("endpointFactory",
	    capos_EndpointFactory_INTERFACE_ID), TEST_IFACE);
}

/* A client of owner with badge; 0 with *out, or the rt_call error (with
 * the exception type in *exc when it was one). */
static int
client_new(capos_cap_t owner, uint64_t badge, capos_cap_t *out, int *exc)
{
	struct capos_Endpoint_client_Params_b p;
	struct capos_Endpoint_client_Results_r r;
	struct capnp_builder b;
	struct rt_result res;
	uint32_t idx;
	int rc;

	*out = CAPOS_CAP_NULL;
	*exc = -1;
	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_Endpoint_client_Params_init_root(&b, &p) != 0)
		return CAPOS_EINVAL;
	capos_Endpoint_client_Params_set_badge(&p, badge);
	rc = rt_call(owner, capos_Endpoint_INTERFACE_ID,
	    capos_Endpoint_client_ORDINAL, &b, NULL, 0, rbuf, sizeof(rbuf),
	    &res);
	if (rc == RT_EXCEPTION)
		*exc = (int)res.cqe.aux;
	if (rc != 0)
		return rc;
	r.s = res.root;
	if (capos_Endpoint_client_Results_get_client(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return CAPOS_EINVAL;
	*out = res.caps[idx].cap;
	return 0;
}

/* Whether a Console capability works: an empty write succeeds. */
static bool
console_works(capos_cap_t con)
{
	struct capos_Console_write_Params_b p;
	struct capnp_builder b;
	struct rt_result res;

	return capnp_builder_init(&b, pbuf, sizeof(pbuf)) == 0 &&
	    capos_Console_write_Params_init_root(&b, &p) == 0 &&
	    rt_call(con, capos_Console_INTERFACE_ID,
	    capos_Console_write_ORDINAL, &b, NULL, 0, rbuf, sizeof(rbuf),
	    &res) == 0;
}

/* Mints and drops badged clients until the kernel refuses; the count. */
static int
mint_until_refused(capos_cap_t owner, int *exc)
{
	capos_cap_t c;
	int n;

	for (n = 0; n < MAX_MINTS; n++) {
		if (client_new(owner, (uint64_t)n + 1, &c, exc) != 0)
			break;
		rt_release(c);
	}
	return n;
}

static void
notices(void)
{
	capos_cap_t owner = endpoint_new(), again;
	int first, second, exc;
	uint64_t addr;

	expect("an endpoint", owner != CAPOS_CAP_NULL, 1);
	first = mint_until_refused(owner, &exc);
	expect("badged mints stop at the kernel memory limit",
	    first > 0 && first < MAX_MINTS, 1);
	expect("refused as overloaded", exc,
	    capos_CapException_Type_overloaded);
	/* The kernel as a whole is not short of memory. */
	expect("a 1 MiB mapping still works", rt_vm_map(0, 1 << 20,
	    RT_PROT_READ | RT_PROT_WRITE, &addr), 0);
	(void)rt_vm_unmap(addr, 1 << 20);
	/* Dropping the endpoint frees its queued notices and refunds us. */
	rt_release(owner);
	again = endpoint_new();
	second = mint_until_refused(again, &exc);
	expect("the same number after the endpoint went", second, first);
	rt_release(again);
	if (test_failed == 0)
		rt_debug("[proof] kmem-notices ok: badged clients refused at "
		    "the kernel memory limit after %d; all refunded when the "
		    "endpoint went\n", first);
}

/* Calls client with caps (nonblocking: submit, then wait). */
static int
call_with(capos_cap_t client, struct capos_capdesc *caps, uint16_t n,
    struct capos_cqe *cqe)
{
	struct capos_sqe e;
	int rc;

	rt_prep_call(&e, client, TEST_IFACE, 0, NULL, rbuf, sizeof(rbuf),
	    caps, n, 0);
	if ((rc = rt_submit(&e)) != 0 || (rc = rt_wait(e.user_data, cqe)) != 0)
		return rc;
	return cqe->status;
}

static void
owners(void)
{
	static capos_cap_t ep[CHAIN_LINKS];
	capos_cap_t a = endpoint_new(), b = endpoint_new(), bc;
	struct capos_capdesc d = { a, CAPOS_XFER_MOVE };
	struct capos_cqe cqe;
	int exc, refused = 0, rc;

	expect("two endpoints", a != CAPOS_CAP_NULL && b != CAPOS_CAP_NULL, 1);
	expect("a client of the second", client_new(b, 0, &bc, &exc), 0);
	rc = call_with(bc, &d, 1, &cqe);
	expect("an owner moved in a call is refused",
	    rc >= 0 && (cqe.flags & CAPOS_CQE_EXCEPTION) != 0 &&
	    cqe.aux == capos_CapException_Type_failed, 1);
	{
		capos_cap_t ac;

		expect("and stays ours", client_new(a, 0, &ac, &exc), 0);
		rt_release(ac);
	}
	rt_release(bc);
	/* A chain: each link's owner sent (copied) to the next one. */
	for (int i = 0; i < CHAIN_LINKS; i++)
		ep[i] = endpoint_new();
	for (int i = 0; i + 1 < CHAIN_LINKS; i++) {
		capos_cap_t c;
		struct capos_capdesc cd = { ep[i], CAPOS_XFER_COPY };

		if (client_new(ep[i + 1], 0, &c, &exc) != 0)
			break;
		rc = call_with(c, &cd, 1, &cqe);
		refused += rc >= 0 && (cqe.flags & CAPOS_CQE_EXCEPTION) != 0;
		rt_release(c);
	}
	expect("every link refused", refused, CHAIN_LINKS - 1);
	for (int i = CHAIN_LINKS - 1; i >= 0; i--)
		rt_release(ep[i]);
	rt_release(a);
	rt_release(b);
	if (test_failed == 0)
		rt_debug("[proof] kmem-owners ok: no endpoint owner waits in "
		    "a queue, so no cycle or chain of them outlives its "
		    "holders\n");
}

struct canceller {
	capos_cap_t client, spare;
	int submitted;
};

/* Queues a call moving "spare" on an endpoint nobody serves, then exits
 * without waiting for it. */
static void
queue_and_exit(void *arg)
{
	struct canceller *cx = arg;
	static struct capos_capdesc d;
	struct capos_sqe e;

	d.cap = cx->spare;
	d.mode = CAPOS_XFER_MOVE;
	rt_prep_call(&e, cx->client, TEST_IFACE, 0, NULL, rbuf, sizeof(rbuf),
	    &d, 1, 0);
	cx->submitted = rt_submit(&e) == 0;
	rt_thread_exit(0);
}

static void
cancel(void)
{
	struct canceller cx;
	struct rt_thread *t;
	capos_cap_t owner = endpoint_new();
	int exc;

	cx.spare = rt_cap("spare", capos_Console_INTERFACE_ID);
	cx.submitted = 0;
	expect("spare works first", console_works(cx.spare), 1);
	expect("a client", client_new(owner, 0, &cx.client, &exc), 0);
	expect("a thread", rt_thread_spawn(queue_and_exit, &cx, 16384, &t), 0);
	expect("it joined", rt_thread_join(t, NULL), 0);
	expect("it queued its call", cx.submitted, 1);
	/* Its call was cancelled with it: the move rolled back. */
	expect("the moved capability is ours again", console_works(cx.spare),
	    1);
	rt_release(cx.client);
	rt_release(owner);
	if (test_failed == 0)
		rt_debug("[proof] kmem-cancel ok: a queued call is cancelled "
		    "when its thread exits and its moved capability comes "
		    "back\n");
}

struct mover {
	capos_cap_t client;	/* of the serving endpoint */
	capos_cap_t got;	/* the owner it was given */
};

static void
ask_for_owner(void *arg)
{
	static uint8_t buf[64] __attribute__((aligned(8)));
	static struct capos_capdesc caps[CAPOS_MAX_XCAPS];
	struct mover *m = arg;
	struct capos_sqe e;
	struct capos_cqe cqe;

	m->got = CAPOS_CAP_NULL;
	rt_prep_call(&e, m->client, TEST_IFACE, 0, NULL, buf, sizeof(buf),
	    caps, 0, CAPOS_MAX_XCAPS);
	if (rt_submit(&e) == 0 && rt_wait(e.user_data, &cqe) == 0 &&
	    cqe.status >= 0 && cqe.ncaps == 1)
		m->got = caps[0].cap;
}

static void
recv_follows_owner(void)
{
	static uint8_t in1[256] __attribute__((aligned(8)));
	static uint8_t in2[256] __attribute__((aligned(8)));
	static uint8_t out[64] __attribute__((aligned(8)));
	struct capos_capdesc c1[CAPOS_MAX_XCAPS], c2[CAPOS_MAX_XCAPS];
	const struct capos_recv_hdr *h = (const void *)in2;
	capos_cap_t s = endpoint_new(), o = endpoint_new(), oc;
	struct capos_capdesc give = { o, CAPOS_XFER_MOVE };
	struct capos_sqe r1, e, call;
	struct capos_cqe cq, ccq;
	struct mover m;
	struct rt_thread *t;
	int exc;

	expect("a client of the moving endpoint", client_new(o, 0, &oc, &exc),
	    0);
	expect("a client of the server", client_new(s, 0, &m.client, &exc), 0);
	/* A RECV posted on the owner's current id, left waiting. */
	rt_prep_recv(&r1, o, in1, sizeof(in1), c1);
	expect("RECV posted", rt_submit(&r1), 0);
	/* The owner moves: a thread asks, we answer with the owner. */
	expect("a thread", rt_thread_spawn(ask_for_owner, &m, 16384, &t), 0);
	rt_prep_recv(&e, s, in2, sizeof(in2), c2);
	expect("its request", rt_submit(&e) == 0 &&
	    rt_wait(e.user_data, &cq) == 0 && cq.status >= (int)sizeof(*h), 1);
	rt_prep_return(&e, s, h->call_id, out, 0, &give, 1);
	expect("owner moved in RETURN", rt_submit(&e) == 0 &&
	    rt_wait(e.user_data, &cq) == 0 && cq.status >= 0, 1);
	expect("the thread joined", rt_thread_join(t, NULL), 0);
	expect("and holds the owner", m.got != CAPOS_CAP_NULL, 1);
	/* A call now: the old RECV must not take it. */
	rt_prep_call(&call, oc, TEST_IFACE, 0, NULL, out, sizeof(out), NULL,
	    0, 0);
	expect("call submitted", rt_submit(&call), 0);
	expect("the RECV on the old id is cancelled",
	    rt_wait(r1.user_data, &cq) == 0 ? cq.status : -9999,
	    CAPOS_ECANCELED);
	rt_prep_recv(&e, m.got, in2, sizeof(in2), c2);
	expect("the new holder receives the call", rt_submit(&e) == 0 &&
	    rt_wait(e.user_data, &cq) == 0 && cq.status >= (int)sizeof(*h), 1);
	rt_prep_return(&e, m.got, h->call_id, out, 0, NULL, 0);
	expect("and answers it", rt_submit(&e) == 0 &&
	    rt_wait(e.user_data, &cq) == 0 && cq.status >= 0, 1);
	expect("the caller has its answer", rt_wait(call.user_data, &ccq) == 0 &&
	    ccq.status >= 0 && (ccq.flags & CAPOS_CQE_EXCEPTION) == 0, 1);
	rt_release(oc);
	rt_release(m.client);
	rt_release(m.got);
	rt_release(s);
	if (test_failed == 0)
		rt_debug("[proof] kmem-recv ok: a RECV posted before the owner "
		    "moved no longer serves; the new holder's does\n");
}

/* ProcessSpawner.spawn of this binary with arg; caps go as grants named
 * by names (NULL: sent but named by no grant). Returns rt_call's result,
 * the handle in *h. */
/* The kernelMemory and processes spawn_self asks for (0: the default),
 * and the kind of SpawnResult its last spawn got. */
static uint64_t spawn_kmem;
static uint32_t spawn_procs;
static int spawn_which = -1;

static int
spawn_self(const char *arg, struct capos_capdesc *caps,
    const char *const *names, uint16_t ncaps, void *buf, size_t buflen,
    capos_cap_t *h)
{
	struct capos_ProcessSpawner_spawn_Params_b p;
	struct capos_ProcessSpawner_SpawnResult_r r;
	struct capos_ProcessSpawner_NamedCap_b nc;
	struct capnp_builder b;
	struct capnp_lb gl, al;
	struct rt_result res;
	uint32_t ng = 0, idx;
	int rc;

	*h = CAPOS_CAP_NULL;
	for (uint16_t i = 0; i < ncaps; i++)
		ng += names[i] != NULL;
	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_ProcessSpawner_spawn_Params_init_root(&b, &p) != 0 ||
	    capos_ProcessSpawner_spawn_Params_set_binary(&p, "kmemtest", 8) ||
	    capos_ProcessSpawner_spawn_Params_init_grants(&p, ng, &gl) != 0 ||
	    capos_ProcessSpawner_spawn_Params_init_args(&p, 1, &al) != 0 ||
	    capnp_lb_set_text(&al, 0, arg, strlen(arg)) != 0)
		return CAPOS_EINVAL;
	capos_ProcessSpawner_spawn_Params_set_kernelMemory(&p, spawn_kmem);
	capos_ProcessSpawner_spawn_Params_set_processes(&p, spawn_procs);
	spawn_which = -1;
	for (uint16_t i = 0, g = 0; i < ncaps; i++) {
		if (names[i] == NULL)
			continue;
		if (capos_ProcessSpawner_NamedCap_b_at(&gl, g++, &nc) != 0 ||
		    capos_ProcessSpawner_NamedCap_set_name(&nc, names[i],
		    strlen(names[i])) != 0)
			return CAPOS_EINVAL;
		capos_ProcessSpawner_NamedCap_set_cap(&nc, i);
	}
	rc = rt_call(rt_cap("processSpawner", capos_ProcessSpawner_INTERFACE_ID),
	    capos_ProcessSpawner_INTERFACE_ID,
	    capos_ProcessSpawner_spawn_ORDINAL, &b, caps, ncaps, buf, buflen,
	    &res);
	if (rc != 0)
		return rc;
	r.s = res.root;
	spawn_which = (int)capos_ProcessSpawner_SpawnResult_which(&r);
	if (capos_ProcessSpawner_SpawnResult_which(&r) !=
	    capos_ProcessSpawner_SpawnResult_which_handle ||
	    capos_ProcessSpawner_SpawnResult_get_handle(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return CAPOS_EINVAL;
	*h = res.caps[idx].cap;
	return 0;
}

/* Waits for a child; its exit code, or -1. */
static int
child_exit(capos_cap_t h)
{
	struct capos_ExitStatus_r st;
	struct rt_result res;
	int rc;

	rc = rt_call(h, capos_ProcessHandle_INTERFACE_ID,
	    capos_ProcessHandle_wait_ORDINAL, NULL, NULL, 0, rbuf, sizeof(rbuf),
	    &res);
	rt_release(h);
	st.s = res.root;
	if (rc != 0 || capos_ExitStatus_which(&st) !=
	    capos_ExitStatus_which_exited)
		return -1;
	return capos_ExitStatus_get_exited(&st);
}

static void
spawn_refusals(void)
{
	static const char *const named[] = { "console" };
	static const char *const unnamed[] = { NULL };
	capos_cap_t spare2 = rt_cap("spare2", capos_Console_INTERFACE_ID), h;
	struct capos_capdesc d = { spare2, CAPOS_XFER_MOVE };
	uint64_t ro;

	expect("a read-only page", rt_vm_map(0, 4096, RT_PROT_READ, &ro), 0);
	/* Refused with an exception the caller cannot be given either: the
	 * completion says the result buffer could not be written. */
	expect("spawn into a read-only result is refused",
	    spawn_self("tattle", &d, named, 1, (void *)(uintptr_t)ro, 4096,
	    &h), CAPOS_EFAULT);
	expect("and the moved capability is still ours", console_works(spare2),
	    1);
	expect("a moved capability no grant names is refused",
	    spawn_self("tattle", &d, unnamed, 1, rbuf, sizeof(rbuf), &h),
	    RT_EXCEPTION);
	expect("and stays ours", console_works(spare2), 1);
	(void)rt_vm_unmap(ro, 4096);
	if (test_failed == 0)
		rt_debug("[proof] kmem-spawn ok: spawns whose reply cannot be "
		    "delivered or that would destroy a moved capability are "
		    "refused before the child runs\n");
}

static void
idle_thread(void *arg)
{
	(void)arg;
}

static uint32_t threads_gate;

/* Stays alive until the gate opens: a thread that ended could be reaped,
 * its charge refunded, before the count of threads alive is taken. */
static void
held_thread(void *arg)
{
	(void)arg;
	while (__atomic_load_n(&threads_gate, __ATOMIC_ACQUIRE) == 0)
		(void)rt_sleep_ns(1000000);
}

static void
threads(void)
{
	static struct rt_thread *t[128];
	static const char *const names[] = { "threadSpawner", "threadControl",
	    "virtualMemory" };
	struct capos_capdesc d[] = {
		{ rt_cap("threadSpawner", capos_ThreadSpawner_INTERFACE_ID),
		  CAPOS_XFER_COPY },
		{ rt_cap("threadControl", capos_ThreadControl_INTERFACE_ID),
		  CAPOS_XFER_COPY },
		{ rt_cap("virtualMemory", capos_VirtualMemory_INTERFACE_ID),
		  CAPOS_XFER_COPY },
	};
	capos_cap_t h;
	int n, rc = 0, joined = 0;

	/* The child is started first: its record is charged to us, and we
	 * are about to spend all we have. */
	expect("a child", spawn_self("threads", d, names, 3, rbuf,
	    sizeof(rbuf), &h), 0);
	for (n = 0; n < 128; n++)
		if ((rc = rt_thread_spawn(held_thread, NULL, 4096, &t[n])) != 0)
			break;
	expect("threads stop at this process's limit", n > 0 && n < 127, 1);
	/* Meanwhile another process can still make threads. */
	expect("makes its 8 threads", child_exit(h), 0);
	/* One check for all joins, so the check count does not depend on
	 * the limit's exact size. */
	__atomic_store_n(&threads_gate, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < n; i++)
		joined += rt_thread_join(t[i], NULL) == 0;
	expect("every thread joined", joined, n);
	if (test_failed == 0)
		rt_debug("[proof] kmem-threads ok: thread creation stops at "
		    "the process's own limit (%d threads), not the system's\n",
		    n);
}

#define HANDLES_KMEM	(128u << 10)	/* the handles child's limit */
#define HANDLES_MAX	256		/* more than its table can hold */

/*
 * A child with a small limit keeps the handles of threads that have ended
 * (and been reaped, so their own charge is back). Each handle is a kernel
 * object; were it free of charge, the child could fill its whole
 * capability table with them.
 */
static void
handles(void)
{
	static const char *const names[] = { "threadSpawner", "threadControl",
	    "virtualMemory", "timer", "console" };
	struct capos_capdesc d[] = {
		{ rt_cap("threadSpawner", capos_ThreadSpawner_INTERFACE_ID),
		  CAPOS_XFER_COPY },
		{ rt_cap("threadControl", capos_ThreadControl_INTERFACE_ID),
		  CAPOS_XFER_COPY },
		{ rt_cap("virtualMemory", capos_VirtualMemory_INTERFACE_ID),
		  CAPOS_XFER_COPY },
		{ rt_cap("timer", capos_Timer_INTERFACE_ID), CAPOS_XFER_COPY },
		{ rt_cap("console", capos_Console_INTERFACE_ID),
		  CAPOS_XFER_COPY },
	};
	static const char *const pnames[] = { "processSpawner", "timer",
	    "console" };
	struct capos_capdesc pd[] = {
		{ rt_cap("processSpawner", capos_ProcessSpawner_INTERFACE_ID),
		  CAPOS_XFER_COPY },
		{ rt_cap("timer", capos_Timer_INTERFACE_ID), CAPOS_XFER_COPY },
		{ rt_cap("console", capos_Console_INTERFACE_ID),
		  CAPOS_XFER_COPY },
	};
	capos_cap_t h;
	int rc;

	spawn_kmem = HANDLES_KMEM;
	rc = spawn_self("handles", d, names, 5, rbuf, sizeof(rbuf), &h);
	expect("a child with a 128 KiB limit", rc, 0);
	expect("is stopped by its limit, not its table", child_exit(h), 0);
	rc = spawn_self("phandles", pd, pnames, 3, rbuf, sizeof(rbuf), &h);
	spawn_kmem = 0;
	expect("a second child with a 128 KiB limit", rc, 0);
	expect("is stopped by its limit too", child_exit(h), 0);
	if (test_failed == 0)
		rt_debug("[proof] kmem-handles ok: thread and process handles "
		    "are charged to the process that made them; a 128 KiB "
		    "limit stops it before its capability table is full\n");
}

/* The second handles child: spawns children that exit at once, keeping
 * their ProcessHandles. */
static int
child_phandles(void)
{
	static const char *const none[] = { NULL };
	struct rt_result res;
	uint8_t buf[128] __attribute__((aligned(8)));
	capos_cap_t h;
	bool slept = true;
	int n, rc = 0;

	for (n = 0; n < HANDLES_MAX; n++) {
		if ((rc = spawn_self("child", NULL, none, 0, rbuf,
		    sizeof(rbuf), &h)) != 0)
			break;
		/* Waited for without releasing the handle; the sleep lets the
		 * kernel reap the child, so the process table never fills.
		 * The sleep's record is charged too, so it may be what meets
		 * the limit first. */
		if (rt_call(h, capos_ProcessHandle_INTERFACE_ID,
		    capos_ProcessHandle_wait_ORDINAL, NULL, NULL, 0, buf,
		    sizeof(buf), &res) != 0) {
			rt_printf("kmemtest: phandles child: wait failed\n");
			return 1;
		}
		if (rt_sleep_ns(1000000) != 0) {
			slept = false;
			break;
		}
	}
	/* A refused sleep or CAPOS_EINVAL (a SpawnResult other than a
	 * handle: noMemory) is the limit; RT_EXCEPTION from the spawn would
	 * be the full capability table. */
	rt_printf("kmemtest: phandles child kept %d process handles, then "
	    "%s\n", n, slept ? "a spawn was refused" : "a sleep was refused");
	return (!slept || rc == CAPOS_EINVAL) && n < HANDLES_MAX - 16 ? 0 : 1;
}

/* The handles child: makes threads that end, keeping their handles. */
static int
child_handles(void)
{
	static struct rt_thread *t[HANDLES_MAX];
	struct rt_result res;
	uint8_t buf[128] __attribute__((aligned(8)));
	int n, rc = 0;

	for (n = 0; n < HANDLES_MAX; n++) {
		if ((rc = rt_thread_spawn(idle_thread, NULL, 4096, &t[n])) != 0)
			break;
		/* Joined without releasing the handle; the sleep lets the
		 * kernel reap the thread, refunding its own charge. */
		if (rt_call(t[n]->handle, capos_ThreadHandle_INTERFACE_ID,
		    capos_ThreadHandle_join_ORDINAL, NULL, NULL, 0, buf,
		    sizeof(buf), &res) != 0 || rt_sleep_ns(1000000) != 0) {
			rt_printf("kmemtest: handles child: join failed\n");
			return 1;
		}
	}
	/* RT_VM_NOMEM is the kernel's noMemory; RT_EXCEPTION would be the
	 * full capability table. */
	rt_printf("kmemtest: handles child kept %d thread handles, then "
	    "got %d\n", n, rc);
	return rc == RT_VM_NOMEM && n < HANDLES_MAX - 16 ? 0 : 1;
}

/* A call on the "ready" client; whether it was answered. */
static bool
call_ready(capos_cap_t ready)
{
	static uint8_t out[64] __attribute__((aligned(8)));
	struct capos_sqe e;
	struct capos_cqe c;

	rt_prep_call(&e, ready, TEST_IFACE, 0, NULL, out, sizeof(out), NULL,
	    0, 0);
	return rt_submit(&e) == 0 && rt_wait(e.user_data, &c) == 0 &&
	    c.status >= 0 && (c.flags & CAPOS_CQE_EXCEPTION) == 0;
}

/* The kill part's child: says it is ready over "ready", then waits as
 * how says (spin, park, recv, call) until it is killed. */
static int
child_victim(const char *how)
{
	static uint8_t in[256] __attribute__((aligned(8)));
	static uint32_t word;
	struct capos_capdesc caps[CAPOS_MAX_XCAPS];
	capos_cap_t ready = rt_cap("ready", TEST_IFACE), o;
	struct capos_sqe e;
	struct capos_cqe c;

	/* A RECV is posted before the ready call, so it waits by the time
	 * the parent hears from us. */
	if (strcmp(how, "recv") == 0) {
		if ((o = endpoint_new()) == CAPOS_CAP_NULL)
			return 1;
		rt_prep_recv(&e, o, in, sizeof(in), caps);
		if (rt_submit(&e) != 0)
			return 1;
	}
	if (!call_ready(ready))
		return 1;
	if (strcmp(how, "recv") == 0)
		(void)rt_wait(e.user_data, &c);
	else if (strcmp(how, "call") == 0)
		(void)call_ready(ready);
	else if (strcmp(how, "park") == 0)
		for (;;)
			(void)rt_park_wait(&word, 0, 0);
	else
		for (;;)
			__asm__ volatile("pause");
	rt_printf("kmemtest: a %s child went on past its wait\n", how);
	return 1;
}

/* Receives one call on ep; its call_id, or 0. */
static uint64_t
receive_one(capos_cap_t ep)
{
	static uint8_t in[256] __attribute__((aligned(8)));
	const struct capos_recv_hdr *h = (const void *)in;
	struct capos_capdesc caps[CAPOS_MAX_XCAPS];
	struct capos_sqe e;
	struct capos_cqe c;

	rt_prep_recv(&e, ep, in, sizeof(in), caps);
	if (rt_submit(&e) != 0 || rt_wait(e.user_data, &c) != 0 ||
	    c.status < (int)sizeof(*h))
		return 0;
	return h->call_id;
}

/* Answers call_id on ep with an empty result; the RETURN's status. */
static int
answer(capos_cap_t ep, uint64_t call_id)
{
	static uint8_t out[8] __attribute__((aligned(8)));
	struct capos_sqe e;
	struct capos_cqe c;

	rt_prep_return(&e, ep, call_id, out, 0, NULL, 0);
	if (rt_submit(&e) != 0 || rt_wait(e.user_data, &c) != 0)
		return -9999;
	return c.status;
}

/* ProcessHandle.wait: whether it answered killed. */
static bool
waited_killed(capos_cap_t h)
{
	struct capos_ExitStatus_r st;
	struct rt_result res;

	if (rt_call(h, capos_ProcessHandle_INTERFACE_ID,
	    capos_ProcessHandle_wait_ORDINAL, NULL, NULL, 0, rbuf,
	    sizeof(rbuf), &res) != 0)
		return false;
	st.s = res.root;
	return capos_ExitStatus_which(&st) == capos_ExitStatus_which_killed;
}

static int
kill_child(capos_cap_t h)
{
	struct rt_result res;

	return rt_call(h, capos_ProcessHandle_INTERFACE_ID,
	    capos_ProcessHandle_kill_ORDINAL, NULL, NULL, 0, rbuf,
	    sizeof(rbuf), &res);
}

static void
kill_part(void)
{
	static const char *const hows[] = { "victim=spin", "victim=park",
	    "victim=recv", "victim=call" };
	static const char *const names[] = { "ready", "endpointFactory",
	    "parkSpace" };
	capos_cap_t ep = endpoint_new(), client, h;
	uint64_t held = 0;
	int exc;

	expect("an endpoint for the children", ep != CAPOS_CAP_NULL, 1);
	for (size_t i = 0; i < sizeof(hows) / sizeof(hows[0]); i++) {
		struct capos_capdesc d[] = {
			{ CAPOS_CAP_NULL, CAPOS_XFER_MOVE },
			{ rt_cap("endpointFactory",
			  capos_EndpointFactory_INTERFACE_ID),
			  CAPOS_XFER_COPY },
			{ rt_cap("parkSpace", capos_ParkSpace_INTERFACE_ID),
			  CAPOS_XFER_COPY },
		};

		expect("a client for the child", client_new(ep, 0, &client,
		    &exc), 0);
		d[0].cap = client;
		expect(hows[i], spawn_self(hows[i], d, names, 3, rbuf,
		    sizeof(rbuf), &h), 0);
		expect("it says it is ready",
		    answer(ep, receive_one(ep)) >= 0, 1);
		/* The calling child is blocked once its second call is
		 * here: received, never answered before the kill. */
		if (strcmp(hows[i], "victim=call") == 0)
			expect("its second call", (held = receive_one(ep)) != 0,
			    1);
		expect("kill", kill_child(h), 0);
		expect("its wait answers killed", waited_killed(h), 1);
		expect("a second kill answers cleanly", kill_child(h), 0);
		expect("and it stays killed", waited_killed(h), 1);
		rt_release(h);
	}
	/* The answer to a killed caller goes nowhere, harmlessly. */
	(void)answer(ep, held);
	/* The endpoint still serves: a call of our own is received. */
	expect("a client of our own", client_new(ep, 0, &client, &exc), 0);
	rt_release(client);
	rt_release(ep);
	if (test_failed == 0)
		rt_debug("[proof] kmem-kill ok: ProcessHandle.kill ended a "
		    "child spinning, one parked, one blocked in a RECV and one "
		    "blocked in a call; each wait answered killed, and a "
		    "second kill of an ended child answered cleanly\n");
}

/*
 * The slots part: a child whose tree may hold SLOTS_PROCS processes
 * (itself included) spawns children that stay, until its spawner refuses
 * one. The refusal must come at its own quota, with the process table
 * (MAX_PROCS = 256) far from full; a later spawn of ours still works.
 */
#define SLOTS_PROCS	4u
#define SLOTS_KMEM	(512u << 10)	/* the slots child's kernel memory */
#define HOLD_KMEM	(48u << 10)	/* its children's: enough for 5 */

/* The slots child's children: parked until killed. */
static int
child_hold(void)
{
	static uint32_t word;

	while (word == 0)
		(void)rt_park_wait(&word, 0, 0);
	return 1;
}

/* The slots child: exits 0 when its spawns stop exactly at its quota. */
static int
child_slots(void)
{
	static const char *const names[] = { "parkSpace" };
	struct capos_capdesc d[] = {
		{ rt_cap("parkSpace", capos_ParkSpace_INTERFACE_ID),
		  CAPOS_XFER_COPY },
	};
	capos_cap_t h[SLOTS_PROCS + 1];
	uint32_t n = 0, killed = 0;
	int rc, asked_too_much;

	/* Asking for more slots than are left is refused. */
	spawn_kmem = HOLD_KMEM;
	spawn_procs = SLOTS_PROCS;
	rc = spawn_self("hold", d, names, 1, rbuf, sizeof(rbuf), &h[0]);
	asked_too_much = rc == CAPOS_EINVAL && spawn_which ==
	    capos_ProcessSpawner_SpawnResult_which_noMemory;
	/* One slot each (the default, once little is left, is less): the
	 * quota holds SLOTS_PROCS - 1 of them besides ourselves. */
	spawn_procs = 1;
	while (n <= SLOTS_PROCS && (rc = spawn_self("hold", d, names, 1,
	    rbuf, sizeof(rbuf), &h[n])) == 0)
		n++;
	for (uint32_t i = 0; i < n; i++) {
		killed += kill_child(h[i]) == 0 && waited_killed(h[i]);
		rt_release(h[i]);
	}
	rt_printf("kmemtest: slots child spawned %u of its %u slots, then "
	    "%s\n", n, SLOTS_PROCS - 1, spawn_which ==
	    capos_ProcessSpawner_SpawnResult_which_noMemory ?
	    "noMemory" : "something else");
	return asked_too_much && n == SLOTS_PROCS - 1 && rc == CAPOS_EINVAL &&
	    spawn_which == capos_ProcessSpawner_SpawnResult_which_noMemory &&
	    killed == n ? 0 : 1;
}

static void
slots(void)
{
	static const char *const names[] = { "processSpawner", "parkSpace",
	    "console" };
	static const char *const none[] = { NULL };
	struct capos_capdesc d[] = {
		{ rt_cap("processSpawner", capos_ProcessSpawner_INTERFACE_ID),
		  CAPOS_XFER_COPY },
		{ rt_cap("parkSpace", capos_ParkSpace_INTERFACE_ID),
		  CAPOS_XFER_COPY },
		{ rt_cap("console", capos_Console_INTERFACE_ID),
		  CAPOS_XFER_COPY },
	};
	capos_cap_t h;
	int rc;

	spawn_kmem = SLOTS_KMEM;
	spawn_procs = SLOTS_PROCS;
	rc = spawn_self("slots", d, names, 3, rbuf, sizeof(rbuf), &h);
	spawn_kmem = 0;
	spawn_procs = 0;
	expect("a child with 4 process slots", rc, 0);
	expect("is refused at its own quota", child_exit(h), 0);
	rc = spawn_self("child", NULL, none, 0, rbuf, sizeof(rbuf), &h);
	expect("a later spawn of ours", rc, 0);
	expect("runs", child_exit(h), 0);
	if (test_failed == 0)
		rt_debug("[proof] kmem-slots ok: a child granted 4 process "
		    "slots had 3 children alive, then its spawns were refused "
		    "noMemory at its own quota with the 256-slot process table "
		    "far from full; a later spawn of its spawner still ran\n");
}

static const char *arg_text(const char *key);

static long
arg_value(const char *key)
{
	const char *a = arg_text(key);
	long v = 0;

	for (; *a >= '0' && *a <= '9'; a++)
		v = v * 10 + (*a - '0');
	return v;
}

static void
soak(void)
{
	long mints = arg_value("mints"), spawns = arg_value("spawns");
	capos_cap_t owner = endpoint_new(), c, h;
	long ok = 0, exited = 0;
	int exc;

	for (long i = 0; i < mints; i++) {
		if (client_new(owner, 0, &c, &exc) != 0)
			break;
		ok += rt_release(c) == 0;
	}
	expect("every mint and release", ok, mints);
	rt_release(owner);
	for (long i = 0; i < spawns; i++) {
		if (spawn_self("child", NULL, NULL, 0, rbuf, sizeof(rbuf),
		    &h) != 0)
			break;
		exited += child_exit(h) == 0;
	}
	expect("every child spawned and exited", exited, spawns);
	if (test_failed == 0)
		rt_debug("[proof] kmem-soak ok: %ld mint/release and %ld "
		    "spawn/exit cycles done\n", mints, spawns);
}

/*
 * Out of physical memory (system/oom.capnp boots with little RAM): maps
 * 1 MiB blocks until the kernel has no frame left, then asks for kernel
 * objects that need memory. Each must fail with an ordinary result, the
 * kernel must go on, and everything must work again once the memory is
 * given back.
 */
#define OOM_BLOCKS	512
#define OOM_ENDPOINTS	128	/* well inside the capability table */

static void
oom(void)
{
	static uint64_t blocks[OOM_BLOCKS];
	static capos_cap_t eps[OOM_ENDPOINTS];
	struct rt_thread *t;
	capos_cap_t h, ep;
	int n = 0, rc = 0, made = 0, big;

	while (n < OOM_BLOCKS && (rc = rt_vm_map(0, 1 << 20,
	    RT_PROT_READ | RT_PROT_WRITE, &blocks[n])) == 0)
		n++;
	expect("mapping stops for want of memory", rc, RT_VM_NOMEM);
	big = n;
	/* Take the last frames too, a page at a time. */
	while (n < OOM_BLOCKS && rt_vm_map(0, 4096,
	    RT_PROT_READ | RT_PROT_WRITE, &blocks[n]) == 0)
		n++;
	expect("no thread without memory", rt_thread_spawn(idle_thread, NULL,
	    4096, &t) != 0, 1);
	expect("no child without memory", spawn_self("child", NULL, NULL, 0,
	    rbuf, sizeof(rbuf), &h) != 0, 1);
	/* Endpoints come from the kernel heap: held, they soon need a frame
	 * the kernel does not have. */
	while (made < OOM_ENDPOINTS && (ep = endpoint_new()) != CAPOS_CAP_NULL)
		eps[made++] = ep;
	expect("endpoints stop for want of memory", made < OOM_ENDPOINTS, 1);
	for (int i = 0; i < made; i++)
		rt_release(eps[i]);
	rt_printf("[kmemtest] out of memory after %d MiB and %d pages, "
	    "%d endpoints\n", big, n - big, made);
	for (int i = 0; i < n; i++)
		(void)rt_vm_unmap(blocks[i], i < big ? 1 << 20 : 4096);
	expect("a thread again once memory is back",
	    rt_thread_spawn(idle_thread, NULL, 4096, &t), 0);
	expect("which joins", rt_thread_join(t, NULL), 0);
	expect("a child again", spawn_self("child", NULL, NULL, 0, rbuf,
	    sizeof(rbuf), &h), 0);
	expect("which exits", child_exit(h), 0);
	if (test_failed == 0)
		rt_debug("[proof] kmem-oom ok: with no frame left, threads, "
		    "children and endpoints are refused with ordinary results, "
		    "and all work again once memory is back\n");
}

static int
child_threads(void)
{
	struct rt_thread *t[8];

	for (int i = 0; i < 8; i++)
		if (rt_thread_spawn(idle_thread, NULL, 4096, &t[i]) != 0)
			return 1;
	for (int i = 0; i < 8; i++)
		if (rt_thread_join(t[i], NULL) != 0)
			return 1;
	return 0;
}

static const struct {
	const char *name;
	void (*run)(void);
} parts[] = {
	{ "notices", notices }, { "owners", owners }, { "cancel", cancel },
	{ "recv", recv_follows_owner }, { "spawn", spawn_refusals },
	{ "threads", threads }, { "handles", handles }, { "kill", kill_part },
	{ "slots", slots }, { "soak", soak },
	{ "oom", oom },
};

/* The value of "key=..." among the arguments, or "". */
static const char *
arg_text(const char *key)
{
	size_t k = strlen(key);

	for (int i = 0; i < rt_argc(); i++)
		if (strncmp(rt_argv(i), key, k) == 0 && rt_argv(i)[k] == '=')
			return rt_argv(i) + k + 1;
	return "";
}

int
main(void)
{
	const char *only = arg_text("only");

	if (rt_argc() > 0 && strcmp(rt_argv(0), "child") == 0)
		return 0;
	if (rt_argc() > 0 && strcmp(rt_argv(0), "threads") == 0)
		return child_threads();
	if (rt_argc() > 0 && strcmp(rt_argv(0), "handles") == 0)
		return child_handles();
	if (rt_argc() > 0 && strcmp(rt_argv(0), "phandles") == 0)
		return child_phandles();
	if (rt_argc() > 0 && strncmp(rt_argv(0), "victim=", 7) == 0)
		return child_victim(rt_argv(0) + 7);
	if (rt_argc() > 0 && strcmp(rt_argv(0), "slots") == 0)
		return child_slots();
	if (rt_argc() > 0 && strcmp(rt_argv(0), "hold") == 0)
		return child_hold();
	if (rt_argc() > 0 && strcmp(rt_argv(0), "tattle") == 0) {
		rt_printf("kmemtest: a refused spawn ran its child\n");
		return 1;
	}
	/* oom needs a machine with little memory: only when asked for. */
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if ((only[0] == '\0' && parts[i].run != oom) ||
		    strcmp(only, parts[i].name) == 0)
			parts[i].run();
	rt_printf("kmemtest: %d checks, %d failed\n", test_checks,
	    test_failed);
	return test_failed != 0;
}
