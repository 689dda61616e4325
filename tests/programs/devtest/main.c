/*
 * devtest: checks the device capabilities a driver gets, on a virtio-net
 * device. It holds "bar4" (the BAR with the virtio registers), "irq" (the
 * device's Interrupt), "pool" (a 16-page DMA pool), "deviceManager" and
 * "processSpawner", and checks:
 *   - configuration reads, and the refusals of bad ones;
 *   - the BAR mapped uncached into this process (reading the virtio
 *     common configuration through it), refused as a call buffer;
 *   - the page of the MSI-X table left out of a mapping of the BAR that
 *     holds it: a child process (this program run with "msix", holding
 *     that BAR) reads the table through its mapping and must die of a
 *     page fault in its device window, at the table's offset in the page
 *     (the QEMU case also matches the kernel's fault report against the
 *     address the child printed);
 *   - the DMA pool and its SharedMemory face;
 *   - DeviceManager.dmaPool: a device has at most 8 live pools (the
 *     granted one and 7 more), the 9th is refused as overloaded, and
 *     released pools make room again;
 *   - the Interrupt: a wait stays pending while the device has nothing to
 *     say, and completes once the device is made to raise its MSI-X
 *     interrupt (one frame sent on the transmit queue, vector 0).
 */
#include <string.h>

#include "check.h"
#include "rt.h"

#define VIRTIO_VENDOR	0x1af4
#define VIRTIO_NET	0x1041
#define CAP_VENDOR	0x09
#define CAP_MSIX	0x11
#define VIRTIO_COMMON	1
#define VIRTIO_NOTIFY	2
#define PAGE		4096
#define POOL_PAGES	16
/* The device has 8 pools at most (kernel/obj/device.c). */
#define DEVICE_POOLS	8

static uint8_t buf[256] __attribute__((aligned(8)));

/* A config read; returns the value, or -1 on any failure. */
static int64_t
config(capos_cap_t mmio, uint16_t off, uint8_t width)
{
	struct capos_DeviceMmio_config_Params_b p;
	struct capos_DeviceMmio_config_Results_r r;
	uint8_t params[64] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct rt_result res;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_DeviceMmio_config_Params_init_root(&b, &p) != 0)
		return -1;
	capos_DeviceMmio_config_Params_set_offset(&p, off);
	capos_DeviceMmio_config_Params_set_width(&p, width);
	if (rt_call(mmio, capos_DeviceMmio_INTERFACE_ID,
	    capos_DeviceMmio_config_ORDINAL, &b, NULL, 0, buf, sizeof(buf),
	    &res) != 0)
		return -1;
	r.s = res.root;
	return capos_DeviceMmio_config_Results_get_value(&r);
}

static uint64_t
map_mmio(capos_cap_t mmio, uint64_t *size)
{
	struct capos_DeviceMmio_map_Results_r r;
	struct rt_result res;

	if (rt_call(mmio, capos_DeviceMmio_INTERFACE_ID,
	    capos_DeviceMmio_map_ORDINAL, NULL, NULL, 0, buf, sizeof(buf),
	    &res) != 0)
		return 0;
	r.s = res.root;
	*size = capos_DeviceMmio_map_Results_get_size(&r);
	return capos_DeviceMmio_map_Results_get_addr(&r);
}

