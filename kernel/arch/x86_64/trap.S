/*
 * Entry stubs for all 256 vectors. Vectors where the CPU pushes an error
 * code skip the dummy push, so every frame has the same shape (struct
 * trapframe in trap.h). Entry from user mode swaps in the kernel GS base.
 */
#include "arch/x86_64/frame.h"

#define TF_CS	(18 * 8)	/* offset of cs after the 17 words we push */

	.text
	.macro	vector n
	.balign 16
vec_\n:
	.if (\n == 8) || (\n >= 10 && \n <= 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
	.else
	pushq	$0
	.endif
	pushq	$\n
	jmp	trap_common
	.endm

	.globl	trap_vectors
	.balign	16
trap_vectors:
	.altmacro
	.set	i, 0
	.rept	256
	vector	%i
	.set	i, i + 1
	.endr

trap_common:
	PUSH_GPRS
	testb	$3, TF_CS(%rsp)
	jz	1f
	swapgs
1:	cld
	movq	%rsp, %rdi
	call	trap_dispatch

	/* Every return to a frame, also a new thread's first, comes here. */
	.globl	trap_return
trap_return:
	testb	$3, TF_CS(%rsp)
	jz	2f
	/* Still on the kernel GS: drop the big kernel lock (trap.c). */
	movq	%rsp, %rdi
	call	kernel_exit_to_user
	swapgs
2:	POP_GPRS
	addq	$16, %rsp
	iretq
