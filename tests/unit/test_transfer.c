/*
 * Capability transfer: copies and moves taken from a table, then committed
 * or rolled back. Reference counts and slots must come out exactly right:
 * no capability lost, duplicated or left half-moved.
 */
#include "cap/transfer.h"
#include "test.h"

static int released;

static void
count_release(struct kobj *o)
{
	(void)o;
	released++;
}

static const struct kobj_ops ops = { "Test", NULL, count_release };

struct fixture {
	struct cap_slot slots[8];
	struct captable t;
	struct kobj a, b;
	capos_cap_t ida, idb;
};

/* Two objects, each held only by its slot in the table. */
static void
setup(struct fixture *f)
{
	released = 0;
	captable_init(&f->t, f->slots, 8, 3);
	kobj_init(&f->a, &ops);
	kobj_init(&f->b, &ops);
	f->ida = captable_insert(&f->t, &f->a, 0x11, 0);
	f->idb = captable_insert(&f->t, &f->b, 0x22, 0);
}

TEST(transfer_copy_keeps_sender_and_balances_refs)
{
	struct fixture f;
	struct capos_capdesc d[1] = { { 0, CAPOS_XFER_COPY } };
	struct xcap x[1];

	setup(&f);
	d[0].cap = f.ida;
	CHECK_EQ(xcaps_take(&f.t, d, 1, x), 0);
	CHECK_EQ(f.a.refs, 2);
	CHECK_EQ_U64(x[0].iface, 0x11);
	CHECK(captable_lookup(&f.t, f.ida) != NULL);
	xcaps_settle(&f.t, x, 1, true);
	CHECK_EQ(f.a.refs, 1);
	CHECK(captable_lookup(&f.t, f.ida) != NULL);
	CHECK_EQ(released, 0);
}

TEST(transfer_move_commit_frees_the_slot)
{
	struct fixture f;
	struct capos_capdesc d[1] = { { 0, CAPOS_XFER_MOVE } };
	struct xcap x[1];

	setup(&f);
	d[0].cap = f.ida;
	CHECK_EQ(xcaps_take(&f.t, d, 1, x), 0);
	/* Reserved: the sender cannot use it while it is in flight. */
	CHECK(captable_lookup(&f.t, f.ida) == NULL);
	CHECK_EQ(f.a.refs, 2);
	/* The receiver takes its own reference, then the move commits. */
	kobj_ref(&f.a);
	xcaps_settle(&f.t, x, 1, true);
	CHECK(captable_lookup(&f.t, f.ida) == NULL);
	CHECK_EQ(captable_room(&f.t), 7);
	CHECK_EQ(f.a.refs, 1);		/* only the receiver's */
	CHECK_EQ(released, 0);
}

TEST(transfer_move_rollback_restores_same_id)
{
	struct fixture f;
	struct capos_capdesc d[2] = { { 0, CAPOS_XFER_MOVE },
		{ 0, CAPOS_XFER_COPY } };
	struct xcap x[2];

	setup(&f);
	d[0].cap = f.ida;
	d[1].cap = f.idb;
	CHECK_EQ(xcaps_take(&f.t, d, 2, x), 0);
	xcaps_settle(&f.t, x, 2, false);
	CHECK(captable_lookup(&f.t, f.ida) != NULL);
	CHECK(captable_lookup(&f.t, f.ida)->obj == &f.a);
	CHECK_EQ(f.a.refs, 1);
	CHECK_EQ(f.b.refs, 1);
	CHECK_EQ(captable_room(&f.t), 6);
}

TEST(transfer_bad_descriptor_takes_nothing)
{
	struct fixture f;
	struct capos_capdesc d[3] = { { 0, CAPOS_XFER_MOVE },
		{ 0, CAPOS_XFER_COPY }, { 0x7777, CAPOS_XFER_COPY } };
	struct xcap x[3];

	setup(&f);
	d[0].cap = f.ida;
	d[1].cap = f.idb;
	CHECK_EQ(xcaps_take(&f.t, d, 3, x), CAPOS_ETRANSFER);
	CHECK(captable_lookup(&f.t, f.ida) != NULL);	/* un-reserved */
	CHECK_EQ(f.a.refs, 1);
	CHECK_EQ(f.b.refs, 1);
	/* A bad mode is refused the same way. */
	d[2].cap = f.idb;
	d[2].mode = 7;
	CHECK_EQ(xcaps_take(&f.t, d, 3, x), CAPOS_ETRANSFER);
	CHECK(captable_lookup(&f.t, f.ida) != NULL);
	CHECK_EQ(f.a.refs, 1);
	CHECK_EQ(f.b.refs, 1);
}

TEST(transfer_same_id_moved_twice_is_refused)
{
	struct fixture f;
	struct capos_capdesc d[2] = { { 0, CAPOS_XFER_MOVE },
		{ 0, CAPOS_XFER_MOVE } };
	struct xcap x[2];

	setup(&f);
	d[0].cap = d[1].cap = f.ida;
	CHECK_EQ(xcaps_take(&f.t, d, 2, x), CAPOS_ETRANSFER);
	CHECK(captable_lookup(&f.t, f.ida) != NULL);
	CHECK_EQ(f.a.refs, 1);
}

TEST(transfer_sender_gone_before_settling)
{
	struct fixture f;
	struct capos_capdesc d[1] = { { 0, CAPOS_XFER_MOVE } };
	struct xcap x[1];

	setup(&f);
	d[0].cap = f.ida;
	CHECK_EQ(xcaps_take(&f.t, d, 1, x), 0);
	/* The sender dies: its table releases every slot, reserved too. */
	kobj_unref(captable_commit(&f.t, f.ida));
	CHECK_EQ(f.a.refs, 1);		/* the in-flight record's */
	xcaps_settle(NULL, x, 1, false);
	CHECK_EQ(released, 1);		/* nothing leaked */
}
