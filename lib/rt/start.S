/*
 * Process entry: the kernel starts the main thread here with %rdi holding
 * the start block's address and %rsp 8 bytes below a 16-byte boundary, as
 * after a call. rt_startup never returns.
 */
	.text
	.globl	_start
_start:
	xorl	%ebp, %ebp
	andq	$-16, %rsp
	call	rt_startup
	ud2

	/*
	 * A thread made by rt_thread_spawn starts here: %rdi holds its
	 * struct rt_thread, %rsi its ring, and FS points at the struct.
	 */
	.globl	rt_thread_entry
rt_thread_entry:
	xorl	%ebp, %ebp
	andq	$-16, %rsp
	call	rt_thread_start
	ud2

	.globl	cap_enter
cap_enter:
	movl	$0, %eax		/* CAPOS_SYS_CAP_ENTER */
	syscall
	ret

	.globl	sys_exit
sys_exit:
	movl	$1, %eax		/* CAPOS_SYS_EXIT */
	syscall
	ud2
