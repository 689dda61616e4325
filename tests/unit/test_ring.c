/*
 * Ring index handling and submission checks, driven with corrupt headers:
 * the kernel side never reads or writes outside the ring whatever the
 * indices userspace controls say.
 */
#include <stdlib.h>

#include "cap/ring.h"
#include "test.h"

static void *
new_ring(struct ring *r)
{
	void *mem = aligned_alloc(4096, CAPOS_RING_SIZE);

	memset(mem, 0, CAPOS_RING_SIZE);
	ring_init(r, mem, 0x7fffffe00000ull, 0x1000);
	return mem;
}

TEST(ring_layout_is_published)
{
	struct ring r;
	void *mem = new_ring(&r);

	CHECK_EQ(r.hdr->sq_entries, CAPOS_SQ_ENTRIES);
	CHECK_EQ(r.hdr->cq_entries, CAPOS_CQ_ENTRIES);
	CHECK_EQ(r.hdr->sq_offset, CAPOS_RING_SQ_OFFSET);
	CHECK_EQ(r.hdr->cq_offset, CAPOS_RING_CQ_OFFSET);
	CHECK_EQ(ring_sq_pending(&r), 0);
	CHECK_EQ(ring_cq_used(&r), 0);
	CHECK_EQ(ring_cq_room(&r), CAPOS_CQ_ENTRIES);
	free(mem);
}

TEST(ring_takes_submissions_in_order_across_wrap)
{
	struct ring r;
	void *mem = new_ring(&r);
	struct capos_sqe e;

	/* Start near the 32-bit wrap of the free-running indices. */
	r.sq_head = r.hdr->sq_head = r.hdr->sq_tail = UINT32_MAX - 2;
	for (uint32_t i = 0; i < 5; i++) {
		uint32_t t = r.hdr->sq_tail;

		memset(&r.sq[t % CAPOS_SQ_ENTRIES], 0, sizeof(e));
		r.sq[t % CAPOS_SQ_ENTRIES].user_data = 100 + i;
		r.hdr->sq_tail = t + 1;
	}
	CHECK_EQ(ring_sq_pending(&r), 5);
	for (uint32_t i = 0; i < 5; i++) {
		ring_sq_take(&r, &e);
		CHECK_EQ_U64(e.user_data, 100 + i);
	}
	CHECK_EQ(ring_sq_pending(&r), 0);
	CHECK_EQ(r.hdr->sq_head, r.sq_head);
	free(mem);
}

TEST(ring_corrupt_sq_tail_is_refused_then_resynced)
{
	struct ring r;
	void *mem = new_ring(&r);

	r.hdr->sq_tail = 1000;
	CHECK_EQ(ring_sq_pending(&r), CAPOS_ERING);
	r.hdr->sq_tail = CAPOS_SQ_ENTRIES + 1;		/* overflow by one */
	CHECK_EQ(ring_sq_pending(&r), CAPOS_ERING);
	r.hdr->sq_tail = UINT32_MAX;			/* behind the head */
	CHECK_EQ(ring_sq_pending(&r), CAPOS_ERING);
	ring_sq_resync(&r);
	CHECK_EQ(ring_sq_pending(&r), 0);
	CHECK_EQ(r.hdr->sq_head, UINT32_MAX);
	r.hdr->sq_tail = CAPOS_SQ_ENTRIES;		/* exactly full: fine */
	r.sq_head = 0;
	CHECK_EQ(ring_sq_pending(&r), CAPOS_SQ_ENTRIES);
	/* The header's sq_head is the kernel's; scribbles are ignored. */
	r.hdr->sq_head = 12345;
	CHECK_EQ(ring_sq_pending(&r), CAPOS_SQ_ENTRIES);
	free(mem);
}

TEST(ring_cq_room_counts_promised_slots_and_corrupt_heads)
{
	struct ring r;
	void *mem = new_ring(&r);
	struct capos_cqe c = { .user_data = 9 };

	for (int i = 0; i < 10; i++)
		ring_cq_post(&r, &c);
	CHECK_EQ(ring_cq_used(&r), 10);
	r.cq_owed = 3;
	CHECK_EQ(ring_cq_room(&r), CAPOS_CQ_ENTRIES - 13);
	r.hdr->cq_head = 10;				/* user consumed all */
	CHECK_EQ(ring_cq_room(&r), CAPOS_CQ_ENTRIES - 3);
	r.hdr->cq_head = 11;				/* ahead of the tail */
	CHECK_EQ(ring_cq_used(&r), CAPOS_ERING);
	CHECK_EQ(ring_cq_room(&r), 0);
	r.hdr->cq_head = 10 - CAPOS_CQ_ENTRIES - 1;	/* too far behind */
	CHECK_EQ(ring_cq_used(&r), CAPOS_ERING);
	/* Full ring: no room, never an overwrite. */
	r.hdr->cq_head = 10;
	r.cq_owed = 0;
	for (int i = 0; i < CAPOS_CQ_ENTRIES; i++)
		ring_cq_post(&r, &c);
	CHECK_EQ(ring_cq_used(&r), CAPOS_CQ_ENTRIES);
	CHECK_EQ(ring_cq_room(&r), 0);
	CHECK_EQ(r.hdr->cq_tail, 10 + CAPOS_CQ_ENTRIES);
	free(mem);
}

TEST(ring_sqe_checks)
{
	struct capos_sqe e;

	memset(&e, 0, sizeof(e));
	CHECK_EQ(ring_sqe_check(&e), 0);
	e.opcode = CAPOS_OP_COUNT;
	CHECK_EQ(ring_sqe_check(&e), CAPOS_EBADOP);
	e.opcode = 255;
	CHECK_EQ(ring_sqe_check(&e), CAPOS_EBADOP);
	e.opcode = CAPOS_OP_NOP;
	e.flags = 0x80;
	CHECK_EQ(ring_sqe_check(&e), CAPOS_EINVAL);
	e.flags = 0;
	e.reserved = 1;
	CHECK_EQ(ring_sqe_check(&e), CAPOS_EINVAL);
	e.reserved = 0;
	e.opcode = CAPOS_OP_CALL;
	e.params_len = CAPOS_MAX_PARAMS;
	CHECK_EQ(ring_sqe_check(&e), 0);
	e.params_len = CAPOS_MAX_PARAMS + 1;
	CHECK_EQ(ring_sqe_check(&e), CAPOS_E2BIG);
	e.params_len = 0;
	e.opcode = CAPOS_OP_RETURN;
	e.flags = CAPOS_SQE_EXCEPTION;
	CHECK_EQ(ring_sqe_check(&e), 0);
	e.ncaps_in = 1;			/* exceptions carry no capabilities */
	CHECK_EQ(ring_sqe_check(&e), CAPOS_EINVAL);
	e.flags = 0;
	CHECK_EQ(ring_sqe_check(&e), 0);
	e.opcode = CAPOS_OP_CALL;
	e.flags = CAPOS_SQE_EXCEPTION;	/* only RETURN defines it */
	CHECK_EQ(ring_sqe_check(&e), CAPOS_EINVAL);
	e.flags = 0;
	e.ncaps_in = CAPOS_MAX_XCAPS + 1;
	CHECK_EQ(ring_sqe_check(&e), CAPOS_E2BIG);
	e.ncaps_in = 0;
	e.ncaps_out = CAPOS_MAX_XCAPS + 1;
	CHECK_EQ(ring_sqe_check(&e), CAPOS_E2BIG);
}
