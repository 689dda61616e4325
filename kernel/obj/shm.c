/*
 * SharedMemory: pages more than one process maps, made from a
 * VirtualMemory quota (VirtualMemory.share) and passed on like any
 * capability. The pages are freed, and the quota refunded, when the last
 * capability and the last mapping are gone: each process that maps the
 * object holds a reference until it stops. A DMAPool's share facet answers
 * the same interface (kernel/obj/device.c).
 *
 * Also here: the device window mappings that BARs, pools and shared
 * memory use (window.h).
 */
#include <string.h>

#include "cap/call.h"
#include "kernel.h"
#include "mm/aspace.h"
#include "mm/mem.h"
#include "mm/pmm.h"
#include "obj/objects.h"
#include "obj/window.h"

struct shm {
	struct kobj obj;
	struct kobj *vm;		/* charged for it; a reference */
	uint64_t phys;
	uint64_t pages;
	struct window_map maps[WINDOW_MAX_MAPPINGS];
};

/* Where p's existing mapping of an object is, or 0. */
static uint64_t
window_find(const struct window_map *maps, struct process *p)
{
	struct proc_ref r = process_ref(p);

	for (int i = 0; i < WINDOW_MAX_MAPPINGS; i++)
		if (maps[i].addr != 0 && maps[i].proc.index == r.index &&
		    maps[i].proc.gen == r.gen)
			return maps[i].addr;
	return 0;
}

uint64_t
window_map(struct window_map *maps, struct process *p, uint64_t pa,
    uint64_t size, uint64_t flags, bool (*hole)(const void *, uint64_t),
    const void *ctx, struct kobj *hold)
{
	uint64_t at = p->dev_next, va;
	int slot = -1, held = -1;

	if ((va = window_find(maps, p)) != 0)
		return va;
	for (int i = 0; i < WINDOW_MAX_MAPPINGS && slot < 0; i++)
		if (maps[i].addr == 0 || process_get(maps[i].proc) == NULL)
			slot = i;
	for (int i = 0; hold != NULL && i < PROC_MAX_HELD && held < 0; i++)
		if (p->held[i] == NULL)
			held = i;
	if (slot < 0 || (hold != NULL && held < 0) ||
	    at + size > CAPOS_USER_DEVICE_END)
		return 0;
	for (va = 0; va < size; va += PAGE_SIZE) {
		if (hole != NULL && hole(ctx, va))
			continue;
		if (aspace_map_frame(&p->as, at + va, pa + va, flags) != 0) {
			aspace_unmap(&p->as, at, va, NULL);
			return 0;
		}
	}
	/* A guard page between windows. */
	p->dev_next = at + size + PAGE_SIZE;
	maps[slot].proc = process_ref(p);
	maps[slot].addr = at;
	if (hold != NULL)
		p->held[held] = kobj_ref(hold);
	return at;
}

void
window_process_stopped(struct process *p)
{
	/*
	 * A thread of p may still run in user mode on another CPU: stopping
	 * it only sent that CPU a kick (process_stop), which it takes when
	 * the IPI arrives. Dropping the last reference below frees shared
	 * memory and DMA pool frames at once, for the next allocation to
	 * take, so the windows are unmapped first: aspace_unmap flushes every
	 * CPU that has p's tables loaded before it returns, and a thread that
	 * touches a window afterwards faults instead of writing into frames
	 * that are no longer its process's. The frames are not the address
	 * space's own, so the unmap frees none of them.
	 */
	if (p->dev_next > CAPOS_USER_DEVICE_BASE)
		(void)aspace_unmap(&p->as, CAPOS_USER_DEVICE_BASE,
		    p->dev_next - CAPOS_USER_DEVICE_BASE, NULL);
	for (int i = 0; i < PROC_MAX_HELD; i++) {
		if (p->held[i] != NULL) {
			kobj_unref(p->held[i]);
			p->held[i] = NULL;
		}
	}
}

int
shared_map_result(struct call *c, uint64_t addr, uint64_t size)
{
	struct capos_SharedMemory_map_Results_b r;

	if (addr == 0)
		return call_exception(c, capos_CapException_Type_overloaded,
		    "no room to map the memory");
	if (capos_SharedMemory_map_Results_init_root(call_result(c), &r) !=
	    CAPNP_OK)
		return call_exception(c, capos_CapException_Type_failed,
		    "result buffer");
	capos_SharedMemory_map_Results_set_addr(&r, addr);
	capos_SharedMemory_map_Results_set_size(&r, size);
	return CALL_DONE;
}

static int
shm_call(struct kobj *obj, struct call *c)
{
	struct shm *s = (struct shm *)obj;
	uint64_t size = s->pages * PAGE_SIZE, addr;

	if (c->method != capos_SharedMemory_map_ORDINAL)
		return call_exception(c, capos_CapException_Type_unimplemented,
		    "SharedMemory has no such method");
	addr = window_map(s->maps, c->proc, s->phys, size, PTE_W | PTE_NX,
	    NULL, NULL, &s->obj);
	return shared_map_result(c, addr, size);
}

static void
shm_release(struct kobj *obj)
{
	struct shm *s = (struct shm *)obj;

	frames_free(s->phys, s->pages);
	vm_refund(s->vm, s->pages * PAGE_SIZE);
	kobj_unref(s->vm);
	kfree(s);
}

static const struct kobj_ops shm_ops = {
	.name = "SharedMemory", .call = shm_call, .release = shm_release,
};

struct kobj *
shm_create(struct kobj *vm, uint64_t pages)
{
	struct shm *s = kzalloc(sizeof(*s));

	if (s == NULL)
		return NULL;
	if ((s->phys = frames_alloc_contig(pages)) == 0) {
		kfree(s);
		return NULL;
	}
	memset(phys_to_virt(s->phys), 0, pages * PAGE_SIZE);
	kobj_init(&s->obj, &shm_ops);
	s->vm = kobj_ref(vm);
	s->pages = pages;
	return &s->obj;
}
