/*
 * The kernel heap over a fake physical memory: blocks of every class and
 * large blocks do not overlap, come back after kfree, and a double free or
 * a foreign pointer stops the kernel.
 */
#include <setjmp.h>
#include <stdlib.h>

#include "boot/bootinfo.h"
#include "mm/mem.h"
#include "test.h"

#define HEAP_ROUNDS	8

/* "Physical" addresses are offsets into this buffer; RAM is 1..9 MiB. */
#define FAKE_PHYS_SIZE	(9u << 20)
static unsigned char *fake_phys;

char __kernel_phys_start[1], __kernel_phys_end[1];

void *
phys_to_virt(uint64_t pa)
{
	return fake_phys + pa;
}

uint64_t
virt_to_phys(const void *va)
{
	return (uint64_t)((const unsigned char *)va - fake_phys);
}

/* Provided by test_pmm.c: panic returns to the armed setjmp. */
extern jmp_buf *test_panic_jump(void);
extern int test_panic_arm(void);

/* Also used by other tests that need the kernel heap (test_endpoint.c). */
void test_heap_setup(void);

void
test_heap_setup(void)
{
	static struct bootinfo bi;

	if (fake_phys != NULL)
		return;
	fake_phys = aligned_alloc(4096, FAKE_PHYS_SIZE);
	memset(&bi, 0, sizeof(bi));
	bi.nregions = 1;
	bi.regions[0].base = 1u << 20;
	bi.regions[0].len = 8u << 20;
	bi.regions[0].type = MEM_USABLE;
	mem_init(&bi);
}

TEST(heap_blocks_are_distinct_and_reusable)
{
	static const size_t sizes[] = { 1, 8, 16, 17, 100, 1000, 2032, 2033,
	    5000, 70000 };
	void *p[HEAP_ROUNDS * 10];
	uint64_t before, used;
	int n = 0;

	test_heap_setup();
	before = frames_free_count();
	used = heap_bytes_used();
	for (int round = 0; round < HEAP_ROUNDS; round++) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			p[n] = kmalloc(sizes[i]);
			CHECK(p[n] != NULL);
			CHECK(((uintptr_t)p[n] & 15) == 0);
			/* Fill the whole block: ASan sees no overlap, and a
			 * neighbour's pattern would show below. */
			memset(p[n], (int)(n & 0xff), sizes[i]);
			n++;
		}
	}
	for (int i = 0; i < n; i++) {
		size_t sz = sizes[i % 10];
		unsigned char *b = p[i];

		for (size_t k = 0; k < sz; k++)
			if (b[k] != (unsigned char)(i & 0xff)) {
				test_fail(__FILE__, __LINE__,
				    "block %d byte %zu overwritten", i, k);
				break;
			}
	}
	CHECK(heap_bytes_used() > used);
	for (int i = 0; i < n; i++)
		kfree(p[i]);
	/* Every frame comes back, small classes' slabs included. */
	CHECK_EQ_U64(frames_free_count(), before);
	CHECK_EQ_U64(heap_bytes_used(), used);
	/* Freed small blocks are reused before new frames are taken. */
	before = frames_free_count();
	for (int i = 0; i < 8; i++)
		kfree(kmalloc(100));
	CHECK_EQ_U64(frames_free_count(), before);
	CHECK(kmalloc(0) == NULL);
	CHECK(kzalloc(64) != NULL);
}

/* Slabs return their frame only when their last block goes, whatever
 * the order of frees; the bytes in use follow each block's class. */
TEST(heap_slabs_return_frames_in_any_order)
{
	enum { N = 600 };
	static void *p[N];
	uint64_t before, used;

	test_heap_setup();
	before = frames_free_count();
	used = heap_bytes_used();
	for (int i = 0; i < N; i++) {
		p[i] = kmalloc(40 + (size_t)(i % 7) * 150);
		CHECK(p[i] != NULL);
	}
	CHECK_EQ_U64(kmalloc_size(40), 66);	/* 63 blocks a slab */
	CHECK_EQ_U64(kmalloc_size(1000), 1366);	/* 3 */
	CHECK_EQ_U64(kmalloc_size(2032), 4096);	/* 1 */
	CHECK_EQ_U64(kmalloc_size(2033), 4096);
	CHECK_EQ_U64(kmalloc_size(4081), 8192);
	/* Free the odd ones: no slab empties completely, none returns. */
	for (int i = 1; i < N; i += 2)
		kfree(p[i]);
	CHECK(frames_free_count() < before);
	for (int i = 0; i < N; i += 2)
		kfree(p[i]);
	CHECK_EQ_U64(frames_free_count(), before);
	CHECK_EQ_U64(heap_bytes_used(), used);
}

/* What kmalloc_size reports is what a process is charged for a block
 * (kernel/mm/kmem.h), so blocks of any size must, together, be charged at
 * least the frames they took from the frame allocator, but for the one
 * slab they left partly empty. */
TEST(heap_charges_cover_the_frames_blocks_take)
{
	enum { N = 96 };
	static const size_t sizes[] = { 16, 100, 500, 1000, 1500, 2032, 3000 };
	static void *p[N];

	test_heap_setup();
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint64_t before = frames_free_count(), taken;

		for (int i = 0; i < N; i++)
			CHECK((p[i] = kmalloc(sizes[k])) != NULL);
		taken = (before - frames_free_count()) * 4096;
		if ((uint64_t)N * kmalloc_size(sizes[k]) + 4096 < taken)
			test_fail(__FILE__, __LINE__, "%d blocks of %zu bytes "
			    "are charged %llu bytes but took %llu", N,
			    sizes[k], (unsigned long long)N *
			    kmalloc_size(sizes[k]), (unsigned long long)taken);
		for (int i = 0; i < N; i++)
			kfree(p[i]);
		CHECK_EQ_U64(frames_free_count(), before);
	}
}

TEST(heap_double_free_and_foreign_pointer_panic)
{
	char stack_block[64] = { 0 };
	void *p;

	test_heap_setup();
	p = kmalloc(48);
	kfree(p);
	if (setjmp(*test_panic_jump()) == 0) {
		test_panic_arm();
		kfree(p);
		test_fail(__FILE__, __LINE__, "double free did not panic");
	}
	if (setjmp(*test_panic_jump()) == 0) {
		test_panic_arm();
		kfree(stack_block + 32);
		test_fail(__FILE__, __LINE__, "foreign pointer did not panic");
	}
}
