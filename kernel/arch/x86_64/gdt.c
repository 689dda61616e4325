/*
 * The kernel's GDTs and TSSs, one of each per CPU: a loaded TSS is marked
 * busy, and each CPU needs its own rsp0 and interrupt stacks. The TSS
 * exists for the interrupt stacks (so a double fault on an overflowed
 * kernel stack still reports) and for rsp0.
 */
#include <string.h>

#include "arch/x86_64/gdt.h"
#include "arch/x86_64/percpu.h"


struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

static uint64_t gdts[SMP_MAX_CPUS][7];
static struct tss tsss[SMP_MAX_CPUS];
/* The boot CPU's; the APs' come from smp.c, allocated as they start. */
static uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

void
gdt_init(void)
{
	uint64_t ist[3];

	for (int i = 0; i < 3; i++)
		ist[i] = (uint64_t)&ist_stacks[i][IST_STACK_SIZE];
	gdt_init_cpu(0, ist);
}

void
gdt_init_cpu(uint32_t cpu, const uint64_t ist_top[3])
{
	uint64_t *gdt = gdts[cpu];
	struct tss *tss = &tsss[cpu];
	uint64_t base = (uint64_t)tss, limit = sizeof(*tss) - 1;
	struct desc_ptr ptr = { sizeof(gdts[0]) - 1, (uint64_t)gdt };

	gdt[0] = 0;
	gdt[1] = 0x00AF9A000000FFFFull;	/* kernel code, 64-bit */
	gdt[2] = 0x00CF92000000FFFFull;	/* kernel data */
	gdt[3] = 0x00CFF2000000FFFFull;	/* user data, DPL 3 */
	gdt[4] = 0x00AFFA000000FFFFull;	/* user code, 64-bit, DPL 3 */
	/* 64-bit available TSS: a 16-byte descriptor in slots 5 and 6. */
	gdt[5] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) |
	    (0x89ull << 40) | (((limit >> 16) & 0xF) << 48) |
	    (((base >> 24) & 0xFF) << 56);
	gdt[6] = base >> 32;

	memset(tss, 0, sizeof(*tss));
	tss->iomap_base = sizeof(*tss);	/* no I/O permission bitmap */
	for (int i = 0; i < 3; i++)
		tss->ist[i] = ist_top[i];

	__asm__ volatile(
	    "lgdt %0\n\t"
	    "pushq %1\n\t"
	    "leaq 1f(%%rip), %%rax\n\t"
	    "pushq %%rax\n\t"
	    "lretq\n"
	    "1:\n\t"
	    "movw %w2, %%ax\n\t"
	    "movw %%ax, %%ds\n\t"
	    "movw %%ax, %%es\n\t"
	    "movw %%ax, %%ss\n\t"
	    "ltr %w3"
	    : : "m"(ptr), "i"(SEL_KCODE), "r"(SEL_KDATA), "r"(SEL_TSS)
	    : "rax", "memory");
}

void
tss_set_kernel_stack(uint64_t rsp0)
{
	tsss[this_cpu()->id].rsp[0] = rsp0;
}
