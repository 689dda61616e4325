/*
 * Bringing the device up (virtio 1.0, modern PCI transport): find the
 * configuration structures through the vendor capabilities in PCI
 * configuration space, reset, negotiate features, lay out both queues in
 * the DMA pool, and set DRIVER_OK. Every number the device gives is
 * checked against what we hold before it is used as an offset.
 */
#include <string.h>

#include "driver.h"

#define OUR_BAR		4
#define MAX_CAPS	48	/* a config space has room for no more */

struct region {
	bool found;
	uint32_t off;
	uint32_t len;
	uint32_t mult;		/* notify only */
};

static uint8_t callbuf[256] __attribute__((aligned(8)));

/* A PCI configuration read through DeviceMmio.config; -1 on failure. */
static int64_t
config(capos_cap_t mmio, uint32_t off, uint8_t width)
{
	struct capos_DeviceMmio_config_Params_b p;
	struct capos_DeviceMmio_config_Results_r r;
	uint8_t params[64] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct rt_result res;

	if (off >= 256 || capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_DeviceMmio_config_Params_init_root(&b, &p) != 0)
		return -1;
	capos_DeviceMmio_config_Params_set_offset(&p, (uint16_t)off);
	capos_DeviceMmio_config_Params_set_width(&p, width);
	if (rt_call(mmio, capos_DeviceMmio_INTERFACE_ID,
	    capos_DeviceMmio_config_ORDINAL, &b, NULL, 0, callbuf,
	    sizeof(callbuf), &res) != 0)
		return -1;
	r.s = res.root;
	return capos_DeviceMmio_config_Results_get_value(&r);
}

/*
 * Walks the capability list for the virtio structures in our BAR. A
 * structure in another BAR is one we cannot reach, so it counts as
 * missing; the walk is bounded, so a looping list ends.
 */
static int
find_regions(capos_cap_t mmio, struct region *rg)
{
	int64_t p = config(mmio, PCI_CAP_PTR, 1), type, bar, off, len, mult;

	for (int guard = 0; guard < MAX_CAPS && p >= 0x40 && p < 256;
	    guard++) {
		p &= 0xFC;
		if (config(mmio, (uint32_t)p, 1) == PCI_CAP_VENDOR) {
			type = config(mmio, (uint32_t)p + VCAP_TYPE, 1);
			bar = config(mmio, (uint32_t)p + VCAP_BAR, 1);
			off = config(mmio, (uint32_t)p + VCAP_OFFSET, 4);
			len = config(mmio, (uint32_t)p + VCAP_LENGTH, 4);
			if (type >= VCAP_COMMON && type <= VCAP_DEVICE &&
			    bar == OUR_BAR && off >= 0 && len >= 0 &&
			    !rg[type].found) {
				mult = 0;
				if (type == VCAP_NOTIFY && (mult = config(mmio,
				    (uint32_t)p + VCAP_NOTIFY_MULT, 4)) < 0)
					return -1;
				rg[type].found = true;
				rg[type].off = (uint32_t)off;
				rg[type].len = (uint32_t)len;
				rg[type].mult = (uint32_t)mult;
			}
		}
		p = config(mmio, (uint32_t)p + 1, 1);
	}
	return 0;
}

/*
 * The region lies inside the mapped BAR, holds at least need bytes, and
 * is aligned for the widest register we access in it.
 */
static bool
region_ok(const struct region *r, uint64_t bar_size, uint32_t need,
    uint32_t align)
{
	return r->found && r->len >= need && r->off % align == 0 &&
	    (uint64_t)r->off + r->len <= bar_size;
}

static uint8_t
cc_r8(struct nic *n, uint32_t off)
{
	return *(volatile uint8_t *)(n->common + off);
}

static uint16_t
cc_r16(struct nic *n, uint32_t off)
{
	return *(volatile uint16_t *)(n->common + off);
}