static void
shared_face(capos_cap_t pool, uint8_t *pmem, uint64_t psize)
{
	struct capos_SharedMemory_map_Results_r sr;
	struct capos_DMAPool_map_Results_r pr;
	struct rt_result res;
	capos_cap_t shm = rt_pool_share(pool), again;
	uint64_t addr = 0, size = 0;

	expect("pool share gives a capability", shm != CAPOS_CAP_NULL, 1);
	expect("shared face map", rt_call(shm, capos_SharedMemory_INTERFACE_ID,
	    capos_SharedMemory_map_ORDINAL, NULL, NULL, 0, buf, sizeof(buf),
	    &res), 0);
	sr.s = res.root;
	addr = capos_SharedMemory_map_Results_get_addr(&sr);
	size = capos_SharedMemory_map_Results_get_size(&sr);
	expect("shared face at the pool's address", addr ==
	    (uint64_t)(uintptr_t)pmem && addr != 0, 1);
	expect("shared face has the pool's size", (int64_t)size,
	    (int64_t)psize);
	/* Read as a DMAPool answer, the device address field is not there. */
	pr.s = res.root;
	expect("shared face tells no device address",
	    (int64_t)capos_DMAPool_map_Results_get_deviceAddr(&pr), 0);
	if (addr != 0 && addr == (uint64_t)(uintptr_t)pmem &&
	    size == psize && psize >= 2) {
		volatile uint8_t *m = (volatile uint8_t *)(uintptr_t)addr;

		expect("pool bytes seen through the shared face",
		    m[0] == 0x5A && m[psize - 1] == 0x5A, 1);
		m[1] = 0xA5;
		expect("shared face writes seen through the pool", pmem[1],
		    0xA5);
	}

	/* Only SharedMemory's own method, and only under its interface. */
	expect("shared face as a DMAPool: wrong interface", rt_call(shm,
	    capos_DMAPool_INTERFACE_ID, capos_DMAPool_map_ORDINAL, NULL, NULL,
	    0, buf, sizeof(buf), &res), CAPOS_EIFACE);
	expect("DMAPool.share's number on the shared face", rt_call(shm,
	    capos_SharedMemory_INTERFACE_ID, capos_DMAPool_share_ORDINAL,
	    NULL, NULL, 0, buf, sizeof(buf), &res), RT_EXCEPTION);
	expect("as unimplemented", (int64_t)res.cqe.aux,
	    capos_CapException_Type_unimplemented);
	expect("and it hands out no capability", res.cqe.ncaps, 0);
	expect("the pool as a SharedMemory: wrong interface", rt_call(pool,
	    capos_SharedMemory_INTERFACE_ID, capos_SharedMemory_map_ORDINAL,
	    NULL, NULL, 0, buf, sizeof(buf), &res), CAPOS_EIFACE);

	/* Shared twice, and released: the pool goes on as before. */
	again = rt_pool_share(pool);
	expect("a second share maps at the same address", again !=
	    CAPOS_CAP_NULL && rt_call(again, capos_SharedMemory_INTERFACE_ID,
	    capos_SharedMemory_map_ORDINAL, NULL, NULL, 0, buf, sizeof(buf),
	    &res) == 0 && (sr.s = res.root,
	    capos_SharedMemory_map_Results_get_addr(&sr)) == addr, 1);
	expect("release the shared faces", rt_release(shm) == 0 &&
	    rt_release(again) == 0, 1);
	expect("pool maps at the same address after", rt_call(pool,
	    capos_DMAPool_INTERFACE_ID, capos_DMAPool_map_ORDINAL, NULL, NULL,
	    0, buf, sizeof(buf), &res) == 0 && (pr.s = res.root,
	    capos_DMAPool_map_Results_get_addr(&pr)) ==
	    (uint64_t)(uintptr_t)pmem && pmem[1] == 0xA5, 1);
}

/*
 * Walks the PCI capability list for the first capability with id (and, for
 * virtio vendor capabilities, cfg_type vtype); its config offset, or -1.
 * The walk is bounded, so a looping list ends.
 */
static int64_t
find_cap(capos_cap_t mmio, uint8_t id, int vtype)
{
	int64_t p = config(mmio, 0x34, 1);

	for (int guard = 0; p > 0 && guard < 48; guard++) {
		p &= 0xFC;
		if (config(mmio, (uint16_t)p, 1) == id && (vtype < 0 ||
		    config(mmio, (uint16_t)(p + 3), 1) == vtype))
			return p;
		p = config(mmio, (uint16_t)(p + 1), 1);
	}
	return -1;
}

