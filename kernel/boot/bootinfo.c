/*
 * Boot information parsers for PVH (hvm_start_info, version 1) and
 * Multiboot2. Field layouts follow the Xen PVH ABI and the Multiboot2
 * specification.
 */
#include <stddef.h>
#include <string.h>

#include "arch/x86_64/boot_proto.h"
#include "boot/bootinfo.h"
#include "bytes.h"

#define PVH_MAGIC		0x336ec578u
#define PVH_V1_SIZE		56
#define PVH_MOD_SIZE		32
#define PVH_MEMMAP_SIZE		24

#define MB2_INFO_MAX		(1u << 20)
#define MB2_TAG_END		0
#define MB2_TAG_CMDLINE		1
#define MB2_TAG_MODULE		3
#define MB2_TAG_MMAP		6
#define MB2_MMAP_ENTRY_MIN	24

/* Copies a string of at most max - 1 bytes, stopping at NUL or at avail. */
static void
copy_str(char *dst, size_t max, const char *src, size_t avail)
{
	size_t n = 0;

	while (n + 1 < max && n < avail && src[n] != '\0') {
		dst[n] = src[n];
		n++;
	}
	dst[n] = '\0';
}

static void
add_region(struct bootinfo *bi, uint64_t base, uint64_t len, uint32_t type)
{
	struct mem_region *r;

	if (len == 0 || base + len < base || bi->nregions == BOOT_MAX_REGIONS) {
		bi->dropped++;
		return;
	}
	r = &bi->regions[bi->nregions++];
	r->base = base;
	r->len = len;
	r->type = type;
}

static void
add_module(struct bootinfo *bi, uint64_t base, uint64_t len, const char *name,
    size_t name_avail)
{
	struct boot_module *m;

	if (base + len < base || bi->nmodules == BOOT_MAX_MODULES) {
		bi->dropped++;
		return;
	}
	m = &bi->modules[bi->nmodules++];
	m->base = base;
	m->len = len;
	copy_str(m->name, sizeof(m->name), name != NULL ? name : "",
	    name != NULL ? name_avail : 0);
}

/* Reads a NUL-terminated string of unknown length, up to max bytes. */
static void
read_str(phys_reader read, void *ctx, uint64_t pa, char *dst, size_t max)
{
	const char *s;

	dst[0] = '\0';
	if (pa == 0)
		return;
	s = read(ctx, pa, max);
	if (s != NULL)
		copy_str(dst, max, s, max);
}

int
bootinfo_from_pvh(struct bootinfo *bi, uint64_t info_pa, phys_reader read,
    void *ctx)
{
	const unsigned char *si, *e;
	uint32_t i, nmods, nmap;

	memset(bi, 0, sizeof(*bi));
	bi->proto = BOOT_PROTO_PVH;
	si = read(ctx, info_pa, PVH_V1_SIZE);
	if (si == NULL || rd32(si) != PVH_MAGIC)
		return -1;
	if (rd32(si + 4) < 1)
		return -2;	/* version 0 has no memory map */
	read_str(read, ctx, rd64(si + 24), bi->cmdline, sizeof(bi->cmdline));

	nmap = rd32(si + 48);
	if (nmap > 4 * BOOT_MAX_REGIONS)
		return -3;
	e = read(ctx, rd64(si + 40), (uint64_t)nmap * PVH_MEMMAP_SIZE);
	if (e == NULL && nmap != 0)
		return -3;
	for (i = 0; i < nmap; i++, e += PVH_MEMMAP_SIZE)
		add_region(bi, rd64(e), rd64(e + 8), rd32(e + 16));

	nmods = rd32(si + 12);
	if (nmods > 4 * BOOT_MAX_MODULES)
		return -4;
	e = read(ctx, rd64(si + 16), (uint64_t)nmods * PVH_MOD_SIZE);
	if (e == NULL && nmods != 0)
		return -4;
	for (i = 0; i < nmods; i++, e += PVH_MOD_SIZE) {
		char name[BOOT_MODNAME_MAX];

		read_str(read, ctx, rd64(e + 16), name, sizeof(name));
		add_module(bi, rd64(e), rd64(e + 8), name, sizeof(name));
	}
	return bi->nregions > 0 ? 0 : -3;
}

static int
mb2_mmap(struct bootinfo *bi, const unsigned char *tag, uint32_t size)
{
	uint32_t esize, off;

	if (size < 16)
		return -5;
	esize = rd32(tag + 8);
	if (esize < MB2_MMAP_ENTRY_MIN || esize % 8 != 0)
		return -5;
	/*
	 * off never passes size, so size - off cannot wrap; off + esize
	 * could, for an entry size near 2^32.
	 */
	for (off = 16; esize <= size - off; off += esize)
		add_region(bi, rd64(tag + off), rd64(tag + off + 8),
		    rd32(tag + off + 16));
	return 0;
}

int
bootinfo_from_multiboot2(struct bootinfo *bi, uint64_t info_pa,
    phys_reader read, void *ctx)
{
	const unsigned char *hdr, *info, *tag;
	uint32_t total, off, type, size;
	int err;

	memset(bi, 0, sizeof(*bi));
	bi->proto = BOOT_PROTO_MULTIBOOT2;
	hdr = read(ctx, info_pa, 8);
	if (hdr == NULL)
		return -1;
	total = rd32(hdr);
	if (total < 16 || total > MB2_INFO_MAX)
		return -1;
	info = read(ctx, info_pa, total);
	if (info == NULL)
		return -1;
	for (off = 8; off + 8 <= total; off += (size + 7) & ~7u) {
		tag = info + off;
		type = rd32(tag);
		size = rd32(tag + 4);
		if (size < 8 || size > total - off)
			return -2;
		if (type == MB2_TAG_END)
			return bi->nregions > 0 ? 0 : -3;
		switch (type) {
		case MB2_TAG_CMDLINE:
			copy_str(bi->cmdline, sizeof(bi->cmdline),
			    (const char *)tag + 8, size - 8);
			break;
		case MB2_TAG_MODULE:
			if (size < 16)
				return -4;
			add_module(bi, rd32(tag + 8),
			    rd32(tag + 12) >= rd32(tag + 8) ?
			    rd32(tag + 12) - rd32(tag + 8) : 0,
			    (const char *)tag + 16, size - 16);
			break;
		case MB2_TAG_MMAP:
			if ((err = mb2_mmap(bi, tag, size)) != 0)
				return err;
			break;
		default:
			break;
		}
	}
	return -2;	/* no end tag within total_size */
}

int
bootinfo_has_arg(const struct bootinfo *bi, const char *word)
{
	size_t n = strlen(word);
	const char *p = bi->cmdline;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (strncmp(p, word, n) == 0 && (p[n] == ' ' || p[n] == '\0'))
			return 1;
		while (*p != ' ' && *p != '\0')
			p++;
	}
	return 0;
}
