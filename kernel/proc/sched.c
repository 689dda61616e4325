/*
 * The scheduler: round-robin over runnable threads, preemption on the
 * timer tick when the tick interrupted user mode. The kernel runs with
 * interrupts off and is never preempted.
 *
 * Each CPU has its own run queue (struct percpu) and its own current
 * thread, idle thread and quantum. A thread belongs to the queue of the
 * CPU it last ran on (t->cpu): a wake-up posts it there and, if that CPU
 * halts in its idle loop, sends it a wake IPI; if that CPU is busy and
 * another halts, the thread goes to the halted one. A CPU whose queue is
 * empty steals from the longest other queue of a busy CPU (docs/smp.md,
 * "Run queues and work stealing").
 *
 * On several CPUs the kernel is one critical section under the big kernel
 * lock (docs/smp.md): a CPU holds it whenever it runs kernel code, so the
 * run queues, another CPU's too when stealing, are touched by one CPU at
 * a time. A thread may stop on one CPU and resume on another; on_cpu
 * says whether a CPU is still on its stack.
 *
 * Each CPU's boot thread becomes its idle thread (sched_run): it runs in
 * the kernel's own address space, frees what exited threads left behind,
 * and halts, without the lock, when nothing is runnable or stealable.
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

void
sched_init(void)
{
	struct percpu *me = this_cpu();
	struct thread *idle = &idle_threads[me->id];

	idle->state = T_RUNNING;
	idle->index = UINT32_MAX;
	idle->cpu = me->id;
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

/* Queues t at the tail of cpu's run queue, which it now belongs to. */
static void
rq_push(struct percpu *cpu, struct thread *t)
{
	if (t->cpu != cpu->id && t->cpu != NO_CPU)
		this_cpu()->stat.migrations++;
	t->cpu = cpu->id;
	t->run_next = NULL;
	if (cpu->rq_tail != NULL)
		cpu->rq_tail->run_next = t;
	else
		cpu->rq_head = t;
	cpu->rq_tail = t;
	cpu->rq_len++;
	/* A thread's pin changes only while it runs, never while queued. */
	if (t->pin == NO_CPU)
		cpu->rq_stealable++;
}

/* Takes t off cpu's run queue, if it is there. */
static void
rq_remove(struct percpu *cpu, struct thread *t)
{
	struct thread *prev = NULL;

	for (struct thread *q = cpu->rq_head; q != NULL; q = q->run_next) {
		if (q == t) {
			if (prev != NULL)
				prev->run_next = t->run_next;
			else
				cpu->rq_head = t->run_next;
			if (cpu->rq_tail == t)
				cpu->rq_tail = prev;
			t->run_next = NULL;
			cpu->rq_len--;
			if (t->pin == NO_CPU)
				cpu->rq_stealable--;
			return;
		}
		prev = q;
	}
}

/*
 * Takes a thread for me from the longest other queue holding at least
 * min threads more than mine and one not kept to its CPU, of a CPU busy
 * with a thread (one in its idle loop is about to run its own queue: a
 * thread just posted to a CPU being woken for it stays there). The
 * newest it may take is taken: the oldest is the one its own CPU runs
 * next, and the newest has had the least time to warm that CPU's cache.
 */
static struct thread *
rq_steal(struct percpu *me, uint32_t min)
{
	struct percpu *victim = NULL;
	struct thread *t;

	for (uint32_t c = 0; c < smp_cpus_online(); c++) {
		struct percpu *p = &cpus[c];

		if (p != me && p->idle != NULL && p->cur != p->idle &&
		    p->rq_stealable != 0 && p->rq_len >= me->rq_len + min &&
		    (victim == NULL || p->rq_len > victim->rq_len))
			victim = p;
	}
	if (victim == NULL)
		return NULL;
	/* The newest that may run here: a pinned thread stays. */
	t = NULL;
	for (struct thread *q = victim->rq_head; q != NULL; q = q->run_next)
		if (q->pin == NO_CPU)
			t = q;
	if (t == NULL)
		return NULL;
	rq_remove(victim, t);
	me->stat.steals++;
	return t;
}