static uint32_t
cc_r32(struct nic *n, uint32_t off)
{
	return *(volatile uint32_t *)(n->common + off);
}

static void
cc_w8(struct nic *n, uint32_t off, uint8_t v)
{
	*(volatile uint8_t *)(n->common + off) = v;
}

static void
cc_w16(struct nic *n, uint32_t off, uint16_t v)
{
	*(volatile uint16_t *)(n->common + off) = v;
}

static void
cc_w32(struct nic *n, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(n->common + off) = v;
}

/* 64-bit registers as two 32-bit writes, low half first, which every
 * transport must accept. */
static void
cc_w64(struct nic *n, uint32_t off, uint64_t v)
{
	cc_w32(n, off, (uint32_t)v);
	cc_w32(n, off + 4, (uint32_t)(v >> 32));
}

void
nic_reset(struct nic *n)
{
	if (n->common == NULL)
		return;
	cc_w8(n, CC_STATUS, 0);
	/* The reset is done when status reads back 0. */
	for (int i = 0; i < 1000000 && cc_r8(n, CC_STATUS) != 0; i++)
		__asm__ volatile("pause");
}

static uint64_t
device_features(struct nic *n)
{
	uint64_t f;

	cc_w32(n, CC_DEV_FEATURE_SEL, 0);
	f = cc_r32(n, CC_DEV_FEATURE);
	cc_w32(n, CC_DEV_FEATURE_SEL, 1);
	return f | (uint64_t)cc_r32(n, CC_DEV_FEATURE) << 32;
}

/* The MAC, read until the configuration generation is stable around it. */
static void
read_mac(struct nic *n)
{
	uint8_t gen;

	for (int tries = 0; tries < 100; tries++) {
		gen = cc_r8(n, CC_CONFIG_GEN);
		for (int i = 0; i < 6; i++)
			n->mac[i] = n->devcfg[NETCFG_MAC + i];
		if (cc_r8(n, CC_CONFIG_GEN) == gen)
			return;
	}
}

bool
nic_link_changed(struct nic *n)
{
	bool up = true;
	uint8_t st;

	if (n->common == NULL)
		return false;
	st = cc_r8(n, CC_STATUS);
	if (st & (ST_NEEDS_RESET | ST_FAILED))
		n->broken = true;
	/* Without VIRTIO_NET_F_STATUS the link is always up. */
	if (n->features & F_NET_STATUS)
		up = (*(volatile uint16_t *)(n->devcfg + NETCFG_STATUS) &
		    NET_S_LINK_UP) != 0;
	if (up == n->link_up)
		return false;
	n->link_up = up;
	return true;
}

/*
 * Sets up queue q->num with its rings at va/dev in the pool: entries as
 * many as the device offers up to QMAX (a power of two, as split queues
 * need), its MSI-X vector 0, and where its notifications go.
 */
static int
setup_queue(struct nic *n, struct vq *q, uint8_t *va, uint64_t dev)
{
	uint16_t max, size = QMAX;
	uint64_t noff;

	cc_w16(n, CC_Q_SELECT, q->num);
	max = cc_r16(n, CC_Q_SIZE);
	if (max == 0)
		return -1;
	while (size > max)
		size >>= 1;
	if (size == 0)
		return -1;
	q->size = size;
	q->desc = (volatile struct vq_desc *)va;
	q->avail = va + PAGE;
	q->used = va + 2 * PAGE;
	cc_w16(n, CC_Q_SIZE, size);
	cc_w16(n, CC_Q_MSIX_VECTOR, 0);
	if (cc_r16(n, CC_Q_MSIX_VECTOR) == MSIX_NO_VECTOR)
		return -1;
	cc_w64(n, CC_Q_DESC, dev);
	cc_w64(n, CC_Q_DRIVER, dev + PAGE);
	cc_w64(n, CC_Q_DEVICE, dev + 2 * PAGE);
	noff = (uint64_t)cc_r16(n, CC_Q_NOTIFY_OFF) * n->notify_mult;
	if (noff % 2 != 0 || noff + 2 > n->notify_len)
		return -1;
	q->notify = (volatile uint16_t *)(n->notify_base + noff);
	cc_w16(n, CC_Q_ENABLE, 1);
	return 0;
}

