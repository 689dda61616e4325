/*
 * Per-CPU data reached through %gs in the kernel. Offsets are used by
 * syscall.S and must match struct percpu. docs/smp.md says what is per
 * CPU and why.
 */
#ifndef CAPOS_PERCPU_H
#define CAPOS_PERCPU_H

#define PERCPU_KSTACK_TOP	0
#define PERCPU_USER_RSP		8
#define PERCPU_SELF		16

/* The CPUs the kernel starts; the MADT may list more (left out). */
#define SMP_MAX_CPUS		16

/* Wake-ups a CPU holds back until its thread blocks or leaves. */
#define PERCPU_HANDOFF_MAX	4

/* The trapframe vector number of a system call (above all IDT vectors). */
#define VEC_SYSCALL		256

#ifndef __ASSEMBLY__
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct thread;
struct cpu_scratch;

struct percpu {
	uint64_t kstack_top;	/* kernel stack of the running thread */
	uint64_t user_rsp;	/* scratch for syscall entry */
	struct percpu *self;	/* this block, so %gs:PERCPU_SELF finds it */
	uint32_t id;		/* 0 for the boot CPU */
	uint32_t apic_id;	/* the MADT's local APIC id for this CPU */
	/* Set by an AP as it comes up, for the boot CPU to check. */
	uint32_t apic_id_seen;	/* what its own local APIC said */
	struct percpu *gs_seen;	/* what %gs led it to */
	uint64_t ist_top[3];	/* its interrupt stacks (gdt.h IST_*) */
	volatile uint32_t online;
	/* The scheduler's, for this CPU (kernel/proc/sched.c). */
	struct thread *cur;	/* the thread it runs: `current` */
	struct thread *idle;
	struct thread *switched_from;	/* left, until off its stack */
	uint64_t quantum_end;	/* when the running thread should yield */
	uint64_t timer_due;	/* when the programmed one-shot fires */
	/* Its run queue: threads runnable here, oldest first. */
	struct thread *rq_head, *rq_tail;
	uint32_t rq_len;
	/* Of those, the ones not kept here: what another CPU may steal. */
	uint32_t rq_stealable;
	/* Threads its running thread woke, placed when that thread blocks
	 * or returns to user mode (sched.c, "hand-off"). */
	struct thread *handoff[PERCPU_HANDOFF_MAX];
	uint32_t nhandoff;
	/* The page tables loaded in CR3, for TLB shootdown. */
	uint64_t loaded_pml4;
	/* Set by a CPU asking this one to flush its TLB; cleared here. */
	volatile uint32_t tlb_req;
	uint64_t user_runs;	/* switches to a user thread here */
	/* Set while this CPU halts in its idle loop without the BKL. */
	volatile uint32_t halted;
	/* Cleared by an interrupt that takes the BKL while the idle loop
	 * halts: set after a halt, only lock-free ticks came (sched_run). */
	volatile uint32_t quiet_wake;
	/* Set while it halts waiting for the lock, until the release
	 * takes it back and kicks this CPU with an NMI (smp.c). */
	volatile uint32_t lock_sleep;
	/* Set as it halts for good (smp_stop_others). */
	volatile uint32_t stopped;
	/* The buffers the calls it serves fill (kernel/cap/scratch.h). */
	struct cpu_scratch *scratch;
	/* What this CPU spent on the others, printed at shutdown with the
	 * boot parameter smpstats (smp_report, docs/smp.md). */
	struct {
		uint64_t bkl_waits;	/* BKL acquisitions that waited */
		uint64_t bkl_spin;	/* TSC cycles spent waiting for it */
		uint64_t bkl_sleeps;	/* waits that halted until kicked */
		uint64_t bkl_kicks;	/* sleepers it kicked as it released */
		uint64_t lock_waits;	/* spin lock takes that waited */
		uint64_t lock_spin;	/* TSC cycles spent waiting for them */
		uint64_t oncpu_waits;	/* switches that waited, holding it,
					 * for the next thread's last CPU
					 * to be off its stack */
		uint64_t oncpu_spin;	/* TSC cycles of those waits */
		/* Switches made without the BKL while another CPU held
		 * it: from the idle loop to a thread, and from a thread
		 * preempted at the end of its quantum. */
		uint64_t free_idle_switches;
		uint64_t free_preemptions;
		/* Threads woken by their deadline, the same way. */
		uint64_t free_deadlines;
		/* ParkSpace calls served without it, the same way. */
		uint64_t free_parks;
		uint64_t tlb_ipis;	/* shootdown IPIs sent */
		uint64_t tlb_spin;	/* cycles waiting for their answers */
		uint64_t wake_ipis;	/* wake IPIs sent */
		uint64_t steals;	/* threads taken from another queue */
		uint64_t handoffs;	/* woken threads run in the place
					 * of the thread that woke them */
		uint64_t migrations;	/* threads it moved to another CPU
					 * or took from one */
		uint64_t halts;		/* hlt in the idle loop */
		uint64_t ticks;		/* timer interrupts */
		uint64_t quiet_ticks;	/* of them, taken without the BKL */
		uint64_t quiet_halts;	/* halts again without the BKL */
		uint64_t poll_hits;	/* idle looks that found work
					 * before halting */
	} stat;
};

_Static_assert(offsetof(struct percpu, kstack_top) == PERCPU_KSTACK_TOP,
    "syscall.S reads kstack_top");
_Static_assert(offsetof(struct percpu, user_rsp) == PERCPU_USER_RSP,
    "syscall.S writes user_rsp");
_Static_assert(offsetof(struct percpu, self) == PERCPU_SELF,
    "this_cpu reads self");

extern struct percpu cpus[SMP_MAX_CPUS];

/* This CPU's block, through the GS base percpu_init set. */
static inline struct percpu *
this_cpu(void)
{
	struct percpu *p;

	__asm__ volatile("movq %%gs:%c1, %0" : "=r"(p) : "i"(PERCPU_SELF));
	return p;
}

/* Points this CPU's GS base at cpus[id]. */
void percpu_init(uint32_t id);
/* Sets up SYSCALL/SYSRET, %gs and the FPU for user threads. */
void cpu_init_user(void);
void cpu_set_kernel_stack(uint64_t top);
#endif

#endif
