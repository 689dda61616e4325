/*
 * Entry stubs for all 256 vectors. Vectors where the CPU pushes an error
 * code skip the dummy push, so every frame has the same shape (struct
 * trapframe in trap.h). Entry from user mode swaps in the kernel GS base.
 */
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
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
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
	swapgs
2:	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp
	iretq
