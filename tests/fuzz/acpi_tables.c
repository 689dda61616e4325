/*
 * libFuzzer target for the ACPI parsers: the input is firmware memory
 * starting at physical address 0x1000, read through a bounded reader, with
 * the RSDP at its start; it is also handed to the MADT parser directly,
 * to the BIOS-area scan (placed at 0xE0000) and to the boot-information
 * RSDP lookups. Nothing may be read outside the input.
 *
 *   make fuzz && build/fuzz/acpi_tables -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/acpi.h"
#include "arch/x86_64/boot_proto.h"
#include "boot/rsdp.h"

struct fake {
	const uint8_t *data;
	size_t size;
	uint64_t base;
};

static const void *
rd(void *ctx, uint64_t pa, uint64_t len)
{
	const struct fake *f = ctx;

	if (pa < f->base || pa - f->base > f->size ||
	    len > f->size - (pa - f->base))
		return NULL;
	return f->data + (pa - f->base);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fake low = { data, size, 0x1000 }, bios = { data, size, 0xE0000 };
	struct acpi_madt m;

	(void)acpi_read_madt(0x1000, rd, &low, &m);
	if (size <= ACPI_TABLE_MAX)
		(void)acpi_parse_madt(data, (uint32_t)size, &m);
	(void)acpi_scan_rsdp(rd, &bios);
	(void)bootinfo_rsdp(BOOT_PROTO_PVH, 0x1000, rd, &low);
	(void)bootinfo_rsdp(BOOT_PROTO_MULTIBOOT2, 0x1000, rd, &low);
	return 0;
}
