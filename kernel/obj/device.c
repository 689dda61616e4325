/*
 * Device capabilities: the DeviceManager that init holds, and what it
 * mints for drivers: DeviceMmio (one memory BAR), Interrupt (the device's
 * MSI-X interrupt, delivered as a call completion) and DMAPool (memory the
 * device may read and write).
 *
 * Without an IOMMU nothing stops a driver from telling its device any
 * physical address; the pool is what a correct driver uses, and the
 * driver is trusted with its device. The kernel itself holds no driver.
 *
 * A pool's frames and struct are charged to the process that asked for it
 * (kernel/mm/kmem.h); a device has at most MAX_DEVICE_POOLS pools at once.
 * Each process that maps a pool holds a reference to it until it stops,
 * so the frames outlive every mapping. A released pool's frames are not
 * freed at once: the device may still be writing into them. They wait
 * until the device's last pool is released, when the kernel turns its bus
 * mastering off (no more DMA) and frees every waiting pool.
 */
#include <string.h>

#include "arch/x86_64/pci.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/trap.h"
#include "cap/call.h"
#include "kernel.h"
#include "mm/aspace.h"
#include "mm/kmem.h"
#include "mm/mem.h"
#include "mm/pmm.h"
#include "obj/objects.h"
#include "obj/window.h"

#define MAX_BAR_SIZE	(16ull << 20)
#define MAX_POOL_PAGES	1024		/* 4 MiB */
#define MAX_DEVICE_POOLS	8
#define VEC_DEVICE_BASE	64
#define VEC_DEVICE_END	128
#define PCI_COMMAND	0x04
#define CMD_MEM		0x2
#define CMD_MASTER	0x4
#define CMD_INTX_OFF	0x400

struct mmio {
	struct kobj obj;
	struct pci_dev *dev;
	uint8_t bar;
	struct window_map maps[WINDOW_MAX_MAPPINGS];
};

struct irq {
	struct kobj obj;
	struct pci_dev *dev;
	uint8_t vector;
	uint64_t count;			/* since the last wait returned */
	bool waiting;
	struct reply_to waiter;
};

struct pool {
	struct kobj obj;
	struct pci_dev *dev;
	uint64_t phys;
	uint64_t pages;
	struct kcharge charge;		/* frames and struct */
	struct pool *retired_next;
	struct window_map maps[WINDOW_MAX_MAPPINGS];
};

static struct irq *irq_by_vector[VEC_DEVICE_END];
static uint8_t next_vector = VEC_DEVICE_BASE;

/* Whether [a, a + alen) and [b, b + blen) share a byte. */
static bool
overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/*
 * The page at offset off of the BAR holds the device's MSI-X table or
 * pending-bit array: those stay the kernel's, so a driver cannot aim its
 * device's interrupts at other vectors.
 */
static bool
msix_page(const void *ctx, uint64_t off)
{
	const struct mmio *m = ctx;
	const struct pci_dev *d = m->dev;
	uint32_t tbl, pba, n;

	if (d->msix_cap == 0)
		return false;
	n = (pci_read(d, d->msix_cap + 2, 2) & 0x7FF) + 1;
	tbl = pci_read(d, d->msix_cap + 4, 4);
	pba = pci_read(d, d->msix_cap + 8, 4);
	return ((tbl & 7) == m->bar &&
	    overlap(off, PAGE_SIZE, tbl & ~7u, (uint64_t)n * 16)) ||
	    ((pba & 7) == m->bar &&
	    overlap(off, PAGE_SIZE, pba & ~7u, ((uint64_t)n + 63) / 64 * 8));
}

