/*
 * The two ways into capOS converge here.
 *
 * PVH (QEMU -kernel, Firecracker): the ELF note below names _start_pvh; the
 * loader enters it in 32-bit protected mode, paging off, with %ebx holding
 * the physical address of the hvm_start_info structure.
 *
 * Multiboot2 (GRUB): the header below asks GRUB to load the ELF segments and
 * jump to the ELF entry, _start32, in 32-bit protected mode with %eax holding
 * the Multiboot2 magic and %ebx the boot information.
 *
 * Both record which protocol was used and where its information lives, build
 * boot page tables (identity map of the low 4 GiB so that boot information
 * and modules can be read, and the kernel's higher-half window), enter long
 * mode and call kmain(protocol, info_phys) on the kernel's own stack. The C
 * side replaces these page tables with its own before anything else runs.
 */
#include "boot_proto.h"

#define KERNEL_VMA	0xFFFFFFFF80000000

#define MB2_MAGIC	0xE85250D6
#define MB2_BOOT_MAGIC	0x36D76289

#define CR0_PE		(1 << 0)
#define CR0_WP		(1 << 16)
#define CR0_PG		(1 << 31)
#define CR4_PAE		(1 << 5)
#define MSR_EFER	0xC0000080
#define EFER_LME	(1 << 8)

#define PG_P		0x1
#define PG_W		0x2
#define PG_PS		0x80

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long	MB2_MAGIC
	.long	0				/* i386 protected mode */
	.long	mb2_header_end - mb2_header
	.long	-(MB2_MAGIC + (mb2_header_end - mb2_header))
	.balign 8
	.short	0, 0				/* end tag */
	.long	8
mb2_header_end:

	.section .note.Xen, "a", @note
	.balign 4
	.long	4				/* name size: "Xen\0" */
	.long	4				/* descriptor size */
	.long	18				/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz	"Xen"
	.balign 4
	.long	_start_pvh
	.balign 4

	.section .boot.text, "ax"
	.code32
	.globl	_start32
_start32:
	cli
	cmpl	$MB2_BOOT_MAGIC, %eax
	jne	no_boot
	movl	$BOOT_PROTO_MULTIBOOT2, %esi
	jmp	common32

	.globl	_start_pvh
_start_pvh:
	cli
	movl	$BOOT_PROTO_PVH, %esi

common32:
	movl	$boot_stack32_top, %esp
	movl	%esi, boot_proto
	movl	%ebx, boot_info_phys

	/* Long mode is required; stop at once if the CPU lacks it. */
	movl	$0x80000000, %eax
	cpuid
	cmpl	$0x80000001, %eax
	jb	no_boot
	movl	$0x80000001, %eax
	cpuid
	btl	$29, %edx
	jnc	no_boot

	/* Clear the boot page tables; loaders need not zero .boot.bss. */
	movl	$boot_pml4, %edi
	movl	$(boot_tables_end - boot_pml4) / 4, %ecx
	xorl	%eax, %eax
	rep stosl

	/* PML4[0] -> low PDPT (identity), PML4[511] -> high PDPT. */
	movl	$boot_pdpt_low + (PG_P | PG_W), boot_pml4
	movl	$boot_pdpt_high + (PG_P | PG_W), boot_pml4 + 511 * 8

	/* Low PDPT: four page directories cover 0..4 GiB. */
	movl	$boot_pd, %eax
	orl	$(PG_P | PG_W), %eax
	movl	$boot_pdpt_low, %edi
	movl	$4, %ecx
1:	movl	%eax, (%edi)
	addl	$4096, %eax
	addl	$8, %edi
	loop	1b

	/* High PDPT[510] -> the first page directory: -2 GiB maps 0..1 GiB. */
	movl	$boot_pd + (PG_P | PG_W), boot_pdpt_high + 510 * 8

	/* 2048 large pages of 2 MiB each; the high dword holds bits 32+. */
	movl	$boot_pd, %edi
	xorl	%eax, %eax			/* physical address, low 32 bits */
	xorl	%edx, %edx			/* physical address, high bits */
	movl	$2048, %ecx
2:	movl	%eax, %ebx
	orl	$(PG_P | PG_W | PG_PS), %ebx
	movl	%ebx, (%edi)
	movl	%edx, 4(%edi)
	addl	$0x200000, %eax
	adcl	$0, %edx
	addl	$8, %edi
	loop	2b

	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4

	movl	$boot_pml4, %eax
	movl	%eax, %cr3

	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr

	movl	%cr0, %eax
	orl	$(CR0_PE | CR0_WP | CR0_PG), %eax
	movl	%eax, %cr0

	lgdt	boot_gdt_ptr
	ljmp	$0x08, $long_mode

no_boot:
	/* Not a boot protocol we know, or no long mode: nothing to report to. */
	hlt
	jmp	no_boot

	.code64
long_mode:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	xorw	%ax, %ax
	movw	%ax, %fs
	movw	%ax, %gs
	movabsq	$higher_half, %rax
	jmp	*%rax

	.section .boot.data, "aw"
	.balign 8
boot_gdt:
	.quad	0
	.quad	0x00AF9A000000FFFF		/* 0x08: 64-bit kernel code */
	.quad	0x00CF92000000FFFF		/* 0x10: kernel data */
boot_gdt_end:
boot_gdt_ptr:
	.short	boot_gdt_end - boot_gdt - 1
	.long	boot_gdt

	.globl	boot_proto, boot_info_phys
boot_proto:
	.long	0
boot_info_phys:
	.long	0

	.section .boot.bss, "aw", @nobits
	.balign 4096
boot_pml4:	.skip 4096
boot_pdpt_low:	.skip 4096
boot_pdpt_high:	.skip 4096
boot_pd:	.skip 4 * 4096
boot_tables_end:
	.skip	1024
boot_stack32_top:

	.text
higher_half:
	/* Zero .bss before anything lives in it, the kernel stack included. */
	movabsq	$__bss_start, %rdi
	movabsq	$__bss_end, %rcx
	subq	%rdi, %rcx
	xorl	%eax, %eax
	rep stosb

	movabsq	$boot_stack_top, %rsp
	xorl	%ebp, %ebp
	movl	boot_proto, %edi
	movl	boot_info_phys, %esi
	call	kmain
3:	cli
	hlt
	jmp	3b

	.bss
	.balign 16
boot_stack:
	.skip	16384
	.globl	boot_stack_top
boot_stack_top:
