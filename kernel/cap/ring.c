/*
 * Ring index handling and submission checks. See ring.h.
 */
#include <string.h>

#include "cap/ring.h"

void
ring_init(struct ring *r, void *mem, uint64_t user_addr, uint64_t phys)
{
	r->lock.owner = 0;
	r->hdr = mem;
	r->sq = (struct capos_sqe *)((uint8_t *)mem + CAPOS_RING_SQ_OFFSET);
	r->cq = (struct capos_cqe *)((uint8_t *)mem + CAPOS_RING_CQ_OFFSET);
	r->sq_head = 0;
	r->cq_tail = 0;
	r->cq_owed = 0;
	r->user_addr = user_addr;
	r->phys = phys;
	r->hdr->sq_entries = CAPOS_SQ_ENTRIES;
	r->hdr->cq_entries = CAPOS_CQ_ENTRIES;
	r->hdr->sq_offset = CAPOS_RING_SQ_OFFSET;
	r->hdr->cq_offset = CAPOS_RING_CQ_OFFSET;
}

int
ring_sq_pending(const struct ring *r)
{
	uint32_t n = r->hdr->sq_tail - r->sq_head;

	return n > CAPOS_SQ_ENTRIES ? CAPOS_ERING : (int)n;
}

void
ring_sq_resync(struct ring *r)
{
	r->sq_head = r->hdr->sq_tail;
	r->hdr->sq_head = r->sq_head;
}

void
ring_sq_take(struct ring *r, struct capos_sqe *out)
{
	/* One copy out of shared memory; only the copy is looked at. */
	memcpy(out, &r->sq[r->sq_head % CAPOS_SQ_ENTRIES], sizeof(*out));
	r->sq_head++;
	r->hdr->sq_head = r->sq_head;
}

int
ring_cq_used(const struct ring *r)
{
	uint32_t used = r->cq_tail - r->hdr->cq_head;

	return used > CAPOS_CQ_ENTRIES ? CAPOS_ERING : (int)used;
}

uint32_t
ring_cq_room(const struct ring *r)
{
	int used = ring_cq_used(r);

	if (used < 0 || (uint32_t)used + r->cq_owed >= CAPOS_CQ_ENTRIES)
		return 0;
	return CAPOS_CQ_ENTRIES - (uint32_t)used - r->cq_owed;
}

void
ring_cq_post(struct ring *r, const struct capos_cqe *c)
{
	memcpy(&r->cq[r->cq_tail % CAPOS_CQ_ENTRIES], c, sizeof(*c));
	/* The entry must be visible before the tail that publishes it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	r->cq_tail++;
	r->hdr->cq_tail = r->cq_tail;
}

int
ring_sqe_check(const struct capos_sqe *e)
{
	if (e->opcode >= CAPOS_OP_COUNT)
		return CAPOS_EBADOP;
	if (e->reserved != 0)
		return CAPOS_EINVAL;
	if (e->flags != 0 && !(e->opcode == CAPOS_OP_RETURN &&
	    e->flags == CAPOS_SQE_EXCEPTION))
		return CAPOS_EINVAL;
	switch (e->opcode) {
	case CAPOS_OP_NOP:
		return 0;
	case CAPOS_OP_CALL:
		if (e->params_len > CAPOS_MAX_PARAMS)
			return CAPOS_E2BIG;
		if (e->ncaps_in > CAPOS_MAX_XCAPS ||
		    e->ncaps_out > CAPOS_MAX_XCAPS)
			return CAPOS_E2BIG;
		return 0;
	case CAPOS_OP_RELEASE:
		return 0;
	case CAPOS_OP_RECV:
		if (e->ncaps_in != 0 || e->ncaps_out > CAPOS_MAX_XCAPS)
			return CAPOS_EINVAL;
		if (e->result_len < sizeof(struct capos_recv_hdr))
			return CAPOS_ERESULT;
		return 0;
	case CAPOS_OP_RETURN:
		if (e->params_len > CAPOS_MAX_PARAMS)
			return CAPOS_E2BIG;
		if (e->ncaps_in > CAPOS_MAX_XCAPS)
			return CAPOS_E2BIG;
		/* An exception carries no capabilities. */
		if (e->flags == CAPOS_SQE_EXCEPTION && e->ncaps_in != 0)
			return CAPOS_EINVAL;
		return 0;
	default:
		return CAPOS_EBADOP;
	}
}
