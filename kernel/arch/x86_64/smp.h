/*
 * The CPUs: which there are (from the ACPI MADT) and, later, starting the
 * application processors. docs/smp.md has the design.
 */
#ifndef CAPOS_SMP_H
#define CAPOS_SMP_H

#include <stdint.h>

#include "boot/bootinfo.h"

/* Reads the MADT through the boot-time reader (the RSDP from the boot
 * information, else the BIOS-area scan) and configures the I/O APICs from
 * it. Without a usable MADT the machine is taken as one CPU with the
 * standard I/O APIC, and the reason is printed. */
void smp_discover(const struct bootinfo *bi, uint32_t info_pa,
    phys_reader read, void *ctx);

/* CPUs the MADT lists (1 without one). */
uint32_t smp_cpus_listed(void);

#endif
