/*
 * BAR sanity checks: the BARs QEMU's machines report pass; BARs reaching
 * RAM, the interrupt controllers, low memory, past physical addresses,
 * misaligned or odd-sized ones, and BARs of two devices in one page are
 * refused; a refused BAR is never offered (mem cleared).
 */
#include "arch/x86_64/pcibar.h"
#include "test.h"

static const struct mem_region ram[] = {
	{ 0x0, 0x9fc00, MEM_USABLE },
	{ 0x9fc00, 0x400, MEM_RESERVED },
	{ 0x100000, 0x7ee0000, MEM_USABLE },		/* to ~128 MiB */
	{ 0x7fe0000, 0x20000, MEM_RESERVED },
	{ 0xfeffc000, 0x4000, MEM_RESERVED },
	{ 0x100000000ull, 0x40000000ull, MEM_USABLE },	/* 4..5 GiB */
};
#define NRAM	(sizeof(ram) / sizeof(ram[0]))

static int nrefused, last_bar;
static enum pci_bar_verdict last;

static void
refused(const struct pci_dev *d, int bar, enum pci_bar_verdict v)
{
	(void)d;
	nrefused++;
	last_bar = bar;
	last = v;
}

/* The verdict on one device with one BAR at base/size. */
static enum pci_bar_verdict
verdict(uint64_t base, uint64_t size)
{
	struct pci_dev d = { 0 };

	d.bar[2] = (struct pci_bar){ base, size, true };
	nrefused = 0;
	last = PCI_BAR_OK;
	pci_bars_check(&d, 1, ram, NRAM, refused);
	if (nrefused != 0 && (d.bar[2].mem || last_bar != 2))
		return (enum pci_bar_verdict)-1;	/* offered anyway */
	return nrefused == 0 ? PCI_BAR_OK : last;
}

TEST(pcibar_ordinary_bars_pass)
{
	CHECK_EQ(verdict(0xfebf0000, 0x1000), PCI_BAR_OK);
	CHECK_EQ(verdict(0xfe000000, 0x4000), PCI_BAR_OK);
	CHECK_EQ(verdict(0x800000000ull, 0x100000), PCI_BAR_OK);
	CHECK_EQ(verdict(0xfebf1000, 0x100), PCI_BAR_OK);	/* sub-page */
}

TEST(pcibar_bad_size_and_alignment_refused)
{
	CHECK_EQ(verdict(0xfebf0000, 0), PCI_BAR_BAD_SIZE);
	CHECK_EQ(verdict(0xfebf0000, 0x3000), PCI_BAR_BAD_SIZE);
	CHECK_EQ(verdict(0xfebf1000, 0x4000), PCI_BAR_MISALIGNED);
}

TEST(pcibar_out_of_range_refused)
{
	CHECK_EQ(verdict(0, 0x1000), PCI_BAR_BAD_RANGE);
	CHECK_EQ(verdict(0xa0000, 0x20000), PCI_BAR_BAD_RANGE);
	CHECK_EQ(verdict(1ull << 52, 0x1000), PCI_BAR_BAD_RANGE);
	CHECK_EQ(verdict(0x8000000000000000ull, 0x8000000000000000ull),
	    PCI_BAR_BAD_RANGE);
}

TEST(pcibar_ram_and_chipset_refused)
{
	CHECK_EQ(verdict(0x200000, 0x1000), PCI_BAR_RAM);
	CHECK_EQ(verdict(0x4000000, 0x4000000), PCI_BAR_RAM);	/* straddles */
	CHECK_EQ(verdict(0x100000000ull, 0x10000000), PCI_BAR_RAM);
	CHECK_EQ(verdict(0xfee00000, 0x1000), PCI_BAR_CHIPSET);
	CHECK_EQ(verdict(0xfec00000, 0x1000), PCI_BAR_CHIPSET);
	CHECK_EQ(verdict(0xfe000000, 0x1000000), PCI_BAR_CHIPSET);
	/* Reserved (not RAM) ranges are where firmware puts MMIO. */
	CHECK_EQ(verdict(0x7fe0000, 0x20000), PCI_BAR_OK);
}

TEST(pcibar_page_sharing_between_devices_refused)
{
	struct pci_dev d[3] = { 0 };

	/* Two devices with sub-page BARs in one page: both refused. */
	d[0].bar[0] = (struct pci_bar){ 0xfebf1000, 0x100, true };
	d[1].bar[1] = (struct pci_bar){ 0xfebf1800, 0x100, true };
	/* One device's two BARs in one page: its own, so allowed. */
	d[2].bar[0] = (struct pci_bar){ 0xfebf4000, 0x100, true };
	d[2].bar[2] = (struct pci_bar){ 0xfebf4100, 0x100, true };
	nrefused = 0;
	CHECK_EQ(pci_bars_check(d, 3, ram, NRAM, refused), 2);
	CHECK_EQ(nrefused, 2);
	CHECK_EQ(last, PCI_BAR_SHARED);
	CHECK(!d[0].bar[0].mem && !d[1].bar[1].mem);
	CHECK(d[2].bar[0].mem && d[2].bar[2].mem);

	/* A BAR refused for another reason does not take its neighbour. */
	d[0].bar[0] = (struct pci_bar){ 0xfebf1000, 0x300, true };
	d[1].bar[1] = (struct pci_bar){ 0xfebf1800, 0x100, true };
	nrefused = 0;
	CHECK_EQ(pci_bars_check(d, 2, ram, NRAM, refused), 1);
	CHECK(!d[0].bar[0].mem && d[1].bar[1].mem);
	CHECK_EQ(last, PCI_BAR_BAD_SIZE);
}

TEST(pcibar_wrapping_region_and_texts)
{
	static const struct mem_region wrap[] = {
		{ 0xfff0000000000000ull, 0x20000000000000ull, MEM_USABLE },
	};
	struct pci_dev d = { 0 };

	d.bar[0] = (struct pci_bar){ 0xfebf0000, 0x1000, true };
	CHECK_EQ(pci_bars_check(&d, 1, wrap, 1, NULL), 0);
	CHECK(d.bar[0].mem);
	CHECK_STR(pci_bar_verdict_text(PCI_BAR_SHARED),
	    "shares a page with another device");
}
