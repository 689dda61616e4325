/*
 * PCI enumeration. See pci.h. Bus numbers are scanned exhaustively (the
 * machines capOS runs on have few buses and no hot plug), BAR sizes are
 * found by the usual write-all-ones probe with decoding off.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/pci.h"
#include "arch/x86_64/pcibar.h"
#include "kernel.h"

#define PCI_ADDR	0xCF8
#define PCI_DATA	0xCFC
#define PCI_COMMAND	0x04
#define CMD_IO		0x1
#define CMD_MEM		0x2
#define PCI_STATUS_CAPS	0x10
#define CAP_MSIX	0x11

static struct pci_dev devs[PCI_MAX_DEVICES];
static uint32_t ndevs;

static uint32_t
addr(uint8_t bus, uint8_t slot, uint8_t fn, uint16_t off)
{
	return 0x80000000u | ((uint32_t)bus << 16) | ((uint32_t)slot << 11) |
	    ((uint32_t)fn << 8) | (off & 0xFC);
}

static uint32_t
read32(uint8_t bus, uint8_t slot, uint8_t fn, uint16_t off)
{
	outl(PCI_ADDR, addr(bus, slot, fn, off));
	return inl(PCI_DATA);
}

static void
write32(uint8_t bus, uint8_t slot, uint8_t fn, uint16_t off, uint32_t v)
{
	outl(PCI_ADDR, addr(bus, slot, fn, off));
	outl(PCI_DATA, v);
}

uint32_t
pci_read(const struct pci_dev *d, uint16_t off, int width)
{
	uint32_t v = read32(d->bus, d->slot, d->fn, off);

	v >>= (off & 3) * 8;
	return width == 4 ? v : v & ((1u << (width * 8)) - 1);
}

void
pci_write(const struct pci_dev *d, uint16_t off, int width, uint32_t v)
{
	uint32_t old, mask, shift = (off & 3) * 8;

	if (width == 4) {
		write32(d->bus, d->slot, d->fn, off, v);
		return;
	}
	old = read32(d->bus, d->slot, d->fn, off);
	mask = ((1u << (width * 8)) - 1) << shift;
	write32(d->bus, d->slot, d->fn, off, (old & ~mask) |
	    ((v << shift) & mask));
}

/* Sizes BAR i (and its upper half for 64-bit BARs); returns how many
 * BAR slots it used. */
static int
probe_bar(struct pci_dev *d, int i)
{
	uint16_t off = (uint16_t)(0x10 + 4 * i);
	uint32_t lo = read32(d->bus, d->slot, d->fn, off), hi = 0, szlo, szhi;
	bool is64 = (lo & 0x7) == 0x4;
	uint64_t size;

	if (lo & 1)
		return 1;		/* I/O space: not offered to drivers */
	write32(d->bus, d->slot, d->fn, off, 0xFFFFFFFF);
	szlo = read32(d->bus, d->slot, d->fn, off) & ~0xFu;
	write32(d->bus, d->slot, d->fn, off, lo);
	szhi = 0xFFFFFFFF;
	if (is64 && i < 5) {
		hi = read32(d->bus, d->slot, d->fn, off + 4);
		write32(d->bus, d->slot, d->fn, off + 4, 0xFFFFFFFF);
		szhi = read32(d->bus, d->slot, d->fn, off + 4);
		write32(d->bus, d->slot, d->fn, off + 4, hi);
	}
	size = ~(((uint64_t)szhi << 32) | szlo) + 1;
	if (szlo == 0 && (!is64 || szhi == 0))
		return is64 ? 2 : 1;	/* not implemented */
	d->bar[i].mem = true;
	d->bar[i].base = ((uint64_t)hi << 32) | (lo & ~0xFu);
	d->bar[i].size = is64 ? size : (uint32_t)size;
	return is64 ? 2 : 1;
}

static uint8_t
find_cap(struct pci_dev *d, uint8_t id)
{
	uint8_t p;
	int guard = 48;		/* a capability list cannot be longer */

	if (!(pci_read(d, 0x06, 2) & PCI_STATUS_CAPS))
		return 0;
	for (p = (uint8_t)pci_read(d, 0x34, 1) & 0xFC; p != 0 && guard-- > 0;
	    p = (uint8_t)pci_read(d, p + 1, 1) & 0xFC)
		if (pci_read(d, p, 1) == id)
			return p;
	return 0;
}

static void
add(uint8_t bus, uint8_t slot, uint8_t fn, uint32_t id)
{
	struct pci_dev *d;
	uint32_t cmd;

	if (ndevs == PCI_MAX_DEVICES)
		return;
	d = &devs[ndevs++];
	d->bus = bus;
	d->slot = slot;
	d->fn = fn;
	d->vendor = id & 0xFFFF;
	d->device = id >> 16;
	d->class_code = (uint8_t)pci_read(d, 0x0B, 1);
	d->subclass = (uint8_t)pci_read(d, 0x0A, 1);
	/* Decoding off while the BARs are probed. */
	cmd = pci_read(d, PCI_COMMAND, 2);
	pci_write(d, PCI_COMMAND, 2, cmd & ~(CMD_IO | CMD_MEM));
	if ((pci_read(d, 0x0E, 1) & 0x7F) == 0)
		for (int i = 0; i < 6;)
			i += probe_bar(d, i);
	pci_write(d, PCI_COMMAND, 2, cmd);
	d->msix_cap = find_cap(d, CAP_MSIX);
	kdebug("pci %02x:%02x.%x %04x:%04x class %02x.%02x%s\n", bus, slot,
	    fn, d->vendor, d->device, d->class_code, d->subclass,
	    d->msix_cap ? " msix" : "");
}

static void
bar_refused(const struct pci_dev *d, int bar, enum pci_bar_verdict v)
{
	kwarn("pci %02x:%02x.%x BAR%d %#llx+%#llx refused: %s\n", d->bus,
	    d->slot, d->fn, bar, (unsigned long long)d->bar[bar].base,
	    (unsigned long long)d->bar[bar].size, pci_bar_verdict_text(v));
}

void
pci_init(const struct mem_region *regions, uint32_t nregions)
{
	for (int bus = 0; bus < 256; bus++) {
		for (uint8_t slot = 0; slot < 32; slot++) {
			uint32_t id = read32((uint8_t)bus, slot, 0, 0);
			int nfn;

			if ((id & 0xFFFF) == 0xFFFF)
				continue;
			nfn = (read32((uint8_t)bus, slot, 0, 0x0C) >> 16) &
			    0x80 ? 8 : 1;
			for (uint8_t fn = 0; fn < nfn; fn++) {
				id = read32((uint8_t)bus, slot, fn, 0);
				if ((id & 0xFFFF) != 0xFFFF)
					add((uint8_t)bus, slot, fn, id);
			}
		}
	}
	(void)pci_bars_check(devs, ndevs, regions, nregions, bar_refused);
}

struct pci_dev *
pci_find(uint16_t vendor, uint16_t device, uint16_t index)
{
	for (uint32_t i = 0; i < ndevs; i++)
		if (devs[i].vendor == vendor &&
		    (device == 0 || devs[i].device == device) &&
		    index-- == 0)
			return &devs[i];
	return NULL;
}

uint32_t
pci_count(void)
{
	return ndevs;
}

struct pci_dev *
pci_at(uint32_t i)
{
	return i < ndevs ? &devs[i] : NULL;
}
