/*
 * CPU discovery from the MADT; see smp.h and docs/smp.md.
 */
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/boot_proto.h"
#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/smp.h"
#include "boot/rsdp.h"
#include "kernel.h"

static struct acpi_madt madt;
static bool have_madt;

/* An I/O APIC inside RAM or ACPI memory is a lie that would have the
 * kernel write registers into memory something else owns. */
static bool
ioapic_in_ram(const struct bootinfo *bi, uint64_t addr)
{
	for (uint32_t i = 0; i < bi->nregions; i++) {
		const struct mem_region *r = &bi->regions[i];

		if ((r->type == MEM_USABLE || r->type == MEM_ACPI_RECLAIM ||
		    r->type == MEM_ACPI_NVS) &&
		    range_overlaps(addr, 4096, r->base, r->len))
			return true;
	}
	return false;
}

static void
print_madt(uint64_t rsdp, const char *where)
{
	kprintf("acpi: RSDP at %#llx (%s), %u CPU%s, apic ids",
	    (unsigned long long)rsdp, where, madt.ncpus,
	    madt.ncpus == 1 ? "" : "s");
	for (uint32_t i = 0; i < madt.ncpus; i++)
		kprintf(" %u", madt.apic_ids[i]);
	if (madt.dropped != 0)
		kprintf(" (%u MADT entries left out)", madt.dropped);
	kprintf("\n");
	for (uint32_t i = 0; i < madt.nioapics; i++)
		kprintf("acpi: I/O APIC %u at %#x, global interrupts from %u\n",
		    madt.ioapics[i].id, madt.ioapics[i].addr,
		    madt.ioapics[i].gsi_base);
	for (uint32_t i = 0; i < ACPI_ISA_IRQS; i++)
		if (madt.isa_gsi[i] != i || madt.isa_flags[i] != 0)
			kprintf("acpi: ISA interrupt %u -> global %u%s%s\n", i,
			    madt.isa_gsi[i],
			    ACPI_INTI_POLARITY(madt.isa_flags[i]) ==
			    ACPI_INTI_ACTIVE_LOW ? ", active low" : "",
			    ACPI_INTI_TRIGGER(madt.isa_flags[i]) ==
			    ACPI_INTI_LEVEL ? ", level" : "");
}

void
smp_discover(const struct bootinfo *bi, uint32_t info_pa, phys_reader read,
    void *ctx)
{
	uint64_t rsdp = bootinfo_rsdp(bi->proto, info_pa, read, ctx);
	const char *where = bi->proto == BOOT_PROTO_PVH ? "from PVH" : "from Multiboot2";
	int err = ACPI_ERR_NO_RSDP;
	uint32_t kept = 0;

	if (rsdp != 0)
		err = acpi_read_madt(rsdp, read, ctx, &madt);
	/* The loader's copy may be wrong where the firmware's is not. */
	if (err != ACPI_OK && (rsdp = acpi_scan_rsdp(read, ctx)) != 0) {
		where = "BIOS area";
		err = acpi_read_madt(rsdp, read, ctx, &madt);
	}
	if (err != ACPI_OK) {
		kprintf("acpi: %s; running on the boot CPU with the standard "
		    "I/O APIC\n", acpi_strerror(err));
		return;
	}
	for (uint32_t i = 0; i < madt.nioapics; i++) {
		if (ioapic_in_ram(bi, madt.ioapics[i].addr)) {
			kprintf("acpi: I/O APIC at %#x lies in RAM; ignored\n",
			    madt.ioapics[i].addr);
			continue;
		}
		madt.ioapics[kept++] = madt.ioapics[i];
	}
	madt.nioapics = kept;
	have_madt = true;
	print_madt(rsdp, where);
	ioapic_configure(&madt);
}

uint32_t
smp_cpus_listed(void)
{
	return have_madt ? madt.ncpus : 1;
}
