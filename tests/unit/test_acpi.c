/*
 * ACPI table checks over crafted firmware memory: QEMU-shaped tables
 * parse to the CPUs, I/O APIC and overrides they describe; every bad
 * checksum, signature or length is refused with its own error; broken
 * MADT entries are dropped or refuse the table, never read past it; the
 * RSDP is found by scan and from PVH and Multiboot2 boot information; and
 * random damage to good tables never reads outside them (ASan watches).
 */
#include <stdlib.h>

#include "arch/x86_64/acpi.h"
#include "arch/x86_64/boot_proto.h"
#include "boot/rsdp.h"
#include "test.h"

#define MEM_SIZE	(2u << 20)
#define RSDP_PA		0xF5A40u
#define RSDT_PA		0x100000u
#define XSDT_PA		0x101000u
#define MADT_PA		0x102000u
#define FACP_PA		0x103000u

/* Fake physical memory: reads past its end are refused, as the kernel's
 * reader refuses what it cannot map. */
static uint8_t *mem;

static const void *
rd(void *ctx, uint64_t pa, uint64_t len)
{
	(void)ctx;
	if (pa >= MEM_SIZE || len > MEM_SIZE - pa)
		return NULL;
	return mem + pa;
}

static void
put16(uint32_t pa, uint16_t v)
{
	memcpy(mem + pa, &v, 2);
}

static void
put32(uint32_t pa, uint32_t v)
{
	memcpy(mem + pa, &v, 4);
}

static void
put64(uint32_t pa, uint64_t v)
{
	memcpy(mem + pa, &v, 8);
}

/* Sets the checksum byte at pa + at so that [pa, pa + len) sums to 0. */
static void
fix_sum(uint32_t pa, uint32_t len, uint32_t at)
{
	uint8_t s = 0;

	mem[pa + at] = 0;
	for (uint32_t i = 0; i < len; i++)
		s = (uint8_t)(s + mem[pa + i]);
	mem[pa + at] = (uint8_t)-s;
}

static void
header(uint32_t pa, const char *sig, uint32_t len)
{
	memcpy(mem + pa, sig, 4);
	put32(pa + 4, len);
	mem[pa + 8] = 1;
	memcpy(mem + pa + 10, "CAPOS ", 6);
}

static void
rsdp(uint32_t pa, int rev, uint32_t rsdt, uint64_t xsdt)
{
	memcpy(mem + pa, "RSD PTR ", 8);
	memcpy(mem + pa + 9, "CAPOS ", 6);
	mem[pa + 15] = (uint8_t)rev;
	put32(pa + 16, rsdt);
	fix_sum(pa, 20, 8);
	if (rev >= 2) {
		put32(pa + 20, 36);
		put64(pa + 24, xsdt);
		fix_sum(pa, 36, 32);
	}
}

/* An MADT being built at MADT_PA: entries appended, then closed. */
static uint32_t madt_len;

static void
madt_begin(void)
{
	madt_len = 44;
	memset(mem + MADT_PA, 0, 4096);
	put32(MADT_PA + 36, 0xFEE00000u);
	put32(MADT_PA + 40, 1);		/* PC-AT compatible */
}

static void
entry(const uint8_t *e, uint32_t len)
{
	memcpy(mem + MADT_PA + madt_len, e, len);
	madt_len += len;
}

static void
lapic(uint8_t uid, uint8_t id, uint32_t flags)
{
	uint8_t e[8] = { 0, 8, uid, id };

	memcpy(e + 4, &flags, 4);
	entry(e, 8);
}

static void
ioapic(uint8_t id, uint32_t addr, uint32_t gsi_base)
{
	uint8_t e[12] = { 1, 12, id, 0 };

	memcpy(e + 4, &addr, 4);
	memcpy(e + 8, &gsi_base, 4);
	entry(e, 12);
}

static void
override(uint8_t bus, uint8_t src, uint32_t gsi, uint16_t flags)
{
	uint8_t e[10] = { 2, 10, bus, src };

	memcpy(e + 4, &gsi, 4);
	memcpy(e + 8, &flags, 2);
	entry(e, 10);
}

