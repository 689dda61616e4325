/*
 * Sanity rules for the memory BARs firmware (or a hostile device) reports,
 * applied before any BAR is offered to a driver. Pure code, so the host
 * unit tests run it.
 */
#ifndef CAPOS_PCIBAR_H
#define CAPOS_PCIBAR_H

#include <stdint.h>

#include "arch/x86_64/pci.h"
#include "boot/bootinfo.h"

/* Why a BAR was refused; PCI_BAR_OK when it may be offered. */
enum pci_bar_verdict {
	PCI_BAR_OK = 0,
	PCI_BAR_BAD_SIZE,	/* zero, not a power of two */
	PCI_BAR_MISALIGNED,	/* base not a multiple of the size */
	PCI_BAR_BAD_RANGE,	/* base 0, below 1 MiB, past 2^52, wraps */
	PCI_BAR_RAM,		/* overlaps RAM the firmware reported */
	PCI_BAR_CHIPSET,	/* overlaps the I/O APIC..local APIC window */
	PCI_BAR_SHARED,		/* shares a page with another device's BAR */
};

const char *pci_bar_verdict_text(enum pci_bar_verdict v);

/*
 * Checks every memory BAR of devs[0..n) against the rules above and
 * against one another, clearing `mem` on each one refused; calls
 * refused(d, bar, verdict) for each (refused may be NULL). Returns how many
 * were refused.
 */
uint32_t pci_bars_check(struct pci_dev *devs, uint32_t n,
    const struct mem_region *regions, uint32_t nregions,
    void (*refused)(const struct pci_dev *d, int bar,
    enum pci_bar_verdict v));

#endif
