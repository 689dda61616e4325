/*
 * Kernel timeouts: a list sorted by deadline. See timeout.h.
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

void
timeout_cancel(struct timeout *to)
{
	if (!to->armed)
		return;
	for (struct timeout **pp = &head; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == to) {
			*pp = to->next;
			break;
		}
	}
	to->next = NULL;
	to->armed = false;
	head_changed();
}

void
timeout_arm(struct timeout *to, uint64_t deadline)
{
	struct timeout **pp = &head;

	timeout_cancel(to);
	/* Equal deadlines keep arming order. */
	while (*pp != NULL && (*pp)->deadline <= deadline)
		pp = &(*pp)->next;
	to->deadline = deadline;
	to->next = *pp;
	to->armed = true;
	*pp = to;
	head_changed();
}

void
timeout_run(uint64_t now)
{
	while (head != NULL && head->deadline <= now) {
		struct timeout *to = head;

		head = to->next;
		to->next = NULL;
		to->armed = false;
		head_changed();
		to->fire(to);
	}
}

uint64_t
timeout_next(void)
{
	return head != NULL ? head->deadline : UINT64_MAX;
}

uint64_t
timeout_next_hint(void)
{
	return __atomic_load_n(&earliest, __ATOMIC_RELAXED);
}