static int
mmio_call(struct kobj *obj, struct call *c)
{
	struct mmio *m = (struct mmio *)obj;
	struct pci_bar *bar = &m->dev->bar[m->bar];
	struct capos_DeviceMmio_map_Results_b mr;
	struct capos_DeviceMmio_config_Params_r cp;
	struct capos_DeviceMmio_config_Results_b cr;
	struct capnp_msg msg;
	uint64_t addr, size = ALIGN_UP(bar->size, PAGE_SIZE);
	uint16_t off;
	uint8_t width;

	switch (c->method) {
	case capos_DeviceMmio_map_ORDINAL:
		addr = window_map(m->maps, c->proc, bar->base, size,
		    PTE_W | PTE_PCD | PTE_PWT | PTE_NX | PTE_DEVICE, msix_page,
		    m, NULL);
		if (addr == 0)
			return call_exception(c,
			    capos_CapException_Type_overloaded,
			    "no room to map the device window");
		if (capos_DeviceMmio_map_Results_init_root(call_result(c),
		    &mr) != CAPNP_OK)
			return call_exception(c,
			    capos_CapException_Type_failed, "result buffer");
		capos_DeviceMmio_map_Results_set_addr(&mr, addr +
		    (bar->base & (PAGE_SIZE - 1)));
		capos_DeviceMmio_map_Results_set_size(&mr, bar->size);
		return CALL_DONE;
	case capos_DeviceMmio_config_ORDINAL:
		if (call_params(c, &msg, &cp.s) != 0)
			return call_exception(c,
			    capos_CapException_Type_failed,
			    "malformed config params");
		off = capos_DeviceMmio_config_Params_get_offset(&cp);
		width = capos_DeviceMmio_config_Params_get_width(&cp);
		if ((width != 1 && width != 2 && width != 4) ||
		    off % width != 0 || off >= 256)
			return call_exception(c,
			    capos_CapException_Type_failed,
			    "config reads are 1, 2 or 4 aligned bytes below 256");
		if (capos_DeviceMmio_config_Results_init_root(call_result(c),
		    &cr) != CAPNP_OK)
			return call_exception(c,
			    capos_CapException_Type_failed, "result buffer");
		capos_DeviceMmio_config_Results_set_value(&cr,
		    pci_read(m->dev, off, width));
		return CALL_DONE;
	default:
		return call_exception(c, capos_CapException_Type_unimplemented,
		    "DeviceMmio has no such method");
	}
}

static void
answer_wait(struct irq *q)
{
	struct capos_Interrupt_wait_Results_b r;
	struct reply rep;
	uint8_t *buf;
	size_t len;

	buf = reply_scratch(&len);
	reply_init(&rep, buf, len);
	if (capos_Interrupt_wait_Results_init_root(&rep.b, &r) != CAPNP_OK)
		rep.started = false;
	else
		capos_Interrupt_wait_Results_set_count(&r, q->count);
	q->count = 0;
	q->waiting = false;
	reply_send(&q->waiter, &rep);
}

static void
device_irq(struct trapframe *tf)
{
	struct irq *q = tf->vector < VEC_DEVICE_END ?
	    irq_by_vector[tf->vector] : NULL;

	lapic_eoi();
	if (q == NULL)
		return;
	q->count++;
	if (q->waiting && reply_to_gone(&q->waiter))
		q->waiting = false;	/* the count waits for the next wait */
	if (q->waiting)
		answer_wait(q);
}

static int
irq_call(struct kobj *obj, struct call *c)
{
	struct irq *q = (struct irq *)obj;
	struct capos_Interrupt_wait_Results_b r;

	if (c->method != capos_Interrupt_wait_ORDINAL)
		return call_exception(c, capos_CapException_Type_unimplemented,
		    "Interrupt has no such method");
	if (q->waiting && !reply_to_gone(&q->waiter))
		return call_exception(c, capos_CapException_Type_overloaded,
		    "a wait is already pending");
	q->waiting = false;	/* the slot of a waiter whose thread ended */
	if (q->count > 0) {
		if (capos_Interrupt_wait_Results_init_root(call_result(c),
		    &r) != CAPNP_OK)
			return call_exception(c,
			    capos_CapException_Type_failed, "result buffer");
		capos_Interrupt_wait_Results_set_count(&r, q->count);
		q->count = 0;
		return CALL_DONE;
	}
	q->waiter = c->to;
	q->waiter.owed = true;
	q->waiting = true;
	return CALL_PENDING;
}

static void
irq_release(struct kobj *obj)
{
	struct irq *q = (struct irq *)obj;

	/* The vector stays routed here but falls silent until the device's
	 * next Interrupt takes it. */
	if (q->waiting)
		reply_cancel(&q->waiter, capos_CapException_Type_disconnected,
		    "interrupt released");
	irq_by_vector[q->vector] = NULL;
	kfree(q);
}

/* Answers c with obj (whose reference the reply takes) as the result
 * capability that set records. */
