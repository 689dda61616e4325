/*
 * Boot information parsers on hand-built PVH and Multiboot2 blocks,
 * including hostile ones: every length is checked before it is used.
 */
#include <stdlib.h>

#include "arch/x86_64/boot_proto.h"
#include "boot/bootinfo.h"
#include "test.h"

/* Fake physical memory: addresses are offsets into this buffer. */
static unsigned char mem[8192] __attribute__((aligned(8)));

static const void *
fake_read(void *ctx, uint64_t pa, uint64_t len)
{
	(void)ctx;
	if (pa == 0 || pa >= sizeof(mem) || len > sizeof(mem) - pa)
		return NULL;
	return mem + pa;
}

static void
put32(uint64_t at, uint32_t v)
{
	memcpy(mem + at, &v, 4);
}

static void
put64(uint64_t at, uint64_t v)
{
	memcpy(mem + at, &v, 8);
}

/* A valid PVH start_info at 0x100 with two memory entries and a module. */
static void
build_pvh(void)
{
	memset(mem, 0, sizeof(mem));
	put32(0x100, 0x336ec578);
	put32(0x104, 1);		/* version */
	put32(0x10c, 1);		/* nr_modules */
	put64(0x110, 0x400);		/* modlist */
	put64(0x118, 0x300);		/* cmdline */
	put64(0x128, 0x200);		/* memmap */
	put32(0x130, 2);		/* memmap entries */
	strcpy((char *)mem + 0x300, "console=ttyS0 test=fault");
	put64(0x200, 0);
	put64(0x208, 0x9fc00);
	put32(0x210, 1);
	put64(0x218, 0x100000);
	put64(0x220, 0x7f00000);
	put32(0x228, 1);
	put64(0x400, 0x800000);		/* module paddr */
	put64(0x408, 12345);
	put64(0x410, 0x500);		/* module cmdline */
	strcpy((char *)mem + 0x500, "default.pkg");
}

TEST(bootinfo_pvh_valid)
{
	struct bootinfo bi;

	build_pvh();
	CHECK_EQ(bootinfo_from_pvh(&bi, 0x100, fake_read, NULL), 0);
	CHECK_EQ(bi.proto, BOOT_PROTO_PVH);
	CHECK_EQ(bi.nregions, 2);
	CHECK_EQ_U64(bi.regions[1].base, 0x100000);
	CHECK_EQ_U64(bi.regions[1].len, 0x7f00000);
	CHECK_EQ(bi.nmodules, 1);
	CHECK_EQ_U64(bi.modules[0].base, 0x800000);
	CHECK_EQ_U64(bi.modules[0].len, 12345);
	CHECK_STR(bi.modules[0].name, "default.pkg");
	CHECK_STR(bi.cmdline, "console=ttyS0 test=fault");
	CHECK(bootinfo_has_arg(&bi, "test=fault"));
	CHECK(bootinfo_has_arg(&bi, "console=ttyS0"));
	CHECK(!bootinfo_has_arg(&bi, "test"));
	CHECK(!bootinfo_has_arg(&bi, "fault"));
}

TEST(bootinfo_pvh_hostile)
{
	struct bootinfo bi;

	build_pvh();
	put32(0x100, 0x12345678);
	CHECK_EQ(bootinfo_from_pvh(&bi, 0x100, fake_read, NULL), -1);

	build_pvh();
	put32(0x104, 0);		/* version 0: no memory map */
	CHECK_EQ(bootinfo_from_pvh(&bi, 0x100, fake_read, NULL), -2);

	build_pvh();
	put32(0x130, 0xffffffff);	/* absurd memory map count */
	CHECK_EQ(bootinfo_from_pvh(&bi, 0x100, fake_read, NULL), -3);

	build_pvh();
	put64(0x128, sizeof(mem) - 8);	/* memory map runs off the end */
	CHECK_EQ(bootinfo_from_pvh(&bi, 0x100, fake_read, NULL), -3);

	build_pvh();
	put32(0x10c, 1000);		/* absurd module count */
	CHECK_EQ(bootinfo_from_pvh(&bi, 0x100, fake_read, NULL), -4);

	/* A command line without a terminator is cut, not overrun. */
	build_pvh();
	memset(mem + 0x300, 'A', 0x100);
	CHECK_EQ(bootinfo_from_pvh(&bi, 0x100, fake_read, NULL), 0);
	CHECK_EQ(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);

	/* A module ending past 2^64 is dropped, not wrapped. */
	build_pvh();
	put64(0x408, UINT64_MAX);
	CHECK_EQ(bootinfo_from_pvh(&bi, 0x100, fake_read, NULL), 0);
	CHECK_EQ(bi.nmodules, 0);
	CHECK_EQ(bi.dropped, 1);

	CHECK(bootinfo_from_pvh(&bi, sizeof(mem) - 4, fake_read, NULL) < 0);
}

/* Appends a tag at *at (8-aligned); returns the offset of its body. */
static uint64_t
tag(uint64_t *at, uint32_t type, uint32_t size)
{
	uint64_t t = *at;

	put32(t, type);
	put32(t + 4, size);
	*at = (t + size + 7) & ~7ull;
	return t + 8;
}

