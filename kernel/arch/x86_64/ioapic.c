/*
 * I/O APICs as the MADT describes them (see ioapic.h). Each chip serves
 * the global interrupts from its base up to its number of lines, which
 * its version register tells; its registers are reached through an index
 * (IOREGSEL) and a window (IOWIN).
 */
#include <stddef.h>

#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/timer.h"
#include "mm/vmm.h"

#define IOAPIC_DEFAULT	0xFEC00000ull
#define IOREGSEL	0x00
#define IOWIN		0x10
#define IOAPICVER	0x01
#define IOREDTBL	0x10
#define RTE_ACTIVE_LOW	(1u << 13)
#define RTE_LEVEL	(1u << 15)

static struct chip {
	uint64_t addr;
	uint32_t gsi_base;
	volatile uint32_t *regs;	/* mapped on first use */
} chips[ACPI_MAX_IOAPICS] = { { IOAPIC_DEFAULT, 0, NULL } };
static uint32_t nchips = 1;
static uint32_t isa_gsi[ACPI_ISA_IRQS] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
};
static uint16_t isa_flags[ACPI_ISA_IRQS];

void
ioapic_configure(const struct acpi_madt *m)
{
	nchips = m->nioapics;
	for (uint32_t i = 0; i < nchips; i++) {
		chips[i].addr = m->ioapics[i].addr;
		chips[i].gsi_base = m->ioapics[i].gsi_base;
		chips[i].regs = NULL;
	}
	for (uint32_t i = 0; i < ACPI_ISA_IRQS; i++) {
		isa_gsi[i] = m->isa_gsi[i];
		isa_flags[i] = m->isa_flags[i];
	}
}

static uint32_t
chip_read(struct chip *c, uint32_t reg)
{
	c->regs[IOREGSEL / 4] = reg;
	return c->regs[IOWIN / 4];
}

static void
chip_write(struct chip *c, uint32_t reg, uint32_t v)
{
	c->regs[IOREGSEL / 4] = reg;
	c->regs[IOWIN / 4] = v;
}

/* The chip serving gsi, checked and mapped, with gsi's line on it. */
static struct chip *
chip_for(uint32_t gsi, uint32_t *line)
{
	for (uint32_t i = 0; i < nchips; i++) {
		struct chip *c = &chips[i];
		uint32_t ver, lines;

		if (gsi < c->gsi_base)
			continue;
		if (c->regs == NULL &&
		    (c->regs = vmm_map_mmio(c->addr, 4096)) == NULL)
			return NULL;
		ver = chip_read(c, IOAPICVER);
		lines = ((ver >> 16) & 0xFF) + 1;
		/* I/O APICs report versions 0x11 to 0x20 (QEMU's reads
		 * 0x20); an absent chip reads all ones. */
		if (ver == 0xFFFFFFFFu || (ver & 0xFF) < 0x10 ||
		    (ver & 0xFF) > 0x2F)
			continue;
		if (gsi - c->gsi_base < lines) {
			*line = gsi - c->gsi_base;
			return c;
		}
	}
	return NULL;
}

bool
ioapic_route_isa(uint8_t irq, uint8_t vector)
{
	uint32_t gsi, line, rte = vector;
	uint16_t flags;
	struct chip *c;

	if (irq >= ACPI_ISA_IRQS)
		return false;
	gsi = isa_gsi[irq];
	flags = isa_flags[irq];
	if ((c = chip_for(gsi, &line)) == NULL)
		return false;
	/* ISA's own convention (flags 0) is active high, edge. */
	if (ACPI_INTI_POLARITY(flags) == ACPI_INTI_ACTIVE_LOW)
		rte |= RTE_ACTIVE_LOW;
	if (ACPI_INTI_TRIGGER(flags) == ACPI_INTI_LEVEL)
		rte |= RTE_LEVEL;
	/* Fixed delivery, physical destination: this CPU. */
	chip_write(c, IOREDTBL + 2 * line + 1, lapic_id() << 24);
	chip_write(c, IOREDTBL + 2 * line, rte);
	return true;
}
