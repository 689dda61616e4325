/*
 * The scheduler: one CPU, round-robin over runnable threads, preemption on
 * the timer tick when the tick interrupted user mode. The kernel itself runs
 * with interrupts off, so it is never preempted and needs no locks.
 *
 * The boot thread becomes the idle thread (sched_run): it runs in the
 * kernel's own address space, frees what exited threads left behind, and
 * halts when nothing is runnable.
 */
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/timer.h"
#include "kernel.h"
#include "mm/vmm.h"
#include "proc/proc.h"
#include "proc/timeout.h"

#define MSR_FS_BASE	0xC0000100

void switch_stack(uint64_t *save_ksp, uint64_t new_ksp);

struct thread *current;
static struct thread idle;
static struct thread *rq_head, *rq_tail;
static uint64_t quantum_end;	/* when the running thread should yield */

void
sched_init(void)
{
	idle.state = T_RUNNING;
	idle.index = UINT32_MAX;
	current = &idle;
}

static void
rq_push(struct thread *t)
{
	t->run_next = NULL;
	if (rq_tail != NULL)
		rq_tail->run_next = t;
	else
		rq_head = t;
	rq_tail = t;
}

static struct thread *
rq_pop(void)
{
	struct thread *t = rq_head;

	if (t != NULL) {
		rq_head = t->run_next;
		if (rq_head == NULL)
			rq_tail = NULL;
		t->run_next = NULL;
	}
	return t;
}

/* Saves the outgoing thread's user state and loads the incoming one's. */
static void
switch_to(struct thread *next)
{
	struct thread *prev = current;

	if (prev == next)
		return;
	if (prev->proc != NULL) {
		__asm__ volatile("fxsave64 %0" : "=m"(prev->fpu));
		prev->fs_base = rdmsr(MSR_FS_BASE);
	}
	current = next;
	next->state = T_RUNNING;
	quantum_end = time_ns() + QUANTUM_NS;
	timer_arm_quantum(quantum_end);
	if (next->proc != NULL) {
		cpu_set_kernel_stack((uint64_t)next->kstack + KSTACK_SIZE);
		if (prev->proc == NULL || prev->proc->as.pml4 != next->proc->as.pml4)
			write_cr3(next->proc->as.pml4);
		__asm__ volatile("fxrstor64 %0" : : "m"(next->fpu));
		wrmsr(MSR_FS_BASE, next->fs_base);
	} else {
		write_cr3(vmm_kernel_pml4());
	}
	switch_stack(&prev->ksp, next->ksp);
	/* Back on a live thread's stack: what died meanwhile can go. */
	threads_reap();
}

/* Runs the next runnable thread, or idle; the caller set its own state. */
static void
schedule(void)
{
	struct thread *next = rq_pop();

	switch_to(next != NULL ? next : &idle);
}

void
sched_add(struct thread *t)
{
	t->state = T_RUNNABLE;
	rq_push(t);
}

void
sched_yield(void)
{
	if (rq_head == NULL || current == &idle)
		return;
	sched_add(current);
	schedule();
}

/* A blocked thread's deadline passed. */
static void
sleep_expired(struct timeout *to)
{
	struct thread *t = (struct thread *)((char *)to -
	    offsetof(struct thread, sleep));

	if (t->state != T_BLOCKED)
		return;
	t->timed_out = true;
	sched_add(t);
}

void
sched_block(enum wait_reason why, uint64_t deadline_ns)
{
	struct thread *t = current;

	if (t == &idle)
		panic("sched_block: the idle thread cannot block");
	t->state = T_BLOCKED;
	t->wait = why;
	t->timed_out = false;
	if (deadline_ns != 0) {
		t->sleep.fire = sleep_expired;
		timeout_arm(&t->sleep, deadline_ns);
		timer_reprogram();
	}
	schedule();
	timeout_cancel(&t->sleep);
	t->wait = WAIT_NONE;
}

void
sched_wake(struct thread *t)
{
	if (t->state != T_BLOCKED)
		return;
	timeout_cancel(&t->sleep);
	sched_add(t);
}

/* Drops a thread that is going away from every scheduler list. */
void
sched_forget(struct thread *t)
{
	timeout_cancel(&t->sleep);
	for (struct thread **pp = &rq_head; *pp != NULL;
	    pp = &(*pp)->run_next) {
		if (*pp == t) {
			*pp = t->run_next;
			if (rq_tail == t) {
				rq_tail = NULL;
				for (struct thread *q = rq_head; q != NULL;
				    q = q->run_next)
					rq_tail = q;
			}
			break;
		}
	}
}

/* Ends the current thread for good; its stack is freed from idle. */
void
sched_exit_current(void)
{
	current->state = T_DEAD;
	schedule();
	panic("sched_exit_current: a dead thread was scheduled");
}

uint64_t
sched_tick(int from_user)
{
	uint64_t now = time_ns();

	/* Only user mode is preempted; the kernel never is. */
	if (from_user && now >= quantum_end)
		sched_yield();
	if (current == &idle || quantum_end <= now)
		quantum_end = now + QUANTUM_NS;
	return quantum_end;
}

void
sched_run(void)
{
	for (;;) {
		threads_reap();
		kernel_idle();
		if (rq_head != NULL) {
			schedule();
			continue;
		}
		wait_for_interrupt();
		irq_disable();
	}
}
