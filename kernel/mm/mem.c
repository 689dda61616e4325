/*
 * The global frame allocator and the kernel heap.
 *
 * The heap serves sizes up to 2 KiB from power-of-two classes carved out of
 * whole frames; larger requests take contiguous frames. Each block carries a
 * 16-byte header naming its class and a magic word, so kfree needs no size
 * and a double free or a stray pointer stops the kernel instead of
 * corrupting it.
 */
#include <string.h>

#include "kernel.h"
#include "mm/mem.h"
#include "mm/pmm.h"
#include "mm/vmm.h"

extern char __kernel_phys_start[], __kernel_phys_end[];

#define HEAP_MAGIC_USED	0xC0DEA110C8ED0001ull
#define HEAP_MAGIC_FREE	0xC0DEA110C8ED0002ull
#define MIN_CLASS	5	/* 32 bytes: header plus free-list link */
#define MAX_CLASS	11	/* 2048 bytes */
#define LARGE_CLASS	0xFF

struct heap_hdr {
	uint64_t magic;
	uint32_t class;		/* log2 of the block size, or LARGE_CLASS */
	uint32_t pages;		/* frames of a large block */
};

struct free_block {
	struct heap_hdr hdr;
	struct free_block *next;
};

static struct pmm pmm;
static uint64_t usable_frames;
static struct free_block *free_lists[MAX_CLASS + 1];

static void *
early_to_virt(uint64_t pa)
{
	return phys_to_virt(pa);
}

void
mem_init(const struct bootinfo *bi)
{
	struct pmm_range res[1 + BOOT_MAX_MODULES];
	uint32_t n = 0;

	res[n].base = (uint64_t)__kernel_phys_start;
	res[n].len = (uint64_t)__kernel_phys_end -
	    (uint64_t)__kernel_phys_start;
	n++;
	for (uint32_t i = 0; i < bi->nmodules; i++, n++) {
		res[n].base = bi->modules[i].base;
		res[n].len = bi->modules[i].len;
	}
	if (pmm_setup(&pmm, bi->regions, bi->nregions, res, n,
	    early_to_virt) != 0)
		panic("mem: no room for the frame bitmap");
	usable_frames = pmm.nfree;
}

void
mem_relocate(void)
{
	pmm.bitmap = phys_to_virt((uint64_t)(uintptr_t)pmm.bitmap);
}

uint64_t
frame_alloc(void)
{
	return pmm_alloc(&pmm);
}

void
frame_free(uint64_t pa)
{
	pmm_free(&pmm, pa, 1);
}

uint64_t
frames_alloc_contig(uint64_t n)
{
	return pmm_alloc_contig(&pmm, n, PAGE_SIZE);
}

void
frames_free(uint64_t pa, uint64_t n)
{
	pmm_free(&pmm, pa, n);
}

uint64_t
frames_free_count(void)
{
	return pmm.nfree;
}

uint64_t
frames_total_usable(void)
{
	return usable_frames;
}

static unsigned
size_class(size_t size)
{
	unsigned c = MIN_CLASS;

	while (((size_t)1 << c) < size + sizeof(struct heap_hdr))
		c++;
	return c;
}

/* Splits one fresh frame into blocks of class c. */
static int
refill(unsigned c)
{
	uint64_t pa = frame_alloc();
	char *page;
	size_t bsize = (size_t)1 << c;

	if (pa == 0)
		return -1;
	page = phys_to_virt(pa);
	for (size_t off = 0; off + bsize <= PAGE_SIZE; off += bsize) {
		struct free_block *b = (struct free_block *)(page + off);

		b->hdr.magic = HEAP_MAGIC_FREE;
		b->hdr.class = c;
		b->next = free_lists[c];
		free_lists[c] = b;
	}
	return 0;
}

static void *
large_alloc(size_t size)
{
	uint64_t pages = (size + sizeof(struct heap_hdr) + PAGE_SIZE - 1) /
	    PAGE_SIZE;
	uint64_t pa = pmm_alloc_contig(&pmm, pages, PAGE_SIZE);
	struct heap_hdr *h;

	if (pa == 0)
		return NULL;
	h = phys_to_virt(pa);
	h->magic = HEAP_MAGIC_USED;
	h->class = LARGE_CLASS;
	h->pages = (uint32_t)pages;
	return h + 1;
}

void *
kmalloc(size_t size)
{
	struct free_block *b;
	unsigned c;

	if (size == 0 || size > ((size_t)1 << 32))
		return NULL;
	c = size_class(size);
	if (c > MAX_CLASS)
		return large_alloc(size);
	if (free_lists[c] == NULL && refill(c) != 0)
		return NULL;
	b = free_lists[c];
	free_lists[c] = b->next;
	if (b->hdr.magic != HEAP_MAGIC_FREE)
		panic("kmalloc: free list of class %u is corrupt", c);
	b->hdr.magic = HEAP_MAGIC_USED;
	return &b->hdr + 1;
}

void *
kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

void
kfree(void *p)
{
	struct heap_hdr *h;
	struct free_block *b;

	if (p == NULL)
		return;
	h = (struct heap_hdr *)p - 1;
	if (h->magic != HEAP_MAGIC_USED)
		panic("kfree: %p is not a live heap block (magic %#llx)", p,
		    (unsigned long long)h->magic);
	if (h->class == LARGE_CLASS) {
		h->magic = HEAP_MAGIC_FREE;
		pmm_free(&pmm, virt_to_phys(h), h->pages);
		return;
	}
	if (h->class < MIN_CLASS || h->class > MAX_CLASS)
		panic("kfree: %p has a bad size class %u", p, h->class);
	b = (struct free_block *)h;
	b->hdr.magic = HEAP_MAGIC_FREE;
	b->next = free_lists[h->class];
	free_lists[h->class] = b;
}
