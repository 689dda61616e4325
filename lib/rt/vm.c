/*
 * Typed calls on the process's "virtualMemory" capability.
 */
#include "rt.h"

/* Calls method of the "virtualMemory" capability with params b, its
 * result in buf; RT_VM_NOCAP without the capability, else as rt_call. */
static int
vm_call(uint16_t method, struct capnp_builder *b, void *buf, size_t len,
    struct rt_result *res)
{
	capos_cap_t vm = rt_cap("virtualMemory",
	    capos_VirtualMemory_INTERFACE_ID);

	return rt_call(vm, capos_VirtualMemory_INTERFACE_ID, method, b, NULL,
	    0, buf, len, res);
}

static void
set_prot(struct capos_Protection_b *pr, int prot)
{
	capos_Protection_set_read(pr, (prot & RT_PROT_READ) != 0);
	capos_Protection_set_write(pr, (prot & RT_PROT_WRITE) != 0);
	capos_Protection_set_exec(pr, (prot & RT_PROT_EXEC) != 0);
}

int
rt_vm_map(uint64_t addr, uint64_t size, int prot, uint64_t *out)
{
	struct capos_VirtualMemory_map_Params_b p;
	struct capos_Protection_b pr;
	struct capos_MapResult_r r;
	struct capnp_builder b;
	struct rt_result res;
	uint8_t vm_params[128] __attribute__((aligned(8)));
	uint8_t vm_result[128] __attribute__((aligned(8)));
	int rc;

	if (capnp_builder_init(&b, vm_params, sizeof(vm_params)) != 0 ||
	    capos_VirtualMemory_map_Params_init_root(&b, &p) != 0 ||
	    capos_VirtualMemory_map_Params_init_prot(&p, &pr) != 0)
		return CAPOS_E2BIG;
	capos_VirtualMemory_map_Params_set_addr(&p, addr);
	capos_VirtualMemory_map_Params_set_size(&p, size);
	set_prot(&pr, prot);
	rc = vm_call(capos_VirtualMemory_map_ORDINAL, &b, vm_result,
	    sizeof(vm_result), &res);
	if (rc != 0)
		return rc;
	r.s = res.root;
	switch (capos_MapResult_which(&r)) {
	case capos_MapResult_which_addr:
		*out = capos_MapResult_get_addr(&r);
		return 0;
	case capos_MapResult_which_invalid:
		return RT_VM_INVALID;
	case capos_MapResult_which_denied:
		return RT_VM_DENIED;
	case capos_MapResult_which_quotaExceeded:
		return RT_VM_QUOTA;
	default:
		return RT_VM_NOMEM;
	}
}

int
rt_vm_unmap(uint64_t addr, uint64_t size)
{
	struct capos_VirtualMemory_unmap_Params_b p;
	struct capos_VmResult_r r;
	struct capnp_builder b;
	struct rt_result res;
	uint8_t vm_params[128] __attribute__((aligned(8)));
	uint8_t vm_result[128] __attribute__((aligned(8)));
	int rc;

	if (capnp_builder_init(&b, vm_params, sizeof(vm_params)) != 0 ||
	    capos_VirtualMemory_unmap_Params_init_root(&b, &p) != 0)
		return CAPOS_E2BIG;
	capos_VirtualMemory_unmap_Params_set_addr(&p, addr);
	capos_VirtualMemory_unmap_Params_set_size(&p, size);
	rc = vm_call(capos_VirtualMemory_unmap_ORDINAL, &b, vm_result,
	    sizeof(vm_result), &res);
	if (rc != 0)
		return rc;
	r.s = res.root;
	return capos_VmResult_which(&r) == capos_VmResult_which_ok ? 0 :
	    RT_VM_INVALID;
}

