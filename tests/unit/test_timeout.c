/*
 * Kernel timeouts: they fire in deadline order, once, not early, and a
 * cancelled or re-armed timeout does what was asked last.
 */
#include <stdio.h>
#include <stdlib.h>

#include "proc/timeout.h"
#include "test.h"

static int fired[8], nfired, locked, locked_at[8];

/* The kernel's lock, stood in for: held or not, and never twice. */
void
timeouts_lock(void)
{
	if (locked++ != 0)
		fprintf(stderr, "timeouts_lock taken twice\n"), abort();
}

void
timeouts_unlock(void)
{
	if (--locked != 0)
		fprintf(stderr, "timeouts_unlock without the lock\n"), abort();
}

static void
record(struct timeout *to)
{
	locked_at[nfired] = locked;
	fired[nfired++] = (int)to->deadline;
}

/* Re-arms itself once, 5 later. */
static void
again(struct timeout *to)
{
	record(to);
	if (to->deadline < 100)
		timeout_arm(to, to->deadline + 5);
}

TEST(timeout_fires_in_deadline_order_and_not_early)
{
	struct timeout a = { .fire = record }, b = { .fire = record },
	    c = { .fire = record };

	nfired = 0;
	timeout_arm(&a, 30);
	timeout_arm(&b, 10);
	timeout_arm(&c, 20);
	CHECK_EQ_U64(timeout_next(), 10);
	timeout_run(9);
	CHECK_EQ(nfired, 0);
	timeout_run(20);
	CHECK_EQ(nfired, 2);
	CHECK_EQ(fired[0], 10);
	CHECK_EQ(fired[1], 20);
	CHECK(!b.armed && !c.armed && a.armed);
	timeout_run(1000);
	CHECK_EQ(nfired, 3);
	CHECK_EQ_U64(timeout_next(), UINT64_MAX);
}

TEST(timeout_cancel_and_rearm)
{
	struct timeout a = { .fire = record }, b = { .fire = record };

	nfired = 0;
	timeout_arm(&a, 10);
	timeout_arm(&b, 20);
	CHECK(timeout_cancel(&a));
	CHECK(!timeout_cancel(&a));	/* twice: harmless, and said */
	timeout_arm(&b, 5);		/* re-arm moves it */
	CHECK_EQ_U64(timeout_next(), 5);
	timeout_run(100);
	CHECK_EQ(nfired, 1);
	CHECK_EQ(fired[0], 5);
	CHECK(!timeout_cancel(&b));	/* fired: its callback ran */
}

TEST(timeout_callback_may_rearm_itself)
{
	struct timeout a = { .fire = again };

	nfired = 0;
	timeout_arm(&a, 95);
	timeout_run(200);
	CHECK_EQ(nfired, 2);
	CHECK_EQ(fired[0], 95);
	CHECK_EQ(fired[1], 100);
	CHECK(!a.armed);
}

TEST(timeout_sched_only_fire_under_the_lock_and_stop_at_the_others)
{
	struct timeout a = { .fire = record, .sched_only = true },
	    b = { .fire = record }, c = { .fire = record, .sched_only = true };

	nfired = 0;
	timeout_arm(&a, 10);
	timeout_arm(&b, 20);
	timeout_arm(&c, 30);
	/* Only a is due: fired, and nothing else is due. */
	CHECK(!timeout_run_sched_only(15));
	CHECK_EQ(nfired, 1);
	CHECK_EQ(fired[0], 10);
	CHECK_EQ(locked_at[0], 1);
	/* b is due and needs the BKL: left, though c behind it is due. */
	CHECK(timeout_run_sched_only(40));
	CHECK_EQ(nfired, 1);
	CHECK_EQ_U64(timeout_next(), 20);
	/* The full run fires b without the lock, c with it. */
	timeout_run(40);
	CHECK_EQ(nfired, 3);
	CHECK_EQ(fired[1], 20);
	CHECK_EQ(locked_at[1], 0);
	CHECK_EQ(fired[2], 30);
	CHECK_EQ(locked_at[2], 1);
	CHECK_EQ(locked, 0);
	CHECK_EQ_U64(timeout_next(), UINT64_MAX);
}
