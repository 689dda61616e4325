/*
 * ProcessHandle: waiting for a process to end, and ending it. A wait on a
 * running process stays pending (its CQ slot promised) until the process
 * exits, faults or is killed; the exit status then goes to every waiter.
 * kill() ends the process as a fault does (process_kill: its threads stop,
 * on other CPUs too, its capabilities are released, its memory is freed
 * by the reaper) with the status killed. Holding the handle is the whole
 * authority to do so; dropping it does not stop the process.
 */
#include "cap/call.h"
#include "kernel.h"
#include "mm/kmem.h"
#include "mm/mem.h"
#include "obj/objects.h"

/* Bound on waiters per handle; one more is refused as overloaded. */
#define MAX_WAITERS	8

struct handle {
	struct kobj obj;
	struct process *proc;		/* NULL once it has stopped */
	struct exit_status status;
	uint32_t nwaiters;
	struct reply_to waiters[MAX_WAITERS];
	/* Charged to the spawner: a handle outlives its process for as long
	 * as it is held. */
	struct kcharge charge;
};

static enum capos_FaultKind
fault_kind(uint32_t vector)
{
	switch (vector) {
	case 14:
		return capos_FaultKind_pageFault;
	case 13:
		return capos_FaultKind_generalProtection;
	case 6:
		return capos_FaultKind_invalidOpcode;
	case 0:
		return capos_FaultKind_divideError;
	default:
		return capos_FaultKind_other;
	}
}

static int
build_status(struct capnp_builder *b, const struct exit_status *st)
{
	struct capos_ExitStatus_b es;
	struct capos_Fault_b f;

	if (capos_ExitStatus_init_root(b, &es) != CAPNP_OK)
		return -1;
	switch (st->kind) {
	case EXIT_EXITED:
		capos_ExitStatus_set_exited(&es, st->code);
		return 0;
	case EXIT_FAULTED:
		if (capos_ExitStatus_init_faulted(&es, &f) != CAPNP_OK)
			return -1;
		capos_Fault_set_kind(&f, fault_kind(st->fault_vector));
		capos_Fault_set_address(&f, st->fault_addr);
		capos_Fault_set_ip(&f, st->fault_ip);
		return 0;
	case EXIT_KILLED:
	case EXIT_RUNNING:
	default:
		capos_ExitStatus_set_killed(&es);
		return 0;
	}
}

/* Ends the handle's process; one that has already ended stays as it is. */
static int
handle_kill(struct handle *h, struct call *c)
{
	struct exit_status killed = { .kind = EXIT_KILLED };

	if (h->proc == NULL)
		return CALL_DONE;
	/* Its own threads would stop under the call being served. */
	if (h->proc == c->proc)
		return call_exception(c, capos_CapException_Type_failed,
		    "a process cannot kill itself through its handle");
	process_kill(h->proc, killed);
	return CALL_DONE;
}

static int
handle_call(struct kobj *obj, struct call *c)
{
	struct handle *h = (struct handle *)obj;

	if (c->method == capos_ProcessHandle_kill_ORDINAL)
		return handle_kill(h, c);
	if (c->method != capos_ProcessHandle_wait_ORDINAL)
		return call_exception(c, capos_CapException_Type_unimplemented,
		    "ProcessHandle has no such method");
	if (h->proc == NULL) {
		if (build_status(call_result(c), &h->status) != 0)
			return call_exception(c,
			    capos_CapException_Type_failed, "result buffer");
		return CALL_DONE;
	}
	/* Slots of waiters whose threads ended are free. */
	for (uint32_t i = 0; i < h->nwaiters;)
		if (reply_to_gone(&h->waiters[i]))
			h->waiters[i] = h->waiters[--h->nwaiters];
		else
			i++;
	if (h->nwaiters == MAX_WAITERS)
		return call_exception(c, capos_CapException_Type_overloaded,
		    "too many waiters on this process");
	h->waiters[h->nwaiters] = c->to;
	h->waiters[h->nwaiters].owed = true;
	h->nwaiters++;
	return CALL_PENDING;
}

void
process_handle_exited(struct process *p)
{
	struct handle *h = (struct handle *)p->handle;
	struct reply r;
	uint8_t *buf;
	size_t len;

	if (h == NULL)
		return;
	h->status = p->status;
	h->proc = NULL;
	p->handle = NULL;
	for (uint32_t i = 0; i < h->nwaiters; i++) {
		buf = reply_scratch(&len);
		reply_init(&r, buf, len);
		if (build_status(&r.b, &h->status) != 0)
			r.started = false;
		reply_send(&h->waiters[i], &r);
	}
	h->nwaiters = 0;
}

static void
handle_release(struct kobj *obj)
{
	struct handle *h = (struct handle *)obj;

	/* Waiters hold no reference, so none can be left here; be sure. */
	for (uint32_t i = 0; i < h->nwaiters; i++)
		reply_cancel(&h->waiters[i],
		    capos_CapException_Type_disconnected, "handle released");
	if (h->proc != NULL)
		h->proc->handle = NULL;
	kmem_free(h, &h->charge);
}

static const struct kobj_ops handle_ops = {
	.name = "ProcessHandle",
	.call = handle_call,
	.release = handle_release,
};

struct kobj *
process_handle_create(struct process *p, struct kmem_account *payer)
{
	struct kcharge ch = { 0 };
	struct handle *h = kmem_zalloc(payer, sizeof(*h), &ch);

	if (h == NULL)
		return NULL;
	h->charge = ch;
	kobj_init(&h->obj, &handle_ops);
	h->proc = p;
	p->handle = &h->obj;
	return &h->obj;
}