int
rt_vm_protect(uint64_t addr, uint64_t size, int prot)
{
	struct capos_VirtualMemory_protect_Params_b p;
	struct capos_Protection_b pr;
	struct capos_VmResult_r r;
	struct capnp_builder b;
	struct rt_result res;
	uint8_t vm_params[128] __attribute__((aligned(8)));
	uint8_t vm_result[128] __attribute__((aligned(8)));
	int rc;

	if (capnp_builder_init(&b, vm_params, sizeof(vm_params)) != 0 ||
	    capos_VirtualMemory_protect_Params_init_root(&b, &p) != 0 ||
	    capos_VirtualMemory_protect_Params_init_prot(&p, &pr) != 0)
		return CAPOS_E2BIG;
	capos_VirtualMemory_protect_Params_set_addr(&p, addr);
	capos_VirtualMemory_protect_Params_set_size(&p, size);
	set_prot(&pr, prot);
	rc = vm_call(capos_VirtualMemory_protect_ORDINAL, &b, vm_result,
	    sizeof(vm_result), &res);
	if (rc != 0)
		return rc;
	r.s = res.root;
	switch (capos_VmResult_which(&r)) {
	case capos_VmResult_which_ok:
		return 0;
	case capos_VmResult_which_denied:
		return RT_VM_DENIED;
	default:
		return RT_VM_INVALID;
	}
}

int
rt_vm_share(uint64_t size, capos_cap_t *out)
{
	struct capos_VirtualMemory_share_Params_b p;
	struct capos_ShareResult_r r;
	struct capnp_builder b;
	struct rt_result res;
	uint8_t vm_params[64] __attribute__((aligned(8)));
	uint8_t vm_result[128] __attribute__((aligned(8)));
	uint32_t idx;
	int rc;

	*out = CAPOS_CAP_NULL;
	if (capnp_builder_init(&b, vm_params, sizeof(vm_params)) != 0 ||
	    capos_VirtualMemory_share_Params_init_root(&b, &p) != 0)
		return CAPOS_E2BIG;
	capos_VirtualMemory_share_Params_set_size(&p, size);
	rc = vm_call(capos_VirtualMemory_share_ORDINAL, &b, vm_result,
	    sizeof(vm_result), &res);
	if (rc != 0)
		return rc;
	r.s = res.root;
	switch (capos_ShareResult_which(&r)) {
	case capos_ShareResult_which_memory:
		if (capos_ShareResult_get_memory(&r, &idx) != 0 ||
		    idx >= res.cqe.ncaps)
			return CAPOS_EINVAL;
		*out = res.caps[idx].cap;
		return 0;
	case capos_ShareResult_which_invalid:
		return RT_VM_INVALID;
	case capos_ShareResult_which_quotaExceeded:
		return RT_VM_QUOTA;
	default:
		return RT_VM_NOMEM;
	}
}

capos_cap_t
rt_pool_share(capos_cap_t pool)
{
	struct capos_DMAPool_share_Results_r r;
	struct rt_result res;
	uint8_t buf[128] __attribute__((aligned(8)));
	uint32_t idx;

	if (rt_call(pool, capos_DMAPool_INTERFACE_ID,
	    capos_DMAPool_share_ORDINAL, NULL, NULL, 0, buf, sizeof(buf),
	    &res) != 0)
		return CAPOS_CAP_NULL;
	r.s = res.root;
	if (capos_DMAPool_share_Results_get_memory(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return CAPOS_CAP_NULL;
	return res.caps[idx].cap;
}

int
rt_shared_map(capos_cap_t mem, uint8_t **addr, uint64_t *size)
{
	struct capos_SharedMemory_map_Results_r r;
	struct rt_result res;
	uint8_t buf[128] __attribute__((aligned(8)));
	uint64_t a, n;
	int rc;

	rc = rt_call(mem, capos_SharedMemory_INTERFACE_ID,
	    capos_SharedMemory_map_ORDINAL, NULL, NULL, 0, buf, sizeof(buf),
	    &res);
	if (rc != 0)
		return rc;
	r.s = res.root;
	a = capos_SharedMemory_map_Results_get_addr(&r);
	n = capos_SharedMemory_map_Results_get_size(&r);
	/*
	 * The kernel maps shared memory only in the device window, and no
	 * server can pass an endpoint off as SharedMemory (the kernel refuses
	 * kernel interface ids on clients). Checked all the same: a wrong
	 * answer would aim us at our own memory.
	 */
	if (a % 4096 != 0 || n == 0 || n % 4096 != 0 ||
	    a < CAPOS_USER_DEVICE_BASE || a >= CAPOS_USER_DEVICE_END ||
	    n > CAPOS_USER_DEVICE_END - a)
		return CAPOS_EINVAL;
	*addr = (uint8_t *)(uintptr_t)a;
	*size = n;
	return 0;
}
