/*
 * User address spaces: a PML4 whose upper half is the kernel's, and user
 * pages in the lower half. Frames the address space owns are marked in a
 * PTE bit the hardware ignores, so tearing it down frees exactly those.
 */
#ifndef CAPOS_ASPACE_H
#define CAPOS_ASPACE_H

#include <stdint.h>

#include "mm/vmm.h"

#define USER_TOP	0x0000800000000000ull
#define PTE_OWNED	(1ull << 9)	/* frame belongs to this address space */

/* Returns the physical address of a new PML4, or 0. */
uint64_t aspace_create(void);
void aspace_destroy(uint64_t pml4);

/* Maps fresh zeroed frames over [va, va + len); 0 or -1 (no memory). */
int aspace_map_anon(uint64_t pml4, uint64_t va, uint64_t len, uint64_t flags);
/* Maps an existing frame the address space does not own. */
int aspace_map_frame(uint64_t pml4, uint64_t va, uint64_t pa, uint64_t flags);
/* Unmaps [va, va + len), freeing owned frames. Returns pages unmapped. */
uint64_t aspace_unmap(uint64_t pml4, uint64_t va, uint64_t len);
/* Changes the flags of mapped pages; -1 if any page is unmapped. */
int aspace_protect(uint64_t pml4, uint64_t va, uint64_t len, uint64_t flags);

/* The leaf PTE for va, or NULL. */
uint64_t *aspace_pte(uint64_t pml4, uint64_t va);

/*
 * Copying between kernel memory and a user address space by walking its
 * tables, so the space need not be the one loaded in CR3. Each fails with
 * CAPOS_EFAULT unless every byte is in a present user page (writable, for
 * copy_to_user).
 */
int copy_from_user(uint64_t pml4, void *dst, uint64_t uva, uint64_t n);
int copy_to_user(uint64_t pml4, uint64_t uva, const void *src, uint64_t n);

#endif
