/*
 * The kernel's side of one thread's ring (layout in capos/abi.h). The
 * kernel keeps its own copies of the indices it owns and only reads the
 * indices userspace owns, once per use, so nothing userspace writes can make
 * it read or write outside the ring.
 *
 * This file is pure: it works on memory it is given, which lets the host
 * tests drive it with corrupt headers.
 */
#ifndef CAPOS_RING_H
#define CAPOS_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "capos/abi.h"
#include "lock.h"

/*
 * The SQ side is only ever touched by the thread that owns the ring, on
 * the CPU running it. The CQ side is posted to by whoever completes a
 * call: `lock` covers cq_tail and cq_owed, and a thread looks at its CQ
 * and blocks under it, so a completion posted by another CPU is either
 * seen or wakes the thread (docs/smp.md, "ParkSpace without the lock").
 */
struct ring {
	struct spinlock lock;
	struct capos_ring_header *hdr;
	struct capos_sqe *sq;
	struct capos_cqe *cq;
	uint32_t sq_head;	/* the kernel's copy; published to hdr */
	uint32_t cq_tail;	/* the kernel's copy; published to hdr */
	uint32_t cq_owed;	/* CQ slots promised to calls still pending */
	uint64_t user_addr;	/* where userspace sees the ring */
	uint64_t phys;		/* first of its frames */
};

/* Lays out a fresh ring in `mem` (CAPOS_RING_SIZE bytes, zeroed). */
void ring_init(struct ring *r, void *mem, uint64_t user_addr, uint64_t phys);

/*
 * Number of submissions waiting, or CAPOS_ERING if the tail userspace wrote
 * claims more than the ring holds.
 */
int ring_sq_pending(const struct ring *r);
/* Skips every submission up to the tail userspace wrote (after ERING). */
void ring_sq_resync(struct ring *r);
/* Copies out the next submission; the caller checked ring_sq_pending. */
void ring_sq_take(struct ring *r, struct capos_sqe *out);

/* Completions not yet consumed by userspace, or CAPOS_ERING if cq_head is
 * corrupt (ahead of the tail or more than a ring behind). */
int ring_cq_used(const struct ring *r);
/* Free CQ slots that are not promised to pending calls (0 if corrupt). */
uint32_t ring_cq_room(const struct ring *r);
/* Posts a completion; the caller checked room (or owns a promised slot). */
void ring_cq_post(struct ring *r, const struct capos_cqe *c);

/* Checks the fields of a submission that do not depend on kernel state. */
int ring_sqe_check(const struct capos_sqe *e);

#endif
