/*
 * Processes and threads. A process owns an address space and a capability
 * table; a thread is what runs: a kernel stack, saved user registers, FPU
 * state, an FS base and its own submission/completion ring.
 *
 * Threads are named from outside by a generation-checked reference, so a
 * completion addressed to a thread that has exited (and whose table entry
 * may hold a new thread by now) is recognised and dropped.
 */
#ifndef CAPOS_PROC_H
#define CAPOS_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/percpu.h"
#include "cap/captable.h"
#include "cap/ring.h"
#include "mm/aspace.h"
#include "mm/kmem.h"
#include "proc/timeout.h"
#include "capos/abi.h"

/* Threads one process may have at once (each has a ring slot). */
#define PROC_MAX_THREADS	128
/* Kernel wait records (park waits, sleeps, timer notifications) one
 * process may hold, so no process can take all of the system's: enough
 * for every thread to wait at once and 64 notifications besides. */
#define PROC_MAX_KWAITS		(PROC_MAX_THREADS + 64)
#define RING_STRIDE		0x10000ull
#define MAX_PROCS		256
/* The thread table names every thread each process may have, so it is
 * never what runs out: a thread's memory is charged to its process, and
 * its process's tree is bounded by its root's grant (kmem.h). */
#define MAX_THREADS		(MAX_PROCS * PROC_MAX_THREADS)
#define KSTACK_SIZE		16384
/* Kernel stacks live here, one slot per thread-table entry, each with an
 * unmapped guard page below it: an overflow faults instead of corrupting. */
#define KSTACK_REGION		0xFFFFFE8000000000ull
#define PROC_CAP_SLOTS		256
#define PROC_NAME_MAX		32
/* Shared memory objects one process may map (each holds a reference). */
#define PROC_MAX_HELD		8
/* Frames one process may hold in pages and page tables: a kernel safety
 * net under the VirtualMemory quotas, which are the real budget. */
#define PROC_FRAME_LIMIT	(128u << 20 >> 12)

enum thread_state {
	T_FREE = 0,
	T_RUNNABLE,
	T_RUNNING,
	T_BLOCKED,
	T_DEAD,		/* exited; its kernel stack is freed after switching away */
};

/* Why a blocked thread sleeps, so a wake-up can be matched to its cause. */
enum wait_reason {
	WAIT_NONE = 0,
	WAIT_RING,	/* cap_enter: enough completions, or timeout */
};

struct thread_ref {
	uint32_t index;
	uint32_t gen;
};

/* A generation-checked name for a process; see process_get. */
struct proc_ref {
	uint32_t index;
	uint32_t gen;
};

struct process;
struct ep_call;

#define NO_CPU	UINT32_MAX

struct thread {
	uint64_t ksp;			/* saved kernel stack pointer */
	uint8_t *kstack;		/* base of KSTACK_SIZE bytes */
	uint64_t kstack_pa;		/* its frames, contiguous */
	struct process *proc;
	enum thread_state state;
	enum wait_reason wait;
	uint32_t index, gen;
	struct thread *run_next;	/* run queue link */
	uint32_t cpu;			/* whose run queue it goes on, or
					 * NO_CPU before it first does */
	uint32_t on_cpu;		/* CPU id + 1 while a CPU is on its
					 * stack, else 0 (docs/smp.md) */
	uint32_t pin;			/* the only CPU it runs on, or
					 * NO_CPU (ThreadControl.setCpu) */
	uint32_t handoff;		/* CPU id + 1 while woken by a thread
					 * of that CPU and not yet placed */
	bool bkl_held;			/* switched away holding the BKL,
					 * to take it again as it resumes */
	struct thread *proc_next;	/* the process's thread list */
	struct timeout sleep;		/* armed while blocked with a deadline */
	bool timed_out;
	uint32_t wait_min;		/* cap_enter: completions wanted */
	uint32_t ring_slot;		/* which of the process's ring slots */
	struct kobj *handle;		/* its ThreadHandle, if any */
	uint64_t exit_value;
	struct thread *dead_next;	/* exited, awaiting reaping */
	struct kcharge charge;		/* its memory, kernel stack and ring */
	struct ep_call *ep_calls;	/* its calls queued on endpoints */
	struct ring ring;
	uint64_t fs_base;
	uint8_t fpu[512] __attribute__((aligned(16)));
};

struct exit_status {
	enum { EXIT_RUNNING = 0, EXIT_EXITED, EXIT_FAULTED, EXIT_KILLED } kind;
	int32_t code;
	uint32_t fault_vector;
	uint64_t fault_addr;
	uint64_t fault_ip;
};

/* What one VirtualMemory capability has been charged for pages mapped in a
 * process; the slot number is the PTE tag on those pages. */
struct vm_charge {
	struct kobj *vm;	/* a reference, while bytes != 0 */
	uint64_t bytes;
};

