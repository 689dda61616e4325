/*
 * User address spaces. See aspace.h.
 */
#include <stdbool.h>
#include <string.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/smp.h"
#include "capos/abi.h"
#include "kernel.h"
#include "mm/aspace.h"
#include "mm/mem.h"
#include "mm/pmm.h"

#define LEVEL_SPAN(l)	(1ull << (12 + 9 * (l)))	/* bytes an entry at
							   level l maps */
#define INDEX(va, l)	(((va) >> (12 + 9 * (l))) & 511)

static uint64_t *
table_at(uint64_t e)
{
	return phys_to_virt(e & PTE_ADDR);
}

/* A zeroed frame charged to as, or 0. */
static uint64_t
charged_frame(struct aspace *as)
{
	uint64_t pa;

	if (as->frames >= as->limit || (pa = frame_alloc()) == 0)
		return 0;
	memset(phys_to_virt(pa), 0, PAGE_SIZE);
	as->frames++;
	return pa;
}

static void
uncharged_free(struct aspace *as, uint64_t pa)
{
	frame_free(pa);
	as->frames--;
}

int
aspace_init(struct aspace *as, uint64_t frame_limit)
{
	uint64_t *pml4, *kernel;

	as->lock.owner = 0;
	as->frames = 0;
	as->limit = frame_limit;
	if ((as->pml4 = charged_frame(as)) == 0)
		return -1;
	pml4 = phys_to_virt(as->pml4);
	kernel = phys_to_virt(vmm_kernel_pml4());
	memcpy(pml4 + 256, kernel + 256, 256 * sizeof(uint64_t));
	return 0;
}

/* Frees the tables below a table at `level` (3 = PML4) and owned frames. */
static void
free_level(struct aspace *as, uint64_t *table, int level, int limit)
{
	for (int i = 0; i < limit; i++) {
		uint64_t e = table[i];

		if (!(e & PTE_P))
			continue;
		if (level == 0) {
			if (e & PTE_OWNED)
				uncharged_free(as, e & PTE_ADDR);
			continue;
		}
		free_level(as, table_at(e), level - 1, 512);
		uncharged_free(as, e & PTE_ADDR);
	}
}

void
aspace_destroy(struct aspace *as)
{
	spin_lock(&as->lock);
	free_level(as, phys_to_virt(as->pml4), 3, 256);
	uncharged_free(as, as->pml4);
	spin_unlock(&as->lock);
}

uint64_t *
aspace_pte(uint64_t pml4, uint64_t va)
{
	uint64_t *table = phys_to_virt(pml4);

	if (va >= USER_TOP)
		return NULL;
	for (int l = 3; l > 0; l--) {
		uint64_t e = table[INDEX(va, l)];

		if (!(e & PTE_P) || (e & PTE_PS))
			return NULL;
		table = table_at(e);
	}
	return &table[INDEX(va, 0)];
}

/* The leaf PTE slot for va, creating (and charging) tables; or NULL. */
static uint64_t *
walk_create(struct aspace *as, uint64_t va)
{
	uint64_t *table = phys_to_virt(as->pml4);

	for (int l = 3; l > 0; l--) {
		uint64_t *e = &table[INDEX(va, l)];

		if (!(*e & PTE_P)) {
			uint64_t pa = charged_frame(as);

			if (pa == 0)
				return NULL;
			*e = pa | PTE_P | PTE_W | PTE_U;
		}
		table = table_at(*e);
	}
	return &table[INDEX(va, 0)];
}

static bool
user_range_ok(uint64_t va, uint64_t len)
{
	return va % PAGE_SIZE == 0 && len % PAGE_SIZE == 0 && len != 0 &&
	    va < USER_TOP && len <= USER_TOP - va;
}

/* Without NX support the bit is reserved: it must never reach a PTE. */
static uint64_t
leaf_flags(uint64_t flags)
{
	return vmm_nx_supported() ? flags : flags & ~PTE_NX;
}

static uint64_t unmap(struct aspace *as, uint64_t va, uint64_t len,
    uint64_t per_tag[ASPACE_TAGS]);

