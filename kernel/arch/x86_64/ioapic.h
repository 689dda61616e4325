/*
 * The I/O APICs: route an ISA interrupt line to a vector on this CPU's
 * local APIC. Where the chips are and how ISA lines map onto global
 * interrupts comes from the MADT (ioapic_configure); without one, the
 * standard PC layout is assumed (one chip at 0xFEC00000, ISA line n is
 * global interrupt n). A chip is checked before use: its version register
 * must read as an I/O APIC's.
 */
#ifndef CAPOS_IOAPIC_H
#define CAPOS_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/acpi.h"

/* Takes the chips and ISA overrides the MADT gave (copied). */
void ioapic_configure(const struct acpi_madt *m);

/* Routes ISA line irq (0-15) to vector, through the MADT's override for
 * it (global interrupt, polarity, trigger); false when no I/O APIC
 * answers for that global interrupt. */
bool ioapic_route_isa(uint8_t irq, uint8_t vector);

#endif
