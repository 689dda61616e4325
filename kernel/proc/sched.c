/*
 * The scheduler: round-robin over runnable threads, preemption on the
 * timer tick when the tick interrupted user mode. The kernel runs with
 * interrupts off and is never preempted.
 *
 * On several CPUs the kernel is one critical section under the big kernel
 * lock (docs/smp.md): a CPU holds it whenever it runs kernel code, so the
 * one run queue and every other kernel structure are touched by one CPU
 * at a time. Each CPU has its own current thread, idle thread and quantum
 * (struct percpu). A thread may stop on one CPU and resume on another;
 * on_cpu says whether a CPU is still on its stack.
 *
 * Each CPU's boot thread becomes its idle thread (sched_run): it runs in
 * the kernel's own address space, frees what exited threads left behind,
 * and halts, without the lock, when nothing is runnable.
 */
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/timer.h"
#include "kernel.h"
#include "mm/vmm.h"
#include "proc/proc.h"
#include "proc/timeout.h"

#define MSR_FS_BASE	0xC0000100

void switch_stack(uint64_t *save_ksp, uint64_t new_ksp);

static struct thread idle_threads[SMP_MAX_CPUS];
static struct thread *rq_head, *rq_tail;

void
sched_init(void)
{
	struct percpu *me = this_cpu();
	struct thread *idle = &idle_threads[me->id];

	idle->state = T_RUNNING;
	idle->index = UINT32_MAX;
	idle->on_cpu = me->id + 1;
	me->idle = idle;
	me->cur = idle;
	me->loaded_pml4 = vmm_kernel_pml4();
}

/* The thread this CPU just left is off its stack now. */
void
sched_finish_switch(void)
{
	struct percpu *me = this_cpu();

	if (me->switched_from != NULL) {
		me->switched_from->on_cpu = 0;
		me->switched_from = NULL;
	}
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
	struct percpu *me = this_cpu();
	struct thread *prev = me->cur;

	if (prev == next)
		return;
	/* A thread another CPU has just left may be picked before that CPU
	 * is off its stack only without the lock; with it, never. */
	if (next->on_cpu != 0)
		panic("sched: thread %u is still on cpu %u", next->index,
		    next->on_cpu - 1);
	if (prev->proc != NULL) {
		__asm__ volatile("fxsave64 %0" : "=m"(prev->fpu));
		prev->fs_base = rdmsr(MSR_FS_BASE);
	}
	me->cur = next;
	next->state = T_RUNNING;
	next->on_cpu = me->id + 1;
	me->quantum_end = time_ns() + QUANTUM_NS;
	timer_arm_quantum(me->quantum_end);
	if (next->proc != NULL) {
		me->user_runs++;
		cpu_set_kernel_stack((uint64_t)next->kstack + KSTACK_SIZE);
		if (prev->proc == NULL || prev->proc->as.pml4 != next->proc->as.pml4)
			write_cr3(next->proc->as.pml4);
		me->loaded_pml4 = next->proc->as.pml4;
		__asm__ volatile("fxrstor64 %0" : : "m"(next->fpu));
		wrmsr(MSR_FS_BASE, next->fs_base);
	} else {
		write_cr3(vmm_kernel_pml4());
		me->loaded_pml4 = vmm_kernel_pml4();
	}
	me->switched_from = prev;
	switch_stack(&prev->ksp, next->ksp);
	/* Back on a live thread's stack, perhaps on another CPU: the one
	 * this CPU left may now run elsewhere or be reaped. */
	sched_finish_switch();
	threads_reap();
}

/* Runs the next runnable thread, or idle; the caller set its own state. */
static void
schedule(void)
{
	struct thread *next = rq_pop();

	switch_to(next != NULL ? next : this_cpu()->idle);
}

void
sched_add(struct thread *t)
{
	/* A stopped thread's process is being torn down under it. */
	if (t->state == T_DEAD)
		panic("sched_add: thread %u is dead", t->index);
	t->state = T_RUNNABLE;
	rq_push(t);
	/* A CPU halted in its idle loop would not look until its next
	 * interrupt. */
	smp_wake_idle();
}

void
sched_yield(void)
{
	/* A thread stopped by another CPU while it ran here is not queued
	 * again: it leaves on its way back to user mode. */
	if (rq_head == NULL || current == this_cpu()->idle ||
	    current->state == T_DEAD)
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

	if (t == this_cpu()->idle)
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
	struct percpu *me;
	uint64_t now = time_ns();

	/* Only user mode is preempted; the kernel never is. */
	if (from_user && now >= this_cpu()->quantum_end)
		sched_yield();
	me = this_cpu();
	if (current == me->idle || me->quantum_end <= now)
		me->quantum_end = now + QUANTUM_NS;
	return me->quantum_end;
}

void
sched_check_killed(void)
{
	/* Stopped by another CPU while it ran here in user mode. */
	if (current->state == T_DEAD)
		sched_exit_current();
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
		/* Marked halted before the lock goes: a wake IPI sent after
		 * the mark arrives at the hlt below and ends it. */
		this_cpu()->halted = 1;
		bkl_release();
		wait_for_interrupt();
		irq_disable();
		bkl_acquire();
		this_cpu()->halted = 0;
	}
}
