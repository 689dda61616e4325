/*
 * memtest: a test service for VirtualMemory and malloc. It allocates and
 * frees many blocks of many sizes checking their contents, and shows that
 * the capability refuses what it must: writable and executable memory,
 * addresses outside the heap window, and mappings beyond its quota.
 */
#include <string.h>

#include "check.h"
#include "rt.h"

#define N	200


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

int
main(void)
{
	heap();
	refusals();
	sparse();
	whole_window();
	rt_printf("memtest: %d checks, %d failed\n", test_checks, test_failed);
	if (test_failed != 0)
		return 1;
	rt_printf("[proof] vm ok checks=%d\n", test_checks);
	return 0;
}
