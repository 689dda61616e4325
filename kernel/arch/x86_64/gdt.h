/*
 * Segment selectors. The order of the user segments is fixed by SYSRET:
 * user data must sit 8 bytes below user code.
 */
#ifndef CAPOS_GDT_H
#define CAPOS_GDT_H

#define SEL_KCODE	0x08
#define SEL_KDATA	0x10
#define SEL_UDATA	(0x18 | 3)
#define SEL_UCODE	(0x20 | 3)
#define SEL_TSS		0x28

/* Interrupt stack table slots, for faults that must not trust %rsp. */
#define IST_DOUBLE_FAULT	1
#define IST_NMI			2
#define IST_MACHINE_CHECK	3

#ifndef __ASSEMBLY__
#include <stdint.h>

#define IST_STACK_SIZE		8192

/* The boot CPU's GDT and TSS, with its static interrupt stacks. */
void gdt_init(void);
/* Loads CPU cpu's own GDT and TSS, with the interrupt stacks whose tops
 * are given (IST slots 1 to 3). */
void gdt_init_cpu(uint32_t cpu, const uint64_t ist_top[3]);
/* Sets the stack the CPU switches to on entry from user mode. */
void tss_set_kernel_stack(uint64_t rsp0);
#endif

#endif
