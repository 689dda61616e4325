/*
 * malloc over the "virtualMemory" capability. Requests up to 2 KiB come
 * from power-of-two classes carved out of 64 KiB arenas; larger ones get
 * their own mapping, returned to the kernel on free. Every block has a
 * 16-byte header with its class and a magic word, so free() of a stray or
 * already-freed pointer stops the program instead of corrupting the heap.
 * A program without the capability gets NULL from malloc. One lock guards
 * the heap once a program has threads.
 */
#include <string.h>

#include "rt.h"

#define MIN_CLASS	5		/* 32 bytes: header plus link */
#define MAX_CLASS	11		/* 2048 bytes */
#define ARENA_SIZE	(64 * 1024)
#define PAGE		4096ull
#define MAGIC_USED	0x6d616c6c6f632b2bull
#define MAGIC_FREE	0x6d616c6c6f632d2dull
#define CLASS_LARGE	0xFF

struct hdr {
	uint64_t magic;
	uint32_t class;
	uint32_t pages;		/* large blocks: pages mapped */
};

struct free_block {
	struct hdr h;
	struct free_block *next;
};

static struct free_block *free_lists[MAX_CLASS + 1];
static struct rt_mutex heap_lock;

static unsigned
class_of(size_t size)
{
	unsigned c = MIN_CLASS;

	while (((size_t)1 << c) < size + sizeof(struct hdr))
		c++;
	return c;
}

static int
refill(unsigned c)
{
	size_t bsize = (size_t)1 << c;
	uint64_t base;

	if (rt_vm_map(0, ARENA_SIZE, RT_PROT_READ | RT_PROT_WRITE, &base) != 0)
		return -1;
	for (size_t off = 0; off + bsize <= ARENA_SIZE; off += bsize) {
		struct free_block *b = (struct free_block *)(uintptr_t)(base +
		    off);

		b->h.magic = MAGIC_FREE;
		b->h.class = c;
		b->next = free_lists[c];
		free_lists[c] = b;
	}
	return 0;
}

static void *
large(size_t size)
{
	uint64_t bytes = (size + sizeof(struct hdr) + PAGE - 1) & ~(PAGE - 1);
	uint64_t base;
	struct hdr *h;

	if (bytes / PAGE > UINT32_MAX ||
	    rt_vm_map(0, bytes, RT_PROT_READ | RT_PROT_WRITE, &base) != 0)
		return NULL;
	h = (struct hdr *)(uintptr_t)base;
	h->magic = MAGIC_USED;
	h->class = CLASS_LARGE;
	h->pages = (uint32_t)(bytes / PAGE);
	return h + 1;
}

void *
malloc(size_t size)
{
	struct free_block *b;
	unsigned c;

	if (size == 0 || size > ((size_t)1 << 40))
		return NULL;
	c = class_of(size);
	if (c > MAX_CLASS)
		return large(size);
	rt_mutex_lock(&heap_lock);
	if (free_lists[c] == NULL && refill(c) != 0) {
		rt_mutex_unlock(&heap_lock);
		return NULL;
	}
	b = free_lists[c];
	free_lists[c] = b->next;
	b->h.magic = MAGIC_USED;
	rt_mutex_unlock(&heap_lock);
	return &b->h + 1;
}

void *
calloc(size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	p = malloc(n * size);
	if (p != NULL)
		memset(p, 0, n * size);
	return p;
}

static struct hdr *
header(void *p)
{
	struct hdr *h = (struct hdr *)p - 1;

	if (h->magic != MAGIC_USED) {
		rt_printf("%s: free/realloc of a pointer malloc did not give "
		    "(%p)\n", rt_start()->name, p);
		rt_flush();
		sys_exit(134);
	}
	return h;
}

void
free(void *p)
{
	struct hdr *h;
	struct free_block *b;

	if (p == NULL)
		return;
	h = header(p);
	h->magic = MAGIC_FREE;
	if (h->class == CLASS_LARGE) {
		rt_vm_unmap((uint64_t)(uintptr_t)h, (uint64_t)h->pages * PAGE);
		return;
	}
	b = (struct free_block *)h;
	rt_mutex_lock(&heap_lock);
	b->next = free_lists[h->class];
	free_lists[h->class] = b;
	rt_mutex_unlock(&heap_lock);
}

void *
realloc(void *p, size_t size)
{
	struct hdr *h;
	size_t have;
	void *q;

	if (p == NULL)
		return malloc(size);
	if (size == 0) {
		free(p);
		return NULL;
	}
	h = header(p);
	have = h->class == CLASS_LARGE ? (size_t)h->pages * PAGE :
	    ((size_t)1 << h->class);
	have -= sizeof(*h);
	if (size <= have)
		return p;
	if ((q = malloc(size)) == NULL)
		return NULL;
	memcpy(q, p, have);
	free(p);
	return q;
}
