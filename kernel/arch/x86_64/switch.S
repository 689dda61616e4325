/*
 * void switch_stack(uint64_t *save_ksp, uint64_t new_ksp)
 *
 * Saves the callee-saved registers on the current kernel stack, stores the
 * stack pointer in *save_ksp and resumes the thread whose stack is new_ksp.
 * A new thread's stack is prepared (thread_create) so that this returns
 * into thread_first with its first user frame above.
 */
	.text
	.globl	switch_stack
switch_stack:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret

/*
 * A new thread's first code: switch_stack returns here on the stack
 * prepare_stack laid out. sched_resume finishes the switch (the thread
 * this CPU left is marked off it), then the thread leaves for user mode
 * through the frame above.
 */
	.globl	thread_first
thread_first:
	call	sched_resume
	jmp	trap_return
