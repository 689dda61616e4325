/*
 * The kernel's spin locks, stood in for on the host (kernel/lock.h): one
 * thread, so a lock is held or not, and taking it twice or dropping it
 * unheld is a bug that stops the test.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lock.h"
#include "lock_host.h"

/* The locks held now, so that a panic a test expects can let them go as
 * it returns to the test (the kernel's panic never returns). */
#define MAX_HELD	8
static struct spinlock *held[MAX_HELD];
static int nheld;

void
spin_lock(struct spinlock *l)
{
	if (l->owner != 0)
		fprintf(stderr, "spin_lock: the lock is held already\n"),
		    abort();
	if (nheld == MAX_HELD)
		fprintf(stderr, "spin_lock: more than %d locks held\n",
		    MAX_HELD), abort();
	l->owner = 1;
	held[nheld++] = l;
}

void
spin_unlock(struct spinlock *l)
{
	int i;

	if (l->owner != 1)
		fprintf(stderr, "spin_unlock: the lock is not held\n"), abort();
	l->owner = 0;
	for (i = 0; i < nheld && held[i] != l; i++)
		;
	held[i] = held[--nheld];
}

void
lock_host_panicked(void)
{
	while (nheld > 0)
		held[--nheld]->owner = 0;
}

bool
spin_mine(const struct spinlock *l)
{
	return l->owner == 1;
}
