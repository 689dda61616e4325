/*
 * ELF64 executable checks. Field offsets follow the System V ABI.
 */
#include <string.h>

#include "proc/elf.h"
#include "bytes.h"

#define PAGE		4096ull
#define PT_LOAD		1
#define PF_X		1
#define PF_W		2
#define EHDR_SIZE	64
#define PHDR_SIZE	56

static int
check_header(const uint8_t *img, size_t len)
{
	static const uint8_t ident[] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };

	if (len < EHDR_SIZE)
		return ELF_ETRUNC;
	if (memcmp(img, ident, sizeof(ident)) != 0)
		return ELF_EMAGIC;
	if (rd16(img + 16) != 2 || rd16(img + 18) != 62)	/* EXEC, x86_64 */
		return ELF_EMAGIC;
	if (rd16(img + 54) != PHDR_SIZE)
		return ELF_EPHDR;
	return ELF_OK;
}

/* Adds one PT_LOAD header to out after checking it. */
static int
add_segment(const uint8_t *ph, size_t len, uint64_t lo, uint64_t hi,
    struct elf_image *out)
{
	uint32_t pflags = rd32(ph + 4);
	uint64_t off = rd64(ph + 8), vaddr = rd64(ph + 16);
	uint64_t filesz = rd64(ph + 32), memsz = rd64(ph + 40);
	struct elf_segment *s;
	uint64_t start, end;

	if (memsz == 0)
		return ELF_OK;
	if (filesz > memsz || off > len || filesz > len - off)
		return ELF_ETRUNC;
	if (vaddr < lo || vaddr > hi || memsz > hi - vaddr)
		return ELF_ERANGE;
	/* File offset and address must agree modulo the page size. */
	if ((off % PAGE) != (vaddr % PAGE))
		return ELF_EPHDR;
	if ((pflags & PF_W) && (pflags & PF_X))
		return ELF_EWX;
	if (out->nsegs == ELF_MAX_SEGMENTS)
		return ELF_ETOOMANY;
	start = vaddr & ~(PAGE - 1);
	end = (vaddr + memsz + PAGE - 1) & ~(PAGE - 1);
	if (end > hi)
		return ELF_ERANGE;
	for (uint32_t i = 0; i < out->nsegs; i++) {
		const struct elf_segment *o = &out->segs[i];

		if (start < o->vaddr + o->memsz && o->vaddr < end)
			return ELF_EOVERLAP;
	}
	s = &out->segs[out->nsegs++];
	s->vaddr = start;
	s->memsz = end - start;
	s->file_off = off;
	s->filesz = filesz;
	s->pad = vaddr - start;
	s->flags = ((pflags & PF_W) ? ELF_SEG_W : 0) |
	    ((pflags & PF_X) ? ELF_SEG_X : 0);
	return ELF_OK;
}

int
elf_check(const uint8_t *img, size_t len, uint64_t lo, uint64_t hi,
    struct elf_image *out)
{
	uint64_t phoff, entry;
	uint16_t phnum;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = check_header(img, len)) != ELF_OK)
		return err;
	entry = rd64(img + 24);
	phoff = rd64(img + 32);
	phnum = rd16(img + 56);
	if (phnum == 0 || phnum > 64)
		return ELF_EPHDR;
	if (phoff > len || (uint64_t)phnum * PHDR_SIZE > len - phoff)
		return ELF_ETRUNC;
	for (uint16_t i = 0; i < phnum; i++) {
		const uint8_t *ph = img + phoff + (uint64_t)i * PHDR_SIZE;

		if (rd32(ph) != PT_LOAD)
			continue;
		if ((err = add_segment(ph, len, lo, hi, out)) != ELF_OK)
			return err;
	}
	for (uint32_t i = 0; i < out->nsegs; i++) {
		const struct elf_segment *s = &out->segs[i];

		if ((s->flags & ELF_SEG_X) && entry >= s->vaddr + s->pad &&
		    entry < s->vaddr + s->memsz) {
			out->entry = entry;
			return ELF_OK;
		}
	}
	return ELF_EENTRY;
}

const char *
elf_strerror(int err)
{
	switch (err) {
	case ELF_OK:
		return "ok";
	case ELF_ETRUNC:
		return "truncated image";
	case ELF_EMAGIC:
		return "not an x86_64 ELF64 executable";
	case ELF_EPHDR:
		return "malformed program headers";
	case ELF_ERANGE:
		return "segment outside the user image area";
	case ELF_EOVERLAP:
		return "overlapping segments";
	case ELF_EWX:
		return "writable and executable segment";
	case ELF_EENTRY:
		return "entry point outside executable code";
	case ELF_ETOOMANY:
		return "too many loadable segments";
	default:
		return "unknown ELF error";
	}
}