static void
madt_end(void)
{
	header(MADT_PA, "APIC", madt_len);
	fix_sum(MADT_PA, madt_len, 9);
}

/* The shape QEMU's pc machine gives with -smp 4. */
static void
qemu_madt(void)
{
	madt_begin();
	for (uint8_t i = 0; i < 4; i++)
		lapic(i, i, 1);
	ioapic(0, 0xFEC00000u, 0);
	override(0, 0, 2, 0);
	override(0, 5, 5, 0xD);
	override(0, 9, 9, 0xD);
	override(0, 10, 10, 0xD);
	override(0, 11, 11, 0xD);
	{
		uint8_t nmi[6] = { 4, 6, 0xFF, 0, 0, 1 };

		entry(nmi, 6);
	}
	madt_end();
}

/* RSDT with a FACP before the MADT; a revision 0 RSDP at RSDP_PA. */
static void
qemu_tables(void)
{
	free(mem);
	mem = calloc(1, MEM_SIZE);
	header(FACP_PA, "FACP", 116);
	fix_sum(FACP_PA, 116, 9);
	qemu_madt();
	header(RSDT_PA, "RSDT", 36 + 8);
	put32(RSDT_PA + 36, FACP_PA);
	put32(RSDT_PA + 40, MADT_PA);
	fix_sum(RSDT_PA, 44, 9);
	rsdp(RSDP_PA, 0, RSDT_PA, 0);
}

static int
read_madt(struct acpi_madt *m)
{
	return acpi_read_madt(RSDP_PA, rd, NULL, m);
}

TEST(acpi_qemu_tables_parse)
{
	struct acpi_madt m;

	qemu_tables();
	CHECK_EQ(read_madt(&m), ACPI_OK);
	CHECK_EQ(m.ncpus, 4);
	for (uint32_t i = 0; i < 4; i++)
		CHECK_EQ(m.apic_ids[i], i);
	CHECK_EQ(m.nioapics, 1);
	CHECK_EQ_U64(m.ioapics[0].addr, 0xFEC00000u);
	CHECK_EQ(m.ioapics[0].gsi_base, 0);
	CHECK_EQ_U64(m.lapic_addr, 0xFEE00000u);
	CHECK_EQ(m.isa_gsi[0], 2);
	CHECK_EQ(m.isa_gsi[4], 4);
	CHECK_EQ(m.isa_flags[4], 0);
	CHECK_EQ(m.isa_gsi[9], 9);
	CHECK_EQ(ACPI_INTI_TRIGGER(m.isa_flags[9]), ACPI_INTI_LEVEL);
	CHECK_EQ(m.dropped, 0);
	free(mem);
	mem = NULL;
}

TEST(acpi_xsdt_preferred_when_it_checks_out)
{
	struct acpi_madt m;

	qemu_tables();
	/* An XSDT naming only the MADT, and an RSDT naming nothing useful:
	 * the MADT is found only if the XSDT is the one walked. */
	header(XSDT_PA, "XSDT", 36 + 8);
	put64(XSDT_PA + 36, MADT_PA);
	fix_sum(XSDT_PA, 44, 9);
	header(RSDT_PA, "RSDT", 36 + 4);
	put32(RSDT_PA + 36, FACP_PA);
	fix_sum(RSDT_PA, 40, 9);
	rsdp(RSDP_PA, 2, RSDT_PA, XSDT_PA);
	CHECK_EQ(read_madt(&m), ACPI_OK);
	CHECK_EQ(m.ncpus, 4);
	/* A broken extended checksum: the RSDT is used, and finds no MADT. */
	mem[RSDP_PA + 32]++;
	CHECK_EQ(read_madt(&m), ACPI_ERR_NO_MADT);
	/* A broken XSDT is not passed over for the RSDT. */
	rsdp(RSDP_PA, 2, RSDT_PA, XSDT_PA);
	mem[XSDT_PA + 40]++;
	CHECK_EQ(read_madt(&m), ACPI_ERR_ROOT);
	free(mem);
	mem = NULL;
}

