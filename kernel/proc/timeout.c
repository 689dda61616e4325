/*
 * Kernel timeouts: a list sorted by deadline, under its own lock. See
 * timeout.h.
 */
#include <stddef.h>

#include "proc/timeout.h"

static struct timeout *head;
/* head's deadline, for timeout_next_hint. */
static uint64_t earliest = UINT64_MAX;

static void
head_changed(void)
{
	__atomic_store_n(&earliest, head != NULL ? head->deadline :
	    UINT64_MAX, __ATOMIC_RELAXED);
}

static bool
cancel_locked(struct timeout *to)
{
	if (!to->armed)
		return false;
	for (struct timeout **pp = &head; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == to) {
			*pp = to->next;
			break;
		}
	}
	to->next = NULL;
	to->armed = false;
	head_changed();
	return true;
}

bool
timeout_cancel(struct timeout *to)
{
	bool was;

	timeouts_lock();
	was = cancel_locked(to);
	timeouts_unlock();
	return was;
}

void
timeout_arm(struct timeout *to, uint64_t deadline)
{
	struct timeout **pp = &head;

	timeouts_lock();
	cancel_locked(to);
	/* Equal deadlines keep arming order. */
	while (*pp != NULL && (*pp)->deadline <= deadline)
		pp = &(*pp)->next;
	to->deadline = deadline;
	to->next = *pp;
	to->armed = true;
	*pp = to;
	head_changed();
	timeouts_unlock();
}

/* Takes the head off the list if it is due at now (and, with
 * sched_only, fires with the lock held); the lock is held. */
static struct timeout *
pop_due(uint64_t now, bool sched_only)
{
	struct timeout *to = head;

	if (to == NULL || to->deadline > now ||
	    (sched_only && !to->sched_only))
		return NULL;
	head = to->next;
	to->next = NULL;
	to->armed = false;
	head_changed();
	return to;
}

void
timeout_run(uint64_t now)
{
	struct timeout *to;

	for (;;) {
		timeouts_lock();
		if ((to = pop_due(now, false)) == NULL) {
			timeouts_unlock();
			return;
		}
		if (to->sched_only) {
			to->fire(to);
			timeouts_unlock();
		} else {
			timeouts_unlock();
			to->fire(to);
		}
	}
}

bool
timeout_run_sched_only(uint64_t now)
{
	struct timeout *to;
	bool more;

	timeouts_lock();
	while ((to = pop_due(now, true)) != NULL)
		to->fire(to);
	more = head != NULL && head->deadline <= now;
	timeouts_unlock();
	return more;
}

uint64_t
timeout_next(void)
{
	uint64_t next;

	timeouts_lock();
	next = head != NULL ? head->deadline : UINT64_MAX;
	timeouts_unlock();
	return next;
}

uint64_t
timeout_next_hint(void)
{
	return __atomic_load_n(&earliest, __ATOMIC_RELAXED);
}
