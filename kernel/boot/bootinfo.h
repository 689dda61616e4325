/*
 * What the kernel learns from its loader, whichever protocol was used: the
 * physical memory map, the boot modules and the command line. The parsers
 * copy everything into this fixed-size structure, so nothing the loader left
 * in memory is needed afterwards, and they treat the loader's bytes as
 * untrusted: every length is checked against the space it claims to fill.
 */
#ifndef CAPOS_BOOTINFO_H
#define CAPOS_BOOTINFO_H

#include <stdbool.h>
#include <stdint.h>

#define BOOT_MAX_REGIONS	64
#define BOOT_MAX_MODULES	8
#define BOOT_CMDLINE_MAX	256
#define BOOT_MODNAME_MAX	64

enum mem_type {
	MEM_USABLE = 1,		/* E820 type 1 / Multiboot2 type 1 */
	MEM_RESERVED = 2,
	MEM_ACPI_RECLAIM = 3,
	MEM_ACPI_NVS = 4,
	MEM_BAD = 5,
};

struct mem_region {
	uint64_t base;
	uint64_t len;
	uint32_t type;
};

/* Whether [a, a + alen) and [b, b + blen) share a byte (neither wraps). */
static inline bool
range_overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

struct boot_module {
	uint64_t base;
	uint64_t len;
	char name[BOOT_MODNAME_MAX];
};

struct bootinfo {
	int proto;			/* BOOT_PROTO_* */
	uint32_t nregions;
	struct mem_region regions[BOOT_MAX_REGIONS];
	uint32_t nmodules;
	struct boot_module modules[BOOT_MAX_MODULES];
	char cmdline[BOOT_CMDLINE_MAX];
	uint32_t dropped;		/* entries that did not fit or were bad */
};

/*
 * The parsers read loader memory through this function, which maps a
 * physical range to a readable pointer or returns NULL if it cannot. The
 * kernel passes its early identity mapping; host tests pass a fake memory.
 */
typedef const void *(*phys_reader)(void *ctx, uint64_t pa, uint64_t len);

/* Each returns 0 on success or a negative error (bad magic, bad sizes). */
int bootinfo_from_pvh(struct bootinfo *bi, uint64_t info_pa,
    phys_reader read, void *ctx);
int bootinfo_from_multiboot2(struct bootinfo *bi, uint64_t info_pa,
    phys_reader read, void *ctx);

/* Returns 1 if the command line holds the word `word` (e.g. "test=fault"). */
int bootinfo_has_arg(const struct bootinfo *bi, const char *word);

#endif
