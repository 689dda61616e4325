/*
 * The virtio-net driver's state: one device, one receive and one
 * transmit queue, the rings and headers in a private DMA pool and the
 * frames in a second one shared with the network stack.
 */
#ifndef VIRTIO_NET_DRIVER_H
#define VIRTIO_NET_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "net.capnp.h"
#include "rt.h"
#include "virtio.h"

/*
 * Queue entries we use (the device may offer more; fewer is allowed).
 * Frames live in the frame area, a second DMA pool shared with the
 * network stack (docs/network.md): one slot of SLOT_SIZE per receive
 * entry, then one per transmit chain. A receive slot holds the 12-byte
 * header the device writes and the frame; a transmit chain is two
 * descriptors, the header in the private pool (so the stack cannot
 * change what the device is told about a frame) and the frame in its
 * slot, HEADROOM bytes in, as in a receive slot.
 */
#define QMAX		256
#define SLOT_SIZE	2048
#define HEADROOM	NET_HDR_LEN
#define PAGE		4096

/* Private pool: per queue a page each for the descriptor table, the
 * driver ring and the device ring, then the transmit headers. */
#define POOL_RXQ	0
#define POOL_TXQ	(3 * PAGE)
#define POOL_TXHDR	(6 * PAGE)
#define HDR_STRIDE	16
#define POOL_BYTES	(POOL_TXHDR + PAGE)
#define POOL_PAGES	(POOL_BYTES / PAGE)

/* Frame area: at most QMAX receive slots and QMAX / 2 transmit slots. */
#define FRAMES_BYTES	((QMAX + QMAX / 2) * SLOT_SIZE)
#define FRAMES_PAGES	(FRAMES_BYTES / PAGE)

_Static_assert(QMAX * sizeof(struct vq_desc) <= PAGE, "descriptors fit");
_Static_assert(AVAIL_RING + QMAX * 2 + 2 <= PAGE, "driver ring fits");
_Static_assert(USED_RING + QMAX * USED_ELEM + 2 <= PAGE, "device ring fits");
_Static_assert(QMAX / 2 * HDR_STRIDE <= PAGE, "transmit headers fit");
_Static_assert(HEADROOM + 1514 <= SLOT_SIZE, "a frame fits a slot");

struct vq {
	uint16_t num;			/* the device's queue number */
	uint16_t size;			/* entries, a power of two <= QMAX */
	volatile struct vq_desc *desc;
	volatile uint8_t *avail;
	volatile uint8_t *used;
	volatile uint16_t *notify;
	uint16_t avail_idx;		/* next driver-ring slot to fill */
	uint16_t used_idx;		/* next device-ring entry to read */
	/* Descriptors the device holds; an id it returns must be one. */
	bool posted[QMAX];
};

struct nic {
	volatile uint8_t *common;
	volatile uint8_t *devcfg;
	volatile uint8_t *notify_base;
	uint64_t notify_len;
	uint32_t notify_mult;
	uint64_t features;
	uint8_t mac[6];
	bool link_up;
	/* The device broke a rule (or asked for a reset): stop using it. */
	bool broken;
	struct vq rx, tx;
	uint16_t ntx;			/* transmit chains: tx.size / 2 */
	uint64_t rx_frames, rx_dropped, tx_frames, tx_dropped, bad_entries;
};

/* device.c: bring-up and teardown. */
int nic_init(struct nic *n, capos_cap_t mmio, capos_cap_t pool,
    capos_cap_t frames);
void nic_reset(struct nic *n);
/* Rereads the link state; true if it changed. */
bool nic_link_changed(struct nic *n);

/* queue.c: the split virtqueues. */
void vq_kick(struct vq *q);
/*
 * The next good received frame: 1 with its descriptor id (= its slot) and
 * the frame's length, 0 when none is waiting. Bad entries are dropped
 * and counted on the way; a device that breaks the ring's rules sets
 * n->broken.
 */
int rx_next(struct nic *n, uint16_t *id, uint32_t *len);
/*
 * Whether the device should interrupt for received frames: only while a
 * receive waits for them. The flag is a hint the device may ignore.
 */
void rx_interrupts(struct nic *n, bool on);
/* Gives a receive slot back to the device (kick afterwards). */
void rx_post(struct nic *n, uint16_t id);
/* The next transmit chain the device has finished with: 1 with its
 * number (0 .. ntx-1), or 0. */
int tx_reclaim(struct nic *n, uint16_t *chain);
/* Whether the device holds transmit chain k. */
bool tx_busy(const struct nic *n, uint16_t k);
/* Sends the len-byte frame in chain k's slot (kick afterwards). */
void tx_put(struct nic *n, uint16_t k, uint32_t len);

#endif
