/*
 * memtest: a test service for VirtualMemory and malloc. It allocates and
 * frees many blocks of many sizes checking their contents, and shows that
 * the capability refuses what it must: writable and executable memory,
 * addresses outside the heap window, and mappings beyond its quota. It
 * also checks SharedMemory made by VirtualMemory.share: its sizes, its
 * charge to the quota and when that is given back, its mapping, and the
 * limit on how many one process maps; that no client of its own "fake"
 * export can be labelled with a kernel interface id (so no endpoint can be
 * passed off as SharedMemory or any kernel object); and that a process that mapped
 * SharedMemory lets go of it when it stops: with the argument "mapper"
 * memtest is that process, taking the memory from the other's "hand"
 * export (ShareTest, schema/ipctest.capnp).
 */
#include <string.h>

#include "check.h"
#include "ipctest.capnp.h"
#include "rt.h"

#define N	200
#define KIB	1024ull
#define MIB	(1024ull * KIB)
#define SHM_HELD_MAX	8	/* SharedMemory objects one process may map */

static uint8_t rbuf[256] __attribute__((aligned(8)));

static void
heap(void)
{
	static unsigned char *p[N];
	static size_t sz[N];
	int bad = 0;

	for (int i = 0; i < N; i++) {
		sz[i] = (size_t)(i * 37 % 5000) + 1;
		if (i % 50 == 0)
			sz[i] = 100000;
		p[i] = malloc(sz[i]);
		if (p[i] == NULL) {
			bad++;
			continue;
		}
		memset(p[i], i & 0xff, sz[i]);
	}
	for (int i = 0; i < N; i++)
		for (size_t k = 0; p[i] != NULL && k < sz[i]; k++)
			if (p[i][k] != (unsigned char)(i & 0xff)) {
				bad++;
				break;
			}
	for (int i = 0; i < N; i += 2)
		free(p[i]);
	for (int i = 0; i < N; i += 2)
		if ((p[i] = malloc(sz[i])) == NULL)
			bad++;
	for (int i = 0; i < N; i++)
		free(p[i]);
	expect("heap blocks intact", bad, 0);
	p[0] = realloc(NULL, 10);
	memcpy(p[0], "0123456789", 10);
	p[0] = realloc(p[0], 9000);
	expect("realloc keeps contents", p[0] != NULL &&
	    memcmp(p[0], "0123456789", 10) == 0, 1);
	free(p[0]);
	expect("calloc overflow refused", calloc(SIZE_MAX / 2, 4) == NULL, 1);
}

static void
refusals(void)
{
	uint64_t a;

	expect("W+X denied", rt_vm_map(0, 4096, RT_PROT_READ | RT_PROT_WRITE |
	    RT_PROT_EXEC, &a), RT_VM_DENIED);
	expect("image area refused", rt_vm_map(0x400000, 4096, RT_PROT_READ,
	    &a), RT_VM_INVALID);
	expect("kernel half refused", rt_vm_map(0xffff800000000000ull, 4096,
	    RT_PROT_READ, &a), RT_VM_INVALID);
	expect("unaligned size refused", rt_vm_map(0, 100, RT_PROT_READ, &a),
	    RT_VM_INVALID);
	expect("over quota refused", rt_vm_map(0, 1ull << 40, RT_PROT_READ,
	    &a), RT_VM_QUOTA);
	expect("map ok", rt_vm_map(0, 8192, RT_PROT_READ | RT_PROT_WRITE, &a),
	    0);
	expect("double map refused", rt_vm_map(a, 4096, RT_PROT_READ, &a),
	    RT_VM_INVALID);
	expect("unmap ok", rt_vm_unmap(a, 8192), 0);
	expect("unmap of the stack refused", rt_vm_unmap(CAPOS_USER_STACK_TOP -
	    4096, 4096), RT_VM_INVALID);
}

/*
 * Sparse mappings must not leave page tables behind: each step would strand
 * a table, and this many would pass the process's frame limit.
 */
