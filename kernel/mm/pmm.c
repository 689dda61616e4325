/*
 * Bitmap frame allocator. See pmm.h.
 */
#include <stdbool.h>
#include <string.h>

#include "kernel.h"
#include "mm/pmm.h"

/* Memory below 1 MiB holds firmware tables and is never handed out. */
#define LOW_MEMORY_END	0x100000ull

static bool
frame_used(const struct pmm *p, uint64_t f)
{
	return (p->bitmap[f / 64] >> (f % 64)) & 1;
}

static void
set_used(struct pmm *p, uint64_t f)
{
	if (!frame_used(p, f)) {
		p->bitmap[f / 64] |= 1ull << (f % 64);
		p->nfree--;
	}
}

static void
set_free(struct pmm *p, uint64_t f)
{
	if (frame_used(p, f)) {
		p->bitmap[f / 64] &= ~(1ull << (f % 64));
		p->nfree++;
		if (f < p->hint)
			p->hint = f;
	}
}

size_t
pmm_bitmap_bytes(uint64_t top)
{
	uint64_t frames = (top + PAGE_SIZE - 1) / PAGE_SIZE;

	return (size_t)((frames + 63) / 64 * 8);
}

void
pmm_init(struct pmm *p, uint64_t *bitmap, uint64_t top)
{
	p->bitmap = bitmap;
	p->nframes = (top + PAGE_SIZE - 1) / PAGE_SIZE;
	p->nfree = 0;
	p->hint = p->nframes;
	memset(bitmap, 0xff, pmm_bitmap_bytes(top));
}

void
pmm_add_free(struct pmm *p, uint64_t base, uint64_t len)
{
	uint64_t first, end;

	if (len == 0 || base + len < base)
		return;
	first = (base + PAGE_SIZE - 1) / PAGE_SIZE;
	end = (base + len) / PAGE_SIZE;
	if (end > p->nframes)
		end = p->nframes;
	for (uint64_t f = first; f < end; f++)
		set_free(p, f);
}

void
pmm_reserve(struct pmm *p, uint64_t base, uint64_t len)
{
	uint64_t first, end;

	if (len == 0)
		return;
	if (base + len < base)
		len = UINT64_MAX - base;
	first = base / PAGE_SIZE;
	end = (base + len + PAGE_SIZE - 1) / PAGE_SIZE;
	if (end > p->nframes)
		end = p->nframes;
	for (uint64_t f = first; f < end; f++)
		set_used(p, f);
}

uint64_t
pmm_alloc(struct pmm *p)
{
	for (uint64_t w = p->hint / 64; w < (p->nframes + 63) / 64; w++) {
		uint64_t bits = ~p->bitmap[w];
		uint64_t f;

		if (bits == 0)
			continue;
		f = w * 64 + (uint64_t)__builtin_ctzll(bits);
		if (f >= p->nframes)
			break;
		set_used(p, f);
		p->hint = f + 1;
		return f * PAGE_SIZE;
	}
	p->hint = p->nframes;
	return 0;
}

uint64_t
pmm_alloc_contig(struct pmm *p, uint64_t n, uint64_t align)
{
	uint64_t step, f, i;

	if (n == 0 || align < PAGE_SIZE || (align & (align - 1)) != 0)
		return 0;
	step = align / PAGE_SIZE;
	f = (p->hint + step - 1) / step * step;
	for (; f + n <= p->nframes; f += step) {
		for (i = 0; i < n && !frame_used(p, f + i); i++)
			;
		if (i < n)
			continue;
		for (i = 0; i < n; i++)
			set_used(p, f + i);
		return f * PAGE_SIZE;
	}
	return 0;
}

void
pmm_free(struct pmm *p, uint64_t pa, uint64_t n)
{
	uint64_t f = pa / PAGE_SIZE;

	if (pa % PAGE_SIZE != 0 || f + n > p->nframes || f + n < f)
		panic("pmm_free: bad range %#llx+%llu",
		    (unsigned long long)pa, (unsigned long long)n);
	for (uint64_t i = 0; i < n; i++) {
		if (!frame_used(p, f + i))
			panic("pmm_free: frame %#llx is already free",
			    (unsigned long long)((f + i) * PAGE_SIZE));
		set_free(p, f + i);
	}
}

uint64_t
pmm_usable_top(const struct mem_region *regions, uint32_t n)
{
	uint64_t top = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t end = regions[i].base + regions[i].len;

		if (regions[i].type == MEM_USABLE && end > top &&
		    end >= regions[i].base)
			top = end;
	}
	return top;
}

/* Finds a page-aligned spot of `bytes` in usable RAM clear of `res`. */
static uint64_t
find_home(const struct mem_region *regions, uint32_t n,
    const struct pmm_range *res, uint32_t nres, uint64_t bytes)
{
	for (uint32_t i = 0; i < n; i++) {
		const struct mem_region *r = &regions[i];
		uint64_t at, end;

		if (r->type != MEM_USABLE || r->base + r->len < r->base)
			continue;
		end = r->base + r->len;
		at = r->base < LOW_MEMORY_END ? LOW_MEMORY_END : r->base;
		at = (at + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
		while (at + bytes <= end && at + bytes > at) {
			uint32_t j;

			for (j = 0; j < nres; j++)
				if (range_overlaps(at, bytes, res[j].base,
				    res[j].len))
					break;
			if (j == nres)
				return at;
			at = (res[j].base + res[j].len + PAGE_SIZE - 1) &
			    ~(PAGE_SIZE - 1);
		}
	}
	return 0;
}

int
pmm_setup(struct pmm *p, const struct mem_region *regions, uint32_t n,
    const struct pmm_range *res, uint32_t nres,
    void *(*to_virt)(uint64_t pa))
{
	uint64_t top = pmm_usable_top(regions, n), home;
	size_t bytes = pmm_bitmap_bytes(top);

	home = find_home(regions, n, res, nres, bytes);
	if (home == 0)
		return -1;
	pmm_init(p, to_virt(home), top);
	for (uint32_t i = 0; i < n; i++)
		if (regions[i].type == MEM_USABLE)
			pmm_add_free(p, regions[i].base, regions[i].len);
	/* Reserved regions may overlap usable ones; reservations win. */
	for (uint32_t i = 0; i < n; i++)
		if (regions[i].type != MEM_USABLE)
			pmm_reserve(p, regions[i].base, regions[i].len);
	pmm_reserve(p, 0, LOW_MEMORY_END);
	for (uint32_t i = 0; i < nres; i++)
		pmm_reserve(p, res[i].base, res[i].len);
	pmm_reserve(p, home, bytes);
	return 0;
}
