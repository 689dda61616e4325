/*
 * ELF checks on hand-built images: the loader accepts a well-formed static
 * executable and refuses truncation, bad headers, out-of-range, overlapping
 * or writable-and-executable segments, and a stray entry point.
 */
#include "proc/elf.h"
#include "test.h"

#define LO	0x400000ull
#define HI	0x100000000000ull

static uint8_t img[3 * 4096];

static void
put16(size_t at, uint16_t v)
{
	memcpy(img + at, &v, 2);
}

static void
put32(size_t at, uint32_t v)
{
	memcpy(img + at, &v, 4);
}

static void
put64(size_t at, uint64_t v)
{
	memcpy(img + at, &v, 8);
}

static void
phdr(int i, uint32_t flags, uint64_t off, uint64_t vaddr, uint64_t filesz,
    uint64_t memsz)
{
	size_t p = 64 + (size_t)i * 56;

	put32(p, 1);			/* PT_LOAD */
	put32(p + 4, flags);
	put64(p + 8, off);
	put64(p + 16, vaddr);
	put64(p + 32, filesz);
	put64(p + 40, memsz);
}

/* Text at 0x401000 (RX) from offset 0x1000, data at 0x402000 (RW) + bss. */
static void
build(void)
{
	static const uint8_t ident[] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };

	memset(img, 0, sizeof(img));
	memcpy(img, ident, sizeof(ident));
	put16(16, 2);			/* ET_EXEC */
	put16(18, 62);			/* EM_X86_64 */
	put64(24, 0x401010);		/* entry */
	put64(32, 64);			/* phoff */
	put16(54, 56);
	put16(56, 2);
	phdr(0, 5, 0x1000, 0x401000, 0x100, 0x100);
	phdr(1, 6, 0x2000, 0x402000, 0x80, 0x3000);
}

TEST(elf_accepts_wellformed)
{
	struct elf_image im;

	build();
	CHECK_EQ(elf_check(img, sizeof(img), LO, HI, &im), ELF_OK);
	CHECK_EQ(im.nsegs, 2);
	CHECK_EQ_U64(im.entry, 0x401010);
	CHECK_EQ_U64(im.segs[1].vaddr, 0x402000);
	CHECK_EQ_U64(im.segs[1].memsz, 0x3000);
	CHECK_EQ(im.segs[0].flags, ELF_SEG_X);
	CHECK_EQ(im.segs[1].flags, ELF_SEG_W);
}

TEST(elf_refuses_bad_headers)
{
	struct elf_image im;

	build();
	CHECK_EQ(elf_check(img, 63, LO, HI, &im), ELF_ETRUNC);
	img[4] = 1;				/* ELF32 */
	CHECK_EQ(elf_check(img, sizeof(img), LO, HI, &im), ELF_EMAGIC);
	build();
	put16(16, 3);				/* ET_DYN */
	CHECK_EQ(elf_check(img, sizeof(img), LO, HI, &im), ELF_EMAGIC);
	build();
	put16(54, 32);				/* wrong phentsize */
	CHECK_EQ(elf_check(img, sizeof(img), LO, HI, &im), ELF_EPHDR);
	build();
	put16(56, 0);
	CHECK_EQ(elf_check(img, sizeof(img), LO, HI, &im), ELF_EPHDR);
	build();
	put64(32, sizeof(img) - 60);		/* headers run off the end */
	CHECK_EQ(elf_check(img, sizeof(img), LO, HI, &im), ELF_ETRUNC);
	build();
	put64(32, UINT64_MAX - 10);		/* phoff wraps */
	CHECK_EQ(elf_check(img, sizeof(img), LO, HI, &im), ELF_ETRUNC);
}

TEST(elf_refuses_bad_segments)
{
	struct elf_image im;

	build();
	phdr(1, 6, 0x2000, 0x402000, 0x2000, 0x3000);	/* past file end */
	CHECK_EQ(elf_check(img, sizeof(img), LO, HI, &im), ELF_ETRUNC);
	build();
	phdr(1, 6, 0x2000, 0x402000, 0x100, 0x80);	/* filesz > memsz */
	CHECK_EQ(elf_check(img, sizeof(img), LO, HI, &im), ELF_ETRUNC);
	build();
	phdr(1, 6, 0x2000, 0x1000, 0x80, 0x80);	/* below the image area */
	CHECK_EQ(elf_check(img, sizeof(img), LO, HI, &im), ELF_ERANGE);
	build();
	phdr(1, 6, 0x2000, 0xffff800000000000ull, 0x80, 0x80);	/* kernel */
	CHECK_EQ(elf_check(img, sizeof(img), LO, HI, &im), ELF_ERANGE);
	build();
	phdr(1, 6, 0x2000, HI - 0x1000, 0x80, UINT64_MAX);	/* wraps */
	CHECK_EQ(elf_check(img, sizeof(img), LO, HI, &im), ELF_ERANGE);
	build();
	phdr(1, 6, 0x2000, 0x401000, 0x80, 0x80);	/* overlaps text */
	CHECK_EQ(elf_check(img, sizeof(img), LO, HI, &im), ELF_EOVERLAP);
	build();
	phdr(1, 7, 0x2000, 0x402000, 0x80, 0x80);	/* W and X */
	CHECK_EQ(elf_check(img, sizeof(img), LO, HI, &im), ELF_EWX);
	build();
	phdr(1, 6, 0x2010, 0x402000, 0x80, 0x80);	/* misaligned offset */
	CHECK_EQ(elf_check(img, sizeof(img), LO, HI, &im), ELF_EPHDR);
}

TEST(elf_refuses_entry_outside_code)
{
	struct elf_image im;

	build();
	put64(24, 0x402010);			/* in data */
	CHECK_EQ(elf_check(img, sizeof(img), LO, HI, &im), ELF_EENTRY);
	build();
	put64(24, 0x500000);
	CHECK_EQ(elf_check(img, sizeof(img), LO, HI, &im), ELF_EENTRY);
	CHECK(elf_strerror(ELF_EENTRY) != NULL);
}