static int
map_anon(struct aspace *as, uint64_t va, uint64_t len, uint64_t flags)
{
	if (!user_range_ok(va, len))
		return -1;
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		uint64_t *pte = walk_create(as, va + off);
		uint64_t pa;

		if (pte != NULL && (*pte & PTE_P)) {
			/* Callers map only free ranges; refuse, never leak. */
			unmap(as, va, off, NULL);
			return -1;
		}
		if (pte == NULL || (pa = charged_frame(as)) == 0) {
			/* Also prunes tables made for the failed page. */
			unmap(as, va, off + PAGE_SIZE, NULL);
			return -1;
		}
		*pte = pa | leaf_flags(flags) | PTE_P | PTE_U | PTE_OWNED;
	}
	return 0;
}

int
aspace_map_anon(struct aspace *as, uint64_t va, uint64_t len, uint64_t flags)
{
	int rc;

	spin_lock(&as->lock);
	rc = map_anon(as, va, len, flags);
	spin_unlock(&as->lock);
	return rc;
}

int
aspace_map_frame(struct aspace *as, uint64_t va, uint64_t pa, uint64_t flags)
{
	uint64_t *pte, old;

	if (!user_range_ok(va, PAGE_SIZE))
		return -1;
	spin_lock(&as->lock);
	if ((pte = walk_create(as, va)) == NULL) {
		spin_unlock(&as->lock);
		return -1;
	}
	old = *pte;
	*pte = (pa & PTE_ADDR) | leaf_flags(flags & ~(PTE_OWNED |
	    PTE_TAG_MASK)) | PTE_P | PTE_U;
	invlpg(va);
	/* Replacing a mapping takes the old one away from every CPU. */
	if (old & PTE_P)
		tlb_shootdown(as->pml4);
	spin_unlock(&as->lock);
	return 0;
}

static bool
table_empty(const uint64_t *t)
{
	for (int i = 0; i < 512; i++)
		if (t[i] != 0)
			return false;
	return true;
}

/*
 * Frames an unmap took out, freed only once no CPU can still reach them:
 * another CPU running this address space may hold them in its TLB (or a
 * page table in its paging-structure caches) until it has been flushed.
 * A full batch is flushed and freed on the spot, so the bound is fixed.
 */
#define UNMAP_BATCH	64

struct unmap_batch {
	struct aspace *as;
	uint32_t n;
	uint64_t pa[UNMAP_BATCH];
};

static void
batch_flush(struct unmap_batch *b)
{
	if (b->n == 0)
		return;
	tlb_shootdown(b->as->pml4);
	for (uint32_t i = 0; i < b->n; i++)
		uncharged_free(b->as, b->pa[i]);
	b->n = 0;
}

static void
batch_add(struct unmap_batch *b, uint64_t pa)
{
	if (b->n == UNMAP_BATCH)
		batch_flush(b);
	b->pa[b->n++] = pa;
}

/*
 * Unmaps leaves in [va, end) under the table at `level` whose entry covers
 * `base`, handing frames and tables that become empty to b. Skips absent
 * subtrees whole.
 */
static uint64_t
unmap_level(struct unmap_batch *b, uint64_t *table, int level, uint64_t base,
    uint64_t va, uint64_t end, uint64_t *per_tag)
{
	uint64_t n = 0, span = LEVEL_SPAN(level);

	for (uint64_t i = INDEX(va, level); i < 512; i++) {
		uint64_t lo = base + i * span, e = table[i];

		if (lo >= end)
			break;
		if (!(e & PTE_P))
			continue;
		if (level == 0) {
			table[i] = 0;
			invlpg(lo);
			if (e & PTE_OWNED)
				batch_add(b, e & PTE_ADDR);
			if (per_tag != NULL)
				per_tag[(e & PTE_TAG_MASK) >> PTE_TAG_SHIFT]++;
			n++;
			continue;
		}
		n += unmap_level(b, table_at(e), level - 1, lo,
		    va > lo ? va : lo, end, per_tag);
		if (table_empty(table_at(e))) {
			table[i] = 0;
			batch_add(b, e & PTE_ADDR);
		}
	}
	return n;
}

static uint64_t
unmap(struct aspace *as, uint64_t va, uint64_t len,
    uint64_t per_tag[ASPACE_TAGS])
{
	struct unmap_batch b = { .as = as, .n = 0 };
	uint64_t n;

	if (len == 0 || !user_range_ok(va, len))
		return 0;
	n = unmap_level(&b, phys_to_virt(as->pml4), 3, 0, va, va + len,
	    per_tag);
	/* Frames the caller frees after this (shared memory, rings) must be
	 * out of every TLB too, so the flush happens even with none here. */
	if (n != 0 && b.n == 0)
		tlb_shootdown(as->pml4);
	batch_flush(&b);
	return n;
}

