/*
 * Physical frame allocator: one bit per 4 KiB frame, set while the frame is
 * in use or not RAM. The bitmap lives in memory the caller provides, so the
 * same code runs in the kernel and in host tests on a fake memory map.
 *
 * Frames start out used; pmm_add_free marks usable RAM free and
 * pmm_reserve takes ranges back out (kernel image, boot modules, the bitmap
 * itself). Order matters only in that reservations win: call pmm_reserve
 * after every pmm_add_free.
 */
#ifndef CAPOS_PMM_H
#define CAPOS_PMM_H

#include <stddef.h>
#include <stdint.h>

#include "boot/bootinfo.h"

#define PAGE_SIZE	4096ull
#define PAGE_SHIFT	12

struct pmm {
	uint64_t *bitmap;
	uint64_t nframes;	/* frames covered: [0, nframes * PAGE_SIZE) */
	uint64_t nfree;
	uint64_t hint;		/* lowest frame that may be free */
};

/* Bytes of bitmap needed to cover physical memory up to `top`. */
size_t pmm_bitmap_bytes(uint64_t top);

void pmm_init(struct pmm *p, uint64_t *bitmap, uint64_t top);
/* Marks whole frames inside [base, base + len) free. */
void pmm_add_free(struct pmm *p, uint64_t base, uint64_t len);
/* Marks every frame touching [base, base + len) used. */
void pmm_reserve(struct pmm *p, uint64_t base, uint64_t len);

/* Returns the physical address of a free frame, or 0 when none is left. */
uint64_t pmm_alloc(struct pmm *p);
/*
 * Returns the first run of n free frames aligned to `align` bytes (a power
 * of two, at least PAGE_SIZE), or 0.
 */
uint64_t pmm_alloc_contig(struct pmm *p, uint64_t n, uint64_t align);
/* Frees n frames at pa. Freeing a frame that is not in use panics. */
void pmm_free(struct pmm *p, uint64_t pa, uint64_t n);

/*
 * Sets the allocator up from a boot memory map: covers RAM up to the top of
 * the highest usable region, frees usable regions above 1 MiB, reserves the
 * ranges in `res` (nres of them), and places the bitmap in the first usable
 * spot that collides with nothing, reserving it too. `to_virt` turns the
 * chosen physical address into a pointer. Returns 0, or -1 if no spot fits.
 */
struct pmm_range {
	uint64_t base;
	uint64_t len;
};
int pmm_setup(struct pmm *p, const struct mem_region *regions, uint32_t n,
    const struct pmm_range *res, uint32_t nres,
    void *(*to_virt)(uint64_t pa));

/* The highest address below which usable RAM was found. */
uint64_t pmm_usable_top(const struct mem_region *regions, uint32_t n);

#endif
