/*
 * Kernel timeouts: a callback at a monotonic nanosecond deadline. Threads
 * sleeping with a timeout, ParkSpace waits and Timer capabilities all use
 * them; the timer interrupt fires whatever is due and then programs the
 * local APIC for the next deadline (or the scheduling quantum).
 *
 * Pure list code: callers guarantee no concurrency (one CPU, kernel not
 * preempted), so it is tested on the host.
 */
#ifndef CAPOS_TIMEOUT_H
#define CAPOS_TIMEOUT_H

#include <stdbool.h>
#include <stdint.h>

struct timeout {
	uint64_t deadline;
	void (*fire)(struct timeout *to);
	struct timeout *next;
	bool armed;
};

/* Arms (or re-arms) to for deadline; the earliest deadlines fire first. */
void timeout_arm(struct timeout *to, uint64_t deadline);
void timeout_cancel(struct timeout *to);
/* Fires every timeout due at `now`, earliest first. A callback may arm
 * timeouts again, including its own. */
void timeout_run(uint64_t now);
/* The earliest armed deadline, or UINT64_MAX. */
uint64_t timeout_next(void);
/* The same, safe to read with no lock held (another CPU may be changing
 * the list): as of the last change, a hint for whether a lock is needed. */
uint64_t timeout_next_hint(void);

#endif