TEST(acpi_bad_rsdp_and_root_refused)
{
	struct acpi_madt m;

	qemu_tables();
	CHECK_EQ(acpi_read_madt(0, rd, NULL, &m), ACPI_ERR_NO_RSDP);
	CHECK_EQ(acpi_read_madt(MEM_SIZE - 8, rd, NULL, &m), ACPI_ERR_NO_RSDP);
	mem[RSDP_PA + 12]++;				/* checksum */
	CHECK_EQ(read_madt(&m), ACPI_ERR_RSDP);
	rsdp(RSDP_PA, 0, RSDT_PA, 0);
	mem[RSDP_PA]++;					/* signature */
	fix_sum(RSDP_PA, 20, 8);
	CHECK_EQ(read_madt(&m), ACPI_ERR_RSDP);

	rsdp(RSDP_PA, 0, RSDT_PA, 0);
	mem[RSDT_PA + 37]++;				/* RSDT checksum */
	CHECK_EQ(read_madt(&m), ACPI_ERR_ROOT);
	qemu_tables();
	put32(RSDT_PA + 4, 35);				/* shorter than a header */
	fix_sum(RSDT_PA, 44, 9);
	CHECK_EQ(read_madt(&m), ACPI_ERR_ROOT);
	put32(RSDT_PA + 4, ACPI_TABLE_MAX + 1);		/* a lying length */
	CHECK_EQ(read_madt(&m), ACPI_ERR_ROOT);
	rsdp(RSDP_PA, 0, MEM_SIZE - 16, 0);		/* runs off memory */
	CHECK_EQ(read_madt(&m), ACPI_ERR_ROOT);
	rsdp(RSDP_PA, 0, MADT_PA, 0);			/* not an RSDT */
	CHECK_EQ(read_madt(&m), ACPI_ERR_ROOT);
	free(mem);
	mem = NULL;
}

TEST(acpi_madt_checksum_and_length_checked)
{
	struct acpi_madt m;

	qemu_tables();
	mem[MADT_PA + 50]++;
	CHECK_EQ(read_madt(&m), ACPI_ERR_NO_MADT);
	qemu_tables();
	/* A table length past what the reader maps is never read. */
	put32(MADT_PA + 4, MEM_SIZE);
	CHECK_EQ(read_madt(&m), ACPI_ERR_NO_MADT);
	/* A trailing partial RSDT entry is ignored, not read past. */
	qemu_tables();
	header(RSDT_PA, "RSDT", 36 + 4 + 3);
	put32(RSDT_PA + 36, MADT_PA);
	fix_sum(RSDT_PA, 43, 9);
	CHECK_EQ(read_madt(&m), ACPI_OK);
	free(mem);
	mem = NULL;
}

