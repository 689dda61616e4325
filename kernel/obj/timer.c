/*
 * Timer: monotonic time, sleeping, and notifications. `sleep` completes its
 * call after the delay; `notify` returns a TimerNotification whose `next`
 * completes at each expiry (one-shot or periodic), reporting how many
 * expiries were missed since the previous `next` returned. At most one
 * `next` may wait on a notification at a time.
 */
#include "arch/x86_64/timer.h"
#include "cap/call.h"
#include "kernel.h"
#include "mm/mem.h"
#include "obj/objects.h"
#include "proc/timeout.h"

/* As PARK_MAX_WAITERS: per-process limits come first. */
#define MAX_SLEEPERS	(MAX_PROCS * PROC_MAX_KWAITS)
#define MIN_PERIOD_NS	1000000		/* 1 ms */

struct sleeper {
	struct sleeper *next;
	struct reply_to to;
	struct kcharge charge;
	struct timeout timeout;
};

struct notification {
	struct kobj obj;
	struct kcharge charge;
	struct timeout timeout;
	uint64_t period;		/* 0: one-shot */
	uint64_t expiries;		/* since the last `next` returned */
	bool spent;			/* one-shot fired and was collected */
	bool waiting;
	struct reply_to waiter;
};

static struct sleeper *sleepers;
static uint32_t nsleepers;

static uint64_t
deadline_after(uint64_t ns)
{
	uint64_t now = time_ns();

	return ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
}

static void
sleeper_unlink(struct sleeper *s)
{
	for (struct sleeper **pp = &sleepers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			nsleepers--;
			kmem_wait_put(&s->charge);
			break;
		}
	}
	timeout_cancel(&s->timeout);
}

static void
sleep_done(struct timeout *to)
{
	struct sleeper *s = (struct sleeper *)((char *)to -
	    offsetof(struct sleeper, timeout));
	struct capos_Timer_sleep_Results_b r;
	struct reply rep;
	uint8_t *buf;
	size_t len;

	sleeper_unlink(s);
	buf = reply_scratch(&len);
	reply_init(&rep, buf, len);
	if (capos_Timer_sleep_Results_init_root(&rep.b, &r) != CAPNP_OK)
		rep.started = false;
	reply_send(&s->to, &rep);
	kfree(s);
}

void
timer_thread_gone(struct thread *t)
{
	struct sleeper *s = sleepers, *next;

	for (; s != NULL; s = next) {
		next = s->next;
		if (s->to.thread.index == t->index &&
		    s->to.thread.gen == t->gen) {
			sleeper_unlink(s);
			kfree(s);
		}
	}
}

/* Answers the notification's waiting `next` with the missed count. */
static void
deliver(struct notification *n)
{
	struct capos_TimerNotification_next_Results_b r;
	struct reply rep;
	uint8_t *buf;
	size_t len;

	buf = reply_scratch(&len);
	reply_init(&rep, buf, len);
	if (capos_TimerNotification_next_Results_init_root(&rep.b, &r) !=
	    CAPNP_OK)
		rep.started = false;
	else
		capos_TimerNotification_next_Results_set_missed(&r,
		    n->expiries - 1);
	n->waiting = false;
	n->expiries = 0;
	if (n->period == 0)
		n->spent = true;
	reply_send(&n->waiter, &rep);
}

/*
 * The expiry at deadline fired late or on time at now: counts it and every
 * period missed since, and re-arms for the next one after now. A period so
 * long that the next expiry would pass the end of time disarms.
 */
static void
notification_fired(struct timeout *to)
{
	struct notification *n = (struct notification *)((char *)to -
	    offsetof(struct notification, timeout));
	uint64_t now = time_ns(), late, next;

	n->expiries++;
	if (n->period != 0) {
		late = now > to->deadline ? (now - to->deadline) / n->period : 0;
		n->expiries += late;
		if (late + 1 > (UINT64_MAX - to->deadline) / n->period)
			n->period = 0;		/* no further expiry exists */
		else {
			next = to->deadline + (late + 1) * n->period;
			timeout_arm(&n->timeout, next);
		}
	}
	if (n->waiting && reply_to_gone(&n->waiter))
		n->waiting = false;	/* kept for the next next() */
	if (n->waiting)
		deliver(n);
}

static int
notification_call(struct kobj *obj, struct call *c)
{
	struct notification *n = (struct notification *)obj;
	struct capos_TimerNotification_next_Results_b r;
	struct capos_TimerNotification_cancel_Results_b cr;

	switch (c->method) {
	case capos_TimerNotification_next_ORDINAL:
		/* The slot of a waiter whose thread ended is free. */
		if (n->waiting && !reply_to_gone(&n->waiter))
			return call_exception(c,
			    capos_CapException_Type_overloaded,
			    "a next() is already waiting");
		n->waiting = false;
		if (n->expiries > 0) {
			if (capos_TimerNotification_next_Results_init_root(
			    call_result(c), &r) != CAPNP_OK)
				return call_exception(c,
				    capos_CapException_Type_failed,
				    "result buffer");
			capos_TimerNotification_next_Results_set_missed(&r,
			    n->expiries - 1);
			n->expiries = 0;
			if (n->period == 0)
				n->spent = true;
			return CALL_DONE;
		}
		if (n->spent || !n->timeout.armed)
			return call_exception(c, capos_CapException_Type_failed,
			    "the notification will not fire again");
		n->waiter = c->to;
		n->waiter.owed = true;
		n->waiting = true;
		return CALL_PENDING;
	case capos_TimerNotification_cancel_ORDINAL:
		timeout_cancel(&n->timeout);
		if (n->waiting) {
			n->waiting = false;
			reply_cancel(&n->waiter, capos_CapException_Type_failed,
			    "cancelled");
		}
		if (capos_TimerNotification_cancel_Results_init_root(
		    call_result(c), &cr) != CAPNP_OK)
			return call_exception(c, capos_CapException_Type_failed,
			    "result buffer");
		return CALL_DONE;
	default:
		return call_exception(c, capos_CapException_Type_unimplemented,
		    "TimerNotification has no such method");
	}
}

static void
notification_release(struct kobj *obj)
{
	struct notification *n = (struct notification *)obj;

	timeout_cancel(&n->timeout);
	if (n->waiting)
		reply_cancel(&n->waiter, capos_CapException_Type_disconnected,
		    "notification released");
	kmem_wait_put(&n->charge);
	kfree(n);
}

static const struct kobj_ops notification_ops = {
	.name = "TimerNotification",
	.call = notification_call,
	.release = notification_release,
};

static int
timer_sleep(struct call *c, const struct capnp_struct *root)
{
	struct capos_Timer_sleep_Params_r p = { *root };
	struct sleeper *s;

	if ((s = kzalloc(sizeof(*s))) == NULL)
		return call_exception(c, capos_CapException_Type_overloaded,
		    "kernel out of memory");
	if (nsleepers == MAX_SLEEPERS ||
	    !proc_kwait_take(c->proc, sizeof(*s), &s->charge)) {
		kfree(s);
		return call_exception(c, capos_CapException_Type_overloaded,
		    "too many sleepers");
	}
	s->to = c->to;
	s->to.owed = true;
	s->timeout.fire = sleep_done;
	s->next = sleepers;
	sleepers = s;
	nsleepers++;
	timeout_arm(&s->timeout, deadline_after(
	    capos_Timer_sleep_Params_get_ns(&p)));
	timer_reprogram();
	return CALL_PENDING;
}

static int
timer_notify(struct call *c, const struct capnp_struct *root)
{
	struct capos_Timer_notify_Params_r p = { *root };
	struct capos_Timer_notify_Results_b r;
	struct notification *n;
	int idx;

	if (c->to.ncaps_out < 1 || captable_room(&c->proc->caps) < 1)
		return call_exception(c, capos_CapException_Type_failed,
		    "no room for the notification in the result");
	if ((n = kzalloc(sizeof(*n))) == NULL)
		return call_exception(c, capos_CapException_Type_overloaded,
		    "kernel out of memory");
	if (!proc_kwait_take(c->proc, sizeof(*n), &n->charge)) {
		kfree(n);
		return call_exception(c, capos_CapException_Type_overloaded,
		    "too many timers for this process");
	}
	kobj_init(&n->obj, &notification_ops);
	n->period = capos_Timer_notify_Params_get_periodNs(&p);
	/* Short periods would only spin the CPU in the interrupt. */
	if (n->period != 0 && n->period < MIN_PERIOD_NS)
		n->period = MIN_PERIOD_NS;
	n->timeout.fire = notification_fired;
	idx = reply_add_cap(&c->reply, &n->obj,
	    capos_TimerNotification_INTERFACE_ID);
	if (capos_Timer_notify_Results_init_root(call_result(c), &r) !=
	    CAPNP_OK)
		return call_exception(c, capos_CapException_Type_failed,
		    "result buffer");
	capos_Timer_notify_Results_set_notification(&r, (uint32_t)idx);
	timeout_arm(&n->timeout, deadline_after(
	    capos_Timer_notify_Params_get_delayNs(&p)));
	timer_reprogram();
	return CALL_DONE;
}

static int
timer_call(struct kobj *obj, struct call *c)
{
	struct capos_Timer_now_Results_b nr;
	struct capnp_struct root;
	struct capnp_msg m;

	(void)obj;
	if (call_params(c, &m, &root) != 0)
		return call_exception(c, capos_CapException_Type_failed,
		    "malformed Timer params");
	switch (c->method) {
	case capos_Timer_now_ORDINAL:
		if (capos_Timer_now_Results_init_root(call_result(c), &nr) !=
		    CAPNP_OK)
			return call_exception(c,
			    capos_CapException_Type_failed, "result buffer");
		capos_Timer_now_Results_set_ns(&nr, time_ns());
		return CALL_DONE;
	case capos_Timer_sleep_ORDINAL:
		return timer_sleep(c, &root);
	case capos_Timer_notify_ORDINAL:
		return timer_notify(c, &root);
	default:
		return call_exception(c, capos_CapException_Type_unimplemented,
		    "Timer has no such method");
	}
}

static const struct kobj_ops timer_ops = {
	.name = "Timer",
	.call = timer_call,
	.release = NULL,
};

struct kobj *
timer_create(void)
{
	static struct kobj o;

	if (o.ops == NULL)
		kobj_init(&o, &timer_ops);
	return kobj_ref(&o);
}
