/*
 * VirtualMemory: anonymous memory in the calling process's own address
 * space, inside the heap window [CAPOS_USER_HEAP_BASE, _END), charged to
 * the capability's quota. The image, stack, rings and start block lie
 * outside the window, so this capability cannot touch them. Writable and
 * executable at once is refused.
 *
 * Each mapped page carries a tag naming the capability charged for it (a
 * process may use up to three), so unmapping through any capability, or
 * the process ending, refunds exactly the capability that paid.
 */
#include "cap/call.h"
#include "kernel.h"
#include "mm/aspace.h"
#include "mm/mem.h"
#include "mm/pmm.h"
#include "obj/objects.h"

struct vm {
	struct kobj obj;
	uint64_t quota;
	uint64_t used;
};

enum vm_outcome { VM_OK, VM_INVALID, VM_DENIED, VM_QUOTA, VM_NOMEM };

static bool
in_window(uint64_t addr, uint64_t size)
{
	return addr % PAGE_SIZE == 0 && size % PAGE_SIZE == 0 && size != 0 &&
	    addr >= CAPOS_USER_HEAP_BASE && addr < CAPOS_USER_HEAP_END &&
	    size <= CAPOS_USER_HEAP_END - addr;
}

static bool
range_free(uint64_t pml4, uint64_t addr, uint64_t size)
{
	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		uint64_t *pte = aspace_pte(pml4, addr + off);

		if (pte != NULL && (*pte & PTE_P))
			return false;
	}
	return true;
}

/* Page flags for a protection; false for write+exec, which is refused. */
static bool
prot_flags(const struct capos_Protection_r *p, uint64_t *flags)
{
	bool w = capos_Protection_get_write(p);
	bool x = capos_Protection_get_exec(p);

	*flags = (w ? PTE_W : 0) | (x ? 0 : PTE_NX);
	return !(w && x);
}

/* The charge slot of vm in p, taking a free one if needed; -1 if none. */
static int
charge_slot(struct process *p, struct vm *vm)
{
	int free_slot = -1;

	for (int i = 0; i < ASPACE_TAGS - 1; i++) {
		if (p->charges[i].vm == &vm->obj)
			return i;
		if (p->charges[i].vm == NULL && free_slot < 0)
			free_slot = i;
	}
	if (free_slot >= 0)
		p->charges[free_slot].vm = kobj_ref(&vm->obj);
	return free_slot;
}

void
vm_refund(struct kobj *obj, uint64_t bytes)
{
	struct vm *vm = (struct vm *)obj;

	vm->used = bytes > vm->used ? 0 : vm->used - bytes;
}

static void
refund(struct process *p, int slot, uint64_t bytes)
{
	struct vm_charge *ch = &p->charges[slot];
	struct vm *vm = (struct vm *)ch->vm;

	if (vm == NULL)
		return;
	bytes = bytes > ch->bytes ? ch->bytes : bytes;
	ch->bytes -= bytes;
	vm_refund(&vm->obj, bytes);
	if (ch->bytes == 0) {
		ch->vm = NULL;
		kobj_unref(&vm->obj);
	}
}

void
vm_process_stopped(struct process *p)
{
	for (int i = 0; i < ASPACE_TAGS - 1; i++)
		refund(p, i, p->charges[i].bytes);
}

static enum vm_outcome
do_map(struct vm *vm, struct process *p, uint64_t *addr, uint64_t size,
    const struct capos_Protection_r *prot)
{
	uint64_t flags;
	int slot;

	if (!prot_flags(prot, &flags))
		return VM_DENIED;
	if (size == 0 || size % PAGE_SIZE != 0 ||
	    size > CAPOS_USER_HEAP_END - CAPOS_USER_HEAP_BASE)
		return VM_INVALID;
	if (size > vm->quota - vm->used)
		return VM_QUOTA;
	if (*addr == 0) {
		/* Leave an unmapped page between mappings as a guard. */
		*addr = p->heap_next;
		if (!in_window(*addr, size))
			return VM_NOMEM;
		p->heap_next = *addr + size + PAGE_SIZE;
	}
	if (!in_window(*addr, size) || !range_free(p->as.pml4, *addr, size))
		return VM_INVALID;
	if ((slot = charge_slot(p, vm)) < 0)
		return VM_DENIED;
	if (aspace_map_anon(&p->as, *addr, size,
	    flags | PTE_TAG(slot + 1)) != 0) {
		refund(p, slot, 0);
		return VM_NOMEM;
	}
	vm->used += size;
	p->charges[slot].bytes += size;
	return VM_OK;
}

static int
vm_map(struct vm *vm, struct call *c, const struct capnp_struct *root)
{
	struct capos_VirtualMemory_map_Params_r p = { *root };
	struct capos_Protection_r prot;
	struct capos_MapResult_b res;
	uint64_t addr = capos_VirtualMemory_map_Params_get_addr(&p);
	enum vm_outcome o;

	if (capos_VirtualMemory_map_Params_get_prot(&p, &prot) != 0)
		return call_exception(c, capos_CapException_Type_failed,
		    "malformed protection");
	o = do_map(vm, c->proc, &addr,
	    capos_VirtualMemory_map_Params_get_size(&p), &prot);
	if (capos_MapResult_init_root(call_result(c), &res) != 0)
		return call_exception(c, capos_CapException_Type_failed,
		    "result buffer");
	switch (o) {
	case VM_OK:
		capos_MapResult_set_addr(&res, addr);
		break;
	case VM_INVALID:
		capos_MapResult_set_invalid(&res);
		break;
	case VM_DENIED:
		capos_MapResult_set_denied(&res);
		break;
	case VM_QUOTA:
		capos_MapResult_set_quotaExceeded(&res);
		break;
	case VM_NOMEM:
		capos_MapResult_set_noMemory(&res);
		break;
	}
	return CALL_DONE;
}