uint64_t
aspace_unmap(struct aspace *as, uint64_t va, uint64_t len,
    uint64_t per_tag[ASPACE_TAGS])
{
	uint64_t n;

	spin_lock(&as->lock);
	n = unmap(as, va, len, per_tag);
	spin_unlock(&as->lock);
	return n;
}

int
aspace_protect(struct aspace *as, uint64_t va, uint64_t len, uint64_t flags)
{
	const uint64_t keep = PTE_ADDR | PTE_OWNED | PTE_TAG_MASK | PTE_P |
	    PTE_U | PTE_DEVICE;

	if (!user_range_ok(va, len))
		return -1;
	spin_lock(&as->lock);
	/* Check first, so a range with a hole changes nothing; a hole is
	 * found at its first page, so this is bounded by what is mapped. */
	for (uint64_t off = 0; off < len; off += PAGE_SIZE)
		if (aspace_pte(as->pml4, va + off) == NULL ||
		    !(*aspace_pte(as->pml4, va + off) & PTE_P)) {
			spin_unlock(&as->lock);
			return -1;
		}
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		uint64_t *pte = aspace_pte(as->pml4, va + off);

		*pte = (*pte & keep) | (leaf_flags(flags) & ~keep);
		invlpg(va + off);
	}
	/* A permission taken away holds on every CPU once this returns. */
	tlb_shootdown(as->pml4);
	spin_unlock(&as->lock);
	return 0;
}

/* Returns a kernel pointer to user byte uva, or NULL if not allowed. */
static uint8_t *
user_byte(uint64_t pml4, uint64_t uva, bool write)
{
	uint64_t *pte = aspace_pte(pml4, uva);

	if (pte == NULL || !(*pte & PTE_P) || !(*pte & PTE_U) ||
	    (*pte & PTE_DEVICE))
		return NULL;
	if (write && !(*pte & PTE_W))
		return NULL;
	return (uint8_t *)phys_to_virt(*pte & PTE_ADDR) + (uva % PAGE_SIZE);
}

/* Copies a page at a time, each under the address space's lock: a long
 * copy keeps no one waiting for the lock (an unmap with the BKL held)
 * longer than a page's worth. */
static int
copy_user(struct aspace *as, uint64_t uva, uint8_t *kbuf, uint64_t n,
    bool write)
{
	if (n == 0)
		return 0;
	if (uva >= USER_TOP || n > USER_TOP - uva)
		return CAPOS_EFAULT;
	while (n > 0) {
		uint64_t chunk = PAGE_SIZE - uva % PAGE_SIZE;
		uint8_t *p;

		if (chunk > n)
			chunk = n;
		spin_lock(&as->lock);
		if ((p = user_byte(as->pml4, uva, write)) == NULL) {
			spin_unlock(&as->lock);
			return CAPOS_EFAULT;
		}
		if (write)
			memcpy(p, kbuf, chunk);
		else
			memcpy(kbuf, p, chunk);
		spin_unlock(&as->lock);
		uva += chunk;
		kbuf += chunk;
		n -= chunk;
	}
	return 0;
}

bool
user_writable(struct aspace *as, uint64_t uva, uint64_t n)
{
	uint64_t end;
	bool ok = true;

	if (n == 0)
		return true;
	if (uva >= USER_TOP || n > USER_TOP - uva)
		return false;
	end = uva + n;
	spin_lock(&as->lock);
	for (uva = ALIGN_DOWN(uva, PAGE_SIZE); uva < end && ok;
	    uva += PAGE_SIZE)
		ok = user_byte(as->pml4, uva, true) != NULL;
	spin_unlock(&as->lock);
	return ok;
}

int
copy_from_user(struct aspace *as, void *dst, uint64_t uva, uint64_t n)
{
	return copy_user(as, uva, dst, n, false);
}

int
copy_to_user(struct aspace *as, uint64_t uva, const void *src, uint64_t n)
{
	return copy_user(as, uva, (uint8_t *)(uintptr_t)src, n, true);
}