static int
mint(struct call *c, struct kobj *obj, uint64_t iface,
    int (*set)(struct capnp_builder *, uint32_t))
{
	int idx;

	if ((idx = reply_add_cap(&c->reply, obj, iface)) < 0) {
		kobj_unref(obj);
		return call_exception(c, capos_CapException_Type_failed,
		    "result capabilities");
	}
	if (set(call_result(c), (uint32_t)idx) != 0)
		return call_exception(c, capos_CapException_Type_failed,
		    "result buffer");
	return CALL_DONE;
}

static int
set_shared(struct capnp_builder *b, uint32_t idx)
{
	struct capos_DMAPool_share_Results_b r;

	if (capos_DMAPool_share_Results_init_root(b, &r) != CAPNP_OK)
		return -1;
	capos_DMAPool_share_Results_set_memory(&r, idx);
	return 0;
}

static int
pool_call(struct kobj *obj, struct call *c)
{
	struct pool *pl = (struct pool *)obj;
	struct capos_DMAPool_map_Results_b r;
	uint64_t size = pl->pages * PAGE_SIZE, addr;
	bool shared = c->interface_id == capos_SharedMemory_INTERFACE_ID;

	/* One object, two faces: DMAPool, and the SharedMemory it shares.
	 * Either way a mapping holds the pool until its process stops. */
	if (!shared && c->method == capos_DMAPool_share_ORDINAL)
		return mint(c, kobj_ref(&pl->obj),
		    capos_SharedMemory_INTERFACE_ID, set_shared);
	if (c->method != (shared ? capos_SharedMemory_map_ORDINAL :
	    capos_DMAPool_map_ORDINAL))
		return call_exception(c, capos_CapException_Type_unimplemented,
		    shared ? "SharedMemory has no such method" :
		    "DMAPool has no such method");
	addr = window_map(pl->maps, c->proc, pl->phys, size, PTE_W | PTE_NX,
	    NULL, NULL, &pl->obj);
	if (shared)
		return shared_map_result(c, addr, size);
	if (addr == 0)
		return call_exception(c, capos_CapException_Type_overloaded,
		    "no room to map the pool");
	if (capos_DMAPool_map_Results_init_root(call_result(c), &r) !=
	    CAPNP_OK)
		return call_exception(c, capos_CapException_Type_failed,
		    "result buffer");
	capos_DMAPool_map_Results_set_addr(&r, addr);
	capos_DMAPool_map_Results_set_size(&r, size);
	capos_DMAPool_map_Results_set_deviceAddr(&r, pl->phys);
	return CALL_DONE;
}

static void
free_obj(struct kobj *obj)
{
	kfree(obj);
}

static const struct kobj_ops mmio_ops = {
	.name = "DeviceMmio", .call = mmio_call, .release = free_obj,
};
static const struct kobj_ops irq_ops = {
	.name = "Interrupt", .call = irq_call, .release = irq_release,
};
/*
 * The last reference to a pool is gone (capabilities and mappings). Its
 * frames wait for the device's other pools; see the comment at the top.
 */
static void
pool_release(struct kobj *obj)
{
	struct pool *pl = (struct pool *)obj, *next;
	struct pci_dev *d = pl->dev;

	pl->retired_next = d->retired_pools;
	d->retired_pools = pl;
	if (--d->npools != 0)
		return;
	pci_write(d, PCI_COMMAND, 2, pci_read(d, PCI_COMMAND, 2) & ~CMD_MASTER);
	for (pl = d->retired_pools; pl != NULL; pl = next) {
		next = pl->retired_next;
		frames_free(pl->phys, pl->pages);
		kmem_free(pl, &pl->charge);
	}
	d->retired_pools = NULL;
}

static const struct kobj_ops pool_ops = {
	.name = "DMAPool", .call = pool_call, .release = pool_release,
};

/*
 * Routes every MSI-X table entry of d to a fresh vector and enables MSI-X
 * (legacy INTx off). Returns the vector, or 0.
 */
