/*
 * Checking an ELF64 executable from the boot package before anything is
 * mapped. The image is untrusted: every offset, size and address is checked,
 * and a segment both writable and executable is refused.
 */
#ifndef CAPOS_ELF_H
#define CAPOS_ELF_H

#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS	8

#define ELF_SEG_W	0x1
#define ELF_SEG_X	0x2

struct elf_segment {
	uint64_t vaddr;		/* page-aligned start of the mapping */
	uint64_t memsz;		/* page-aligned length of the mapping */
	uint64_t file_off;	/* file bytes copied to vaddr + pad */
	uint64_t filesz;
	uint64_t pad;		/* offset of the data within the first page */
	uint32_t flags;		/* ELF_SEG_* */
};

struct elf_image {
	uint64_t entry;
	uint32_t nsegs;
	struct elf_segment segs[ELF_MAX_SEGMENTS];
};

enum elf_error {
	ELF_OK = 0,
	ELF_ETRUNC = -1,	/* shorter than its headers say */
	ELF_EMAGIC = -2,	/* not ELF64 little-endian x86_64 executable */
	ELF_EPHDR = -3,		/* program headers malformed */
	ELF_ERANGE = -4,	/* a segment outside the user image area */
	ELF_EOVERLAP = -5,	/* segments overlap */
	ELF_EWX = -6,		/* a segment is writable and executable */
	ELF_EENTRY = -7,	/* entry point not in an executable segment */
	ELF_ETOOMANY = -8,	/* more loadable segments than supported */
};

/* Loadable segments must lie within [lo, hi). */
int elf_check(const uint8_t *img, size_t len, uint64_t lo, uint64_t hi,
    struct elf_image *out);
const char *elf_strerror(int err);

#endif