/* The BAR and offset of a virtio structure, from config. */
static int
find_virtio(capos_cap_t mmio, int vtype, uint8_t *bar, uint32_t *off)
{
	int64_t p = find_cap(mmio, CAP_VENDOR, vtype);

	if (p < 0)
		return -1;
	*bar = (uint8_t)config(mmio, (uint16_t)(p + 4), 1);
	*off = (uint32_t)config(mmio, (uint16_t)(p + 8), 4);
	return 0;
}

/* The MSI-X table's BAR and offset in it, from config; -1 if none. */
static int
find_msix(capos_cap_t mmio, uint8_t *bar, uint32_t *off)
{
	int64_t p = find_cap(mmio, CAP_MSIX, -1), t;

	if (p < 0 || (t = config(mmio, (uint16_t)(p + 4), 4)) < 0)
		return -1;
	*bar = (uint8_t)(t & 7);
	*off = (uint32_t)t & ~7u;
	return 0;
}

/* DeviceManager.mmio or .dmaPool for this device: the capability, or
 * CAPOS_CAP_NULL with the call's status in *rc (res->cqe.aux: why). */
static capos_cap_t
mint(capos_cap_t mgr, uint16_t method, uint8_t bar, uint32_t pages,
    struct rt_result *res, int *rc)
{
	struct capos_DeviceManager_dmaPool_Params_b pp;
	struct capos_DeviceManager_mmio_Params_b mp;
	struct capos_DeviceManager_dmaPool_Results_r pr;
	struct capos_DeviceManager_mmio_Results_r mr;
	uint8_t params[64] __attribute__((aligned(8)));
	struct capnp_builder b;
	uint32_t idx;
	int err;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0)
		return CAPOS_CAP_NULL;
	if (method == capos_DeviceManager_mmio_ORDINAL) {
		if (capos_DeviceManager_mmio_Params_init_root(&b, &mp) != 0)
			return CAPOS_CAP_NULL;
		capos_DeviceManager_mmio_Params_set_vendor(&mp, VIRTIO_VENDOR);
		capos_DeviceManager_mmio_Params_set_device(&mp, VIRTIO_NET);
		capos_DeviceManager_mmio_Params_set_bar(&mp, bar);
	} else {
		if (capos_DeviceManager_dmaPool_Params_init_root(&b, &pp) != 0)
			return CAPOS_CAP_NULL;
		capos_DeviceManager_dmaPool_Params_set_vendor(&pp,
		    VIRTIO_VENDOR);
		capos_DeviceManager_dmaPool_Params_set_device(&pp, VIRTIO_NET);
		capos_DeviceManager_dmaPool_Params_set_pages(&pp, pages);
	}
	if ((*rc = rt_call(mgr, capos_DeviceManager_INTERFACE_ID, method, &b,
	    NULL, 0, buf, sizeof(buf), res)) != 0)
		return CAPOS_CAP_NULL;
	if (method == capos_DeviceManager_mmio_ORDINAL) {
		mr.s = res->root;
		err = capos_DeviceManager_mmio_Results_get_mmio(&mr, &idx);
	} else {
		pr.s = res->root;
		err = capos_DeviceManager_dmaPool_Results_get_pool(&pr, &idx);
	}
	if (err != 0 || idx >= res->cqe.ncaps)
		return CAPOS_CAP_NULL;
	return res->caps[idx].cap;
}

/*
 * Up to n pools of one page into held; returns how many, and the status
 * of the call that refused the next one in *rc (its type in res).
 */
static int
take_pools(capos_cap_t mgr, capos_cap_t *held, int n, struct rt_result *res,
    int *rc)
{
	int got = 0;

	while (got < n && (held[got] = mint(mgr,
	    capos_DeviceManager_dmaPool_ORDINAL, 0, 1, res, rc)) !=
	    CAPOS_CAP_NULL)
		got++;
	return got;
}

