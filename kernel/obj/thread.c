/*
 * Threads of the caller's own process: ThreadSpawner (start one),
 * ThreadHandle (join it) and ThreadControl (the calling thread's exit and
 * TLS base). The objects are singletons that act on the calling process,
 * so holding one grants no reach into any other process.
 */
#include <string.h>

#include "arch/x86_64/cpu.h"
#include "cap/call.h"
#include "kernel.h"
#include "mm/aspace.h"
#include "mm/kmem.h"
#include "mm/mem.h"
#include "obj/objects.h"

#define MAX_JOINERS	8
#define MSR_FS_BASE	0xC0000100

struct thandle {
	struct kobj obj;
	struct thread *thread;		/* NULL once it has exited */
	bool done;
	bool killed;			/* its process ended */
	uint64_t value;
	uint32_t njoiners;
	struct reply_to joiners[MAX_JOINERS];
	/* Charged to the spawning process: a handle outlives its thread
	 * (and the thread's own charge) for as long as it is held. */
	struct kcharge charge;
};

static int
join_reply(struct capnp_builder *b, uint64_t value)
{
	struct capos_ThreadHandle_join_Results_b r;

	if (capos_ThreadHandle_join_Results_init_root(b, &r) != CAPNP_OK)
		return -1;
	capos_ThreadHandle_join_Results_set_value(&r, value);
	return 0;
}

static int
handle_call(struct kobj *obj, struct call *c)
{
	struct thandle *h = (struct thandle *)obj;

	if (c->method != capos_ThreadHandle_join_ORDINAL)
		return call_exception(c, capos_CapException_Type_unimplemented,
		    "ThreadHandle has no such method");
	if (h->done) {
		if (h->killed)
			return call_exception(c,
			    capos_CapException_Type_disconnected,
			    "the thread's process ended");
		if (join_reply(call_result(c), h->value) != 0)
			return call_exception(c,
			    capos_CapException_Type_failed, "result buffer");
		return CALL_DONE;
	}
	if (h->thread == c->thread)
		return call_exception(c, capos_CapException_Type_failed,
		    "a thread cannot join itself");
	if (h->njoiners == MAX_JOINERS)
		return call_exception(c, capos_CapException_Type_overloaded,
		    "too many joiners");
	h->joiners[h->njoiners] = c->to;
	h->joiners[h->njoiners].owed = true;
	h->njoiners++;
	return CALL_PENDING;
}

void
thread_handle_exited(struct thread *t, bool killed)
{
	struct thandle *h = (struct thandle *)t->handle;
	struct reply r;
	uint8_t *buf;
	size_t len;

	if (h == NULL)
		return;
	t->handle = NULL;
	h->thread = NULL;
	h->done = true;
	h->killed = killed;
	h->value = t->exit_value;
	for (uint32_t i = 0; i < h->njoiners; i++) {
		if (killed) {
			reply_cancel(&h->joiners[i],
			    capos_CapException_Type_disconnected,
			    "the thread's process ended");
			continue;
		}
		buf = reply_scratch(&len);
		reply_init(&r, buf, len);
		if (join_reply(&r.b, h->value) != 0)
			r.started = false;
		reply_send(&h->joiners[i], &r);
	}
	h->njoiners = 0;
}

static void
handle_release(struct kobj *obj)
{
	struct thandle *h = (struct thandle *)obj;

	for (uint32_t i = 0; i < h->njoiners; i++)
		reply_cancel(&h->joiners[i],
		    capos_CapException_Type_disconnected, "handle released");
	if (h->thread != NULL)
		h->thread->handle = NULL;
	kmem_free(h, &h->charge);
}

static const struct kobj_ops handle_ops = {
	.name = "ThreadHandle",
	.call = handle_call,
	.release = handle_release,
};