/* Whether me has a thread waiting in its queue or one it could steal
 * (rq_steal's test), read without the lock: a hint, for the lock-free
 * tick and idle loop. */
bool
sched_work_hint(const struct percpu *me)
{
	uint32_t mine = __atomic_load_n(&me->rq_len, __ATOMIC_RELAXED);

	if (mine != 0)
		return true;
	for (uint32_t c = 0; c < smp_cpus_online(); c++) {
		const struct percpu *p = &cpus[c];

		if (p != me && p->idle != NULL &&
		    __atomic_load_n(&p->cur, __ATOMIC_RELAXED) != p->idle &&
		    __atomic_load_n(&p->rq_stealable, __ATOMIC_RELAXED) != 0 &&
		    __atomic_load_n(&p->rq_len, __ATOMIC_RELAXED) > mine)
			return true;
	}
	return false;
}

/* Whether the idle loop, woken only by lock-free ticks, has anything to
 * take the lock for: a thread to run or steal, something to reap, the
 * shutdown to finish. */
static bool
idle_work_hint(const struct percpu *me)
{
	return sched_work_hint(me) || threads_reap_pending() ||
	    kernel_stopping();
}

/* The next thread this CPU runs: the oldest of its own queue, else one
 * stolen, else none. */
static struct thread *
rq_next(struct percpu *me)
{
	struct thread *t = me->rq_head;

	if (t == NULL)
		return rq_steal(me, 1);
	rq_remove(me, t);
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
	if (next->cpu != me->id && next->cpu != NO_CPU)
		me->stat.migrations++;
	next->cpu = me->id;
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

static void handoff_place(struct percpu *me, bool blocking);

/* Runs the next runnable thread, or idle; the caller set its own state. */
static void
schedule(void)
{
	struct percpu *me = this_cpu();
	struct thread *next;

	handoff_place(me, current->state == T_BLOCKED ||
	    current->state == T_DEAD);
	next = rq_next(me);

	switch_to(next != NULL ? next : me->idle);
}

/* A CPU other than me halted in its idle loop, if there is one. */
static struct percpu *
halted_cpu(struct percpu *me)
{
	for (uint32_t c = 0; c < smp_cpus_online(); c++)
		if (&cpus[c] != me &&
		    __atomic_load_n(&cpus[c].halted, __ATOMIC_ACQUIRE))
			return &cpus[c];
	return NULL;
}

/* How much a CPU has to run: its queue and a running thread. */
static uint32_t
cpu_load(const struct percpu *p)
{
	return p->rq_len + (p->cur != p->idle);
}

/*
 * The CPU a new thread starts on: the least loaded, and on a tie the
 * first after this one, so that threads a process starts together spread
 * over the CPUs rather than queue behind their creator.
 */
static struct percpu *
place_new(struct percpu *me)
{
	uint32_t n = smp_cpus_online();
	struct percpu *best = NULL;

	for (uint32_t i = 1; i <= n; i++) {
		struct percpu *p = &cpus[(me->id + i) % n];

		if (p->idle != NULL &&
		    (best == NULL || cpu_load(p) < cpu_load(best)))
			best = p;
	}
	return best;
}

/* Queues t, runnable, where it runs soonest: its own CPU, or a halted
 * one if its own is busy. A pinned thread goes to its CPU. */
static void
place(struct percpu *me, struct thread *t)
{
	struct percpu *home, *idle;

	if (t->pin != NO_CPU)
		home = &cpus[t->pin];
	else if (t->cpu == NO_CPU)
		home = place_new(me);
	else
		home = &cpus[t->cpu];
	/* Its own CPU would run it only at its next switch: a CPU halted
	 * in its idle loop runs it now, and it belongs there from now on. */
	if (t->pin == NO_CPU && home->cur != home->idle &&
	    (idle = halted_cpu(me)) != NULL)
		home = idle;
	rq_push(home, t);
	if (home != me)
		smp_wake_halted(home->id);
}

/*
 * The hand-off. A thread woken by the thread running here (an endpoint
 * call meeting its server, a reply, a park wake) is held back until that
 * thread blocks or returns to user mode. If it blocks, as a client does
 * after its call, the first thread it woke runs here in its place: no
 * wake IPI, no second CPU entering the kernel for the lock, and both
 * ends of a call keep one cache. If it goes on running, the threads it
 * woke are placed as any wake-up is, on a halted CPU if its own is busy.
 */
static void
handoff_place(struct percpu *me, bool blocking)
{
	uint32_t n = me->nhandoff;

	me->nhandoff = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct thread *t = me->handoff[i];

		t->handoff = 0;
		if (blocking && i == 0 && me->rq_head == NULL) {
			me->stat.handoffs++;
			rq_push(me, t);
		} else {
			place(me, t);
		}
	}
}