/*
 * The pool limit: with the granted pool live, 7 more can be had and the
 * next is refused as overloaded; released, they make room for 7 again.
 */
static void
pool_limit(capos_cap_t mgr)
{
	capos_cap_t held[DEVICE_POOLS + 1];
	struct rt_result res;
	int got, bad, rc = 0;

	for (int round = 0; round < 2; round++) {
		got = take_pools(mgr, held, DEVICE_POOLS, &res, &rc);
		expect(round == 0 ? "7 pools besides the granted one" :
		    "7 pools again once released", got, DEVICE_POOLS - 1);
		expect("the 9th pool is refused", rc, RT_EXCEPTION);
		expect("as overloaded", (int64_t)res.cqe.aux,
		    capos_CapException_Type_overloaded);
		bad = 0;
		for (int i = 0; i < got; i++)
			bad += rt_release(held[i]) != 0;
		expect("the pools released", bad, 0);
	}
}

/* Spawns this program as "devtest-msix" holding console and msixbar;
 * returns its ProcessHandle, or CAPOS_CAP_NULL. */
static capos_cap_t
spawn_msix_child(capos_cap_t spawner, capos_cap_t msixbar)
{
	static const char *const names[] = { "console", "msixbar" };
	struct capos_ProcessSpawner_spawn_Params_b p;
	struct capos_ProcessSpawner_SpawnResult_r r;
	struct capos_ProcessSpawner_NamedCap_b nc;
	struct capos_capdesc send[2];
	uint8_t params[512] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct capnp_lb gl, al;
	struct rt_result res;
	uint32_t idx;

	send[0] = (struct capos_capdesc){ rt_cap("console",
	    capos_Console_INTERFACE_ID), CAPOS_XFER_COPY };
	send[1] = (struct capos_capdesc){ msixbar, CAPOS_XFER_COPY };
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_ProcessSpawner_spawn_Params_init_root(&b, &p) != 0 ||
	    capos_ProcessSpawner_spawn_Params_set_binary(&p, "devtest", 7) !=
	    0 ||
	    capos_ProcessSpawner_spawn_Params_set_name(&p, "devtest-msix",
	    12) != 0 ||
	    capos_ProcessSpawner_spawn_Params_init_grants(&p, 2, &gl) != 0 ||
	    capos_ProcessSpawner_spawn_Params_init_args(&p, 1, &al) != 0 ||
	    capnp_lb_set_text(&al, 0, "msix", 4) != 0)
		return CAPOS_CAP_NULL;
	for (uint32_t i = 0; i < 2; i++) {
		if (capos_ProcessSpawner_NamedCap_b_at(&gl, i, &nc) != 0 ||
		    capos_ProcessSpawner_NamedCap_set_name(&nc, names[i],
		    strlen(names[i])) != 0)
			return CAPOS_CAP_NULL;
		capos_ProcessSpawner_NamedCap_set_cap(&nc, i);
	}
	if (rt_call(spawner, capos_ProcessSpawner_INTERFACE_ID,
	    capos_ProcessSpawner_spawn_ORDINAL, &b, send, 2, buf, sizeof(buf),
	    &res) != 0)
		return CAPOS_CAP_NULL;
	r.s = res.root;
	if (capos_ProcessSpawner_SpawnResult_which(&r) !=
	    capos_ProcessSpawner_SpawnResult_which_handle ||
	    capos_ProcessSpawner_SpawnResult_get_handle(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return CAPOS_CAP_NULL;
	return res.caps[idx].cap;
}

/*
 * The MSI-X table stays the kernel's: a mapping of the BAR that holds it
 * leaves that page out (kernel/obj/device.c, msix_page). A child reads
 * the table through its own mapping; it must die of a page fault at the
 * table's place in the device window, and not live to say it read it.
 */
static void
msix_table(capos_cap_t mmio, capos_cap_t mgr, capos_cap_t spawner)
{
	struct capos_ExitStatus_r es;
	struct capos_Fault_r f;
	struct rt_result res;
	capos_cap_t msixbar, child;
	uint64_t a, size = 0;
	uint32_t off = 0;
	uint8_t bar = 0xFF;
	int rc = 0;

	expect("MSI-X table found", find_msix(mmio, &bar, &off), 0);
	msixbar = mint(mgr, capos_DeviceManager_mmio_ORDINAL, bar, 0, &res,
	    &rc);
	expect("the BAR holding it", msixbar != CAPOS_CAP_NULL, 1);
	a = map_mmio(msixbar, &size);
	expect("which maps", a != 0 && off < size, 1);
	child = spawn_msix_child(spawner, msixbar);
	expect("a child holding that BAR", child != CAPOS_CAP_NULL, 1);
	if (child == CAPOS_CAP_NULL)
		return;
	expect("the child's end", rt_call(child,
	    capos_ProcessHandle_INTERFACE_ID, capos_ProcessHandle_wait_ORDINAL,
	    NULL, NULL, 0, buf, sizeof(buf), &res), 0);
	es.s = res.root;
	expect("reading the MSI-X table faulted", capos_ExitStatus_which(&es),
	    capos_ExitStatus_which_faulted);
	if (capos_ExitStatus_which(&es) != capos_ExitStatus_which_faulted ||
	    capos_ExitStatus_get_faulted(&es, &f) != 0)
		return;
	expect("a page fault", capos_Fault_get_kind(&f),
	    capos_FaultKind_pageFault);
	a = capos_Fault_get_address(&f);
	expect("at the table's place in the child's device window",
	    a >= CAPOS_USER_DEVICE_BASE && a < CAPOS_USER_DEVICE_END &&
	    a % PAGE == off % PAGE, 1);
	rt_release(child);
	rt_release(msixbar);
}

/* The child: read the MSI-X table through a mapping of its BAR. */
static int
msix_child(void)
{
	capos_cap_t mmio = rt_cap("msixbar", capos_DeviceMmio_INTERFACE_ID);
	volatile uint32_t *t;
	uint64_t addr, size = 0;
	uint32_t off = 0;
	uint8_t bar;

	if (mmio == CAPOS_CAP_NULL || find_msix(mmio, &bar, &off) != 0 ||
	    (addr = map_mmio(mmio, &size)) == 0 || off >= size) {
		rt_printf("devtest-msix: cannot map the MSI-X table's BAR\n");
		return 2;
	}
	t = (volatile uint32_t *)(uintptr_t)(addr + off);
	rt_printf("devtest-msix: reading the MSI-X table at %#llx\n",
	    (unsigned long long)(uintptr_t)t);
	rt_flush();
	rt_printf("devtest-msix: the MSI-X table is mapped: %#x\n", *t);
	return 3;
}

/* The virtio common configuration registers used below. */
#define CC_DEV_FEATURE_SEL	0x00
#define CC_DEV_FEATURE		0x04
#define CC_DRV_FEATURE_SEL	0x08
#define CC_DRV_FEATURE		0x0C
#define CC_MSIX_CONFIG		0x10
#define CC_STATUS		0x14
#define CC_Q_SELECT		0x16
#define CC_Q_SIZE		0x18
#define CC_Q_MSIX_VECTOR	0x1A
#define CC_Q_ENABLE		0x1C
#define CC_Q_NOTIFY_OFF		0x1E
#define CC_Q_DESC		0x20
#define CC_Q_DRIVER		0x28
#define CC_Q_DEVICE		0x30
#define ST_ACK_DRIVER		0x03
#define ST_FEATURES_OK		0x08
#define ST_DRIVER_OK		0x04
#define TXQ			1
#define TXQ_SIZE		8
#define NET_HDR_LEN		12
#define FRAME_LEN		60
/* The transmit queue's rings and frame, in the pool's last four pages. */
#define RING_PAGE		(POOL_PAGES - 4)

/*
 * Makes the device raise its interrupt: brings it up with only the
 * transmit queue, on MSI-X vector 0 (every table entry raises this
 * process's Interrupt), and sends one broadcast frame. A wait posted
 * before the frame must still be pending; after it, the wait completes
 * and the device has used the frame. The device is reset at the end.
 */
static void
interrupt(capos_cap_t mmio, capos_cap_t irq, uint8_t *bar, uint64_t size,
    uint8_t *pmem, uint64_t pdev)
{
	struct capos_Interrupt_wait_Results_r wr;
	struct capos_ring_header *r = rt_ring();
	struct rt_result res;
	struct capos_sqe e;
	struct capos_cqe c;
	volatile uint8_t *cc;
	volatile uint64_t *desc;
	volatile uint16_t *avail, *used;
	uint8_t *frame, vbar = 0xFF, nbar = 0xFF;
	uint32_t coff = 0, noff = 0, qnoff;
	uint64_t mult;
	int64_t p = find_cap(mmio, CAP_VENDOR, VIRTIO_NOTIFY), m;
	uint8_t wbuf[64] __attribute__((aligned(8)));

	if (find_virtio(mmio, VIRTIO_COMMON, &vbar, &coff) != 0 ||
	    find_virtio(mmio, VIRTIO_NOTIFY, &nbar, &noff) != 0 || p < 0 ||
	    (m = config(mmio, (uint16_t)(p + 16), 4)) < 0 ||
	    vbar != 4 || nbar != 4 || coff + 0x38 > size) {
		expect("virtio common and notify structures in BAR 4", 0, 1);
		return;
	}
	mult = (uint64_t)m;
	cc = bar + coff;
	*(volatile uint8_t *)(cc + CC_STATUS) = 0;
	for (int i = 0; i < 1000000 && cc[CC_STATUS] != 0; i++)
		__asm__ volatile("pause");
	cc[CC_STATUS] = ST_ACK_DRIVER;
	/* VIRTIO_F_VERSION_1 (feature 32) alone. */
	*(volatile uint32_t *)(cc + CC_DEV_FEATURE_SEL) = 1;
	expect("the device offers VIRTIO_F_VERSION_1",
	    *(volatile uint32_t *)(cc + CC_DEV_FEATURE) & 1, 1);
	*(volatile uint32_t *)(cc + CC_DRV_FEATURE_SEL) = 0;
	*(volatile uint32_t *)(cc + CC_DRV_FEATURE) = 0;
	*(volatile uint32_t *)(cc + CC_DRV_FEATURE_SEL) = 1;
	*(volatile uint32_t *)(cc + CC_DRV_FEATURE) = 1;
	cc[CC_STATUS] = ST_ACK_DRIVER | ST_FEATURES_OK;
	expect("features accepted", cc[CC_STATUS] & ST_FEATURES_OK,
	    ST_FEATURES_OK);
	/* No interrupt for configuration changes: only the frame's. */
	*(volatile uint16_t *)(cc + CC_MSIX_CONFIG) = 0xFFFF;
	*(volatile uint16_t *)(cc + CC_Q_SELECT) = TXQ;
	expect("a transmit queue of 8 entries at least",
	    *(volatile uint16_t *)(cc + CC_Q_SIZE) >= TXQ_SIZE, 1);
	*(volatile uint16_t *)(cc + CC_Q_SIZE) = TXQ_SIZE;
	*(volatile uint16_t *)(cc + CC_Q_MSIX_VECTOR) = 0;
	expect("the queue takes MSI-X vector 0",
	    *(volatile uint16_t *)(cc + CC_Q_MSIX_VECTOR), 0);
	memset(pmem + RING_PAGE * PAGE, 0, 4 * PAGE);
	desc = (volatile uint64_t *)(pmem + RING_PAGE * PAGE);
	avail = (volatile uint16_t *)(pmem + (RING_PAGE + 1) * PAGE);
	used = (volatile uint16_t *)(pmem + (RING_PAGE + 2) * PAGE);
	frame = pmem + (RING_PAGE + 3) * PAGE;
	*(volatile uint64_t *)(cc + CC_Q_DESC) = pdev + RING_PAGE * PAGE;
	*(volatile uint64_t *)(cc + CC_Q_DRIVER) = pdev + (RING_PAGE + 1) *
	    PAGE;
	*(volatile uint64_t *)(cc + CC_Q_DEVICE) = pdev + (RING_PAGE + 2) *
	    PAGE;
	qnoff = *(volatile uint16_t *)(cc + CC_Q_NOTIFY_OFF);
	if (noff + qnoff * mult + 2 > size) {
		expect("the queue's notify register inside BAR 4", 0, 1);
		return;
	}
	*(volatile uint16_t *)(cc + CC_Q_ENABLE) = 1;
	cc[CC_STATUS] = ST_ACK_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK;

	/* A virtio-net header of zeros (no offloads), then a broadcast
	 * frame of a local experimental EtherType that nothing answers. */
	memset(frame + NET_HDR_LEN, 0xFF, 6);
	memcpy(frame + NET_HDR_LEN + 6, "\x02\x00\x00\x00\x00\x01", 6);
	frame[NET_HDR_LEN + 12] = 0x88;
	frame[NET_HDR_LEN + 13] = 0xB5;
	desc[0] = pdev + (RING_PAGE + 3) * PAGE;
	desc[1] = NET_HDR_LEN + FRAME_LEN;	/* len; flags and next 0 */
	avail[2] = 0;				/* ring[0]: descriptor 0 */

	/* Nothing offered to the device yet, so it has no reason to
	 * interrupt: the wait must be left pending. */
	rt_prep_call(&e, irq, capos_Interrupt_INTERFACE_ID,
	    capos_Interrupt_wait_ORDINAL, NULL, wbuf, sizeof(wbuf), NULL, 0,
	    0);
	expect("wait posted", rt_submit(&e), 0);
	cap_enter(0, CAPOS_TIMEOUT_NONE);
	expect("no interrupt while the device is idle", r->sq_head ==
	    r->sq_tail && r->cq_tail == r->cq_head, 1);
	__asm__ volatile("" ::: "memory");
	avail[1] = 1;				/* idx: the frame is offered */
	__asm__ volatile("" ::: "memory");
	*(volatile uint16_t *)(bar + noff + qnoff * mult) = TXQ;
	expect("the wait completes", rt_wait(e.user_data, &c) == 0 &&
	    rt_result_read(&c, wbuf, &res) == 0, 1);
	wr.s = res.root;
	expect("with an interrupt counted",
	    capos_Interrupt_wait_Results_get_count(&wr) >= 1, 1);
	expect("raised by the device using the frame", used[1] == 1 &&
	    *(volatile uint32_t *)(used + 2) == 0, 1);
	cc[CC_STATUS] = 0;
}

int
main(void)
{
	capos_cap_t mmio = rt_cap("bar4", capos_DeviceMmio_INTERFACE_ID);
	capos_cap_t pool = rt_cap("pool", capos_DMAPool_INTERFACE_ID);
	capos_cap_t irq = rt_cap("irq", capos_Interrupt_INTERFACE_ID);
	capos_cap_t mgr = rt_cap("deviceManager",
	    capos_DeviceManager_INTERFACE_ID);
	capos_cap_t spawner = rt_cap("processSpawner",
	    capos_ProcessSpawner_INTERFACE_ID);
	struct capos_DMAPool_map_Results_r pr;
	struct rt_result res;
	volatile uint8_t *common;
	uint64_t addr, again, size = 0, psize, pdev;
	uint8_t *pmem;
	uint32_t off = 0;
	uint8_t bar = 0xFF;

	if (rt_argc() > 0 && strcmp(rt_argv(0), "msix") == 0)
		return msix_child();
	if (mmio == CAPOS_CAP_NULL || pool == CAPOS_CAP_NULL ||
	    irq == CAPOS_CAP_NULL || mgr == CAPOS_CAP_NULL ||
	    spawner == CAPOS_CAP_NULL) {
		rt_printf("devtest: needs \"bar4\", \"irq\", \"pool\", "
		    "\"deviceManager\" and \"processSpawner\"\n");
		return 2;
	}
	expect("vendor id", config(mmio, 0, 2), VIRTIO_VENDOR);
	expect("modern virtio-net device id", config(mmio, 2, 2), VIRTIO_NET);
	expect("misaligned read refused", config(mmio, 1, 2), -1);
	expect("bad width refused", config(mmio, 0, 3), -1);
	expect("past the header refused", config(mmio, 256, 4), -1);
	expect("virtio common config found", find_virtio(mmio, VIRTIO_COMMON,
	    &bar, &off), 0);
	expect("in BAR 4", bar, 4);

	addr = map_mmio(mmio, &size);
	expect("BAR mapped in the device window",
	    addr >= CAPOS_USER_DEVICE_BASE && addr < CAPOS_USER_DEVICE_END, 1);
	expect("mapped again at the same place", map_mmio(mmio, &again) ==
	    addr, 1);
	{
		/* The kernel copies nothing through device registers. */
		struct capos_sqe e;
		struct capos_cqe c;

		rt_prep_call(&e, rt_cap("console", capos_Console_INTERFACE_ID),
		    capos_Console_INTERFACE_ID, capos_Console_write_ORDINAL,
		    NULL, buf, sizeof(buf), NULL, 0, 0);
		e.params = addr;
		e.params_len = 64;
		expect("a BAR as a params buffer is refused",
		    rt_submit(&e) == 0 && rt_wait(e.user_data, &c) == 0 ?
		    c.status : 0, CAPOS_EFAULT);
	}
	if (addr != 0 && off + 0x14 <= size) {
		common = (volatile uint8_t *)(uintptr_t)(addr + off);
		/* num_queues: a virtio-net device has at least rx and tx. */
		expect("virtio num_queues >= 2",
		    *(volatile uint16_t *)(common + 0x12) >= 2, 1);
	}
	msix_table(mmio, mgr, spawner);

	expect("pool map", rt_call(pool, capos_DMAPool_INTERFACE_ID,
	    capos_DMAPool_map_ORDINAL, NULL, NULL, 0, buf, sizeof(buf),
	    &res), 0);
	pr.s = res.root;
	pmem = (uint8_t *)(uintptr_t)capos_DMAPool_map_Results_get_addr(&pr);
	psize = capos_DMAPool_map_Results_get_size(&pr);
	pdev = capos_DMAPool_map_Results_get_deviceAddr(&pr);
	expect("pool is 16 pages", (int64_t)psize, POOL_PAGES * PAGE);
	expect("device address page-aligned", pdev != 0 && pdev % PAGE == 0,
	    1);
	if (pmem != NULL && psize == POOL_PAGES * PAGE) {
		expect("pool starts zeroed", pmem[psize - 1], 0);
		memset(pmem, 0x5A, psize);
		expect("pool is writable", pmem[psize - 1], 0x5A);
		shared_face(pool, pmem, psize);
		if (addr != 0)
			interrupt(mmio, irq, (uint8_t *)(uintptr_t)addr, size,
			    pmem, pdev);
	}
	pool_limit(mgr);
	rt_printf("devtest: %d checks, %d failed\n", test_checks, test_failed);
	if (test_failed != 0)
		return 1;
	rt_debug("[proof] device-caps ok config reads checked; BAR mapped "
	    "uncached, not a call buffer, its MSI-X table page absent; pool "
	    "and its shared face; 8 pools a device; the device's interrupt "
	    "waited for\n");
	return 0;
}
