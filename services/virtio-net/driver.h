/*
 * The virtio-net driver's state: one device, one receive and one
 * transmit queue, every ring and buffer inside the DMA pool.
 */
#ifndef VIRTIO_NET_DRIVER_H
#define VIRTIO_NET_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "net.capnp.h"
#include "rt.h"
#include "virtio.h"

/*
 * Queue entries we use (the device may offer more; fewer is allowed) and
 * one buffer of BUF_SIZE per entry: a 12-byte header plus the largest
 * frame (1514) fits, which is what a device without mergeable buffers
 * or offloads needs.
 */
#define QMAX		256
#define BUF_SIZE	2048
#define PAGE		4096

/* Pool layout: per queue a page each for the descriptor table, the
 * driver ring and the device ring, then the rx and the tx buffers. */
#define POOL_RXQ	0
#define POOL_TXQ	(3 * PAGE)
#define POOL_RXBUF	(6 * PAGE)
#define POOL_TXBUF	(POOL_RXBUF + QMAX * BUF_SIZE)
#define POOL_BYTES	(POOL_TXBUF + QMAX * BUF_SIZE)
#define POOL_PAGES	(POOL_BYTES / PAGE)

_Static_assert(QMAX * sizeof(struct vq_desc) <= PAGE, "descriptors fit");
_Static_assert(AVAIL_RING + QMAX * 2 + 2 <= PAGE, "driver ring fits");
_Static_assert(USED_RING + QMAX * USED_ELEM + 2 <= PAGE, "device ring fits");
_Static_assert(NET_HDR_LEN + 1514 <= BUF_SIZE, "a frame fits a buffer");

struct vq {
	uint16_t num;			/* the device's queue number */
	uint16_t size;			/* entries, a power of two <= QMAX */
	volatile struct vq_desc *desc;
	volatile uint8_t *avail;
	volatile uint8_t *used;
	volatile uint16_t *notify;
	uint16_t avail_idx;		/* next driver-ring slot to fill */
	uint16_t used_idx;		/* next device-ring entry to read */
	uint8_t *bufs;			/* size buffers of BUF_SIZE */
	/* Descriptors the device holds; an id it returns must be one. */
	bool posted[QMAX];
	/* Transmit descriptors the driver holds, free to fill. */
	uint16_t free[QMAX];
	uint16_t nfree;
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
	uint64_t rx_frames, rx_dropped, tx_frames, tx_dropped, bad_entries;
};

/* device.c: bring-up and teardown. */
int nic_init(struct nic *n, capos_cap_t mmio, capos_cap_t pool);
void nic_reset(struct nic *n);
/* Rereads the link state; true if it changed. */
bool nic_link_changed(struct nic *n);

/* queue.c: the split virtqueues. */
void vq_kick(struct vq *q);
/*
 * The next good received frame: 1 with its descriptor id, bytes and
 * length, 0 when none is waiting. Bad entries are dropped and counted on
 * the way; a device that breaks the ring's rules sets n->broken.
 */
int rx_next(struct nic *n, uint16_t *id, const uint8_t **frame,
    uint32_t *len);
/*
 * Whether the device should interrupt for received frames: only while a
 * receive waits for them. The flag is a hint the device may ignore.
 */
void rx_interrupts(struct nic *n, bool on);
/* Gives a receive buffer back to the device (kick afterwards). */
void rx_post(struct nic *n, uint16_t id);
/* Takes back transmit buffers the device has finished with. */
void tx_reclaim(struct nic *n);
/* Queues one frame (kick afterwards); 0, or -1 when no buffer is free. */
int tx_put(struct nic *n, const uint8_t *frame, uint32_t len);

#endif
