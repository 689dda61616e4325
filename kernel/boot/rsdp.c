/*
 * The RSDP's address from the boot information (see rsdp.h). PVH:
 * hvm_start_info.rsdp_paddr at offset 24 (Xen PVH ABI). Multiboot2: tag 15
 * holds a copy of an ACPI 2.0 RSDP, tag 14 of an ACPI 1.0 one; the newer
 * is preferred, as it can name the XSDT.
 */
#include <string.h>

#include "arch/x86_64/boot_proto.h"
#include "boot/rsdp.h"
#include "bytes.h"

#define PVH_MAGIC		0x336ec578u
#define PVH_RSDP_OFF		24
#define PVH_HEAD		32

#define MB2_INFO_MAX		(1u << 20)
#define MB2_TAG_END		0
#define MB2_TAG_ACPI_OLD	14
#define MB2_TAG_ACPI_NEW	15
#define MB2_TAG_HDR		8
#define RSDP_V1_LEN		20

static uint64_t
from_pvh(uint64_t info_pa, phys_reader read, void *ctx)
{
	const unsigned char *p = read(ctx, info_pa, PVH_HEAD);
	uint64_t rsdp;

	if (p == NULL || rd32(p) != PVH_MAGIC)
		return 0;
	memcpy(&rsdp, p + PVH_RSDP_OFF, sizeof(rsdp));
	return rsdp;
}

static uint64_t
from_multiboot2(uint64_t info_pa, phys_reader read, void *ctx)
{
	const unsigned char *p = read(ctx, info_pa, 8);
	uint32_t total, off = 8;
	uint64_t old = 0;

	if (p == NULL || (total = rd32(p)) < 8 || total > MB2_INFO_MAX ||
	    (p = read(ctx, info_pa, total)) == NULL)
		return 0;
	/* Tags are 8-aligned; each size covers its header and fits. */
	while (total - off >= MB2_TAG_HDR) {
		uint32_t type = rd32(p + off), size = rd32(p + off + 4);

		if (type == MB2_TAG_END || size < MB2_TAG_HDR ||
		    size > total - off)
			break;
		/* A copy too short to hold an RSDP is not one. */
		if (size - MB2_TAG_HDR >= RSDP_V1_LEN) {
			if (type == MB2_TAG_ACPI_NEW)
				return info_pa + off + MB2_TAG_HDR;
			if (type == MB2_TAG_ACPI_OLD && old == 0)
				old = info_pa + off + MB2_TAG_HDR;
		}
		size = (size + 7) & ~7u;
		if (size > total - off)
			break;
		off += size;
	}
	return old;
}

uint64_t
bootinfo_rsdp(int proto, uint64_t info_pa, phys_reader read, void *ctx)
{
	switch (proto) {
	case BOOT_PROTO_PVH:
		return from_pvh(info_pa, read, ctx);
	case BOOT_PROTO_MULTIBOOT2:
		return from_multiboot2(info_pa, read, ctx);
	default:
		return 0;
	}
}
