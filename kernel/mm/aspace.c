/*
 * User address spaces. See aspace.h.
 */
#include <stdbool.h>
#include <string.h>

#include "capos/abi.h"
#include "kernel.h"
#include "mm/aspace.h"
#include "mm/mem.h"
#include "mm/pmm.h"

uint64_t
aspace_create(void)
{
	uint64_t pa = frame_alloc();
	uint64_t *pml4, *kernel;

	if (pa == 0)
		return 0;
	pml4 = phys_to_virt(pa);
	kernel = phys_to_virt(vmm_kernel_pml4());
	memset(pml4, 0, 256 * sizeof(uint64_t));
	memcpy(pml4 + 256, kernel + 256, 256 * sizeof(uint64_t));
	return pa;
}

/* Frees the tables below `table` at `level` (4 = PML4) and owned frames. */
static void
free_level(uint64_t *table, int level, int limit)
{
	for (int i = 0; i < limit; i++) {
		uint64_t e = table[i];

		if (!(e & PTE_P))
			continue;
		if (level == 1) {
			if (e & PTE_OWNED)
				frame_free(e & PTE_ADDR);
			continue;
		}
		free_level(phys_to_virt(e & PTE_ADDR), level - 1, 512);
		frame_free(e & PTE_ADDR);
	}
}

void
aspace_destroy(uint64_t pml4)
{
	free_level(phys_to_virt(pml4), 4, 256);
	frame_free(pml4);
}

uint64_t *
aspace_pte(uint64_t pml4, uint64_t va)
{
	uint64_t *table = phys_to_virt(pml4);

	if (va >= USER_TOP)
		return NULL;
	for (int shift = 39; shift > 12; shift -= 9) {
		uint64_t e = table[(va >> shift) & 511];

		if (!(e & PTE_P) || (e & PTE_PS))
			return NULL;
		table = phys_to_virt(e & PTE_ADDR);
	}
	return &table[(va >> 12) & 511];
}

static bool
user_range_ok(uint64_t va, uint64_t len)
{
	return va % PAGE_SIZE == 0 && len % PAGE_SIZE == 0 && len != 0 &&
	    va < USER_TOP && len <= USER_TOP - va;
}

int
aspace_map_anon(uint64_t pml4, uint64_t va, uint64_t len, uint64_t flags)
{
	if (!user_range_ok(va, len))
		return -1;
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		uint64_t pa = frame_alloc();

		if (pa == 0) {
			aspace_unmap(pml4, va, off);
			return -1;
		}
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
		if (vmm_map_page(pml4, va + off, pa,
		    flags | PTE_U | PTE_OWNED) != 0) {
			frame_free(pa);
			aspace_unmap(pml4, va, off);
			return -1;
		}
	}
	return 0;
}

int
aspace_map_frame(uint64_t pml4, uint64_t va, uint64_t pa, uint64_t flags)
{
	if (!user_range_ok(va, PAGE_SIZE))
		return -1;
	return vmm_map_page(pml4, va, pa, flags | PTE_U);
}

uint64_t
aspace_unmap(uint64_t pml4, uint64_t va, uint64_t len)
{
	uint64_t n = 0;

	if (len == 0 || !user_range_ok(va, len))
		return 0;
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		uint64_t *pte = aspace_pte(pml4, va + off);

		if (pte == NULL || !(*pte & PTE_P))
			continue;
		if (*pte & PTE_OWNED)
			frame_free(*pte & PTE_ADDR);
		*pte = 0;
		__asm__ volatile("invlpg (%0)" : : "r"(va + off) : "memory");
		n++;
	}
	return n;
}

int
aspace_protect(uint64_t pml4, uint64_t va, uint64_t len, uint64_t flags)
{
	const uint64_t keep = PTE_ADDR | PTE_OWNED | PTE_P | PTE_U;

	if (!user_range_ok(va, len))
		return -1;
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		uint64_t *pte = aspace_pte(pml4, va + off);

		if (pte == NULL || !(*pte & PTE_P))
			return -1;
	}
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		uint64_t *pte = aspace_pte(pml4, va + off);

		*pte = (*pte & keep) | (flags & ~keep);
		__asm__ volatile("invlpg (%0)" : : "r"(va + off) : "memory");
	}
	return 0;
}

/* Returns a kernel pointer to user byte uva, or NULL if not allowed. */
static uint8_t *
user_byte(uint64_t pml4, uint64_t uva, bool write)
{
	uint64_t *pte = aspace_pte(pml4, uva);

	if (pte == NULL || !(*pte & PTE_P) || !(*pte & PTE_U))
		return NULL;
	if (write && !(*pte & PTE_W))
		return NULL;
	return (uint8_t *)phys_to_virt(*pte & PTE_ADDR) + (uva % PAGE_SIZE);
}

static int
copy_user(uint64_t pml4, uint64_t uva, uint8_t *kbuf, uint64_t n, bool write)
{
	if (n == 0)
		return 0;
	if (uva >= USER_TOP || n > USER_TOP - uva)
		return CAPOS_EFAULT;
	while (n > 0) {
		uint64_t chunk = PAGE_SIZE - uva % PAGE_SIZE;
		uint8_t *p = user_byte(pml4, uva, write);

		if (p == NULL)
			return CAPOS_EFAULT;
		if (chunk > n)
			chunk = n;
		if (write)
			memcpy(p, kbuf, chunk);
		else
			memcpy(kbuf, p, chunk);
		uva += chunk;
		kbuf += chunk;
		n -= chunk;
	}
	return 0;
}

int
copy_from_user(uint64_t pml4, void *dst, uint64_t uva, uint64_t n)
{
	return copy_user(pml4, uva, dst, n, false);
}

int
copy_to_user(uint64_t pml4, uint64_t uva, const void *src, uint64_t n)
{
	return copy_user(pml4, uva, (uint8_t *)(uintptr_t)src, n, true);
}
