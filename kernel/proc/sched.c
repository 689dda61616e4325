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
 * The scheduler has its own lock, below the big kernel lock (docs/smp.md,
 * "The scheduler's lock"): sched_lock covers the run queues, the hand-off
 * lists, and each thread's state, CPU and pin. A thread is marked on a
 * CPU (on_cpu) from when that CPU takes it, under the lock, until that
 * CPU is off its stack (sched_resume, without the lock); a CPU taking a
 * thread still marked on another waits for the mark to go. The BKL
 * belongs to the thread whose kernel path took it: a switch drops it, and
 * a thread that held it takes it again as it resumes. So the idle loop,
 * the tick's preemption and the way out to user mode schedule without the
 * BKL, while another CPU holds it for a call.
 *
 * Threads enter BLOCKED under both locks and leave it under sched_lock,
 * woken by a thread holding the BKL or by their own deadline; RUNNING and
 * RUNNABLE change under sched_lock alone.
 *
 * Each CPU's boot thread becomes its idle thread (sched_run): it runs in
 * the kernel's own address space, frees what exited threads left behind,
 * and halts when nothing is runnable or stealable.
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
static struct spinlock sched_lock;

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

/*
 * On the stack of the thread this CPU switched to: the thread it left is
 * off its stack now, and another CPU may run or reap it. The thread takes
 * the BKL again if its kernel path held it, then frees what exited
 * threads left (which needs the BKL: without it, only when the BKL is
 * free).
 */