/*
 * Every receive slot to the device; every transmit chain written once,
 * its header in the private pool (which the kernel zeroes, and a zero
 * header asks for no offloads) and its frame in its slot.
 */
static void
fill_queues(struct nic *n, uint64_t pool_dev, uint64_t frames_dev)
{
	struct vq *q = &n->rx;

	for (uint16_t i = 0; i < q->size; i++) {
		q->desc[i].addr = frames_dev + (uint64_t)i * SLOT_SIZE;
		q->desc[i].len = SLOT_SIZE;
		q->desc[i].flags = DESC_F_WRITE;
		q->desc[i].next = 0;
		rx_post(n, i);
	}
	q = &n->tx;
	n->ntx = q->size / 2;
	for (uint16_t k = 0; k < n->ntx; k++) {
		q->desc[2 * k].addr = pool_dev + POOL_TXHDR +
		    (uint64_t)k * HDR_STRIDE;
		q->desc[2 * k].len = NET_HDR_LEN;
		q->desc[2 * k].flags = DESC_F_NEXT;
		q->desc[2 * k].next = (uint16_t)(2 * k + 1);
		q->desc[2 * k + 1].addr = frames_dev +
		    (uint64_t)(n->rx.size + k) * SLOT_SIZE + HEADROOM;
		q->desc[2 * k + 1].len = 0;
		q->desc[2 * k + 1].flags = 0;
		q->desc[2 * k + 1].next = 0;
	}
	/* Transmit completions are collected on the next transmit, so
	 * the device need not interrupt for them; received frames only
	 * once a receive waits. */
	*(volatile uint16_t *)(q->avail + AVAIL_FLAGS) = AVAIL_F_NO_INTERRUPT;
	rx_interrupts(n, false);
}

static int
map_pool(capos_cap_t pool, uint64_t need, uint8_t **va, uint64_t *dev)
{
	struct capos_DMAPool_map_Results_r r;
	struct rt_result res;

	if (rt_call(pool, capos_DMAPool_INTERFACE_ID, capos_DMAPool_map_ORDINAL,
	    NULL, NULL, 0, callbuf, sizeof(callbuf), &res) != 0)
		return -1;
	r.s = res.root;
	if (capos_DMAPool_map_Results_get_size(&r) < need)
		return -1;
	*va = (uint8_t *)(uintptr_t)capos_DMAPool_map_Results_get_addr(&r);
	*dev = capos_DMAPool_map_Results_get_deviceAddr(&r);
	return 0;
}

static int
map_bar(capos_cap_t mmio, volatile uint8_t **va, uint64_t *size)
{
	struct capos_DeviceMmio_map_Results_r r;
	struct rt_result res;

	if (rt_call(mmio, capos_DeviceMmio_INTERFACE_ID,
	    capos_DeviceMmio_map_ORDINAL, NULL, NULL, 0, callbuf,
	    sizeof(callbuf), &res) != 0)
		return -1;
	r.s = res.root;
	*va = (volatile uint8_t *)(uintptr_t)
	    capos_DeviceMmio_map_Results_get_addr(&r);
	*size = capos_DeviceMmio_map_Results_get_size(&r);
	return 0;
}

static int
fail(struct nic *n, const char *why)
{
	rt_printf("[virtio-net] %s\n", why);
	if (n->common != NULL)
		cc_w8(n, CC_STATUS, cc_r8(n, CC_STATUS) | ST_FAILED);
	return -1;
}

