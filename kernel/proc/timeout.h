/*
 * Kernel timeouts: a callback at a monotonic nanosecond deadline. Threads
 * sleeping with a timeout, ParkSpace waits and Timer capabilities all use
 * them; the timer interrupt fires whatever is due and then programs the
 * local APIC for the next deadline (or the scheduling quantum).
 *
 * The list has its own lock (docs/smp.md, "The scheduler's lock"), taken
 * through timeouts_lock and timeouts_unlock, which the kernel defines
 * (sched.c) and the host tests stand in for: it stands above the
 * scheduler's lock and below the BKL. A timeout is fired either with the
 * lock held (sched_only: its callback takes only the scheduler's lock, a
 * thread's own deadline) or with it dropped (every other: its callback
 * may arm or cancel timeouts, and runs under the BKL).
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
	/* fire needs no BKL and takes no lock but the scheduler's: it is
	 * fired with the list's lock held, so a cancel returns only once
	 * it is over, and a tick may fire it without the BKL. */
	bool sched_only;
};

void timeouts_lock(void);
void timeouts_unlock(void);

/* Arms (or re-arms) to for deadline; the earliest deadlines fire first. */
void timeout_arm(struct timeout *to, uint64_t deadline);
/* Takes to off the list; true if it was on it. False for one that has
 * fired, or been taken off to fire: its callback runs or has run. */
bool timeout_cancel(struct timeout *to);
/* Fires every timeout due at `now`, earliest first. A callback that is
 * not sched_only may arm timeouts again, including its own. */
void timeout_run(uint64_t now);
/* Fires the sched_only timeouts due at `now` up to the first due one
 * that is not; returns whether such a one is due (it needs the BKL:
 * timeout_run). */
bool timeout_run_sched_only(uint64_t now);
/* The earliest armed deadline, or UINT64_MAX. */
uint64_t timeout_next(void);
/* The same, safe to read with no lock held (another CPU may be changing
 * the list): as of the last change, a hint for whether a lock is needed. */
uint64_t timeout_next_hint(void);

#endif
