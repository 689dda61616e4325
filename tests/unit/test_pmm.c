/*
 * The frame allocator on fake memory maps: what is handed out is exactly the
 * usable RAM minus every reservation, never twice, and bad frees stop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>

#include "lock_host.h"
#include "mm/pmm.h"
#include "test.h"

static jmp_buf panic_jump;
static int panic_armed;
static char panic_msg[256];

/* The kernel's panic, for host tests: return to the armed test. */
void
panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(panic_msg, sizeof(panic_msg), fmt, ap);
	va_end(ap);
	if (!panic_armed) {
		fprintf(stderr, "unexpected panic: %s\n", panic_msg);
		abort();
	}
	panic_armed = 0;
	lock_host_panicked();
	longjmp(panic_jump, 1);
}

/* For other test files that need to catch a panic. */
jmp_buf *
test_panic_jump(void)
{
	return &panic_jump;
}

int
test_panic_arm(void)
{
	panic_armed = 1;
	return 0;
}

#define MiB	(1ull << 20)

/* The fake physical memory: the bitmap lands somewhere inside it. */
static unsigned char fake_ram[1 << 16] __attribute__((aligned(4096)));
static uint64_t fake_ram_base;

static void *
fake_to_virt(uint64_t pa)
{
	/* The bitmap home is chosen inside usable RAM; map it into fake_ram. */
	fake_ram_base = pa;
	return fake_ram;
}

static int
in_range(uint64_t pa, uint64_t base, uint64_t len)
{
	return pa >= base && pa < base + len;
}

/* A QEMU-like map: low RAM, a hole, RAM, an overlapping reserved region. */
static const struct mem_region qemu_like[] = {
	{ 0x0, 0x9fc00, MEM_USABLE },
	{ 0x9fc00, 0x400, MEM_RESERVED },
	{ 0xf0000, 0x10000, MEM_RESERVED },
	{ 0x100000, 63 * MiB, MEM_USABLE },
	{ 0x4000000 - 0x20000, 0x20000, MEM_RESERVED },	/* overlaps RAM end */
	{ 0xfffc0000, 0x40000, MEM_RESERVED },
	{ 0x4000000 + 0x1234, 0x3000, MEM_USABLE },	/* unaligned edges */
};

TEST(pmm_hands_out_only_usable_unreserved_frames)
{
	struct pmm p;
	struct pmm_range res[] = {
		{ 0x100000, 0x80000 },		/* kernel image */
		{ 0x2000000, 0x12345 },		/* a boot module */
	};
	uint64_t top = pmm_usable_top(qemu_like, 7), n = 0, pa;
	uint64_t expect_free;
	size_t bytes = pmm_bitmap_bytes(top);
	unsigned char *seen;

	CHECK(bytes <= sizeof(fake_ram));
	CHECK_EQ(pmm_setup(&p, qemu_like, 7, res, 2, fake_to_virt), 0);
	/* The bitmap sits in usable RAM, clear of both reservations. */
	CHECK(fake_ram_base >= 0x100000);
	CHECK(!in_range(fake_ram_base, res[0].base, res[0].len));
	CHECK(!in_range(fake_ram_base, res[1].base, res[1].len + 4095));

	/*
	 * Expected free frames: 1..64 MiB of RAM (below 1 MiB never), less the
	 * kernel (128 frames), the module (19 frames), the reserved tail (32)
	 * and the bitmap; plus the two whole frames inside the unaligned
	 * region at 64 MiB + 0x1234.
	 */
	expect_free = (63 * MiB) / 4096 - 128 - 19 - 32 -
	    (bytes + 4095) / 4096 + 2;
	CHECK_EQ_U64(p.nfree, expect_free);

	seen = calloc(p.nframes, 1);
	while ((pa = pmm_alloc(&p)) != 0) {
		uint64_t f = pa / 4096;

		CHECK(pa % 4096 == 0);
		CHECK(pa >= 0x100000);
		CHECK(!in_range(pa, res[0].base, res[0].len));
		CHECK(!in_range(pa, 0x2000000, 0x13000));
		CHECK(!in_range(pa, 0x4000000 - 0x20000, 0x20000));
		CHECK(!in_range(pa, fake_ram_base, bytes));
		CHECK(pa < 0x4000000 || in_range(pa, 0x4002000, 0x2000));
		CHECK(f < p.nframes && !seen[f]);
		if (f < p.nframes)
			seen[f] = 1;
		n++;
	}
	CHECK_EQ_U64(n, expect_free);
	CHECK_EQ_U64(p.nfree, 0);
	free(seen);
}

TEST(pmm_free_returns_frames_and_catches_double_free)
{
	struct pmm p;
	uint64_t a, b, before;

	CHECK_EQ(pmm_setup(&p, qemu_like, 7, NULL, 0, fake_to_virt), 0);
	before = p.nfree;
	a = pmm_alloc(&p);
	b = pmm_alloc(&p);
	CHECK(a != 0 && b != 0 && a != b);
	CHECK_EQ_U64(p.nfree, before - 2);
	pmm_free(&p, a, 1);
	CHECK_EQ_U64(p.nfree, before - 1);
	/* The lowest free frame comes back first. */
	CHECK_EQ_U64(pmm_alloc(&p), a);

	panic_armed = 1;
	if (setjmp(panic_jump) == 0) {
		pmm_free(&p, b, 1);
		pmm_free(&p, b, 1);
		test_fail(__FILE__, __LINE__, "double free did not panic");
	}
	CHECK(strstr(panic_msg, "already free") != NULL);

	panic_armed = 1;
	if (setjmp(panic_jump) == 0) {
		pmm_free(&p, a + 1, 1);
		test_fail(__FILE__, __LINE__, "unaligned free did not panic");
	}
	CHECK(strstr(panic_msg, "bad range") != NULL);
	panic_armed = 0;
}

TEST(pmm_contiguous_runs_are_aligned_and_free)
{
	struct pmm p;
	uint64_t run, big;

	CHECK_EQ(pmm_setup(&p, qemu_like, 7, NULL, 0, fake_to_virt), 0);
	(void)pmm_alloc(&p);	/* break the first aligned run */
	run = pmm_alloc_contig(&p, 16, 0x10000);
	CHECK(run != 0);
	CHECK(run % 0x10000 == 0);
	for (uint64_t i = 0; i < 16; i++)
		CHECK((p.bitmap[(run / 4096 + i) / 64] >>
		    ((run / 4096 + i) % 64)) & 1);
	/* Nothing asks for more frames than exist, or a bad alignment. */
	big = pmm_alloc_contig(&p, p.nframes + 1, 4096);
	CHECK_EQ_U64(big, 0);
	CHECK_EQ_U64(pmm_alloc_contig(&p, 1, 4096 * 3), 0);
	CHECK_EQ_U64(pmm_alloc_contig(&p, 0, 4096), 0);
}

TEST(pmm_setup_fails_without_room_for_bitmap)
{
	static const struct mem_region tiny[] = {
		{ 0x0, 0x9f000, MEM_USABLE },	/* only low memory */
	};
	struct pmm p;

	CHECK_EQ(pmm_setup(&p, tiny, 1, NULL, 0, fake_to_virt), -1);
}