void
sched_add(struct thread *t)
{
	struct percpu *me = this_cpu();

	/* A stopped thread's process is being torn down under it. */
	if (t->state == T_DEAD)
		panic("sched_add: thread %u is dead", t->index);
	t->state = T_RUNNABLE;
	if (t->cpu != NO_CPU && t->pin == NO_CPU && current != me->idle &&
	    me->nhandoff < PERCPU_HANDOFF_MAX && smp_cpus_online() > 1) {
		t->handoff = me->id + 1;
		me->handoff[me->nhandoff++] = t;
		return;
	}
	place(me, t);
}

bool
sched_pin_current(uint32_t cpu)
{
	if (cpu != NO_CPU && (cpu >= smp_cpus_online() ||
	    cpus[cpu].idle == NULL))
		return false;
	current->pin = cpu;
	return true;
}

void
sched_leave_kernel(void)
{
	struct percpu *me = this_cpu();

	handoff_place(me, false);
	/* Pinned to another CPU: it goes there now. */
	if (current->pin != NO_CPU && current->pin != me->id &&
	    current->state == T_RUNNING) {
		current->state = T_RUNNABLE;
		place(me, current);
		schedule();
	}
}

void
sched_yield(void)
{
	struct percpu *me = this_cpu();
	struct thread *stolen;

	/* A thread stopped by another CPU while it ran here is not queued
	 * again: it leaves on its way back to user mode. */
	if (current == me->idle || current->state == T_DEAD)
		return;
	/* Another busy CPU has more threads waiting than this one: one
	 * comes here. Queues even out by a thread a quantum, and threads
	 * that do not divide evenly over the CPUs take turns on them. */
	if ((stolen = rq_steal(me, 1)) != NULL)
		rq_push(me, stolen);
	else if (me->rq_head == NULL)
		return;
	current->state = T_RUNNABLE;
	rq_push(me, current);
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
	if (t->handoff != 0) {
		struct percpu *p = &cpus[t->handoff - 1];

		for (uint32_t i = 0; i < p->nhandoff; i++)
			if (p->handoff[i] == t) {
				p->handoff[i] = p->handoff[--p->nhandoff];
				break;
			}
		t->handoff = 0;
	} else if (t->state == T_RUNNABLE && t->cpu != NO_CPU) {
		rq_remove(&cpus[t->cpu], t);
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
	struct percpu *me = this_cpu();
	struct thread *next;

	for (;;) {
		threads_reap();
		kernel_idle();
		if ((next = rq_next(this_cpu())) != NULL) {
			switch_to(next);
			continue;
		}
		/* Marked halted before the lock goes: a wake IPI sent after
		 * the mark arrives at the hlt below and ends it. */
		me->halted = 1;
		me->stat.halts++;
		bkl_release();
		/* Woken by ticks that needed no lock (timer_tick_unlocked)
		 * and finding nothing to do, it halts again without taking
		 * the lock: idle CPUs that took it at every tick kept busy
		 * ones waiting. Still marked halted, it runs nothing a TLB
		 * shootdown could concern; a wake IPI, or any interrupt
		 * that takes the lock, ends the loop. The fence orders the
		 * mark before the look at the queues, as sched_add's
		 * (smp_wake_halted) orders its queueing before its look at
		 * the mark: one of the two sees the other. */
		for (;;) {
			me->quiet_wake = 1;
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			wait_for_interrupt();
			irq_disable();
			if (!me->quiet_wake || !me->halted ||
			    idle_work_hint(me))
				break;
			me->stat.quiet_halts++;
		}
		bkl_acquire();
		me->halted = 0;
	}
}