void
sched_resume(void)
{
	struct percpu *me = this_cpu();

	if (me->switched_from != NULL) {
		__atomic_store_n(&me->switched_from->on_cpu, 0,
		    __ATOMIC_RELEASE);
		me->switched_from = NULL;
	}
	if (current->bkl_held) {
		current->bkl_held = false;
		bkl_acquire();
		threads_reap();
		/* Stopped while it waited for the BKL (the stop holds it):
		 * its process is torn down, and its kernel path must not go
		 * on. DEAD is set under the BKL, so this look is stable. */
		if (current->state == T_DEAD)
			sched_exit_current();
	} else if (threads_reap_pending() && bkl_try_acquire()) {
		threads_reap();
		bkl_release();
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

/*
 * How long an idle CPU keeps looking for work before it halts (TSC
 * cycles). A thread woken while its CPU halts costs a wake IPI and the
 * time to bring a sleeping CPU back, under a hypervisor or emulation a
 * host thread's wake-up (docs/smp.md, "Looking before halting").
 */
#define IDLE_POLL_CYCLES	300000

/* Looks for work without the lock for up to IDLE_POLL_CYCLES, while
 * other CPUs may queue some, answering shootdowns meanwhile: this CPU is
 * not marked halted, so a shootdown waits for its answer. */
static void
idle_poll(struct percpu *me)
{
	uint64_t t0 = rdtsc();

	if (!smp_cpus_share())
		return;
	do {
		/* Not a reap: a dead thread still marked on its CPU would
		 * end every look at once. The loop reaps as it goes round. */
		if (sched_work_hint(me) || kernel_stopping()) {
			me->stat.poll_hits++;
			return;
		}
		smp_tlb_answer();
		__asm__ volatile("pause");
	} while (rdtsc() - t0 < IDLE_POLL_CYCLES);
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

/*
 * Saves the outgoing thread's user state and loads the incoming one's.
 * Called with sched_lock held; drops it once next is taken, before the
 * slow part of the switch (the tables, the FPU state), and returns on the
 * thread switched back to, perhaps much later on another CPU.
 */
static void
switch_to(struct thread *next)
{
	struct percpu *me = this_cpu();
	struct thread *prev = me->cur;
	uint64_t pml4;
	bool bkl;

	if (prev == next) {
		spin_unlock(&sched_lock);
		return;
	}
	/* A thread queued as it left its last CPU (a yield, a block, a
	 * pinned thread moving) may still be on that CPU's stack: that CPU
	 * holds no lock from here to marking it off (sched_resume), and
	 * the mark is not taken over before then (the reaper frees what
	 * no CPU marks). */
	if (__atomic_load_n(&next->on_cpu, __ATOMIC_ACQUIRE) != 0) {
		uint64_t t0 = rdtsc();

		while (__atomic_load_n(&next->on_cpu, __ATOMIC_ACQUIRE) != 0) {
			smp_tlb_answer();
			__asm__ volatile("pause");
		}
		me->stat.oncpu_waits++;
		me->stat.oncpu_spin += rdtsc() - t0;
	}
	bkl = bkl_held();
	if (!bkl && bkl_held_elsewhere()) {
		if (prev == me->idle)
			me->stat.free_idle_switches++;
		else if (prev->state == T_RUNNABLE)
			me->stat.free_preemptions++;
	}
	me->cur = next;
	next->state = T_RUNNING;
	if (next->cpu != me->id && next->cpu != NO_CPU)
		me->stat.migrations++;
	next->cpu = me->id;
	next->on_cpu = me->id + 1;
	me->switched_from = prev;
	/* The BKL goes with the thread that took it; dropped under the
	 * lock, so a CPU that takes the lock after sees the BKL's owner
	 * at work, not handing it over. */
	if (bkl) {
		prev->bkl_held = true;
		bkl_release();
	}
	/* prev, marked on this CPU until sched_resume, runs nowhere else
	 * before its state below is saved. */
	spin_unlock(&sched_lock);
	if (prev->proc != NULL) {
		__asm__ volatile("fxsave64 %0" : "=m"(prev->fpu));
		prev->fs_base = rdmsr(MSR_FS_BASE);
	}
	me->quantum_end = time_ns() + QUANTUM_NS;
	timer_arm_quantum(me->quantum_end);
	pml4 = next->proc != NULL ? next->proc->as.pml4 : vmm_kernel_pml4();
	/* Published before the tables are loaded: a CPU unmapping from them
	 * clears its entries, fences, then looks at who has them loaded
	 * (tlb_shootdown), so it either sees them here or cleared them
	 * before this CPU's TLB could hold them. */
	__atomic_store_n(&me->loaded_pml4, pml4, __ATOMIC_SEQ_CST);
	if (next->proc != NULL) {
		me->user_runs++;
		cpu_set_kernel_stack((uint64_t)next->kstack + KSTACK_SIZE);
		if (prev->proc == NULL || prev->proc->as.pml4 != pml4)
			write_cr3(pml4);
		__asm__ volatile("fxrstor64 %0" : : "m"(next->fpu));
		wrmsr(MSR_FS_BASE, next->fs_base);
	} else {
		write_cr3(pml4);
	}
	switch_stack(&prev->ksp, next->ksp);
	sched_resume();
}

static void handoff_place(struct percpu *me, bool blocking);

/* Runs the next runnable thread, or idle; the caller set its own state
 * under sched_lock, which this drops (switch_to). */
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

static void
sched_add_locked(struct thread *t)
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

void
sched_add(struct thread *t)
{
	spin_lock(&sched_lock);
	sched_add_locked(t);
	spin_unlock(&sched_lock);
}

bool
sched_pin_current(uint32_t cpu)
{
	if (cpu != NO_CPU && (cpu >= smp_cpus_online() ||
	    cpus[cpu].idle == NULL))
		return false;
	spin_lock(&sched_lock);
	current->pin = cpu;
	spin_unlock(&sched_lock);
	return true;
}

void
sched_leave_kernel(void)
{
	struct percpu *me = this_cpu();

	/* Only this CPU adds to its hand-off list (others may take a
	 * stopped thread off it), and only this thread changes its pin:
	 * with neither to do, the lock is not needed. */
	if (__atomic_load_n(&me->nhandoff, __ATOMIC_RELAXED) == 0 &&
	    (current->pin == NO_CPU || current->pin == me->id))
		return;
	spin_lock(&sched_lock);
	handoff_place(me, false);
	/* Pinned to another CPU: it goes there now. */
	if (current->pin != NO_CPU && current->pin != me->id &&
	    current->state == T_RUNNING) {
		current->state = T_RUNNABLE;
		place(me, current);
		schedule();
		return;
	}
	spin_unlock(&sched_lock);
}

void
sched_yield(void)
{
	struct percpu *me = this_cpu();
	struct thread *stolen;

	/* Nothing waits here or to be stolen (a hint: a thread queued just
	 * now is found at the next tick). */
	if (!sched_work_hint(me))
		return;
	spin_lock(&sched_lock);
	/* A thread stopped by another CPU while it ran here is not queued
	 * again: it leaves on its way back to user mode. */
	if (current == me->idle || current->state == T_DEAD) {
		spin_unlock(&sched_lock);
		return;
	}
	/* Another busy CPU has more threads waiting than this one: one
	 * comes here. Queues even out by a thread a quantum, and threads
	 * that do not divide evenly over the CPUs take turns on them. */
	if ((stolen = rq_steal(me, 1)) != NULL) {
		rq_push(me, stolen);
	} else if (me->rq_head == NULL) {
		spin_unlock(&sched_lock);
		return;
	}
	current->state = T_RUNNABLE;
	rq_push(me, current);
	schedule();
}

/* The timeout list's lock (timeout.h): above sched_lock, below the BKL. */
static struct spinlock timeouts_spin;

void
timeouts_lock(void)
{
	spin_lock(&timeouts_spin);
}

void
timeouts_unlock(void)
{
	spin_unlock(&timeouts_spin);
}

/*
 * A blocked thread's deadline passed: fired with the timeout list's lock
 * held (sched_only), from a tick with or without the BKL. That lock keeps
 * the thread from going on meanwhile: it cancels its deadline as it
 * resumes (sched_block), and a stop cancels it before the thread can be
 * reaped (sched_kill). So a thread found BLOCKED here is in the block
 * this deadline was armed for, and the thread is not freed under it. A
 * thread not yet BLOCKED finds timed_out set and does not block.
 */
static void
sleep_expired(struct timeout *to)
{
	struct thread *t = (struct thread *)((char *)to -
	    offsetof(struct thread, sleep));

	spin_lock(&sched_lock);
	t->timed_out = true;
	if (t->state == T_BLOCKED) {
		if (!bkl_held() && bkl_held_elsewhere())
			this_cpu()->stat.free_deadlines++;
		sched_add_locked(t);
	}
	spin_unlock(&sched_lock);
}

void
sched_block(enum wait_reason why, uint64_t deadline_ns, struct spinlock *held)
{
	struct thread *t = current;
	bool blocks;

	if (t == this_cpu()->idle)
		panic("sched_block: the idle thread cannot block");
	t->wait = why;
	t->timed_out = false;
	if (deadline_ns != 0) {
		t->sleep.fire = sleep_expired;
		t->sleep.sched_only = true;
		timeout_arm(&t->sleep, deadline_ns);
		timer_reprogram();
	}
	/* The deadline may fire on another CPU, without the BKL, before
	 * this thread is BLOCKED: sleep_expired marks it timed out under
	 * the scheduler's lock, and it does not block. Once BLOCKED, a
	 * CPU that takes it after such a wake waits until this one is off
	 * its stack (switch_to). */
	spin_lock(&sched_lock);
	/* A stopped thread never blocks again (sched_resume ends one
	 * stopped as it resumed): a wait armed now would outlive it. */
	blocks = t->state != T_DEAD && !t->timed_out;
	if (blocks)
		t->state = T_BLOCKED;
	/* The lock the caller looked at its condition under goes once the
	 * thread is BLOCKED: a waker that takes it sees BLOCKED. */
	if (held != NULL)
		spin_unlock(held);
	if (t->state == T_DEAD) {
		spin_unlock(&sched_lock);
		timeout_cancel(&t->sleep);
		sched_exit_current();
	}
	if (blocks)
		schedule();
	else
		spin_unlock(&sched_lock);
	timeout_cancel(&t->sleep);
	t->wait = WAIT_NONE;
}

/*
 * Called by a post to t's ring under the ring's lock, which t holds as it
 * looks at its ring and blocks (sched_block's held): t cannot block anew
 * meanwhile. Its deadline may have woken it already (sleep_expired), so
 * BLOCKED is looked at again under the scheduler's lock.
 */
void
sched_wake(struct thread *t)
{
	if (t->state != T_BLOCKED)
		return;
	timeout_cancel(&t->sleep);
	spin_lock(&sched_lock);
	if (t->state == T_BLOCKED)
		sched_add_locked(t);
	spin_unlock(&sched_lock);
}

/* Drops a thread that is going away from every scheduler list. */
static void
sched_forget(struct thread *t)
{
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

void
sched_kill(struct thread *t)
{
	/* Before the scheduler's lock (the order), and waiting out a
	 * deadline being fired for it. */
	timeout_cancel(&t->sleep);
	spin_lock(&sched_lock);
	sched_forget(t);
	t->state = T_DEAD;
	/* Running in user mode on another CPU: that CPU is made to enter
	 * the kernel, where the thread finds itself dead on its way back
	 * out (sched_check_killed). */
	if (t->on_cpu != 0)
		smp_kick(t->on_cpu - 1);
	spin_unlock(&sched_lock);
}

/* Ends the current thread for good; its stack is freed from idle. */
void
sched_exit_current(void)
{
	spin_lock(&sched_lock);
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
	bool polled = false;

	/* Started holding the BKL (ap_main, and the boot CPU's main). */
	if (bkl_held())
		bkl_release();
	for (;;) {
		if (threads_reap_pending() || kernel_stopping()) {
			bkl_acquire();
			threads_reap();
			kernel_idle();
			bkl_release();
		}
		spin_lock(&sched_lock);
		if ((next = rq_next(me)) != NULL) {
			polled = false;
			switch_to(next);
			continue;
		}
		/* Before halting it looks for a while without the lock: a
		 * thread woken meanwhile runs without a wake IPI. */
		if (!polled) {
			spin_unlock(&sched_lock);
			polled = true;
			idle_poll(me);
			continue;
		}
		polled = false;
		/* Marked halted under the lock: a thread queued here after
		 * the look above is queued by a CPU that then finds the mark
		 * (smp_wake_halted) and sends the wake IPI, which arrives at
		 * the hlt below and ends it. */
		me->halted = 1;
		me->stat.halts++;
		spin_unlock(&sched_lock);
		/* Woken by ticks with nothing to do (timer_tick_unlocked),
		 * it halts again. Still marked halted, it runs nothing a TLB
		 * shootdown could concern; a wake IPI, or any interrupt that
		 * takes the BKL, ends the loop. The fence orders the mark
		 * before the look at the queues, as sched_add's
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
		/* A shootdown that found it halted left its request rather
		 * than wait (tlb_shootdown): answered before it runs
		 * anything, as the mark goes down. */
		__atomic_store_n(&me->halted, 0, __ATOMIC_SEQ_CST);
		smp_tlb_answer();
	}
}
