/*
 * The application processors' way in. A Startup IPI starts an AP in real
 * mode at the page its vector names; smp.c copies this code to
 * AP_TRAMPOLINE (0x8000) and fills in the data at its end first. From
 * there: protected mode on the trampoline's own GDT, PAE and long mode on
 * temporary page tables (smp.c builds them: the low 2 MiB identity-mapped
 * and the kernel half shared), then a call into the kernel proper,
 * ap_main(cpu), on the stack smp.c gave, which loads the kernel's tables.
 *
 * Nothing here runs where it was linked, so every address is written as
 * AP_TRAMPOLINE plus its offset from ap_trampoline_start.
 */
#include "arch/x86_64/smp.h"

#define REL(x)		(AP_TRAMPOLINE + (x) - ap_trampoline_start)

#define CR0_PE		(1 << 0)
#define CR0_WP		(1 << 16)
#define CR0_PG		(1 << 31)
#define CR4_PAE		(1 << 5)
#define MSR_EFER	0xC0000080
#define EFER_LME	(1 << 8)
#define EFER_NXE	(1 << 11)

	.section .rodata
	.balign 16
	.globl	ap_trampoline_start, ap_trampoline_end, ap_trampoline_data
	.code16
ap_trampoline_start:
	cli
	cld
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	lgdtl	REL(tramp_gdt_ptr)
	movl	%cr0, %eax
	orl	$CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	$0x08, $REL(tramp_32)

	.code32
tramp_32:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	REL(tramp_cr3), %eax
	movl	%eax, %cr3
	/* Long mode, and no-execute if the kernel's tables use it: an NX
	 * bit the CPU does not expect is a reserved-bit fault. */
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	cmpl	$0, REL(tramp_nx)
	je	1f
	orl	$EFER_NXE, %eax
1:	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_WP), %eax
	movl	%eax, %cr0
	ljmpl	$0x18, $REL(tramp_64)

	.code64
tramp_64:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movq	REL(tramp_stack), %rsp
	movl	REL(tramp_cpu), %edi
	movq	REL(tramp_entry), %rax
	xorl	%ebp, %ebp
	call	*%rax
2:	cli
	hlt
	jmp	2b

	.balign 8
tramp_gdt:
	.quad	0
	.quad	0x00CF9A000000FFFF		/* 0x08: 32-bit code */
	.quad	0x00CF92000000FFFF		/* 0x10: data */
	.quad	0x00AF9A000000FFFF		/* 0x18: 64-bit code */
tramp_gdt_end:
tramp_gdt_ptr:
	.short	tramp_gdt_end - tramp_gdt - 1
	.long	REL(tramp_gdt)

	/* Filled in by smp.c for each AP; struct ap_trampoline_data. */
	.balign 8
ap_trampoline_data:
tramp_cr3:	.quad	0
tramp_entry:	.quad	0
tramp_stack:	.quad	0
tramp_cpu:	.long	0
tramp_nx:	.long	0
ap_trampoline_end:
