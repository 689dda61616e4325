/*
 * The split virtqueues. Every descriptor is written once, at bring-up
 * (only a transmit frame's length changes): receive descriptor i points
 * at receive slot i, transmit chain k is descriptors 2k (its header) and
 * 2k + 1 (its slot). So a slot is named by its descriptor id and the
 * device is never told an address outside the pools. What the device
 * writes back (the used index, ids, lengths) is untrusted: an id must
 * name a descriptor the device holds, a length must fit the slot, and the
 * used index may run at most one queue's worth ahead of us.
 */
#include <string.h>

#include "driver.h"

static uint16_t
device_idx(struct vq *q)
{
	return __atomic_load_n((volatile uint16_t *)(q->used + USED_IDX),
	    __ATOMIC_ACQUIRE);
}

/* Offers descriptor id on the driver ring and publishes the new index. */
static void
offer(struct vq *q, uint16_t id)
{
	volatile uint16_t *ring = (volatile uint16_t *)(q->avail + AVAIL_RING);

	ring[q->avail_idx & (q->size - 1)] = id;
	q->posted[id] = true;
	q->avail_idx++;
	/* The entry must be visible before the index that covers it. */
	__atomic_store_n((volatile uint16_t *)(q->avail + AVAIL_IDX),
	    q->avail_idx, __ATOMIC_RELEASE);
}

void
vq_kick(struct vq *q)
{
	/* The index store must reach memory before we read the device's
	 * flag and before the notification. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (*(volatile uint16_t *)(q->used + USED_FLAGS) & USED_F_NO_NOTIFY)
		return;
	*q->notify = q->num;
}

/*
 * Takes the next device-ring entry: 1 with its id and length, 0 when the
 * ring is empty or the device broke its rules (n->broken is then set).
 * An id the device does not hold is counted and skipped. The device's
 * index is read once per call, so a device that keeps publishing bad
 * entries cannot hold the driver here: one call looks at no more than a
 * queue's worth.
 */
static int
take_used(struct nic *n, struct vq *q, uint16_t *id, uint32_t *len)
{
	volatile uint8_t *e;
	uint16_t ready;
	uint32_t i;

	if (n->broken)
		return 0;
	ready = (uint16_t)(device_idx(q) - q->used_idx);
	if (ready > q->size) {
		n->broken = true;
		rt_printf("[virtio-net] queue %u: device ring index ran %u "
		    "ahead; stopping\n", q->num, ready);
		return 0;
	}
	for (; ready > 0; ready--) {
		e = q->used + USED_RING +
		    (q->used_idx & (q->size - 1)) * USED_ELEM;
		i = *(volatile uint32_t *)e;
		*len = *(volatile uint32_t *)(e + 4);
		q->used_idx++;
		if (i < q->size && q->posted[i]) {
			q->posted[i] = false;
			*id = (uint16_t)i;
			return 1;
		}
		n->bad_entries++;
	}
	return 0;
}

void
rx_interrupts(struct nic *n, bool on)
{
	*(volatile uint16_t *)(n->rx.avail + AVAIL_FLAGS) =
	    on ? 0 : AVAIL_F_NO_INTERRUPT;
	/* The flag must be visible before we look at the ring again. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

int
rx_next(struct nic *n, uint16_t *id, uint32_t *len)
{
	uint32_t got, tries = 0;

	/* A dropped entry's slot goes straight back, and the device may
	 * return it at once: stop after a queue's worth per call. */
	while (tries++ < n->rx.size && take_used(n, &n->rx, id, &got)) {
		/* A header and a frame of 1 to maxFrame bytes, in the slot. */
		if (got <= NET_HDR_LEN || got > SLOT_SIZE ||
		    got - NET_HDR_LEN > capos_Nic_maxFrame) {
			n->rx_dropped++;
			rx_post(n, *id);
			continue;
		}
		*len = got - NET_HDR_LEN;
		n->rx_frames++;
		return 1;
	}
	return 0;
}

void
rx_post(struct nic *n, uint16_t id)
{
	if (id < n->rx.size && !n->rx.posted[id])
		offer(&n->rx, id);
}

int
tx_reclaim(struct nic *n, uint16_t *chain)
{
	uint16_t id;
	uint32_t len;

	/* Only a chain's head is ever offered, so only heads come back. */
	if (!take_used(n, &n->tx, &id, &len))
		return 0;
	*chain = id / 2;
	return 1;
}

bool
tx_busy(const struct nic *n, uint16_t k)
{
	return n->tx.posted[2 * k];
}

void
tx_put(struct nic *n, uint16_t k, uint32_t len)
{
	n->tx.desc[2 * k + 1].len = len;
	offer(&n->tx, (uint16_t)(2 * k));
	n->tx_frames++;
}