static void
sparse(void)
{
	uint64_t a;
	int bad = 0;

	for (uint64_t i = 0; i < 40000; i++) {
		uint64_t at = CAPOS_USER_HEAP_BASE + (1ull << 39) + i * (2ull << 20);

		if (rt_vm_map(at, 4096, RT_PROT_READ | RT_PROT_WRITE, &a) != 0 ||
		    a != at || rt_vm_unmap(at, 4096) != 0) {
			bad++;
			break;
		}
	}
	expect("40000 sparse map/unmap steps", bad, 0);
}

/* Unmapping the whole window takes time for what is mapped, not for the
 * window's 16 TiB. */
static void
whole_window(void)
{
	uint64_t a;

	expect("map before the big unmap", rt_vm_map(0, 4096, RT_PROT_READ,
	    &a), 0);
	expect("unmap the whole window", rt_vm_unmap(CAPOS_USER_HEAP_BASE,
	    CAPOS_USER_HEAP_END - CAPOS_USER_HEAP_BASE), 0);
}

/* The quota of the "virtualMemory" capability; 0, or -1 on any failure. */
static int
vm_quota(uint64_t *limit, uint64_t *used)
{
	struct capos_VirtualMemory_quota_Results_r r;
	struct rt_result res;

	if (rt_call(rt_cap("virtualMemory", capos_VirtualMemory_INTERFACE_ID),
	    capos_VirtualMemory_INTERFACE_ID, capos_VirtualMemory_quota_ORDINAL,
	    NULL, NULL, 0, rbuf, sizeof(rbuf), &res) != 0)
		return -1;
	r.s = res.root;
	*limit = capos_VirtualMemory_quota_Results_get_limitBytes(&r);
	*used = capos_VirtualMemory_quota_Results_get_usedBytes(&r);
	return 0;
}

/* The quota's used bytes, or -1. */
static int64_t
vm_used(void)
{
	uint64_t limit, used;

	return vm_quota(&limit, &used) == 0 ? (int64_t)used : -1;
}

/* VirtualMemory.share with no room for the result capability: the
 * completion's status. */
static int
share_no_room(uint64_t size)
{
	struct capos_VirtualMemory_share_Params_b p;
	struct capnp_builder b;
	struct capos_sqe e;
	struct capos_cqe c;
	uint8_t params[64] __attribute__((aligned(8)));
	int rc;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_VirtualMemory_share_Params_init_root(&b, &p) != 0)
		return CAPOS_E2BIG;
	capos_VirtualMemory_share_Params_set_size(&p, size);
	rt_prep_call(&e, rt_cap("virtualMemory",
	    capos_VirtualMemory_INTERFACE_ID), capos_VirtualMemory_INTERFACE_ID,
	    capos_VirtualMemory_share_ORDINAL, &b, rbuf, sizeof(rbuf), NULL, 0,
	    0);
	if ((rc = rt_submit(&e)) != 0 || (rc = rt_wait(e.user_data, &c)) != 0)
		return rc;
	return c.status;
}

/* VirtualMemory.protect: 0, RT_VM_INVALID, RT_VM_DENIED, or an error. */
static int
vm_protect(uint64_t addr, uint64_t size, int prot)
{
	struct capos_VirtualMemory_protect_Params_b p;
	struct capos_Protection_b pr;
	struct capos_VmResult_r r;
	struct capnp_builder b;
	struct rt_result res;
	uint8_t params[128] __attribute__((aligned(8)));
	int rc;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_VirtualMemory_protect_Params_init_root(&b, &p) != 0 ||
	    capos_VirtualMemory_protect_Params_init_prot(&p, &pr) != 0)
		return CAPOS_E2BIG;
	capos_VirtualMemory_protect_Params_set_addr(&p, addr);
	capos_VirtualMemory_protect_Params_set_size(&p, size);
	capos_Protection_set_read(&pr, (prot & RT_PROT_READ) != 0);
	capos_Protection_set_write(&pr, (prot & RT_PROT_WRITE) != 0);
	capos_Protection_set_exec(&pr, (prot & RT_PROT_EXEC) != 0);
	if ((rc = rt_call(rt_cap("virtualMemory",
	    capos_VirtualMemory_INTERFACE_ID), capos_VirtualMemory_INTERFACE_ID,
	    capos_VirtualMemory_protect_ORDINAL, &b, NULL, 0, rbuf,
	    sizeof(rbuf), &res)) != 0)
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

