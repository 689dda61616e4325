/*
 * ParkSpace: futex-like waiting on 32-bit words of the caller's own address
 * space. wait(addr, expected, timeout) checks *addr == expected and parks
 * the call in one step (the kernel is not preempted, so no wake can slip in
 * between); wake(addr, count) answers up to count parked waits on that
 * word, oldest first, and says how many.
 *
 * Rules: a wait ends only by a wake (woken), its timeout (timedOut), or its
 * thread ending; there are no spurious wake-ups. timeoutNs 0 waits without
 * limit. A word that is unmapped or misaligned is `invalid`. At most
 * PARK_MAX_WAITERS waits are parked system-wide, and a process's park
 * waits, sleeps and notifications together at most PROC_MAX_KWAITS; one
 * more is refused as overloaded.
 */
#include "arch/x86_64/timer.h"
#include "cap/call.h"
#include "kernel.h"
#include "mm/aspace.h"
#include "mm/mem.h"
#include "obj/objects.h"
#include "proc/timeout.h"

/* Enough for every process to hold all the records it may: a process's
 * own limit is what a hostile one meets first. */
#define PARK_MAX_WAITERS	(MAX_PROCS * PROC_MAX_KWAITS)

struct parked {
	struct parked *next;
	struct reply_to to;
	struct proc_ref proc;
	struct kcharge charge;
	uint64_t addr;
	struct timeout timeout;
};

static struct parked *parked_head, *parked_tail;
static uint32_t nparked;

static void
unlink_parked(struct parked *w)
{
	struct parked *prev = NULL;

	for (struct parked *q = parked_head; q != NULL; prev = q, q = q->next) {
		if (q != w)
			continue;
		if (prev != NULL)
			prev->next = w->next;
		else
			parked_head = w->next;
		if (parked_tail == w)
			parked_tail = prev;
		nparked--;
		proc_kwait_put(&w->charge);
		break;
	}
	timeout_cancel(&w->timeout);
}

static void
answer(struct parked *w, void (*set)(struct capos_ParkResult_b *))
{
	struct capos_ParkResult_b r;
	struct reply rep;
	uint8_t *buf;
	size_t len;

	buf = reply_scratch(&len);
	reply_init(&rep, buf, len);
	if (capos_ParkResult_init_root(&rep.b, &r) != CAPNP_OK)
		rep.started = false;
	else
		set(&r);
	reply_send(&w->to, &rep);
}

static void
expired(struct timeout *to)
{
	struct parked *w = (struct parked *)((char *)to -
	    offsetof(struct parked, timeout));

	unlink_parked(w);
	answer(w, capos_ParkResult_set_timedOut);
	kfree(w);
}

static int
result(struct call *c, void (*set)(struct capos_ParkResult_b *))
{
	struct capos_ParkResult_b r;

	if (capos_ParkResult_init_root(call_result(c), &r) != CAPNP_OK)
		return call_exception(c, capos_CapException_Type_failed,
		    "result buffer");
	set(&r);
	return CALL_DONE;
}

static int
park_wait(struct call *c, const struct capnp_struct *root)
{
	struct capos_ParkSpace_wait_Params_r p = { *root };
	uint64_t addr = capos_ParkSpace_wait_Params_get_addr(&p);
	uint64_t timeout = capos_ParkSpace_wait_Params_get_timeoutNs(&p);
	uint32_t word;
	struct parked *w;

	if (addr % 4 != 0 ||
	    copy_from_user(&c->proc->as, &word, addr, sizeof(word)) != 0)
		return result(c, capos_ParkResult_set_invalid);
	if (word != capos_ParkSpace_wait_Params_get_expected(&p))
		return result(c, capos_ParkResult_set_mismatch);
	if ((w = kzalloc(sizeof(*w))) == NULL)
		return call_exception(c, capos_CapException_Type_overloaded,
		    "kernel out of memory");
	if (nparked == PARK_MAX_WAITERS ||
	    !proc_kwait_take(c->proc, sizeof(*w), &w->charge)) {
		kfree(w);
		return call_exception(c, capos_CapException_Type_overloaded,
		    "too many parked waits");
	}
	w->to = c->to;
	w->to.owed = true;
	w->proc = process_ref(c->proc);
	w->addr = addr;
	w->timeout.fire = expired;
	if (parked_tail != NULL)
		parked_tail->next = w;
	else
		parked_head = w;
	parked_tail = w;
	nparked++;
	if (timeout != 0) {
		uint64_t now = time_ns();

		timeout_arm(&w->timeout, timeout > UINT64_MAX - now ?
		    UINT64_MAX : now + timeout);
		timer_reprogram();
	}
	return CALL_PENDING;
}

static int
park_wake(struct call *c, const struct capnp_struct *root)
{
	struct capos_ParkSpace_wake_Params_r p = { *root };
	struct capos_ParkSpace_wake_Results_b r;
	uint64_t addr = capos_ParkSpace_wake_Params_get_addr(&p);
	uint32_t count = capos_ParkSpace_wake_Params_get_count(&p), n = 0;
	struct proc_ref me = process_ref(c->proc);
	struct parked *w = parked_head, *next;

	for (; w != NULL && n < count; w = next) {
		next = w->next;
		if (w->addr != addr || w->proc.index != me.index ||
		    w->proc.gen != me.gen)
			continue;
		unlink_parked(w);
		answer(w, capos_ParkResult_set_woken);
		kfree(w);
		n++;
	}
	if (capos_ParkSpace_wake_Results_init_root(call_result(c), &r) !=
	    CAPNP_OK)
		return call_exception(c, capos_CapException_Type_failed,
		    "result buffer");
	capos_ParkSpace_wake_Results_set_woken(&r, n);
	return CALL_DONE;
}

static int
park_call(struct kobj *obj, struct call *c)
{
	struct capnp_struct root;
	struct capnp_msg m;

	(void)obj;
	if (call_params(c, &m, &root) != 0)
		return call_exception(c, capos_CapException_Type_failed,
		    "malformed ParkSpace params");
	switch (c->method) {
	case capos_ParkSpace_wait_ORDINAL:
		return park_wait(c, &root);
	case capos_ParkSpace_wake_ORDINAL:
		return park_wake(c, &root);
	default:
		return call_exception(c, capos_CapException_Type_unimplemented,
		    "ParkSpace has no such method");
	}
}

void
park_thread_gone(struct thread *t)
{
	struct parked *w = parked_head, *next;

	for (; w != NULL; w = next) {
		next = w->next;
		if (w->to.thread.index == t->index &&
		    w->to.thread.gen == t->gen) {
			unlink_parked(w);
			kfree(w);
		}
	}
}

static const struct kobj_ops park_ops = {
	.name = "ParkSpace",
	.call = park_call,
	.release = NULL,
};

struct kobj *
park_create(void)
{
	static struct kobj o;

	if (o.ops == NULL)
		kobj_init(&o, &park_ops);
	return kobj_ref(&o);
}
