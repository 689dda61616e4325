/*
 * ACPI tables: RSDP, RSDT/XSDT and MADT. Layouts follow the ACPI
 * specification (5.2.5 RSDP, 5.2.7 RSDT, 5.2.8 XSDT, 5.2.12 MADT). See
 * acpi.h for what is trusted (nothing).
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "arch/x86_64/acpi.h"
#include "bytes.h"

#define RSDP_V1_LEN		20
#define RSDP_V2_LEN		36
#define HDR_LEN			36	/* every system description table */
#define MADT_FIXED_LEN		44	/* header, local APIC address, flags */

#define MADT_LAPIC		0
#define MADT_IOAPIC		1
#define MADT_OVERRIDE		2
#define MADT_LAPIC_ADDR		5
#define MADT_X2APIC		9

#define LAPIC_ENABLED		1u
/* xAPIC destinations are 8 bits and 0xFF is the broadcast address. */
#define XAPIC_MAX_ID		0xFEu

#define EBDA_SEG_PTR		0x40E
#define EBDA_SCAN_LEN		1024
#define BIOS_AREA		0xE0000
#define BIOS_AREA_LEN		0x20000

/* ACPI checksums: all bytes of the structure sum to 0 modulo 256. */
static bool
sums_to_zero(const uint8_t *p, uint32_t len)
{
	uint8_t sum = 0;

	for (uint32_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum == 0;
}

/* A checked RSDP at p (at least RSDP_V1_LEN readable bytes). */
static bool
rsdp_ok(const uint8_t *p)
{
	return memcmp(p, "RSD PTR ", 8) == 0 && sums_to_zero(p, RSDP_V1_LEN);
}

/*
 * Maps a whole system description table at pa whose signature is sig:
 * its header first, then as many bytes as the header says, within
 * ACPI_TABLE_MAX, with the checksum over all of them. NULL if any of it
 * fails; *len is the table's length.
 */
static const uint8_t *
map_table(uint64_t pa, const char *sig, phys_reader read, void *ctx,
    uint32_t *len)
{
	const uint8_t *h, *t;
	uint32_t n;

	if (pa == 0 || (h = read(ctx, pa, HDR_LEN)) == NULL)
		return NULL;
	if (sig != NULL && memcmp(h, sig, 4) != 0)
		return NULL;
	n = rd32(h + 4);
	if (n < HDR_LEN || n > ACPI_TABLE_MAX)
		return NULL;
	if ((t = read(ctx, pa, n)) == NULL || memcmp(t, h, 8) != 0 ||
	    !sums_to_zero(t, n))
		return NULL;
	*len = n;
	return t;
}

static bool
has_cpu(const struct acpi_madt *m, uint32_t id)
{
	for (uint32_t i = 0; i < m->ncpus; i++)
		if (m->apic_ids[i] == id)
			return true;
	return false;
}

static void
add_cpu(struct acpi_madt *m, uint32_t id, uint32_t flags)
{
	if ((flags & LAPIC_ENABLED) == 0)
		return;		/* absent or only hot-pluggable: not started */
	if (id > XAPIC_MAX_ID || has_cpu(m, id) || m->ncpus == ACPI_MAX_CPUS) {
		m->dropped++;
		return;
	}
	m->apic_ids[m->ncpus++] = id;
}

static void
add_ioapic(struct acpi_madt *m, const uint8_t *e)
{
	uint32_t addr = rd32(e + 4);

	/* The registers are at +0 and +0x10 of a naturally aligned window. */
	if (addr == 0 || addr % 16 != 0 || m->nioapics == ACPI_MAX_IOAPICS) {
		m->dropped++;
		return;
	}
	m->ioapics[m->nioapics].id = e[2];
	m->ioapics[m->nioapics].addr = addr;
	m->ioapics[m->nioapics].gsi_base = rd32(e + 8);
	m->nioapics++;
}

static void
add_override(struct acpi_madt *m, const uint8_t *e)
{
	uint8_t bus = e[2], src = e[3];

	/* Only ISA (bus 0) lines are ours to remap. */
	if (bus != 0 || src >= ACPI_ISA_IRQS) {
		m->dropped++;
		return;
	}
	m->isa_gsi[src] = rd32(e + 4);
	m->isa_flags[src] = rd16(e + 8);
}

int
acpi_parse_madt(const uint8_t *t, uint32_t len, struct acpi_madt *m)
{
	/* The shortest entry of each type we read; others are skipped. */
	static const uint8_t min_len[] = {
		[MADT_LAPIC] = 8, [MADT_IOAPIC] = 12, [MADT_OVERRIDE] = 10,
		[MADT_LAPIC_ADDR] = 12, [MADT_X2APIC] = 16,
	};
	uint32_t off = MADT_FIXED_LEN;

	memset(m, 0, sizeof(*m));
	for (uint32_t i = 0; i < ACPI_ISA_IRQS; i++)
		m->isa_gsi[i] = i;
	if (len < MADT_FIXED_LEN)
		return ACPI_ERR_MADT;
	m->lapic_addr = rd32(t + HDR_LEN);
	while (off < len) {
		const uint8_t *e = t + off;
		uint8_t type, elen;

		/* Each entry's length must cover its own header and stay
		 * inside the table; otherwise nothing after it can be found. */
		if (len - off < 2 || (elen = e[1]) < 2 || elen > len - off)
			return ACPI_ERR_MADT;
		type = e[0];
		off += elen;
		if (type < sizeof(min_len) && min_len[type] != 0 &&
		    elen < min_len[type]) {
			m->dropped++;
			continue;
		}
		switch (type) {
		case MADT_LAPIC:
			add_cpu(m, e[3], rd32(e + 4));
			break;
		case MADT_X2APIC:
			add_cpu(m, rd32(e + 4), rd32(e + 8));
			break;
		case MADT_IOAPIC:
			add_ioapic(m, e);
			break;
		case MADT_OVERRIDE:
			add_override(m, e);
			break;
		case MADT_LAPIC_ADDR:
			m->lapic_addr = rd64(e + 4);
			break;
		default:
			break;
		}
	}
	return m->ncpus == 0 ? ACPI_ERR_NO_CPU : ACPI_OK;
}

int
acpi_read_madt(uint64_t rsdp_pa, phys_reader read, void *ctx,
    struct acpi_madt *out)
{
	const uint8_t *rsdp, *root, *madt;
	uint64_t root_pa = 0;
	uint32_t root_len, madt_len, esize;
	bool xsdt = false;

	if (rsdp_pa == 0 || (rsdp = read(ctx, rsdp_pa, RSDP_V1_LEN)) == NULL)
		return ACPI_ERR_NO_RSDP;
	if (!rsdp_ok(rsdp))
		return ACPI_ERR_RSDP;
	/* Revision 2 adds the XSDT, with its own length and checksum over
	 * the longer structure; used only when all of that holds. */
	if (rsdp[15] >= 2) {
		const uint8_t *r2 = read(ctx, rsdp_pa, RSDP_V2_LEN);

		if (r2 != NULL && rd32(r2 + 20) >= RSDP_V2_LEN &&
		    sums_to_zero(r2, RSDP_V2_LEN) && rd64(r2 + 24) != 0) {
			root_pa = rd64(r2 + 24);
			xsdt = true;
		}
	}
	if (!xsdt)
		root_pa = rd32(rsdp + 16);
	root = map_table(root_pa, xsdt ? "XSDT" : "RSDT", read, ctx, &root_len);
	if (root == NULL)
		return ACPI_ERR_ROOT;
	esize = xsdt ? 8 : 4;
	/* A trailing partial entry is ignored: (len - header) / size. */
	for (uint32_t off = HDR_LEN; root_len - off >= esize; off += esize) {
		uint64_t pa = xsdt ? rd64(root + off) : rd32(root + off);

		madt = map_table(pa, "APIC", read, ctx, &madt_len);
		if (madt != NULL)
			return acpi_parse_madt(madt, madt_len, out);
	}
	return ACPI_ERR_NO_MADT;
}

/* The first good RSDP in [pa, pa + len), on 16-byte boundaries, or 0. */
static uint64_t
scan(uint64_t pa, uint32_t len, phys_reader read, void *ctx)
{
	const uint8_t *p = read(ctx, pa, len);

	if (p == NULL)
		return 0;
	for (uint32_t off = 0; len - off >= RSDP_V1_LEN; off += 16)
		if (rsdp_ok(p + off))
			return pa + off;
	return 0;
}

uint64_t
acpi_scan_rsdp(phys_reader read, void *ctx)
{
	const uint8_t *seg = read(ctx, EBDA_SEG_PTR, 2);
	uint64_t ebda = seg != NULL ? (uint64_t)rd16(seg) << 4 : 0, pa = 0;

	/* The EBDA lies below the BIOS area; a pointer elsewhere is junk. */
	if (ebda >= 0x80000 && ebda < 0xA0000)
		pa = scan(ebda, EBDA_SCAN_LEN, read, ctx);
	if (pa == 0)
		pa = scan(BIOS_AREA, BIOS_AREA_LEN, read, ctx);
	return pa;
}

const char *
acpi_strerror(int err)
{
	switch (err) {
	case ACPI_OK:
		return "ok";
	case ACPI_ERR_NO_RSDP:
		return "no RSDP found";
	case ACPI_ERR_RSDP:
		return "the RSDP has a bad signature or checksum";
	case ACPI_ERR_ROOT:
		return "the RSDT/XSDT is unreadable or fails its checks";
	case ACPI_ERR_NO_MADT:
		return "no MADT with a good checksum";
	case ACPI_ERR_MADT:
		return "an MADT entry overruns the table";
	case ACPI_ERR_NO_CPU:
		return "the MADT lists no usable CPU";
	default:
		return "unknown error";
	}
}