/*
 * SharedMemory.map: 0 with the address and size, or a call error; for
 * RT_EXCEPTION the exception's type is in *exc.
 */
static int
shm_map(capos_cap_t m, uint64_t *addr, uint64_t *size, int64_t *exc)
{
	struct capos_SharedMemory_map_Results_r r;
	struct rt_result res;
	int rc;

	*addr = *size = 0;
	*exc = -1;
	rc = rt_call(m, capos_SharedMemory_INTERFACE_ID,
	    capos_SharedMemory_map_ORDINAL, NULL, NULL, 0, rbuf, sizeof(rbuf),
	    &res);
	if (rc == RT_EXCEPTION)
		*exc = (int64_t)res.cqe.aux;
	if (rc != 0)
		return rc;
	r.s = res.root;
	*addr = capos_SharedMemory_map_Results_get_addr(&r);
	*size = capos_SharedMemory_map_Results_get_size(&r);
	return 0;
}

static bool
in_device_window(uint64_t addr, uint64_t size)
{
	return addr >= CAPOS_USER_DEVICE_BASE && addr % 4096 == 0 &&
	    addr < CAPOS_USER_DEVICE_END &&
	    size <= CAPOS_USER_DEVICE_END - addr;
}

/* Bytes of [p, p + n) that differ from c. */
static int
count_not(const volatile uint8_t *p, uint64_t n, uint8_t c)
{
	int bad = 0;

	for (uint64_t i = 0; i < n; i++)
		bad += p[i] != c;
	return bad;
}

static uint8_t
pattern(uint64_t i)
{
	return (uint8_t)(i * 7 + 1 + (i >> 12));
}

/* Bytes of [p, p + n) that differ from the pattern. */
static int
count_unlike(const volatile uint8_t *p, uint64_t n)
{
	int bad = 0;

	for (uint64_t i = 0; i < n; i++)
		bad += p[i] != pattern(i);
	return bad;
}

/* Sizes VirtualMemory.share refuses, and the quota running out. */
static void
share_refusals(void)
{
	capos_cap_t m, x;
	uint64_t limit = 0, used = 0, fill = 0;
	int64_t before = vm_used();

	expect("share of 0 bytes invalid", rt_vm_share(0, &m),
	    RT_VM_INVALID);
	expect("share of 4097 bytes invalid", rt_vm_share(4097, &m),
	    RT_VM_INVALID);
	expect("share of 4 MiB + 4 KiB invalid",
	    rt_vm_share(4 * MIB + 4096, &m), RT_VM_INVALID);
	expect("share of 8 MiB invalid", rt_vm_share(8 * MIB, &m),
	    RT_VM_INVALID);
	expect("share of 2^63 bytes invalid", rt_vm_share(1ull << 63, &m),
	    RT_VM_INVALID);
	expect("nothing charged for refused shares", vm_used(), before);
	expect("share with no room for the capability", share_no_room(4096),
	    CAPOS_ETRANSFER);
	expect("nothing charged for the undelivered share", vm_used(), before);

	/* The largest share, released without being mapped: refunded. */
	expect("share of 4 MiB", rt_vm_share(4 * MIB, &m), 0);
	expect("4 MiB charged", vm_used() - before, (int64_t)(4 * MIB));
	expect("release the unmapped 4 MiB", rt_release(m), 0);
	expect("unmapped and released: refunded", vm_used(), before);

	/* Leave 8 KiB of the quota: 16 KiB is over it, 8 KiB just fits. */
	expect("quota read", vm_quota(&limit, &used), 0);
	if (limit - used > 8192)
		expect("map all but 8 KiB of the quota", rt_vm_map(0,
		    limit - used - 8192, RT_PROT_READ | RT_PROT_WRITE, &fill),
		    0);
	expect("share over the quota left refused", rt_vm_share(16384, &m),
	    RT_VM_QUOTA);
	expect("share of exactly the quota left", rt_vm_share(8192, &m), 0);
	expect("quota used up", vm_used(), (int64_t)limit);
	expect("share of one page past the quota refused", rt_vm_share(4096, &x),
	    RT_VM_QUOTA);
	expect("release the last 8 KiB", rt_release(m), 0);
	expect("last 8 KiB refunded", vm_used(), (int64_t)(limit - 8192));
	if (fill != 0) {
		/* Its frames go back dirty; shared memory made from them
		 * later must still start zeroed. */
		memset((void *)(uintptr_t)fill, 0xEE, limit - used - 8192);
		expect("unmap the filler", rt_vm_unmap(fill, limit - used -
		    8192), 0);
	}
	expect("quota back where it was", vm_used(), (int64_t)used);
}

