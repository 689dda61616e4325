/*
 * The kernel's page tables. See vmm.h.
 */
#include <stdbool.h>
#include <string.h>

#include "arch/x86_64/cpu.h"
#include "kernel.h"
#include "mm/pmm.h"
#include "mm/vmm.h"
#include "mm/mem.h"

#define LARGE_PAGE	0x200000ull

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];

static uint64_t direct_base;	/* 0 until the kernel tables are live */
static uint64_t kernel_pml4;
static uint64_t nx_bit;		/* PTE_NX when the CPU supports it */
static uint64_t table_frames;	/* frames holding the kernel's tables */

void *
phys_to_virt(uint64_t pa)
{
	return (void *)(uintptr_t)(pa + direct_base);
}

uint64_t
virt_to_phys(const void *va)
{
	uint64_t v = (uint64_t)(uintptr_t)va;

	if (v >= KERNEL_VMA)
		return v - KERNEL_VMA;
	return v - direct_base;
}

bool
vmm_nx_supported(void)
{
	return nx_bit != 0;
}

uint64_t
vmm_kernel_pml4(void)
{
	return kernel_pml4;
}

/* A fresh page table, or 0 when memory is out. */
static uint64_t
zeroed_frame(void)
{
	uint64_t pa = frame_alloc();

	if (pa == 0)
		return 0;
	memset(phys_to_virt(pa), 0, PAGE_SIZE);
	table_frames++;
	return pa;
}

uint64_t
vmm_table_frames(void)
{
	return table_frames;
}

/*
 * Returns the table `level` steps below the PML4 covering va (level 1 = the
 * page table), creating tables on the way when `create` is set, or NULL.
 */
static uint64_t *
walk(uint64_t pml4_pa, uint64_t va, int level, bool create)
{
	uint64_t *table = phys_to_virt(pml4_pa);
	uint64_t inter = PTE_P | PTE_W | (va < DIRECT_MAP_BASE ? PTE_U : 0);

	for (int shift = 39; shift > 12 + 9 * (level - 1); shift -= 9) {
		uint64_t *e = &table[(va >> shift) & 511];

		if (!(*e & PTE_P)) {
			uint64_t pa;

			if (!create || (pa = zeroed_frame()) == 0)
				return NULL;
			*e = pa | inter;
		} else if (*e & PTE_PS) {
			return NULL;
		}
		table = phys_to_virt(*e & PTE_ADDR);
	}
	return table;
}

int
vmm_map_page(uint64_t pml4_pa, uint64_t va, uint64_t pa, uint64_t flags)
{
	uint64_t *pt = walk(pml4_pa, va, 1, true);

	if (pt == NULL)
		return -1;
	if (!(flags & PTE_NX) || nx_bit != 0)
		pt[(va >> 12) & 511] = (pa & PTE_ADDR) | flags | PTE_P;
	else
		pt[(va >> 12) & 511] = (pa & PTE_ADDR) | (flags & ~PTE_NX) |
		    PTE_P;
	if (direct_base != 0)
		invlpg(va);
	return 0;
}

static void
map_large(uint64_t va, uint64_t pa, uint64_t flags)
{
	uint64_t *pd = walk(kernel_pml4, va, 2, true);

	if (pd == NULL)
		panic("vmm: cannot map a large page at %#llx",
		    (unsigned long long)va);
	pd[(va >> 21) & 511] = pa | flags | PTE_P | PTE_PS;
}

/* Direct-maps [base, end): large pages where aligned, 4 KiB at the edges. */
static void
direct_map_range(uint64_t base, uint64_t end)
{
	uint64_t flags = PTE_W | nx_bit;

	base = ALIGN_DOWN(base, PAGE_SIZE);
	end = ALIGN_UP(end, PAGE_SIZE);
	while (base < end) {
		if (base % LARGE_PAGE == 0 && base + LARGE_PAGE <= end) {
			map_large(DIRECT_MAP_BASE + base, base, flags);
			base += LARGE_PAGE;
		} else {
			if (vmm_map_page(kernel_pml4, DIRECT_MAP_BASE + base,
			    base, flags) != 0)
				panic("vmm: direct map collides at %#llx",
				    (unsigned long long)base);
			base += PAGE_SIZE;
		}
	}
}

static void
map_kernel_section(char *start, char *end, uint64_t flags)
{
	for (uint64_t va = (uint64_t)start; va < (uint64_t)end;
	    va += PAGE_SIZE)
		if (vmm_map_page(kernel_pml4, va, va - KERNEL_VMA, flags) != 0)
			panic("vmm: cannot map the kernel image");
}

void
vmm_init(const struct bootinfo *bi)
{
	uint32_t r[4];
	uint64_t *pml4;

	cpuid(0x80000001, 0, r);
	if (r[3] & (1u << 20)) {
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
		nx_bit = PTE_NX;
	}

	if ((kernel_pml4 = zeroed_frame()) == 0)
		panic("vmm: no memory for the kernel page tables");
	pml4 = phys_to_virt(kernel_pml4);
	for (int i = 256; i < 512; i++) {
		uint64_t pa = zeroed_frame();

		if (pa == 0)
			panic("vmm: no memory for the kernel page tables");
		pml4[i] = pa | PTE_P | PTE_W;
	}

	for (uint32_t i = 0; i < bi->nregions; i++) {
		const struct mem_region *m = &bi->regions[i];

		if (m->type == MEM_USABLE || m->type == MEM_ACPI_RECLAIM ||
		    m->type == MEM_ACPI_NVS)
			direct_map_range(m->base, m->base + m->len);
	}
	map_kernel_section(__text_start, __text_end, 0);
	map_kernel_section(__rodata_start, __rodata_end, nx_bit);
	map_kernel_section(__data_start, __data_end, PTE_W | nx_bit);

	write_cr3(kernel_pml4);
	direct_base = DIRECT_MAP_BASE;
}

void
vmm_unmap_kernel_page(uint64_t va)
{
	uint64_t *pt = walk(kernel_pml4, va, 1, false);

	if (pt != NULL) {
		pt[(va >> 12) & 511] = 0;
		invlpg(va);
	}
}

void *
vmm_map_mmio(uint64_t pa, uint64_t len)
{
	uint64_t end = ALIGN_UP(pa + len, PAGE_SIZE);

	for (uint64_t p = ALIGN_DOWN(pa, PAGE_SIZE); p < end; p += PAGE_SIZE)
		if (vmm_map_page(kernel_pml4, DIRECT_MAP_BASE + p, p,
		    PTE_W | PTE_PCD | PTE_PWT | nx_bit) != 0)
			return NULL;
	return phys_to_virt(pa);
}
