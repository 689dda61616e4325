/*
 * ACPI, as much as capOS needs of it: the RSDP, the RSDT or XSDT it points
 * to, and the MADT, which names the CPUs (their local APIC ids), the I/O
 * APICs and how ISA interrupt lines map onto global interrupts.
 *
 * Firmware tables are untrusted input: every table's checksum is checked,
 * every length is checked against the table that holds it and against
 * ACPI_TABLE_MAX, and memory is only read through a phys_reader, which
 * refuses what it cannot map. The parser is pure code, so host tests and
 * a fuzz target run it over crafted tables.
 */
#ifndef CAPOS_ACPI_H
#define CAPOS_ACPI_H

#include <stdint.h>

#include "boot/bootinfo.h"

#define ACPI_MAX_CPUS		64
#define ACPI_MAX_IOAPICS	8
#define ACPI_ISA_IRQS		16
/* No table capOS reads is near this large (QEMU's MADT for 255 CPUs is
 * about 2 KiB); a longer length field is a lie and refuses the table. */
#define ACPI_TABLE_MAX		(64u * 1024)

/* MPS INTI flags of an interrupt source override: polarity bits 0-1,
 * trigger mode bits 2-3; 0 in a field means "as the bus says" (for ISA:
 * active high, edge). */
#define ACPI_INTI_POLARITY(f)	((f) & 3u)
#define ACPI_INTI_TRIGGER(f)	(((f) >> 2) & 3u)
#define ACPI_INTI_ACTIVE_LOW	3u
#define ACPI_INTI_LEVEL		3u

enum acpi_error {
	ACPI_OK = 0,
	ACPI_ERR_NO_RSDP = -1,		/* none found, or none readable */
	ACPI_ERR_RSDP = -2,		/* bad RSDP signature or checksum */
	ACPI_ERR_ROOT = -3,		/* RSDT/XSDT unreadable, bad length,
					 * signature or checksum */
	ACPI_ERR_NO_MADT = -4,		/* no MADT with a good checksum */
	ACPI_ERR_MADT = -5,		/* an MADT entry overruns the table */
	ACPI_ERR_NO_CPU = -6,		/* the MADT lists no usable CPU */
};

struct acpi_ioapic {
	uint8_t id;
	uint32_t addr;			/* physical, from the MADT */
	uint32_t gsi_base;		/* first global interrupt it serves */
};

struct acpi_madt {
	uint64_t lapic_addr;		/* after any address override */
	uint32_t ncpus;			/* enabled CPUs, in MADT order */
	uint32_t apic_ids[ACPI_MAX_CPUS];
	uint32_t nioapics;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	/* ISA line n arrives as global interrupt isa_gsi[n] with MPS INTI
	 * flags isa_flags[n] (identity and 0 unless overridden). */
	uint32_t isa_gsi[ACPI_ISA_IRQS];
	uint16_t isa_flags[ACPI_ISA_IRQS];
	/* Entries left out: disabled CPUs are not counted; short entries,
	 * duplicates, ids xAPIC mode cannot address, CPUs or I/O APICs past
	 * the limits, overrides of no ISA line are. */
	uint32_t dropped;
};

/* Checks an RSDP at rsdp_pa (from the boot information or a scan), walks
 * the XSDT (revision 2 and later, when it checks out) or the RSDT, finds
 * the MADT and parses it into *out. Returns ACPI_OK or an acpi_error. */
int acpi_read_madt(uint64_t rsdp_pa, phys_reader read, void *ctx,
    struct acpi_madt *out);

/* Parses an MADT already checked to be len bytes with a good checksum. */
int acpi_parse_madt(const uint8_t *t, uint32_t len, struct acpi_madt *out);

/* Looks for the RSDP where the BIOS leaves it: the first KiB of the EBDA
 * (segment at 0x40E) and 0xE0000-0xFFFFF, on 16-byte boundaries, with
 * a good checksum. Returns its physical address or 0. */
uint64_t acpi_scan_rsdp(phys_reader read, void *ctx);

const char *acpi_strerror(int err);

#endif