/*
 * A SharedMemory mapped, then released while mapped; then as many more as
 * a process may map, and one past that.
 */
static void
share_map(void)
{
	capos_cap_t m, more[SHM_HELD_MAX];
	uint64_t addr = 0, size = 0, again = 0, asize = 0, a, sz;
	volatile uint8_t *mem;
	int64_t before, charged, exc;
	struct rt_result res;
	int bad;

	before = vm_used();
	expect("share of 64 KiB", rt_vm_share(64 * KIB, &m), 0);
	expect("share gives a capability", m != CAPOS_CAP_NULL, 1);
	charged = vm_used();
	expect("64 KiB charged to the quota", charged - before,
	    (int64_t)(64 * KIB));
	expect("map", shm_map(m, &addr, &size, &exc), 0);
	expect("mapped in the device window", in_device_window(addr, size), 1);
	expect("mapped size", (int64_t)size, (int64_t)(64 * KIB));
	expect("mapping charges nothing more", vm_used(), charged);
	if (addr == 0 || size != 64 * KIB)
		return;
	mem = (volatile uint8_t *)(uintptr_t)addr;
	expect("shared memory starts zeroed", count_not(mem, size, 0), 0);
	for (uint64_t i = 0; i < size; i++)
		mem[i] = pattern(i);
	expect("pattern written and read back", count_unlike(mem, size), 0);
	expect("map again", shm_map(m, &again, &asize, &exc), 0);
	expect("mapped again at the same address", again == addr &&
	    asize == size, 1);

	expect("unknown SharedMemory method", rt_call(m,
	    capos_SharedMemory_INTERFACE_ID, capos_SharedMemory_map_ORDINAL + 1,
	    NULL, NULL, 0, rbuf, sizeof(rbuf), &res), RT_EXCEPTION);
	expect("as unimplemented", (int64_t)res.cqe.aux,
	    capos_CapException_Type_unimplemented);
	expect("called as VirtualMemory: wrong interface", rt_call(m,
	    capos_VirtualMemory_INTERFACE_ID, capos_VirtualMemory_quota_ORDINAL,
	    NULL, NULL, 0, rbuf, sizeof(rbuf), &res), CAPOS_EIFACE);
	/* VirtualMemory reaches only the heap window: the mapping cannot
	 * be made executable, nor unmapped. */
	expect("made executable through VirtualMemory: refused",
	    vm_protect(addr, size, RT_PROT_READ | RT_PROT_EXEC), RT_VM_INVALID);
	expect("unmapped through VirtualMemory: refused", rt_vm_unmap(addr,
	    size), RT_VM_INVALID);
	expect("still mapped and intact", count_unlike(mem, size), 0);

	/* The mapping holds the object: the pages stay, and so does the
	 * charge. */
	expect("release while mapped", rt_release(m), 0);
	expect("memory kept after the release", count_unlike(mem, size), 0);
	expect("still charged after the release", vm_used(), charged);
	expect("released capability gone", shm_map(m, &a, &sz, &exc),
	    CAPOS_EBADCAP);

	/* That one is the first of the SHM_HELD_MAX this process may map. */
	bad = 0;
	for (int i = 0; i < SHM_HELD_MAX; i++) {
		uint64_t prev = addr + size;

		if (rt_vm_share(4096, &more[i]) != 0) {
			bad++;
			continue;
		}
		if (i == SHM_HELD_MAX - 1)
			break;
		if (shm_map(more[i], &a, &sz, &exc) != 0 || sz != 4096 ||
		    !in_device_window(a, sz) || a < prev ||
		    count_not((volatile uint8_t *)(uintptr_t)a, sz, 0) != 0) {
			bad++;
			continue;
		}
		*(volatile uint8_t *)(uintptr_t)a = (uint8_t)(i + 1);
		addr = a;
		size = sz;
	}
	expect("7 more shared, mapped apart and zeroed", bad, 0);
	expect("the 9th object is made", more[SHM_HELD_MAX - 1] !=
	    CAPOS_CAP_NULL, 1);
	before = vm_used();
	expect("the 9th mapping refused", shm_map(more[SHM_HELD_MAX - 1], &a,
	    &sz, &exc), RT_EXCEPTION);
	expect("as overloaded", exc, capos_CapException_Type_overloaded);
	expect("a held one still maps", shm_map(more[0], &a, &sz, &exc) == 0 &&
	    *(volatile uint8_t *)(uintptr_t)a == 1, 1);
	expect("the first one is intact", count_unlike(mem, 64 * KIB), 0);
	expect("release the unmapped 9th", rt_release(more[SHM_HELD_MAX - 1]),
	    0);
	expect("the 9th refunded", before - vm_used(), 4096);
	before = vm_used();
	bad = 0;
	for (int i = 0; i < SHM_HELD_MAX - 1; i++)
		bad += rt_release(more[i]) != 0;
	expect("release the mapped ones", bad, 0);
	expect("mapped ones stay charged", vm_used(), before);
}