/* A valid Multiboot2 block at 0x1000 with mmap, module and cmdline. */
static uint64_t
build_mb2(void)
{
	uint64_t at = 0x1008, body;

	memset(mem, 0, sizeof(mem));
	body = tag(&at, 1, 8 + 12);
	strcpy((char *)mem + body, "answer=42");
	body = tag(&at, 3, 16 + 12);
	put32(body, 0x400000);
	put32(body + 4, 0x400000 + 5000);
	strcpy((char *)mem + body + 8, "default.pkg");
	body = tag(&at, 6, 16 + 3 * 24);
	put32(body, 24);		/* entry size */
	put32(body + 4, 0);
	put64(body + 8, 0);
	put64(body + 16, 0x9fc00);
	put32(body + 24, 1);
	put64(body + 32, 0x100000);
	put64(body + 40, 0xff00000);
	put32(body + 48, 1);
	put64(body + 56, 0xfffc0000);
	put64(body + 64, 0x40000);
	put32(body + 72, 2);
	tag(&at, 0, 8);
	put32(0x1000, (uint32_t)(at - 0x1000));
	return at;
}

TEST(bootinfo_multiboot2_valid)
{
	struct bootinfo bi;

	build_mb2();
	CHECK_EQ(bootinfo_from_multiboot2(&bi, 0x1000, fake_read, NULL), 0);
	CHECK_EQ(bi.proto, BOOT_PROTO_MULTIBOOT2);
	CHECK_STR(bi.cmdline, "answer=42");
	CHECK_EQ(bi.nmodules, 1);
	CHECK_EQ_U64(bi.modules[0].base, 0x400000);
	CHECK_EQ_U64(bi.modules[0].len, 5000);
	CHECK_STR(bi.modules[0].name, "default.pkg");
	CHECK_EQ(bi.nregions, 3);
	CHECK_EQ_U64(bi.regions[1].len, 0xff00000);
	CHECK_EQ(bi.regions[2].type, MEM_RESERVED);
}

TEST(bootinfo_multiboot2_hostile)
{
	struct bootinfo bi;
	uint64_t end;

	build_mb2();
	put32(0x1000, 8);		/* total size too small */
	CHECK_EQ(bootinfo_from_multiboot2(&bi, 0x1000, fake_read, NULL), -1);

	build_mb2();
	put32(0x1000, 0x7fffffff);	/* beyond any sane size */
	CHECK_EQ(bootinfo_from_multiboot2(&bi, 0x1000, fake_read, NULL), -1);

	build_mb2();
	put32(0x1008 + 4, 0x100000);	/* first tag claims too much */
	CHECK_EQ(bootinfo_from_multiboot2(&bi, 0x1000, fake_read, NULL), -2);

	build_mb2();
	put32(0x1008 + 4, 4);		/* tag smaller than its header */
	CHECK_EQ(bootinfo_from_multiboot2(&bi, 0x1000, fake_read, NULL), -2);

	/* No end tag within total_size. */
	end = build_mb2();
	put32(0x1000, (uint32_t)(end - 8 - 0x1000));
	CHECK_EQ(bootinfo_from_multiboot2(&bi, 0x1000, fake_read, NULL), -2);

	/* Memory map entry size that is not a sane multiple. */
	build_mb2();
	for (uint64_t at = 0x1008; at < 0x1100; at += 8)
		if (mem[at] == 6 && mem[at + 1] == 0)
			put32(at + 8, 12);
	CHECK_EQ(bootinfo_from_multiboot2(&bi, 0x1000, fake_read, NULL), -5);
}

/* Physical memory that is exactly the bytes given, on the heap, so ASan
 * reports any read past its end. */
struct exact_mem {
	const unsigned char *p;
	size_t n;
};

static const void *
exact_read(void *ctx, uint64_t pa, uint64_t len)
{
	struct exact_mem *m = ctx;

	if (pa == 0 || pa >= m->n || len > m->n - pa)
		return NULL;
	return m->p + pa;
}

/*
 * A memory map tag whose entry size is 0xfffffff8 (found by the
 * kernel_parsers fuzzer, tests/fuzz/corpus/kernel_parsers/mb2-mmap-esize-wrap
 * without its selector byte). off + esize wraps in 32 bits, so a check
 * written that way walks entries outside the 22-byte tag. No entry fits:
 * the map adds nothing, and the block, which has no end tag, is refused.
 */
TEST(bootinfo_multiboot2_mmap_entry_size_wraps)
{
	static const unsigned char in[] = {
		0x7f, 0x45, 0x4c, 0x46, 0x06, 0x01, 0x01, 0xef,
		0x26, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* total 38 */
		0x06, 0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00,	/* mmap, 22 */
		0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf9, 0xff,	/* esize */
		0x00, 0x16, 0x00, 0x00, 0x00, 0x01, 0x03, 0xfc,
		0xfc, 0xfc, 0x00, 0x00, 0x01, 0x00,
	};
	struct exact_mem m;
	struct bootinfo bi;
	unsigned char *copy = malloc(sizeof(in));

	CHECK(copy != NULL);
	if (copy == NULL)
		return;
	memcpy(copy, in, sizeof(in));
	m.p = copy;
	m.n = sizeof(in);
	CHECK_EQ(bootinfo_from_multiboot2(&bi, 8, exact_read, &m), -2);
	CHECK_EQ(bi.nregions, 0);
	free(copy);

	/* The same entry size in an otherwise valid block: nothing is read
	 * from the map, and a block without usable memory is refused. */
	build_mb2();
	for (uint64_t at = 0x1008; at < 0x1100; at += 8)
		if (mem[at] == 6 && mem[at + 1] == 0)
			put32(at + 8, 0xfffffff8);
	CHECK_EQ(bootinfo_from_multiboot2(&bi, 0x1000, fake_read, NULL), -3);
	CHECK_EQ(bi.nregions, 0);
}