static int
vm_result(struct call *c, enum vm_outcome o)
{
	struct capos_VmResult_b res;

	if (capos_VmResult_init_root(call_result(c), &res) != 0)
		return call_exception(c, capos_CapException_Type_failed,
		    "result buffer");
	switch (o) {
	case VM_OK:
		capos_VmResult_set_ok(&res);
		break;
	case VM_DENIED:
		capos_VmResult_set_denied(&res);
		break;
	case VM_QUOTA:
		capos_VmResult_set_quotaExceeded(&res);
		break;
	case VM_INVALID:
	case VM_NOMEM:
		capos_VmResult_set_invalid(&res);
		break;
	}
	return CALL_DONE;
}

static int
vm_unmap(struct call *c, const struct capnp_struct *root)
{
	struct capos_VirtualMemory_unmap_Params_r p = { *root };
	uint64_t addr = capos_VirtualMemory_unmap_Params_get_addr(&p);
	uint64_t size = capos_VirtualMemory_unmap_Params_get_size(&p);
	uint64_t per_tag[ASPACE_TAGS] = { 0 };

	if (!in_window(addr, size))
		return vm_result(c, VM_INVALID);
	aspace_unmap(&c->proc->as, addr, size, per_tag);
	for (int t = 1; t < ASPACE_TAGS; t++)
		refund(c->proc, t - 1, per_tag[t] * PAGE_SIZE);
	return vm_result(c, VM_OK);
}

static int
vm_protect(struct call *c, const struct capnp_struct *root)
{
	struct capos_VirtualMemory_protect_Params_r p = { *root };
	struct capos_Protection_r prot;
	uint64_t addr = capos_VirtualMemory_protect_Params_get_addr(&p);
	uint64_t size = capos_VirtualMemory_protect_Params_get_size(&p);
	uint64_t flags;

	if (capos_VirtualMemory_protect_Params_get_prot(&p, &prot) != 0)
		return call_exception(c, capos_CapException_Type_failed,
		    "malformed protection");
	if (!prot_flags(&prot, &flags))
		return vm_result(c, VM_DENIED);
	if (!in_window(addr, size) ||
	    aspace_protect(&c->proc->as, addr, size, flags) != 0)
		return vm_result(c, VM_INVALID);
	return vm_result(c, VM_OK);
}


#define SHARE_MAX	(4ull << 20)

static int
vm_share(struct vm *vm, struct call *c, const struct capnp_struct *root)
{
	struct capos_VirtualMemory_share_Params_r p = { *root };
	struct capos_ShareResult_b res;
	uint64_t size = capos_VirtualMemory_share_Params_get_size(&p);
	struct kobj *shm;
	int idx;

	if (capos_ShareResult_init_root(call_result(c), &res) != 0)
		return call_exception(c, capos_CapException_Type_failed,
		    "result buffer");
	if (size == 0 || size % PAGE_SIZE != 0 || size > SHARE_MAX) {
		capos_ShareResult_set_invalid(&res);
		return CALL_DONE;
	}
	if (size > vm->quota - vm->used) {
		capos_ShareResult_set_quotaExceeded(&res);
		return CALL_DONE;
	}
	if ((shm = shm_create(&vm->obj, size / PAGE_SIZE)) == NULL) {
		capos_ShareResult_set_noMemory(&res);
		return CALL_DONE;
	}
	vm->used += size;
	/* The reply takes the reference; without room the object goes,
	 * refunding the quota. */
	if ((idx = reply_add_cap(&c->reply, shm,
	    capos_SharedMemory_INTERFACE_ID)) < 0) {
		kobj_unref(shm);
		return call_exception(c, capos_CapException_Type_failed,
		    "result capabilities");
	}
	capos_ShareResult_set_memory(&res, (uint32_t)idx);
	return CALL_DONE;
}

static int
vm_call(struct kobj *obj, struct call *c)
{
	struct vm *vm = (struct vm *)obj;
	struct capos_VirtualMemory_quota_Results_b q;
	struct capnp_struct root;
	struct capnp_msg m;

	if (call_params(c, &m, &root) != 0)
		return call_exception(c, capos_CapException_Type_failed,
		    "malformed VirtualMemory params");
	switch (c->method) {
	case capos_VirtualMemory_map_ORDINAL:
		return vm_map(vm, c, &root);
	case capos_VirtualMemory_unmap_ORDINAL:
		return vm_unmap(c, &root);
	case capos_VirtualMemory_protect_ORDINAL:
		return vm_protect(c, &root);
	case capos_VirtualMemory_share_ORDINAL:
		return vm_share(vm, c, &root);
	case capos_VirtualMemory_quota_ORDINAL:
		if (capos_VirtualMemory_quota_Results_init_root(call_result(c),
		    &q) != 0)
			return call_exception(c,
			    capos_CapException_Type_failed, "result buffer");
		capos_VirtualMemory_quota_Results_set_limitBytes(&q, vm->quota);
		capos_VirtualMemory_quota_Results_set_usedBytes(&q, vm->used);
		return CALL_DONE;
	default:
		return call_exception(c, capos_CapException_Type_unimplemented,
		    "VirtualMemory has no such method");
	}
}

static void
vm_release(struct kobj *obj)
{
	kfree(obj);
}

static const struct kobj_ops vm_ops = {
	.name = "VirtualMemory",
	.call = vm_call,
	.release = vm_release,
};

struct kobj *
vm_create(uint64_t quota)
{
	struct vm *vm = kzalloc(sizeof(*vm));

	if (vm == NULL)
		return NULL;
	kobj_init(&vm->obj, &vm_ops);
	vm->quota = quota;
	return &vm->obj;
}