/* ---- An endpoint passed off as a kernel object ---- */

/* A client of owner typed as iface, or CAPOS_CAP_NULL; *exc is set when
 * the kernel answered with an exception. */
static capos_cap_t
mint_client(capos_cap_t owner, uint64_t iface, bool *exc)
{
	struct capos_Endpoint_client_Params_b p;
	struct capos_Endpoint_client_Results_r r;
	struct capnp_builder b;
	struct rt_result res;
	uint8_t params[64] __attribute__((aligned(8)));
	uint32_t idx;

	*exc = false;
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_Endpoint_client_Params_init_root(&b, &p) != 0)
		return CAPOS_CAP_NULL;
	capos_Endpoint_client_Params_set_interfaceId(&p, iface);
	if (rt_call(owner, capos_Endpoint_INTERFACE_ID,
	    capos_Endpoint_client_ORDINAL, &b, NULL, 0, rbuf, sizeof(rbuf),
	    &res) != 0) {
		*exc = (res.cqe.flags & CAPOS_CQE_EXCEPTION) != 0;
		return CAPOS_CAP_NULL;
	}
	r.s = res.root;
	if (capos_Endpoint_client_Results_get_client(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return CAPOS_CAP_NULL;
	return res.caps[idx].cap;
}

/*
 * Any endpoint owner can mint clients, but never one labelled with a
 * kernel interface: otherwise a server could pass its endpoint off as
 * SharedMemory, VirtualMemory, ... and answer with whatever it liked.
 * Every kernel interface id is refused; the endpoint's own one is not.
 */
static void
forged_labels(void)
{
	static const uint64_t kernel_ids[] = {
		capos_SharedMemory_INTERFACE_ID,
		capos_VirtualMemory_INTERFACE_ID, capos_Console_INTERFACE_ID,
		capos_ProcessSpawner_INTERFACE_ID, capos_Endpoint_INTERFACE_ID,
		capos_EndpointFactory_INTERFACE_ID, capos_DMAPool_INTERFACE_ID,
		capos_DeviceManager_INTERFACE_ID, capos_Timer_INTERFACE_ID,
		capos_ParkSpace_INTERFACE_ID, capos_Entropy_INTERFACE_ID,
		capos_ThreadSpawner_INTERFACE_ID,
	};
	capos_cap_t owner = rt_cap("fake", capos_Endpoint_INTERFACE_ID), c;
	int minted = 0, refused = 0;
	bool exc;

	expect("the fake export is held", owner != CAPOS_CAP_NULL, 1);
	for (size_t i = 0; i < sizeof(kernel_ids) / sizeof(kernel_ids[0]);
	    i++) {
		c = mint_client(owner, kernel_ids[i], &exc);
		if (c != CAPOS_CAP_NULL) {
			minted++;
			(void)rt_release(c);
		}
		refused += exc;
	}
	expect("no client wears a kernel interface id", minted, 0);
	expect("each refused with an exception", refused,
	    (int64_t)(sizeof(kernel_ids) / sizeof(kernel_ids[0])));
	c = mint_client(owner, 0, &exc);
	expect("a client of the endpoint's own interface", c != CAPOS_CAP_NULL,
	    1);
	(void)rt_release(c);
}

/* ---- A mapping that ends with its process ---- */

/* The mapper's side: take the memory, map it, check and write it. */
static int
mapper(void)
{
	struct capos_ShareTest_take_Results_r tr;
	struct capos_ShareTest_mapped_Params_b mp;
	capos_cap_t hand = rt_cap("hand", capos_ShareTest_INTERFACE_ID);
	struct capnp_builder b;
	struct rt_result res;
	uint8_t params[64] __attribute__((aligned(8)));
	uint8_t *addr = NULL;
	uint64_t size = 0;
	uint32_t idx;
	bool ok;

	if (hand == CAPOS_CAP_NULL ||
	    rt_call(hand, capos_ShareTest_INTERFACE_ID,
	    capos_ShareTest_take_ORDINAL, NULL, NULL, 0, rbuf, sizeof(rbuf),
	    &res) != 0)
		return 1;
	tr.s = res.root;
	ok = capos_ShareTest_take_Results_get_memory(&tr, &idx) == 0 &&
	    idx < res.cqe.ncaps &&
	    rt_shared_map(res.caps[idx].cap, &addr, &size) == 0 &&
	    size == 64 * KIB;
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_ShareTest_mapped_Params_init_root(&b, &mp) != 0)
		return 1;
	capos_ShareTest_mapped_Params_set_ok(&mp, ok);
	capos_ShareTest_mapped_Params_set_first(&mp, ok ? addr[0] : 0);
	if (ok)
		memset(addr, 0x3C, size);
	/* Released, but the mapping still holds the memory until we stop. */
	(void)rt_release(res.caps[idx].cap);
	return rt_call(hand, capos_ShareTest_INTERFACE_ID,
	    capos_ShareTest_mapped_ORDINAL, &b, NULL, 0, rbuf, sizeof(rbuf),
	    &res) == 0 && ok ? 0 : 1;
}

