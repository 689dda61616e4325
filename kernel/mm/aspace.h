/*
 * User address spaces: a PML4 whose upper half is the kernel's, and user
 * pages in the lower half. Every frame an address space takes, for pages or
 * for page tables, is counted against its frame limit, so a process cannot
 * exhaust the kernel's memory through mappings. Frames it owns are marked
 * in a PTE bit the hardware ignores, so tearing it down frees exactly those;
 * two more such bits carry a tag naming who was charged for a page.
 */
#ifndef CAPOS_ASPACE_H
#define CAPOS_ASPACE_H

#include <stdbool.h>
#include <stdint.h>

#include "lock.h"
#include "mm/vmm.h"

#define USER_TOP	0x0000800000000000ull
#define PTE_OWNED	(1ull << 9)	/* frame belongs to this address space */
#define PTE_TAG_SHIFT	10		/* bits 10-11: charge tag, 0 = none */
#define PTE_TAG(t)	((uint64_t)(t) << PTE_TAG_SHIFT)
#define PTE_TAG_MASK	PTE_TAG(3)
/* A device register page (bit 52, ignored by the hardware): not RAM, so
 * the kernel never copies through it on behalf of the process. */
#define PTE_DEVICE	(1ull << 52)
#define ASPACE_TAGS	4

/* The lock covers the tables and the frame count: every change to them
 * takes it, and so does every copy to or from user memory, which may
 * run without the BKL (docs/smp.md, "ParkSpace without the lock"). A
 * reader of the tables under the BKL (aspace_pte) needs no lock: every
 * change also holds the BKL. It is held across the shootdown of an
 * unmap, so a waiter for it answers shootdowns (kernel/lock.h). */
struct aspace {
	struct spinlock lock;
	uint64_t pml4;		/* physical address of the PML4 */
	uint64_t frames;	/* frames charged: pages and tables */
	uint64_t limit;
};

/* Returns 0, or -1 when no frame is left for the PML4. */
int aspace_init(struct aspace *as, uint64_t frame_limit);
void aspace_destroy(struct aspace *as);

/*
 * Maps fresh zeroed frames over [va, va + len) with `flags` (which may
 * carry a PTE_TAG). Returns 0, or -1 with nothing mapped when memory or
 * the frame limit runs out.
 */
int aspace_map_anon(struct aspace *as, uint64_t va, uint64_t len,
    uint64_t flags);
/* Maps an existing frame the address space does not own. */
int aspace_map_frame(struct aspace *as, uint64_t va, uint64_t pa,
    uint64_t flags);
/*
 * Unmaps [va, va + len), freeing owned frames and emptied page tables, in
 * time proportional to what is mapped rather than to len. Adds the pages
 * unmapped under each tag to per_tag (may be NULL); returns the total.
 */
uint64_t aspace_unmap(struct aspace *as, uint64_t va, uint64_t len,
    uint64_t per_tag[ASPACE_TAGS]);
/* Changes the flags of mapped pages; -1 (nothing changed) if any page in
 * the range is unmapped. The tag and ownership bits are kept. */
int aspace_protect(struct aspace *as, uint64_t va, uint64_t len,
    uint64_t flags);

/* The leaf PTE for va, or NULL. */
uint64_t *aspace_pte(uint64_t pml4, uint64_t va);

/*
 * Copying between kernel memory and a user address space by walking its
 * tables, so the space need not be the one loaded in CR3. Each fails with
 * CAPOS_EFAULT unless every byte is in a present user page (writable, for
 * copy_to_user).
 */
int copy_from_user(struct aspace *as, void *dst, uint64_t uva, uint64_t n);
/* Whether copy_to_user of n bytes at uva would succeed. */
bool user_writable(struct aspace *as, uint64_t uva, uint64_t n);
int copy_to_user(struct aspace *as, uint64_t uva, const void *src,
    uint64_t n);

#endif