int
nic_init(struct nic *n, capos_cap_t mmio, capos_cap_t pool,
    capos_cap_t frames)
{
	struct region rg[VCAP_DEVICE + 1];
	volatile uint8_t *bar;
	uint64_t bar_size, want, pool_dev, frames_dev;
	uint8_t *pool_va, *frames_va;

	memset(n, 0, sizeof(*n));
	memset(rg, 0, sizeof(rg));
	n->rx.num = RXQ;
	n->tx.num = TXQ;
	if (find_regions(mmio, rg) != 0)
		return fail(n, "cannot read PCI configuration");
	if (map_bar(mmio, &bar, &bar_size) != 0 || bar == NULL)
		return fail(n, "cannot map BAR 4");
	if (!region_ok(&rg[VCAP_COMMON], bar_size, CC_SIZE, 4) ||
	    !region_ok(&rg[VCAP_NOTIFY], bar_size, 2, 2) ||
	    !region_ok(&rg[VCAP_DEVICE], bar_size, NETCFG_SIZE, 2))
		return fail(n, "no usable virtio structures in BAR 4");
	if (map_pool(pool, POOL_BYTES, &pool_va, &pool_dev) != 0)
		return fail(n, "cannot map a large enough DMA pool");
	if (map_pool(frames, FRAMES_BYTES, &frames_va, &frames_dev) != 0)
		return fail(n, "cannot map a large enough frame area");
	n->common = bar + rg[VCAP_COMMON].off;
	n->devcfg = bar + rg[VCAP_DEVICE].off;
	n->notify_base = bar + rg[VCAP_NOTIFY].off;
	n->notify_len = rg[VCAP_NOTIFY].len;
	n->notify_mult = rg[VCAP_NOTIFY].mult;

	nic_reset(n);
	cc_w8(n, CC_STATUS, ST_ACKNOWLEDGE);
	cc_w8(n, CC_STATUS, ST_ACKNOWLEDGE | ST_DRIVER);
	/* No offloads and no mergeable buffers: one buffer is one frame. */
	want = F_VERSION_1 | F_NET_MAC | F_NET_STATUS;
	n->features = device_features(n) & want;
	if (!(n->features & F_VERSION_1))
		return fail(n, "the device does not offer VIRTIO_F_VERSION_1");
	if (!(n->features & F_NET_MAC))
		return fail(n, "the device has no MAC address");
	cc_w32(n, CC_DRV_FEATURE_SEL, 0);
	cc_w32(n, CC_DRV_FEATURE, (uint32_t)n->features);
	cc_w32(n, CC_DRV_FEATURE_SEL, 1);
	cc_w32(n, CC_DRV_FEATURE, (uint32_t)(n->features >> 32));
	cc_w8(n, CC_STATUS, ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK);
	if (!(cc_r8(n, CC_STATUS) & ST_FEATURES_OK))
		return fail(n, "the device refused our features");
	if (cc_r16(n, CC_NUM_QUEUES) < 2)
		return fail(n, "the device has no transmit queue");
	/* Configuration changes (the link) raise the same vector. */
	cc_w16(n, CC_MSIX_CONFIG, 0);
	if (cc_r16(n, CC_MSIX_CONFIG) == MSIX_NO_VECTOR)
		return fail(n, "the device cannot use MSI-X vector 0");
	if (setup_queue(n, &n->rx, pool_va + POOL_RXQ, pool_dev + POOL_RXQ) !=
	    0 || setup_queue(n, &n->tx, pool_va + POOL_TXQ, pool_dev + POOL_TXQ)
	    != 0 || n->tx.size < 2)
		return fail(n, "cannot set up the queues");
	read_mac(n);
	fill_queues(n, pool_dev, frames_dev);
	cc_w8(n, CC_STATUS, ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK |
	    ST_DRIVER_OK);
	(void)nic_link_changed(n);
	/* Buffers may be offered before DRIVER_OK, but not announced. */
	vq_kick(&n->rx);
	return 0;
}
