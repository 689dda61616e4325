/*
 * Capability table: ids are generation-checked, stale and foreign ids fail,
 * and the reserve/commit/rollback steps of a move keep exactly one owner.
 */
#include "cap/captable.h"
#include "test.h"

/* Objects are opaque to the table; any distinct addresses do. */
static char obj_a, obj_b, obj_c;
#define A ((struct kobj *)&obj_a)
#define B ((struct kobj *)&obj_b)
#define C ((struct kobj *)&obj_c)

TEST(captable_insert_lookup_remove)
{
	struct cap_slot slots[4];
	struct captable t;
	capos_cap_t a, b;

	captable_init(&t, slots, 4, 7);
	a = captable_insert(&t, A, 0x1111, 5);
	b = captable_insert(&t, B, 0x2222, 0);
	CHECK(a != CAPOS_CAP_NULL && b != CAPOS_CAP_NULL && a != b);
	CHECK(captable_lookup(&t, a) != NULL);
	CHECK(captable_lookup(&t, a)->obj == A);
	CHECK_EQ_U64(captable_lookup(&t, a)->interface_id, 0x1111);
	CHECK_EQ_U64(captable_lookup(&t, a)->meta, 5);
	CHECK_EQ(captable_room(&t), 2);
	CHECK(captable_remove(&t, a) == A);
	CHECK(captable_lookup(&t, a) == NULL);
	CHECK(captable_remove(&t, a) == NULL);	/* twice: nothing */
	CHECK_EQ(captable_room(&t), 3);
}

TEST(captable_stale_id_fails_after_slot_reuse)
{
	struct cap_slot slots[1];
	struct captable t;
	capos_cap_t old, fresh;

	captable_init(&t, slots, 1, 1);
	old = captable_insert(&t, A, 1, 0);
	captable_remove(&t, old);
	fresh = captable_insert(&t, B, 1, 0);
	CHECK_EQ(CAPOS_CAP_INDEX(old), CAPOS_CAP_INDEX(fresh));
	CHECK(old != fresh);
	CHECK(captable_lookup(&t, old) == NULL);
	CHECK(captable_remove(&t, old) == NULL);
	CHECK(captable_lookup(&t, fresh)->obj == B);
}

TEST(captable_bad_ids_fail)
{
	struct cap_slot slots[4], other_slots[4];
	struct captable t, other;
	capos_cap_t mine, theirs;

	captable_init(&t, slots, 4, 100);
	captable_init(&other, other_slots, 4, 200);
	mine = captable_insert(&t, A, 1, 0);
	theirs = captable_insert(&other, B, 1, 0);
	CHECK(captable_lookup(&t, CAPOS_CAP_NULL) == NULL);
	CHECK(captable_lookup(&t, 4 | (100u << 16)) == NULL);	/* index */
	CHECK(captable_lookup(&t, 0xFFFFFFFFu) == NULL);
	CHECK(captable_lookup(&t, 1 | (100u << 16)) == NULL);	/* free slot */
	/* Same index, other table's generation: names nothing here. */
	CHECK_EQ(CAPOS_CAP_INDEX(theirs), CAPOS_CAP_INDEX(mine));
	CHECK(captable_lookup(&t, theirs) == NULL);
}

TEST(captable_full_table_refuses)
{
	struct cap_slot slots[2];
	struct captable t;

	captable_init(&t, slots, 2, 1);
	CHECK(captable_insert(&t, A, 1, 0) != CAPOS_CAP_NULL);
	CHECK(captable_insert(&t, B, 1, 0) != CAPOS_CAP_NULL);
	CHECK_EQ(captable_insert(&t, C, 1, 0), CAPOS_CAP_NULL);
	CHECK_EQ(captable_room(&t), 0);
}

TEST(captable_move_reserve_commit_rollback)
{
	struct cap_slot slots[2];
	struct captable t;
	capos_cap_t a;

	captable_init(&t, slots, 2, 9);
	a = captable_insert(&t, A, 1, 0);
	CHECK_EQ(captable_reserve(&t, a), 0);
	/* Reserved: invisible, cannot be reserved or removed again. */
	CHECK(captable_lookup(&t, a) == NULL);
	CHECK_EQ(captable_reserve(&t, a), -1);
	CHECK(captable_remove(&t, a) == NULL);
	/* The slot still counts as taken. */
	CHECK_EQ(captable_room(&t), 1);
	CHECK_EQ(captable_rollback(&t, a), 0);
	CHECK(captable_lookup(&t, a)->obj == A);
	CHECK_EQ(captable_rollback(&t, a), -1);	/* not reserved any more */

	CHECK_EQ(captable_reserve(&t, a), 0);
	CHECK(captable_commit(&t, a) == A);
	CHECK(captable_commit(&t, a) == NULL);
	CHECK(captable_lookup(&t, a) == NULL);
	CHECK_EQ(captable_room(&t), 2);
}

TEST(captable_generation_wraps_past_zero)
{
	struct cap_slot slots[1];
	struct captable t;
	capos_cap_t id = CAPOS_CAP_NULL;

	captable_init(&t, slots, 1, 0xFFFE);
	for (int i = 0; i < 4; i++) {
		id = captable_insert(&t, A, 1, 0);
		CHECK(id != CAPOS_CAP_NULL);
		CHECK(CAPOS_CAP_GEN(id) != 0);
		captable_remove(&t, id);
	}
}

TEST(captable_get_copies_a_live_slot_only)
{
	struct cap_slot slots[2], got;
	struct captable t;
	capos_cap_t a, b;

	captable_init(&t, slots, 2, 3);
	a = captable_insert(&t, A, 0x1111, 9);
	b = captable_insert(&t, B, 0x2222, 0);
	CHECK(captable_get(&t, a, &got));
	CHECK(got.obj == A);
	CHECK_EQ_U64(got.interface_id, 0x1111);
	CHECK_EQ_U64(got.meta, 9);
	CHECK_EQ(captable_reserve(&t, b), 0);
	CHECK(!captable_get(&t, b, &got));	/* reserved: invisible */
	captable_remove(&t, a);
	CHECK(!captable_get(&t, a, &got));	/* stale */
	CHECK(!captable_get(&t, CAPOS_CAP_NULL, &got));
	CHECK(!t.lock.owner);
}

static struct kobj *cleared[4];
static int ncleared;

static void
note_cleared(struct kobj *o)
{
	cleared[ncleared++] = o;
}

TEST(captable_clear_frees_live_and_reserved_slots)
{
	struct cap_slot slots[4];
	struct captable t;
	capos_cap_t a, b, c;

	captable_init(&t, slots, 4, 5);
	a = captable_insert(&t, A, 1, 0);
	b = captable_insert(&t, B, 1, 0);
	c = captable_insert(&t, C, 1, 0);
	captable_remove(&t, b);
	CHECK_EQ(captable_reserve(&t, c), 0);
	ncleared = 0;
	captable_clear(&t, note_cleared);
	CHECK_EQ(ncleared, 2);
	CHECK(cleared[0] == A && cleared[1] == C);
	CHECK_EQ(captable_room(&t), 4);
	CHECK(captable_lookup(&t, a) == NULL);
	CHECK(captable_commit(&t, c) == NULL);
	CHECK(!t.lock.owner);
}
