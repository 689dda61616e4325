/*
 * The I/O APIC at its standard PC address. The firmware's MADT can move
 * it and remap ISA lines; QEMU's pc machine keeps both at their defaults
 * (ISA line n is global interrupt n, except the timer), and the chip is
 * checked before use: its version register must read as an I/O APIC's.
 */
#include <stddef.h>

#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/timer.h"
#include "mm/vmm.h"

#define IOAPIC_BASE	0xFEC00000ull
#define IOREGSEL	0x00
#define IOWIN		0x10
#define IOAPICVER	0x01
#define IOREDTBL	0x10

static volatile uint32_t *regs;

static uint32_t
ioapic_read(uint32_t reg)
{
	regs[IOREGSEL / 4] = reg;
	return regs[IOWIN / 4];
}

static void
ioapic_write(uint32_t reg, uint32_t v)
{
	regs[IOREGSEL / 4] = reg;
	regs[IOWIN / 4] = v;
}

bool
ioapic_route(uint32_t gsi, uint8_t vector)
{
	uint32_t ver, lines;

	if (regs == NULL && (regs = vmm_map_mmio(IOAPIC_BASE, 4096)) == NULL)
		return false;
	ver = ioapic_read(IOAPICVER);
	lines = ((ver >> 16) & 0xFF) + 1;
	/* I/O APICs report versions 0x11 to 0x20 (QEMU's reads 0x20); an
	 * absent chip reads all ones. */
	if (ver == 0xFFFFFFFFu || (ver & 0xFF) < 0x10 || (ver & 0xFF) > 0x2F ||
	    gsi >= lines)
		return false;
	/* Fixed delivery, physical destination, active high, edge. */
	ioapic_write(IOREDTBL + 2 * gsi + 1, lapic_id() << 24);
	ioapic_write(IOREDTBL + 2 * gsi, vector);
	return true;
}
