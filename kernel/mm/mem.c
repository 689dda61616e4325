/*
 * The global frame allocator and the kernel heap.
 *
 * The heap serves sizes up to 2 KiB from power-of-two classes carved out of
 * whole frames (slabs); larger requests take contiguous frames. Each block
 * carries a 16-byte header naming its class and a magic word, so kfree needs
 * no size and a double free or a stray pointer stops the kernel instead of
 * corrupting it. A slab starts with a small header counting its blocks in
 * use; the frame goes back to the frame allocator as soon as the count is
 * zero, so memory a process made the kernel allocate returns in full when
 * the objects go (the shutdown leak check relies on it).
 */
#include <string.h>

#include "kernel.h"
#include "lock.h"
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

/* The head of a frame carved into blocks of one class. Blocks start at
 * SLAB_HDR; slabs with a free block are on their class's partial list. */
#define SLAB_MAGIC	0x5AB5AB5AB5AB0001ull
#define SLAB_HDR	64
struct slab {
	uint64_t magic;
	uint32_t class;
	uint32_t nused;
	struct free_block *free;
	struct slab *next, *prev;
};
_Static_assert(sizeof(struct slab) <= SLAB_HDR, "slab header fits");

/* Covers the frame allocator and the heap: a leaf, under every other
 * lock (docs/smp.md, "ParkSpace without the lock"). */
static struct spinlock mem_lock;
static struct pmm pmm;
static uint64_t usable_frames;
static struct slab *partial[MAX_CLASS + 1];
static uint64_t heap_used;	/* bytes in blocks handed out */

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
	uint64_t pa;

	spin_lock(&mem_lock);
	pa = pmm_alloc(&pmm);
	spin_unlock(&mem_lock);
	return pa;
}

void
frame_free(uint64_t pa)
{
	spin_lock(&mem_lock);
	pmm_free(&pmm, pa, 1);
	spin_unlock(&mem_lock);
}

uint64_t
frames_alloc_contig(uint64_t n)
{
	uint64_t pa;

	spin_lock(&mem_lock);
	pa = pmm_alloc_contig(&pmm, n, PAGE_SIZE);
	spin_unlock(&mem_lock);
	return pa;
}

void
frames_free(uint64_t pa, uint64_t n)
{
	spin_lock(&mem_lock);
	pmm_free(&pmm, pa, n);
	spin_unlock(&mem_lock);
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

static void
slab_unlink(struct slab *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		partial[s->class] = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

static void
slab_link(struct slab *s)
{
	s->prev = NULL;
	s->next = partial[s->class];
	if (s->next != NULL)
		s->next->prev = s;
	partial[s->class] = s;
}

/* Carves one fresh frame into blocks of class c. */
static struct slab *
slab_new(unsigned c)
{
	uint64_t pa = pmm_alloc(&pmm);
	struct slab *s;
	size_t bsize = (size_t)1 << c;

	if (pa == 0)
		return NULL;
	s = phys_to_virt(pa);
	s->magic = SLAB_MAGIC;
	s->class = c;
	s->nused = 0;
	s->free = NULL;
	for (size_t off = PAGE_SIZE - bsize; off >= SLAB_HDR; off -= bsize) {
		struct free_block *b = (struct free_block *)((char *)s + off);

		b->hdr.magic = HEAP_MAGIC_FREE;
		b->hdr.class = c;
		b->next = s->free;
		s->free = b;
	}
	slab_link(s);
	return s;
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
	heap_used += pages * PAGE_SIZE;
	return h + 1;
}

size_t
kmalloc_size(size_t size)
{
	unsigned c;
	size_t nblocks;

	if (size == 0 || size > ((size_t)1 << 32))
		return 0;
	c = size_class(size);
	if (c > MAX_CLASS)
		return ALIGN_UP(size + sizeof(struct heap_hdr), PAGE_SIZE);
	/* A block's share of its slab's frame: the slab header leaves room
	 * for fewer blocks than the class divides into a page (one 2 KiB
	 * block, three of 1 KiB), and charges must cover the frames. */
	nblocks = (PAGE_SIZE - SLAB_HDR) >> c;
	return (PAGE_SIZE + nblocks - 1) / nblocks;
}

static void *
heap_alloc(size_t size)
{
	struct free_block *b;
	struct slab *s;
	unsigned c;

	if (size == 0 || size > ((size_t)1 << 32))
		return NULL;
	c = size_class(size);
	if (c > MAX_CLASS)
		return large_alloc(size);
	if ((s = partial[c]) == NULL && (s = slab_new(c)) == NULL)
		return NULL;
	b = s->free;
	if (b == NULL || b->hdr.magic != HEAP_MAGIC_FREE)
		panic("kmalloc: a slab of class %u is corrupt", c);
	s->free = b->next;
	s->nused++;
	if (s->free == NULL)
		slab_unlink(s);
	b->hdr.magic = HEAP_MAGIC_USED;
	heap_used += (size_t)1 << c;
	return &b->hdr + 1;
}

void *
kmalloc(size_t size)
{
	void *p;

	spin_lock(&mem_lock);
	p = heap_alloc(size);
	spin_unlock(&mem_lock);
	return p;
}

void *
kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

uint64_t
heap_bytes_used(void)
{
	return heap_used;
}

static void
heap_free(void *p)
{
	struct heap_hdr *h;
	struct free_block *b;
	struct slab *s;

	if (p == NULL)
		return;
	h = (struct heap_hdr *)p - 1;
	if (h->magic != HEAP_MAGIC_USED)
		panic("kfree: %p is not a live heap block (magic %#llx)", p,
		    (unsigned long long)h->magic);
	if (h->class == LARGE_CLASS) {
		h->magic = HEAP_MAGIC_FREE;
		heap_used -= (uint64_t)h->pages * PAGE_SIZE;
		pmm_free(&pmm, virt_to_phys(h), h->pages);
		return;
	}
	if (h->class < MIN_CLASS || h->class > MAX_CLASS)
		panic("kfree: %p has a bad size class %u", p, h->class);
	s = (struct slab *)ALIGN_DOWN((uintptr_t)h, PAGE_SIZE);
	if (s->magic != SLAB_MAGIC || s->class != h->class || s->nused == 0)
		panic("kfree: %p is not in a slab of its class", p);
	b = (struct free_block *)h;
	b->hdr.magic = HEAP_MAGIC_FREE;
	b->next = s->free;
	if (s->free == NULL)
		slab_link(s);
	s->free = b;
	heap_used -= (size_t)1 << h->class;
	/* An empty slab's frame goes back: the heap never hoards memory. */
	if (--s->nused == 0) {
		slab_unlink(s);
		s->magic = 0;
		pmm_free(&pmm, virt_to_phys(s), 1);
	}
}

void
kfree(void *p)
{
	spin_lock(&mem_lock);
	heap_free(p);
	spin_unlock(&mem_lock);
}