static uint8_t
setup_msix(struct pci_dev *d)
{
	uint16_t ctl = (uint16_t)pci_read(d, d->msix_cap + 2, 2);
	uint32_t tbl = pci_read(d, d->msix_cap + 4, 4);
	uint32_t n = (ctl & 0x7FF) + 1, bir = tbl & 7;
	uint64_t off = tbl & ~7u;
	volatile uint32_t *t;
	uint8_t vec;

	/* Programmed once; a later Interrupt for the device reuses it. */
	if (d->msix_vector != 0)
		return d->msix_vector;
	if (bir > 5 || !d->bar[bir].mem || off + n * 16 > d->bar[bir].size ||
	    next_vector == VEC_DEVICE_END)
		return 0;
	if ((t = vmm_map_mmio(d->bar[bir].base + off, n * 16)) == NULL)
		return 0;
	vec = next_vector++;
	pci_write(d, PCI_COMMAND, 2, pci_read(d, PCI_COMMAND, 2) | CMD_MEM |
	    CMD_INTX_OFF);
	for (uint32_t i = 0; i < n; i++) {
		t[i * 4 + 0] = 0xFEE00000u;	/* this CPU's local APIC */
		t[i * 4 + 1] = 0;
		t[i * 4 + 2] = vec;		/* fixed delivery, edge */
		t[i * 4 + 3] = 0;		/* unmasked */
	}
	/* Enable MSI-X, function mask off. */
	pci_write(d, d->msix_cap + 2, 2, (ctl | 0x8000) & ~0x4000);
	irq_set_handler(vec, device_irq);
	d->msix_vector = vec;
	return vec;
}

static int
set_mmio(struct capnp_builder *b, uint32_t idx)
{
	struct capos_DeviceManager_mmio_Results_b r;

	if (capos_DeviceManager_mmio_Results_init_root(b, &r) != CAPNP_OK)
		return -1;
	capos_DeviceManager_mmio_Results_set_mmio(&r, idx);
	return 0;
}

static int
set_irq(struct capnp_builder *b, uint32_t idx)
{
	struct capos_DeviceManager_interrupt_Results_b r;

	if (capos_DeviceManager_interrupt_Results_init_root(b, &r) != CAPNP_OK)
		return -1;
	capos_DeviceManager_interrupt_Results_set_interrupt(&r, idx);
	return 0;
}

static int
set_pool(struct capnp_builder *b, uint32_t idx)
{
	struct capos_DeviceManager_dmaPool_Results_b r;

	if (capos_DeviceManager_dmaPool_Results_init_root(b, &r) != CAPNP_OK)
		return -1;
	capos_DeviceManager_dmaPool_Results_set_pool(&r, idx);
	return 0;
}

static int
list_devices(struct call *c)
{
	struct capos_DeviceManager_list_Results_b r;
	struct capos_PciDevice_b pd;
	struct capnp_lb l;
	uint32_t n = pci_count();

	if (capos_DeviceManager_list_Results_init_root(call_result(c), &r) !=
	    CAPNP_OK ||
	    capos_DeviceManager_list_Results_init_devices(&r, n, &l) !=
	    CAPNP_OK)
		return call_exception(c, capos_CapException_Type_failed,
		    "result buffer");
	for (uint32_t i = 0; i < n; i++) {
		struct pci_dev *d = pci_at(i);

		if (capos_PciDevice_b_at(&l, i, &pd) != CAPNP_OK)
			return call_exception(c,
			    capos_CapException_Type_failed, "result buffer");
		capos_PciDevice_set_bus(&pd, d->bus);
		capos_PciDevice_set_slot(&pd, d->slot);
		capos_PciDevice_set_function(&pd, d->fn);
		capos_PciDevice_set_vendor(&pd, d->vendor);
		capos_PciDevice_set_device(&pd, d->device);
		capos_PciDevice_set_classCode(&pd, d->class_code);
		capos_PciDevice_set_subclass(&pd, d->subclass);
	}
	return CALL_DONE;
}

