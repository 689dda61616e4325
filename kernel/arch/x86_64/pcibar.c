/*
 * BAR sanity checks; see pcibar.h. A BAR a driver maps must not reach
 * RAM, the interrupt controllers, or registers of another device: a page
 * is the smallest unit the MMU can grant, so two devices' BARs within one
 * page are both refused.
 */
#include <stddef.h>

#include "arch/x86_64/pcibar.h"

#define PAGE		4096ull
#define LOW_LIMIT	0x100000ull		/* legacy VGA, option ROMs, BIOS */
#define PHYS_LIMIT	(1ull << 52)
#define CHIPSET_BASE	0xFEC00000ull		/* I/O APIC, HPET, TPM, LAPIC */
#define CHIPSET_END	0xFF000000ull

const char *
pci_bar_verdict_text(enum pci_bar_verdict v)
{
	switch (v) {
	case PCI_BAR_OK:		return "ok";
	case PCI_BAR_BAD_SIZE:		return "size is not a power of two";
	case PCI_BAR_MISALIGNED:	return "base is not aligned to the size";
	case PCI_BAR_BAD_RANGE:		return "address out of range";
	case PCI_BAR_RAM:		return "overlaps RAM";
	case PCI_BAR_CHIPSET:		return "overlaps the interrupt controllers";
	case PCI_BAR_SHARED:		return "shares a page with another device";
	}
	return "?";
}

static enum pci_bar_verdict
check_one(const struct pci_bar *b, const struct mem_region *regions,
    uint32_t nregions)
{
	if (b->size == 0 || (b->size & (b->size - 1)) != 0)
		return PCI_BAR_BAD_SIZE;
	if ((b->base & (b->size - 1)) != 0)
		return PCI_BAR_MISALIGNED;
	if (b->base < LOW_LIMIT || b->base >= PHYS_LIMIT ||
	    b->size > PHYS_LIMIT - b->base)
		return PCI_BAR_BAD_RANGE;
	for (uint32_t i = 0; i < nregions; i++) {
		const struct mem_region *r = &regions[i];

		if (r->type != MEM_USABLE && r->type != MEM_ACPI_RECLAIM &&
		    r->type != MEM_ACPI_NVS)
			continue;
		/* A region that wraps is clipped to the address space. */
		if (range_overlaps(b->base, b->size, r->base,
		    r->len > UINT64_MAX - r->base ? UINT64_MAX - r->base :
		    r->len))
			return PCI_BAR_RAM;
	}
	if (range_overlaps(b->base, b->size, CHIPSET_BASE,
	    CHIPSET_END - CHIPSET_BASE))
		return PCI_BAR_CHIPSET;
	return PCI_BAR_OK;
}

/* The page span of a BAR that passed check_one (so no wrap). */
static void
pages(const struct pci_bar *b, uint64_t *lo, uint64_t *len)
{
	*lo = b->base & ~(PAGE - 1);
	*len = ((b->base + b->size + PAGE - 1) & ~(PAGE - 1)) - *lo;
}

uint32_t
pci_bars_check(struct pci_dev *devs, uint32_t n,
    const struct mem_region *regions, uint32_t nregions,
    void (*refused)(const struct pci_dev *d, int bar,
    enum pci_bar_verdict v))
{
	uint8_t shared[PCI_MAX_DEVICES][6] = { { 0 } };
	uint32_t count = 0;

	if (n > PCI_MAX_DEVICES)
		n = PCI_MAX_DEVICES;
	for (uint32_t i = 0; i < n; i++)
		for (int j = 0; j < 6; j++) {
			struct pci_bar *b = &devs[i].bar[j];
			enum pci_bar_verdict v;

			if (!b->mem)
				continue;
			v = check_one(b, regions, nregions);
			if (v == PCI_BAR_OK)
				continue;
			b->mem = 0;
			count++;
			if (refused != NULL)
				refused(&devs[i], j, v);
		}
	/* Page sharing between devices, among the BARs left. */
	for (uint32_t i = 0; i < n; i++)
		for (int j = 0; j < 6; j++) {
			uint64_t alo, alen, blo, blen;

			if (!devs[i].bar[j].mem)
				continue;
			pages(&devs[i].bar[j], &alo, &alen);
			for (uint32_t k = i + 1; k < n; k++)
				for (int l = 0; l < 6; l++) {
					if (!devs[k].bar[l].mem)
						continue;
					pages(&devs[k].bar[l], &blo, &blen);
					if (range_overlaps(alo, alen, blo, blen))
						shared[i][j] = shared[k][l] = 1;
				}
		}
	for (uint32_t i = 0; i < n; i++)
		for (int j = 0; j < 6; j++) {
			if (!shared[i][j])
				continue;
			devs[i].bar[j].mem = 0;
			count++;
			if (refused != NULL)
				refused(&devs[i], j, PCI_BAR_SHARED);
		}
	return count;
}