TEST(acpi_madt_entries_checked)
{
	struct acpi_madt m;
	uint8_t zero_len[2] = { 0, 0 }, short_cpu[4] = { 0, 4, 1, 1 };
	uint8_t overrun[8] = { 0, 200, 1, 1, 1, 0, 0, 0 };

	mem = calloc(1, MEM_SIZE);
	madt_begin();
	lapic(0, 0, 1);
	entry(zero_len, 2);
	madt_end();
	CHECK_EQ(acpi_parse_madt(mem + MADT_PA, madt_len, &m), ACPI_ERR_MADT);

	madt_begin();
	lapic(0, 0, 1);
	entry(overrun, 8);
	madt_end();
	CHECK_EQ(acpi_parse_madt(mem + MADT_PA, madt_len, &m), ACPI_ERR_MADT);

	/* One byte left over after the last entry: not an entry header. */
	madt_begin();
	lapic(0, 0, 1);
	madt_len++;
	madt_end();
	CHECK_EQ(acpi_parse_madt(mem + MADT_PA, madt_len, &m), ACPI_ERR_MADT);

	madt_begin();
	lapic(0, 0, 1);
	entry(short_cpu, 4);			/* too short: dropped */
	lapic(1, 1, 0);				/* disabled: not counted */
	lapic(2, 0, 1);				/* duplicate id */
	lapic(3, 0xFF, 1);			/* the broadcast id */
	lapic(4, 7, 3);
	ioapic(1, 0, 0);			/* no address */
	ioapic(2, 0xFEC00004u, 0);		/* misaligned */
	ioapic(3, 0xFEC01000u, 24);
	override(1, 4, 20, 0);			/* not ISA */
	override(0, 16, 20, 0);			/* no such ISA line */
	override(0, 4, 20, 0xF);
	{
		/* x2APIC entries: a small id joins, a large one cannot. */
		uint8_t x2[16] = { 9, 16, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0 };
		uint8_t x2big[16] = { 9, 16, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0 };

		entry(x2, 16);
		entry(x2big, 16);
	}
	madt_end();
	CHECK_EQ(acpi_parse_madt(mem + MADT_PA, madt_len, &m), ACPI_OK);
	CHECK_EQ(m.ncpus, 3);
	CHECK_EQ(m.apic_ids[0], 0);
	CHECK_EQ(m.apic_ids[1], 7);
	CHECK_EQ(m.apic_ids[2], 9);
	CHECK_EQ(m.nioapics, 1);
	CHECK_EQ_U64(m.ioapics[0].addr, 0xFEC01000u);
	CHECK_EQ(m.ioapics[0].gsi_base, 24);
	CHECK_EQ(m.isa_gsi[4], 20);
	CHECK_EQ(ACPI_INTI_POLARITY(m.isa_flags[4]), ACPI_INTI_ACTIVE_LOW);
	CHECK_EQ(m.dropped, 8);

	/* Only disabled CPUs: nothing to run on. */
	madt_begin();
	lapic(0, 0, 0);
	madt_end();
	CHECK_EQ(acpi_parse_madt(mem + MADT_PA, madt_len, &m), ACPI_ERR_NO_CPU);
	CHECK_EQ(acpi_parse_madt(mem + MADT_PA, 43, &m), ACPI_ERR_MADT);
	free(mem);
	mem = NULL;
}

TEST(acpi_madt_cpu_limit)
{
	struct acpi_madt m;

	mem = calloc(1, MEM_SIZE);
	madt_begin();
	for (uint32_t i = 0; i < ACPI_MAX_CPUS + 5; i++)
		lapic((uint8_t)i, (uint8_t)i, 1);
	madt_end();
	CHECK_EQ(acpi_parse_madt(mem + MADT_PA, madt_len, &m), ACPI_OK);
	CHECK_EQ(m.ncpus, ACPI_MAX_CPUS);
	CHECK_EQ(m.dropped, 5);
	free(mem);
	mem = NULL;
}

TEST(acpi_rsdp_scan)
{
	qemu_tables();
	CHECK_EQ_U64(acpi_scan_rsdp(rd, NULL), RSDP_PA);
	/* In the EBDA, which is looked at first. */
	put16(0x40E, 0x9FC0);
	rsdp(0x9FC00 + 0x40, 0, RSDT_PA, 0);
	CHECK_EQ_U64(acpi_scan_rsdp(rd, NULL), 0x9FC40);
	/* An EBDA pointer into nonsense is not followed. */
	put16(0x40E, 0x0010);
	CHECK_EQ_U64(acpi_scan_rsdp(rd, NULL), RSDP_PA);
	/* Bad checksum, or off a 16-byte boundary: not an RSDP. */
	mem[RSDP_PA + 8]++;
	CHECK_EQ_U64(acpi_scan_rsdp(rd, NULL), 0);
	memset(mem + RSDP_PA, 0, 36);
	rsdp(RSDP_PA + 4, 0, RSDT_PA, 0);
	CHECK_EQ_U64(acpi_scan_rsdp(rd, NULL), 0);
	/* The last possible slot of the BIOS area. */
	rsdp(0xFFFE0, 0, RSDT_PA, 0);
	CHECK_EQ_U64(acpi_scan_rsdp(rd, NULL), 0xFFFE0);
	free(mem);
	mem = NULL;
}

