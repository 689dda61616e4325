/*
 * Where the loader says the ACPI RSDP is: PVH's start_info carries its
 * address, Multiboot2 a copy of it in a tag. Kept apart from bootinfo.c's
 * parsers because only ACPI needs it.
 */
#ifndef CAPOS_BOOT_RSDP_H
#define CAPOS_BOOT_RSDP_H

#include <stdint.h>

#include "boot/bootinfo.h"

/* The physical address of the RSDP (for Multiboot2: of the copy inside
 * the boot information), or 0 when the loader gave none. The RSDP itself
 * is not checked here; acpi_read_madt does that. */
uint64_t bootinfo_rsdp(int proto, uint64_t info_pa, phys_reader read,
    void *ctx);

#endif
