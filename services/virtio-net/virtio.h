/*
 * The virtio 1.0 facts the driver relies on: the modern PCI transport's
 * vendor capabilities and common configuration registers, the split
 * virtqueue layout, and the network device's header, features and
 * configuration. Offsets are in bytes; everything the device shares is
 * little-endian, as x86 is.
 */
#ifndef VIRTIO_NET_VIRTIO_H
#define VIRTIO_NET_VIRTIO_H

#include <stdint.h>

/* PCI configuration space. */
#define PCI_CAP_PTR		0x34
#define PCI_CAP_VENDOR		0x09

/* A virtio vendor capability: cfg_type at 3, bar at 4, offset at 8,
 * length at 12; a notify capability adds its multiplier at 16. */
#define VCAP_TYPE		3
#define VCAP_BAR		4
#define VCAP_OFFSET		8
#define VCAP_LENGTH		12
#define VCAP_NOTIFY_MULT	16
#define VCAP_COMMON		1
#define VCAP_NOTIFY		2
#define VCAP_ISR		3
#define VCAP_DEVICE		4

/* The common configuration structure. */
#define CC_DEV_FEATURE_SEL	0x00
#define CC_DEV_FEATURE		0x04
#define CC_DRV_FEATURE_SEL	0x08
#define CC_DRV_FEATURE		0x0C
#define CC_MSIX_CONFIG		0x10
#define CC_NUM_QUEUES		0x12
#define CC_STATUS		0x14
#define CC_CONFIG_GEN		0x15
#define CC_Q_SELECT		0x16
#define CC_Q_SIZE		0x18
#define CC_Q_MSIX_VECTOR	0x1A
#define CC_Q_ENABLE		0x1C
#define CC_Q_NOTIFY_OFF		0x1E
#define CC_Q_DESC		0x20
#define CC_Q_DRIVER		0x28
#define CC_Q_DEVICE		0x30
#define CC_SIZE			0x38

#define MSIX_NO_VECTOR		0xFFFF

/* device_status bits. */
#define ST_ACKNOWLEDGE		0x01
#define ST_DRIVER		0x02
#define ST_DRIVER_OK		0x04
#define ST_FEATURES_OK		0x08
#define ST_NEEDS_RESET		0x40
#define ST_FAILED		0x80

/* Feature bits. */
#define F_NET_MAC		(1ull << 5)
#define F_NET_STATUS		(1ull << 16)
#define F_VERSION_1		(1ull << 32)

/* The network device's configuration: mac[6], then status. */
#define NETCFG_MAC		0
#define NETCFG_STATUS		6
#define NETCFG_SIZE		8
#define NET_S_LINK_UP		1

/*
 * struct virtio_net_hdr. With VIRTIO_F_VERSION_1 it always includes
 * num_buffers, so it is 12 bytes whether or not mergeable buffers are
 * negotiated; with no offloads negotiated every field is zero on transmit.
 */
#define NET_HDR_LEN		12

/* Queue numbers of the first (only) pair. */
#define RXQ			0
#define TXQ			1

/* Split virtqueue: a descriptor table, the driver ("available") ring and
 * the device ("used") ring. */
struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

#define DESC_F_NEXT		1
#define DESC_F_WRITE		2

/* Driver ring: flags, idx, ring[size] (16-bit ids), used_event. */
#define AVAIL_FLAGS		0
#define AVAIL_IDX		2
#define AVAIL_RING		4
#define AVAIL_F_NO_INTERRUPT	1

/* Device ring: flags, idx, ring[size] of { u32 id, u32 len }, avail_event. */
#define USED_FLAGS		0
#define USED_IDX		2
#define USED_RING		4
#define USED_ELEM		8
#define USED_F_NO_NOTIFY	1

#endif
