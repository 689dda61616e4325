/*
 * The I/O APIC: routes a legacy (ISA) interrupt line to a vector on this
 * CPU's local APIC. Only what the console needs: one line, edge-triggered,
 * active high, as ISA lines are.
 */
#ifndef CAPOS_IOAPIC_H
#define CAPOS_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* Routes global interrupt gsi to vector; false when no I/O APIC answers
 * at the standard address or it has no such line. */
bool ioapic_route(uint32_t gsi, uint8_t vector);

#endif