/* RETURNs an empty result, or the memory capability m, to call_id. */
static int
answer_hand(capos_cap_t owner, uint64_t call_id, capos_cap_t m)
{
	struct capos_ShareTest_take_Results_b r;
	struct capos_capdesc cd = { .cap = m, .mode = CAPOS_XFER_COPY };
	struct capnp_builder b;
	struct capos_sqe e;
	struct capos_cqe c;
	uint8_t out[64] __attribute__((aligned(8)));

	if (capnp_builder_init(&b, out, sizeof(out)) != 0 ||
	    capos_ShareTest_take_Results_init_root(&b, &r) != 0)
		return -1;
	if (m != CAPOS_CAP_NULL)
		capos_ShareTest_take_Results_set_memory(&r, 0);
	rt_prep_return(&e, owner, call_id, out, capnp_builder_finish(&b),
	    &cd, m != CAPOS_CAP_NULL ? 1 : 0);
	if (rt_submit(&e) != 0 || rt_wait(e.user_data, &c) != 0)
		return -1;
	return c.status;
}

/*
 * Hands 64 KiB of shared memory to the "mapper" process, which maps it
 * (fresh, so it must read zero), releases its capability, writes it and
 * exits. Our capability keeps the quota charged; once we release it, the
 * quota must come back, which it can only do if the stopped mapper's
 * mapping let go.
 */
