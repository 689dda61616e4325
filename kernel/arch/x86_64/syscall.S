/*
 * SYSCALL entry. The CPU arrives with user %rsp, %rcx = user %rip and
 * %r11 = user %rflags, interrupts masked (IA32_FMASK). The entry switches
 * to the thread's kernel stack, builds the same struct trapframe as an
 * interrupt (vector CAPOS_VEC_SYSCALL) and leaves through trap_return.
 */
#include "arch/x86_64/frame.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/percpu.h"

	.text
	.globl	syscall_entry
syscall_entry:
	swapgs
	movq	%rsp, %gs:PERCPU_USER_RSP
	movq	%gs:PERCPU_KSTACK_TOP, %rsp
	pushq	$SEL_UDATA
	pushq	%gs:PERCPU_USER_RSP
	pushq	%r11
	pushq	$SEL_UCODE
	pushq	%rcx
	pushq	$0
	pushq	$VEC_SYSCALL
	PUSH_GPRS
	cld
	movq	%rsp, %rdi
	call	syscall_dispatch
	jmp	trap_return