TEST(acpi_rsdp_from_boot_information)
{
	uint32_t mb = 0x10000;

	mem = calloc(1, MEM_SIZE);
	/* PVH: start_info.rsdp_paddr. */
	put32(0x6000, 0x336ec578u);
	put64(0x6000 + 24, RSDP_PA);
	CHECK_EQ_U64(bootinfo_rsdp(BOOT_PROTO_PVH, 0x6000, rd, NULL), RSDP_PA);
	put32(0x6000, 0);
	CHECK_EQ_U64(bootinfo_rsdp(BOOT_PROTO_PVH, 0x6000, rd, NULL), 0);

	/* Multiboot2: a command line tag, then tag 14 and tag 15. */
	put32(mb + 8, 1);
	put32(mb + 12, 13);			/* padded to 16 */
	put32(mb + 24, 14);
	put32(mb + 28, 8 + 20);			/* padded to 32 */
	put32(mb + 56, 15);
	put32(mb + 60, 8 + 36);			/* padded to 48 */
	put32(mb + 104, 0);
	put32(mb + 108, 8);
	put32(mb, 112);
	CHECK_EQ_U64(bootinfo_rsdp(BOOT_PROTO_MULTIBOOT2, mb, rd, NULL),
	    mb + 64);
	/* Only the old copy. */
	put32(mb + 56, 0);
	CHECK_EQ_U64(bootinfo_rsdp(BOOT_PROTO_MULTIBOOT2, mb, rd, NULL),
	    mb + 32);
	/* A tag whose size runs past the block ends the walk. */
	put32(mb + 28, 500);
	CHECK_EQ_U64(bootinfo_rsdp(BOOT_PROTO_MULTIBOOT2, mb, rd, NULL), 0);
	/* A copy too short for an RSDP is passed over. */
	put32(mb + 28, 8 + 12);
	CHECK_EQ_U64(bootinfo_rsdp(BOOT_PROTO_MULTIBOOT2, mb, rd, NULL), 0);
	/* A total size the reader cannot map. */
	put32(mb, MEM_SIZE);
	CHECK_EQ_U64(bootinfo_rsdp(BOOT_PROTO_MULTIBOOT2, mb, rd, NULL), 0);
	CHECK_EQ_U64(bootinfo_rsdp(99, mb, rd, NULL), 0);
	free(mem);
	mem = NULL;
}

/* Random damage to good tables: whatever the result, nothing outside the
 * tables is read (ASan) and what is reported stays within its limits. */
TEST(acpi_random_damage_stays_in_bounds)
{
	struct acpi_madt m;
	uint32_t seed = 12345;
	static const uint32_t spots[] = { RSDP_PA, RSDT_PA, MADT_PA };

	for (int iter = 0; iter < 3000; iter++) {
		uint32_t base, nflips;

		qemu_tables();
		seed = seed * 1103515245u + 12345u;
		base = spots[(seed >> 16) % 3];
		nflips = 1 + (seed >> 8) % 4;
		for (uint32_t f = 0; f < nflips; f++) {
			seed = seed * 1103515245u + 12345u;
			mem[base + (seed >> 16) % 64] ^= (uint8_t)(seed >> 8);
		}
		/* Half the time, damage goes unnoticed by the checksum. */
		if (iter % 2 == 0) {
			fix_sum(MADT_PA, madt_len, 9);
			fix_sum(RSDT_PA, 44, 9);
			fix_sum(RSDP_PA, 20, 8);
		}
		if (read_madt(&m) == ACPI_OK) {
			CHECK(m.ncpus >= 1 && m.ncpus <= ACPI_MAX_CPUS);
			CHECK(m.nioapics <= ACPI_MAX_IOAPICS);
		}
	}
	free(mem);
	mem = NULL;
}