static int
spawn(struct call *c)
{
	struct capos_ThreadSpawner_spawn_Params_r p;
	struct capos_ThreadSpawnResult_b res;
	struct thandle *h;
	struct thread *t;
	struct capnp_msg m;
	struct kcharge ch = { 0 };
	uint64_t entry, stack, tls;
	int idx;

	if (c->to.ncaps_out < 1 || captable_room(&c->proc->caps) < 1)
		return call_exception(c, capos_CapException_Type_failed,
		    "no room for the thread handle in the result");
	if (call_params(c, &m, &p.s) != 0)
		return call_exception(c, capos_CapException_Type_failed,
		    "malformed spawn params");
	if (capos_ThreadSpawnResult_init_root(call_result(c), &res) !=
	    CAPNP_OK)
		return call_exception(c, capos_CapException_Type_failed,
		    "result buffer");
	entry = capos_ThreadSpawner_spawn_Params_get_entry(&p);
	stack = capos_ThreadSpawner_spawn_Params_get_stack(&p);
	tls = capos_ThreadSpawner_spawn_Params_get_tls(&p);
	/* The CPU would fault on a non-canonical or kernel address when the
	 * thread first runs (or, for the FS base, when the kernel loads it);
	 * refuse it here instead. */
	if (entry == 0 || entry >= USER_TOP || stack >= USER_TOP ||
	    tls >= USER_TOP) {
		capos_ThreadSpawnResult_set_invalid(&res);
		return CALL_DONE;
	}
	if ((h = kmem_zalloc(c->proc->kmem, sizeof(*h), &ch)) == NULL) {
		capos_ThreadSpawnResult_set_noMemory(&res);
		return CALL_DONE;
	}
	h->charge = ch;
	kobj_init(&h->obj, &handle_ops);
	t = thread_create(c->proc, entry, stack,
	    capos_ThreadSpawner_spawn_Params_get_arg(&p));
	if (t == NULL) {
		kmem_free(h, &h->charge);
		capos_ThreadSpawnResult_set_noMemory(&res);
		return CALL_DONE;
	}
	t->fs_base = tls;
	t->handle = &h->obj;
	h->thread = t;
	idx = reply_add_cap(&c->reply, &h->obj,
	    capos_ThreadHandle_INTERFACE_ID);
	capos_ThreadSpawnResult_set_handle(&res, (uint32_t)idx);
	sched_add(t);
	return CALL_DONE;
}

static int
spawner_call(struct kobj *obj, struct call *c)
{
	(void)obj;
	if (c->method != capos_ThreadSpawner_spawn_ORDINAL)
		return call_exception(c, capos_CapException_Type_unimplemented,
		    "ThreadSpawner has no such method");
	return spawn(c);
}

static int
control_call(struct kobj *obj, struct call *c)
{
	struct capos_ThreadControl_exit_Params_r ep;
	struct capos_ThreadControl_setTls_Params_r tp;
	struct capos_ThreadControl_setTls_Results_b tr;
	struct capos_ThreadControl_setCpu_Params_r cp;
	struct capos_ThreadControl_setCpu_Results_b cr;
	struct capnp_msg m;
	uint64_t base;
	uint32_t cpu;

	(void)obj;
	switch (c->method) {
	case capos_ThreadControl_exit_ORDINAL:
		if (call_params(c, &m, &ep.s) != 0)
			return call_exception(c,
			    capos_CapException_Type_failed,
			    "malformed exit params");
		/* The thread ends once the call is settled: no reply. */
		c->exit_after = true;
		c->exit_value = capos_ThreadControl_exit_Params_get_value(&ep);
		return CALL_DONE;
	case capos_ThreadControl_setTls_ORDINAL:
		if (call_params(c, &m, &tp.s) != 0)
			return call_exception(c,
			    capos_CapException_Type_failed,
			    "malformed setTls params");
		base = capos_ThreadControl_setTls_Params_get_base(&tp);
		if (base >= USER_TOP)
			return call_exception(c,
			    capos_CapException_Type_failed,
			    "TLS base outside user space");
		c->thread->fs_base = base;
		wrmsr(MSR_FS_BASE, base);
		if (capos_ThreadControl_setTls_Results_init_root(
		    call_result(c), &tr) != CAPNP_OK)
			return call_exception(c,
			    capos_CapException_Type_failed, "result buffer");
		return CALL_DONE;
	case capos_ThreadControl_setCpu_ORDINAL:
		if (call_params(c, &m, &cp.s) != 0)
			return call_exception(c,
			    capos_CapException_Type_failed,
			    "malformed setCpu params");
		cpu = capos_ThreadControl_setCpu_Params_get_cpu(&cp);
		if (!sched_pin_current(cpu == capos_ThreadControl_anyCpu ?
		    NO_CPU : cpu))
			return call_exception(c,
			    capos_CapException_Type_failed,
			    "no such CPU running");
		if (capos_ThreadControl_setCpu_Results_init_root(
		    call_result(c), &cr) != CAPNP_OK)
			return call_exception(c,
			    capos_CapException_Type_failed, "result buffer");
		return CALL_DONE;
	default:
		return call_exception(c, capos_CapException_Type_unimplemented,
		    "ThreadControl has no such method");
	}
}

static const struct kobj_ops spawner_ops = {
	.name = "ThreadSpawner",
	.call = spawner_call,
	.release = NULL,
};

static const struct kobj_ops control_ops = {
	.name = "ThreadControl",
	.call = control_call,
	.release = NULL,
};

struct kobj *
thread_spawner_create(void)
{
	static struct kobj o;

	if (o.ops == NULL)
		kobj_init(&o, &spawner_ops);
	return kobj_ref(&o);
}

struct kobj *
thread_control_create(void)
{
	static struct kobj o;

	if (o.ops == NULL)
		kobj_init(&o, &control_ops);
	return kobj_ref(&o);
}
