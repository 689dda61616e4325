/*
 * The two system calls, and what happens when user code faults.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/trap.h"
#include "cap/call.h"
#include "kernel.h"
#include "proc/proc.h"

void syscall_dispatch(struct trapframe *tf);

void
syscall_dispatch(struct trapframe *tf)
{
	struct exit_status st = { .kind = EXIT_EXITED };

	sched_check_killed();
	switch (tf->rax) {
	case CAPOS_SYS_CAP_ENTER:
		/* Takes the BKL at the first entry that needs it. */
		tf->rax = (uint64_t)cap_enter((uint32_t)tf->rdi, tf->rsi);
		break;
	case CAPOS_SYS_EXIT:
		/* Dropped again in trap_return, on the way back to user
		 * mode, if it is ever reached. */
		bkl_acquire();
		sched_check_killed();
		st.code = (int32_t)tf->rdi;
		process_exit_current(st);
	default:
		tf->rax = (uint64_t)(int64_t)CAPOS_EINVAL;
		break;
	}
}

/* A user thread raised an exception: its process dies, the kernel goes on. */
void
user_fault(struct trapframe *tf)
{
	struct process *p = current->proc;
	struct exit_status st = { .kind = EXIT_FAULTED };

	st.fault_vector = (uint32_t)tf->vector;
	st.fault_ip = tf->rip;
	st.fault_addr = tf->vector == 14 ? read_cr2() : 0;
	kprintf("process %u (%s) faulted: vector %llu at ip %#llx, "
	    "address %#llx, error %#llx\n", p->pid, p->name,
	    (unsigned long long)tf->vector, (unsigned long long)st.fault_ip,
	    (unsigned long long)st.fault_addr, (unsigned long long)tf->error);
	process_kill(p, st);
}