static int
manager_call(struct kobj *obj, struct call *c)
{
	struct capnp_struct root;
	struct capnp_msg msg;
	struct pci_dev *d;
	uint16_t vendor, device, index;
	uint32_t pages;
	uint8_t bar, vec;

	(void)obj;
	if (c->method == capos_DeviceManager_list_ORDINAL)
		return list_devices(c);
	if (call_params(c, &msg, &root) != 0)
		return call_exception(c, capos_CapException_Type_failed,
		    "malformed DeviceManager params");
	if (c->to.ncaps_out < 1 || captable_room(&c->proc->caps) < 1)
		return call_exception(c, capos_CapException_Type_failed,
		    "no room for the device capability");
	/* The three minting methods share their first three fields. */
	{
		struct capos_DeviceManager_mmio_Params_r p = { root };

		vendor = capos_DeviceManager_mmio_Params_get_vendor(&p);
		device = capos_DeviceManager_mmio_Params_get_device(&p);
		index = capos_DeviceManager_mmio_Params_get_index(&p);
		bar = capos_DeviceManager_mmio_Params_get_bar(&p);
	}
	if ((d = pci_find(vendor, device, index)) == NULL)
		return call_exception(c, capos_CapException_Type_failed,
		    "no such PCI device");
	switch (c->method) {
	case capos_DeviceManager_mmio_ORDINAL: {
		struct mmio *m;

		if (bar > 5 || !d->bar[bar].mem || d->bar[bar].size == 0 ||
		    d->bar[bar].size > MAX_BAR_SIZE)
			return call_exception(c,
			    capos_CapException_Type_failed,
			    "no usable memory BAR of that number");
		if ((m = kzalloc(sizeof(*m))) == NULL)
			return call_exception(c,
			    capos_CapException_Type_overloaded, "no memory");
		kobj_init(&m->obj, &mmio_ops);
		m->dev = d;
		m->bar = bar;
		pci_write(d, PCI_COMMAND, 2, pci_read(d, PCI_COMMAND, 2) |
		    CMD_MEM);
		return mint(c, &m->obj, capos_DeviceMmio_INTERFACE_ID,
		    set_mmio);
	}
	case capos_DeviceManager_interrupt_ORDINAL: {
		struct irq *q;

		if (d->msix_cap == 0)
			return call_exception(c,
			    capos_CapException_Type_unimplemented,
			    "the device has no MSI-X (INTx is not supported)");
		if (d->msix_vector != 0 && irq_by_vector[d->msix_vector])
			return call_exception(c,
			    capos_CapException_Type_failed,
			    "the device's interrupt is already granted");
		if ((q = kzalloc(sizeof(*q))) == NULL)
			return call_exception(c,
			    capos_CapException_Type_overloaded, "no memory");
		if ((vec = setup_msix(d)) == 0) {
			kfree(q);
			return call_exception(c,
			    capos_CapException_Type_overloaded,
			    "cannot route the device's MSI-X");
		}
		kobj_init(&q->obj, &irq_ops);
		q->dev = d;
		q->vector = vec;
		irq_by_vector[vec] = q;
		return mint(c, &q->obj, capos_Interrupt_INTERFACE_ID, set_irq);
	}
	case capos_DeviceManager_dmaPool_ORDINAL: {
		struct capos_DeviceManager_dmaPool_Params_r p = { root };
		struct pool *pl;

		struct kcharge ch = { 0 };

		pages = capos_DeviceManager_dmaPool_Params_get_pages(&p);
		if (pages == 0 || pages > MAX_POOL_PAGES)
			return call_exception(c,
			    capos_CapException_Type_failed,
			    "a pool is 1 to 1024 pages");
		if (d->npools == MAX_DEVICE_POOLS)
			return call_exception(c,
			    capos_CapException_Type_overloaded,
			    "the device has 8 pools already");
		if (kcharge_take(&ch, c->proc->kmem, kmalloc_size(sizeof(*pl)) +
		    (uint64_t)pages * PAGE_SIZE) != 0)
			return call_exception(c,
			    capos_CapException_Type_overloaded,
			    "the kernel memory limit is reached");
		if ((pl = kzalloc(sizeof(*pl))) == NULL ||
		    (pl->phys = frames_alloc_contig(pages)) == 0) {
			kfree(pl);
			kcharge_drop(&ch);
			return call_exception(c,
			    capos_CapException_Type_overloaded,
			    "no contiguous memory for the pool");
		}
		memset(phys_to_virt(pl->phys), 0, pages * PAGE_SIZE);
		pl->charge = ch;
		pl->dev = d;
		d->npools++;
		pl->pages = pages;
		kobj_init(&pl->obj, &pool_ops);
		pci_write(d, PCI_COMMAND, 2, pci_read(d, PCI_COMMAND, 2) |
		    CMD_MASTER);
		return mint(c, &pl->obj, capos_DMAPool_INTERFACE_ID, set_pool);
	}
	default:
		return call_exception(c, capos_CapException_Type_unimplemented,
		    "DeviceManager has no such method");
	}
}

static const struct kobj_ops manager_ops = {
	.name = "DeviceManager",
	.call = manager_call,
	.release = NULL,
};

struct kobj *
device_manager_create(void)
{
	static struct kobj o;

	if (o.ops == NULL)
		kobj_init(&o, &manager_ops);
	return kobj_ref(&o);
}
