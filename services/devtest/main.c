/*
 * devtest: checks the device capabilities a driver gets, on a virtio-net
 * device: configuration reads (and refusals), the BAR mapped uncached
 * into this process (reading the device's virtio common configuration
 * through it), the DMA pool and its SharedMemory face, and that the
 * interrupt was granted.
 */
#include <string.h>

#include "check.h"
#include "rt.h"

#define VIRTIO_VENDOR	0x1af4
#define CAP_VENDOR	0x09
#define VIRTIO_COMMON	1

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

/* The BAR and offset of the virtio common configuration, from config. */
static int
find_common(capos_cap_t mmio, uint8_t *bar, uint32_t *off)
{
	int64_t p = config(mmio, 0x34, 1);

	for (int guard = 0; p > 0 && guard < 48; guard++) {
		if (config(mmio, (uint16_t)p, 1) == CAP_VENDOR &&
		    config(mmio, (uint16_t)(p + 3), 1) == VIRTIO_COMMON) {
			*bar = (uint8_t)config(mmio, (uint16_t)(p + 4), 1);
			*off = (uint32_t)config(mmio, (uint16_t)(p + 8), 4);
			return 0;
		}
		p = config(mmio, (uint16_t)(p + 1), 1) & 0xFC;
	}
	return -1;
}

int
main(void)
{
	capos_cap_t mmio = rt_cap("bar4", capos_DeviceMmio_INTERFACE_ID);
	capos_cap_t pool = rt_cap("pool", capos_DMAPool_INTERFACE_ID);
	struct capos_DMAPool_map_Results_r pr;
	struct rt_result res;
	volatile uint8_t *common;
	uint64_t addr, again, size = 0, psize, pdev;
	uint8_t *pmem;
	uint32_t off = 0;
	uint8_t bar = 0xFF;

	if (mmio == CAPOS_CAP_NULL || pool == CAPOS_CAP_NULL ||
	    rt_cap("irq", capos_Interrupt_INTERFACE_ID) == CAPOS_CAP_NULL) {
		rt_printf("devtest: needs \"bar4\", \"irq\" and \"pool\"\n");
		return 2;
	}
	expect("vendor id", config(mmio, 0, 2), VIRTIO_VENDOR);
	expect("modern virtio-net device id", config(mmio, 2, 2), 0x1041);
	expect("misaligned read refused", config(mmio, 1, 2), -1);
	expect("bad width refused", config(mmio, 0, 3), -1);
	expect("past the header refused", config(mmio, 256, 4), -1);
	expect("virtio common config found", find_common(mmio, &bar, &off),
	    0);
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

	expect("pool map", rt_call(pool, capos_DMAPool_INTERFACE_ID,
	    capos_DMAPool_map_ORDINAL, NULL, NULL, 0, buf, sizeof(buf),
	    &res), 0);
	pr.s = res.root;
	pmem = (uint8_t *)(uintptr_t)capos_DMAPool_map_Results_get_addr(&pr);
	psize = capos_DMAPool_map_Results_get_size(&pr);
	pdev = capos_DMAPool_map_Results_get_deviceAddr(&pr);
	expect("pool is 16 pages", (int64_t)psize, 16 * 4096);
	expect("device address page-aligned", pdev != 0 && pdev % 4096 == 0,
	    1);
	if (pmem != NULL && psize == 16 * 4096) {
		expect("pool starts zeroed", pmem[psize - 1], 0);
		memset(pmem, 0x5A, psize);
		expect("pool is writable", pmem[psize - 1], 0x5A);
		shared_face(pool, pmem, psize);
	}
	rt_printf("devtest: %d checks, %d failed\n", test_checks, test_failed);
	if (test_failed != 0)
		return 1;
	rt_printf("[proof] device-caps ok checks=%d\n", test_checks);
	return 0;
}