static void
mapping_ends_with_process(void)
{
	static uint8_t in[512] __attribute__((aligned(8)));
	struct capos_capdesc caps[CAPOS_MAX_XCAPS];
	capos_cap_t owner = rt_cap("hand", capos_Endpoint_INTERFACE_ID), m;
	int64_t before = vm_used();
	bool took = false, mapped = false, gone = false;

	expect("the hand export is held", owner != CAPOS_CAP_NULL, 1);
	expect("share 64 KiB for the mapper", rt_vm_share(64 * KIB, &m), 0);
	if (owner == CAPOS_CAP_NULL || m == CAPOS_CAP_NULL)
		return;
	for (int i = 0; i < 4 && !gone; i++) {
		const struct capos_recv_hdr *h = (const void *)in;
		struct capos_ShareTest_mapped_Params_r p;
		struct capnp_msg msg;
		struct capos_sqe e;
		struct capos_cqe c;

		rt_prep_recv(&e, owner, in, sizeof(in), caps);
		if (rt_submit(&e) != 0 || rt_wait(e.user_data, &c) != 0)
			break;
		if (c.status == CAPOS_EPEER) {
			gone = true;
			break;
		}
		if (c.status < (int)sizeof(*h) ||
		    h->params_len > (uint32_t)c.status - sizeof(*h))
			break;
		if (h->method == capos_ShareTest_take_ORDINAL) {
			took = answer_hand(owner, h->call_id, m) >= 0;
		} else if (h->method == capos_ShareTest_mapped_ORDINAL) {
			if (h->params_len == 0 || capnp_msg_init(&msg,
			    in + sizeof(*h), h->params_len) != 0 ||
			    capnp_msg_root(&msg, &p.s) != 0)
				memset(&p, 0, sizeof(p));
			mapped = capos_ShareTest_mapped_Params_get_ok(&p) &&
			    capos_ShareTest_mapped_Params_get_first(&p) == 0;
			(void)answer_hand(owner, h->call_id, CAPOS_CAP_NULL);
		}
	}
	expect("the mapper took the memory", took, 1);
	expect("the mapper mapped it, zeroed", mapped, 1);
	expect("the mapper has stopped", gone, 1);
	expect("still charged while we hold it", vm_used(),
	    before + (int64_t)(64 * KIB));
	expect("released", rt_release(m), 0);
	expect("refunded: the stopped mapper let go", vm_used(), before);
}

int
main(void)
{
	if (rt_argc() > 0 && strcmp(rt_argv(0), "mapper") == 0)
		return mapper();
	heap();
	refusals();
	sparse();
	share_refusals();
	share_map();
	forged_labels();
	mapping_ends_with_process();
	whole_window();
	rt_printf("memtest: %d checks, %d failed\n", test_checks, test_failed);
	if (test_failed != 0)
		return 1;
	rt_debug("[proof] vm ok: mappings hold their contents, refused "
	    "protections and ranges stay refused, quotas are charged and "
	    "refunded, shared memory lives until its last mapping, no client "
	    "wears a kernel interface\n");
	return 0;
}