struct process {
	uint32_t pid;
	uint32_t index, gen;		/* slot in the process table */
	char name[PROC_NAME_MAX];
	struct aspace as;		/* its address space */
	struct captable caps;
	struct cap_slot slots[PROC_CAP_SLOTS];
	struct thread *threads;
	uint32_t nthreads;		/* threads not yet exited */
	uint64_t ring_slots[PROC_MAX_THREADS / 64];	/* bitmap */
	struct exit_status status;
	struct kobj *handle;		/* the ProcessHandle object, if any */
	struct process *dead_next;	/* awaiting reaping */
	uint64_t heap_next;		/* next free address for VM maps */
	uint64_t dev_next;		/* next free address for device maps */
	struct kobj *held[PROC_MAX_HELD];	/* mapped shared memory */
	struct kmem_account *kmem;	/* what it causes the kernel to hold */
	struct ep_call *ep_received;	/* calls received, not yet answered */
	struct kcharge record;		/* this record, charged to its spawner */
	struct vm_charge charges[ASPACE_TAGS - 1];	/* tags 1..3 */
	uint8_t session[16];		/* immutable caller identity for IPC */
	uint64_t epoch;
};

/* Process references: process_get is NULL once the process has stopped. */
struct proc_ref process_ref(const struct process *p);
struct process *process_get(struct proc_ref r);

/* Takes one of p's kernel wait records, charging size bytes for it to
 * p's account into c (false at either limit); kmem_wait_put gives it
 * back. */
bool proc_kwait_take(struct process *p, size_t size, struct kcharge *c);

/* Thread table and references. */
struct thread_ref thread_ref(const struct thread *t);
struct thread *thread_get(struct thread_ref r);	/* NULL when stale */

/* Creates a thread in p that will enter user mode at rip with rdi = arg. */
struct thread *thread_create(struct process *p, uint64_t rip, uint64_t rsp,
    uint64_t arg);

/* A new process whose kernel memory account has the given limit and
 * whose tree may hold procs processes (itself included); its record, its
 * limit and its slots are charged to payer (NULL: init, paid by the
 * kernel). NULL when payer has not enough left or the table is full. */
struct process *process_create(const char *name, uint64_t kmem_limit,
    uint32_t procs, struct kmem_account *payer);
/*
 * Loads an ELF image into p and starts its main thread. `start` is the
 * start block (its CapSet naming caps already in p's table); args are
 * NUL-terminated strings copied after it. Returns 0, a negative ELF_E*
 * code, or PROC_ENOMEM.
 */
#define PROC_ENOMEM	(-100)
int process_start(struct process *p, const uint8_t *elf, size_t len,
    const struct capos_start *start, const char *args, size_t args_len);
/* Ends the current process; does not return. */
void process_exit_current(struct exit_status st) __attribute__((noreturn));
/* Ends the current thread with value; the last one ends the process. */
void thread_exit_current(uint64_t value) __attribute__((noreturn));
/* Kills p (a fault in one of its threads, or a kill request). */
void process_kill(struct process *p, struct exit_status st);
/* Stops every process still running (shutdown); they are reaped later. */
void processes_stop_all(void);
/* Processes not yet reaped, running or stopped. */
uint32_t process_count(void);

/* Scheduler. */
/* The thread this CPU runs (its idle thread when none). */
#define current	(this_cpu()->cur)
void sched_init(void);
void sched_add(struct thread *t);	/* make runnable */
void sched_yield(void);			/* give up the CPU, stay runnable */
/* Keeps the current thread to one CPU (NO_CPU: any); false if there is
 * no such CPU. It moves there on its way back to user mode. */
bool sched_pin_current(uint32_t cpu);
/* On the way back to user mode: places the threads this CPU's thread
 * woke (sched.c, "hand-off") and moves a thread pinned elsewhere. */
void sched_leave_kernel(void);
struct percpu;
/* Whether a CPU has a thread waiting or one to steal; read without the
 * lock, a hint (sched.c). */
bool sched_work_hint(const struct percpu *me);
/* Blocks the current thread until woken or until deadline_ns (0: none).
 * held (or NULL) is a lock the caller took to look at what it waits for:
 * it is dropped once the thread is BLOCKED, so a waker that takes it
 * either changed the condition before the look or finds BLOCKED. */
struct spinlock;
void sched_block(enum wait_reason why, uint64_t deadline_ns,
    struct spinlock *held);
void sched_wake(struct thread *t);
/* Timer interrupt bookkeeping: preempts a user thread whose quantum is
 * over. Returns when the running thread's quantum ends. */
uint64_t sched_tick(int from_user);
/* Stops t (not the current thread) for good: off every scheduler list,
 * DEAD, and its CPU kicked if it runs there. */
void sched_kill(struct thread *t);
void sched_exit_current(void) __attribute__((noreturn));
/* On the next thread's stack after a switch (a new thread's first code,
 * thread_first, calls it too): marks the thread left off this CPU, and
 * takes the BKL again if the thread held it. */
void sched_resume(void);
/* At a system call or exception from user mode, and on every way back
 * out to it: a thread stopped meanwhile by another CPU exits here
 * instead of going on. */
void sched_check_killed(void);
/* Frees exited threads and dead processes; runs on the idle thread. */
void threads_reap(void);
/* Whether threads_reap has anything to look at; read without the lock. */
bool threads_reap_pending(void);
void sched_run(void) __attribute__((noreturn));	/* boot thread becomes idle */

#endif
