/*
 * Processes and threads: creation, the thread table and its generation-
 * checked references, exit and teardown.
 *
 * Teardown happens in two steps. When a process dies, its threads stop,
 * its capabilities are released at once (so waiters and peers learn of it
 * without delay) and its handle is told the exit status. The memory it ran
 * in (kernel stacks, rings, the address space) is freed later by the idle
 * thread, which never runs on any of it.
 */
#include <string.h>

#include "arch/x86_64/gdt.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/trap.h"
#include "cap/kobj.h"
#include "kernel.h"
#include "mm/aspace.h"
#include "mm/mem.h"
#include "mm/pmm.h"
#include "obj/objects.h"
#include "obj/window.h"
#include "proc/elf.h"
#include "proc/proc.h"
#include "arch/x86_64/timer.h"

#define USER_STACK_SIZE		(64 * 1024)
#define RING_PAGES		(CAPOS_RING_SIZE / PAGE_SIZE)
#define RFLAGS_IF		(1u << 9)
#define RFLAGS_RESERVED		(1u << 1)

extern char thread_first[];

static struct process *proc_table[MAX_PROCS];
static uint32_t proc_gen[MAX_PROCS];
static struct thread *thread_table[MAX_THREADS];
static uint32_t thread_gen[MAX_THREADS];
static struct process *dead_procs;	/* linked through dead_next */
static struct thread *dead_threads;	/* of live processes */
static uint32_t next_pid = 1;

struct proc_ref
process_ref(const struct process *p)
{
	struct proc_ref r = { p->index, p->gen };

	return r;
}

struct process *
process_get(struct proc_ref r)
{
	struct process *p;

	if (r.index >= MAX_PROCS)
		return NULL;
	p = proc_table[r.index];
	if (p == NULL || p->gen != r.gen || p->status.kind != EXIT_RUNNING)
		return NULL;
	return p;
}

bool
proc_kwait_take(struct process *p, size_t size, struct kcharge *c)
{
	return kmem_wait_take(p->kmem, PROC_MAX_KWAITS, kmalloc_size(size),
	    c) == 0;
}

/* Fills a new process's session reference; see capos_recv_hdr. */
static void
new_session(struct process *p)
{
	static uint64_t boot_epoch;
	uint64_t words[2];

	if (boot_epoch == 0)
		boot_epoch = random_u64() | 1;
	/* The pid makes it unique; the random half makes it unguessable. */
	words[0] = p->pid;
	words[1] = random_u64();
	memcpy(p->session, words, sizeof(words));
	p->epoch = boot_epoch;
}

struct thread_ref
thread_ref(const struct thread *t)
{
	struct thread_ref r = { t->index, t->gen };

	return r;
}

struct thread *
thread_get(struct thread_ref r)
{
	struct thread *t;

	if (r.index >= MAX_THREADS)
		return NULL;
	t = thread_table[r.index];
	if (t == NULL || t->gen != r.gen || t->state == T_DEAD ||
	    t->proc->status.kind != EXIT_RUNNING)
		return NULL;
	return t;
}

static int
thread_slot(void)
{
	for (int i = 0; i < MAX_THREADS; i++)
		if (thread_table[i] == NULL)
			return i;
	return -1;
}

/* Lays out a new thread's kernel stack: a user frame, then switch_stack's
 * saved registers and a return into thread_first (switch.S). */
static void
prepare_stack(struct thread *t, uint64_t rip, uint64_t rsp, uint64_t arg)
{
	uint64_t *sp = (uint64_t *)(t->kstack + KSTACK_SIZE);
	struct trapframe *tf;

	sp = (uint64_t *)((uint8_t *)sp - sizeof(*tf));
	tf = (struct trapframe *)sp;
	memset(tf, 0, sizeof(*tf));
	tf->rip = rip;
	tf->cs = SEL_UCODE;
	tf->rflags = RFLAGS_IF | RFLAGS_RESERVED;
	tf->rsp = rsp;
	tf->ss = SEL_UDATA;
	tf->rdi = arg;
	*--sp = (uint64_t)thread_first;
	for (int i = 0; i < 6; i++)
		*--sp = 0;		/* rbp rbx r12 r13 r14 r15 */
	t->ksp = (uint64_t)sp;
}

static uint64_t
ring_addr(uint32_t slot)
{
	return CAPOS_USER_RING0 - (uint64_t)slot * RING_STRIDE;
}

/* Allocates, zeroes and maps a ring for t in a free slot of p. */
static int
ring_setup(struct process *p, struct thread *t)
{
	uint64_t pa, uva;
	uint32_t n;

	for (n = 0; n < PROC_MAX_THREADS; n++)
		if (!(p->ring_slots[n / 64] & (1ull << (n % 64))))
			break;
	if (n == PROC_MAX_THREADS || (pa = frames_alloc_contig(RING_PAGES)) == 0)
		return -1;
	uva = ring_addr(n);
	memset(phys_to_virt(pa), 0, CAPOS_RING_SIZE);
	for (uint64_t i = 0; i < RING_PAGES; i++) {
		if (aspace_map_frame(&p->as, uva + i * PAGE_SIZE,
		    pa + i * PAGE_SIZE, PTE_W | PTE_NX) != 0) {
			aspace_unmap(&p->as, uva, i * PAGE_SIZE, NULL);
			frames_free(pa, RING_PAGES);
			return -1;
		}
	}
	ring_init(&t->ring, phys_to_virt(pa), uva, pa);
	p->ring_slots[n / 64] |= 1ull << (n % 64);
	t->ring_slot = n;
	return 0;
}

/* Unmaps and frees t's ring (its process may live on). */
static void
ring_teardown(struct thread *t)
{
	struct process *p = t->proc;

	aspace_unmap(&p->as, t->ring.user_addr, CAPOS_RING_SIZE, NULL);
	frames_free(t->ring.phys, RING_PAGES);
	p->ring_slots[t->ring_slot / 64] &= ~(1ull << (t->ring_slot % 64));
}

/* Maps a kernel stack for thread slot `slot`; 0 or -1. */
static int
kstack_alloc(struct thread *t, uint32_t slot)
{
	uint64_t va = KSTACK_REGION + (uint64_t)slot * (KSTACK_SIZE +
	    PAGE_SIZE) + PAGE_SIZE;
	uint64_t pa = frames_alloc_contig(KSTACK_SIZE / PAGE_SIZE);

	if (pa == 0)
		return -1;
	for (uint64_t off = 0; off < KSTACK_SIZE; off += PAGE_SIZE) {
		if (vmm_map_page(vmm_kernel_pml4(), va + off, pa + off,
		    PTE_W | PTE_NX) != 0) {
			for (uint64_t o = 0; o < off; o += PAGE_SIZE)
				vmm_unmap_kernel_page(va + o);
			tlb_shootdown(0);
			frames_free(pa, KSTACK_SIZE / PAGE_SIZE);
			return -1;
		}
	}
	t->kstack = (uint8_t *)va;
	t->kstack_pa = pa;
	return 0;
}

static void
kstack_free(struct thread *t)
{
	if (t->kstack == NULL)
		return;
	for (uint64_t off = 0; off < KSTACK_SIZE; off += PAGE_SIZE)
		vmm_unmap_kernel_page((uint64_t)t->kstack + off);
	/* No CPU may keep a translation to frames about to be reused. */
	tlb_shootdown(0);
	frames_free(t->kstack_pa, KSTACK_SIZE / PAGE_SIZE);
	t->kstack = NULL;
}

/* What one thread costs its process's account. */
#define THREAD_COST	(kmalloc_size(sizeof(struct thread)) + KSTACK_SIZE + \
	RING_PAGES * PAGE_SIZE)

struct thread *
thread_create(struct process *p, uint64_t rip, uint64_t rsp, uint64_t arg)
{
	int slot = thread_slot();
	struct kcharge ch = { 0 };
	struct thread *t;

	if (slot < 0 || kcharge_take(&ch, p->kmem, THREAD_COST) != 0)
		return NULL;
	if ((t = kzalloc(sizeof(*t))) == NULL) {
		kcharge_drop(&ch);
		return NULL;
	}
	t->charge = ch;
	if (kstack_alloc(t, (uint32_t)slot) != 0) {
		kmem_free(t, &t->charge);
		return NULL;
	}
	if (ring_setup(p, t) != 0) {
		kstack_free(t);
		kmem_free(t, &t->charge);
		return NULL;
	}
	t->proc = p;
	t->index = (uint32_t)slot;
	t->gen = ++thread_gen[slot];
	/* Placed by its first sched_add. */
	t->cpu = NO_CPU;
	t->pin = NO_CPU;
	/* A fresh FPU state: x87 control word and MXCSR at their defaults. */
	t->fpu[0] = 0x7F;
	t->fpu[1] = 0x03;
	t->fpu[24] = 0x80;
	t->fpu[25] = 0x1F;
	prepare_stack(t, rip, rsp, arg);
	/* A new thread learns where its own ring is from %rsi. */
	((struct trapframe *)(t->kstack + KSTACK_SIZE -
	    sizeof(struct trapframe)))->rsi = t->ring.user_addr;
	thread_table[slot] = t;
	t->proc_next = p->threads;
	p->threads = t;
	p->nthreads++;
	return t;
}

struct process *
process_create(const char *name, uint64_t kmem_limit, uint32_t procs,
    struct kmem_account *payer)
{
	struct kcharge ch = { 0 };
	struct process *p;
	int slot = -1;

	for (int i = 0; i < MAX_PROCS && slot < 0; i++)
		if (proc_table[i] == NULL)
			slot = i;
	if (slot < 0)
		return NULL;
	/* The record and its account are the spawner's to pay for. */
	if (payer != NULL && kcharge_take(&ch, payer,
	    kmalloc_size(sizeof(*p)) + kmalloc_size(sizeof(*p->kmem))) != 0)
		return NULL;
	if ((p = kzalloc(sizeof(*p))) == NULL) {
		kcharge_drop(&ch);
		return NULL;
	}
	p->record = ch;
	if ((p->kmem = kmem_account_new(kmem_limit)) == NULL) {
		kmem_free(p, &p->record);
		return NULL;
	}
	/* The child's whole limit and its process slots come out of its
	 * spawner's. */
	if (kmem_slots_carve(p->kmem, procs, payer) != 0 ||
	    (payer != NULL && kmem_account_carve(p->kmem, payer) != 0) ||
	    aspace_init(&p->as, PROC_FRAME_LIMIT) != 0) {
		kmem_slots_reaped(p->kmem);
		kmem_account_put(p->kmem);
		kmem_free(p, &p->record);
		return NULL;
	}
	p->index = (uint32_t)slot;
	p->gen = ++proc_gen[slot];
	proc_table[slot] = p;
	p->pid = next_pid++;
	new_session(p);
	strncpy(p->name, name, sizeof(p->name) - 1);
	/* An odd stride makes fresh tables of different processes disagree. */
	captable_init(&p->caps, p->slots, PROC_CAP_SLOTS,
	    (uint16_t)(p->pid * 0x9E37u));
	p->heap_next = CAPOS_USER_HEAP_BASE;
	p->dev_next = CAPOS_USER_DEVICE_BASE;
	return p;
}

static int
load_segments(struct process *p, const uint8_t *elf,
    const struct elf_image *img)
{
	for (uint32_t i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->segs[i];
		uint64_t flags = PTE_W | PTE_NX;

		if (aspace_map_anon(&p->as, s->vaddr, s->memsz, flags) != 0)
			return -1;
		if (copy_to_user(&p->as, s->vaddr + s->pad, elf + s->file_off,
		    s->filesz) != 0)
			return -1;
		flags = ((s->flags & ELF_SEG_W) ? PTE_W : 0) |
		    ((s->flags & ELF_SEG_X) ? 0 : PTE_NX);
		if (aspace_protect(&p->as, s->vaddr, s->memsz, flags) != 0)
			return -1;
	}
	return 0;
}

int
process_start(struct process *p, const uint8_t *elf, size_t len,
    const struct capos_start *start, const char *args, size_t args_len)
{
	struct elf_image img;
	struct capos_start sb;
	struct thread *t;
	uint64_t stack_lo = CAPOS_USER_STACK_TOP - USER_STACK_SIZE;
	int err;

	err = elf_check(elf, len, CAPOS_USER_IMAGE_BASE, CAPOS_USER_HEAP_BASE,
	    &img);
	if (err != ELF_OK)
		return err;
	if (load_segments(p, elf, &img) != 0 ||
	    aspace_map_anon(&p->as, stack_lo, USER_STACK_SIZE,
	    PTE_W | PTE_NX) != 0 ||
	    aspace_map_anon(&p->as, CAPOS_USER_START_BLOCK, PAGE_SIZE,
	    PTE_W | PTE_NX) != 0)
		return PROC_ENOMEM;
	if (args_len > PAGE_SIZE - sizeof(sb))
		return PROC_ENOMEM;
	t = thread_create(p, img.entry, CAPOS_USER_STACK_TOP - 8,
	    CAPOS_USER_START_BLOCK);
	if (t == NULL)
		return PROC_ENOMEM;
	sb = *start;
	sb.ring = t->ring.user_addr;
	sb.tsc_hz = tsc_hz();
	sb.boot_tsc = kernel_boot_tsc;
	sb.log_level = log_level;
	sb.args = args_len != 0 ? CAPOS_USER_START_BLOCK + sizeof(sb) : 0;
	sb.args_len = (uint32_t)args_len;
	if (copy_to_user(&p->as, CAPOS_USER_START_BLOCK, &sb,
	    sizeof(sb)) != 0 ||
	    copy_to_user(&p->as, CAPOS_USER_START_BLOCK + sizeof(sb), args,
	    args_len) != 0 ||
	    aspace_protect(&p->as, CAPOS_USER_START_BLOCK, PAGE_SIZE,
	    PTE_NX) != 0)
		return PROC_ENOMEM;
	sched_add(t);
	return 0;
}

/* Stops every thread of p except the current one and releases its caps. */
static void
process_stop(struct process *p, struct exit_status st)
{
	if (p->status.kind != EXIT_RUNNING)
		return;
	p->status = st;
	for (struct thread *t = p->threads; t != NULL; t = t->proc_next) {
		if (t->state == T_DEAD)
			continue;
		if (t != current)
			sched_kill(t);
		/* The thread that ended the process by exiting gives its
		 * value to joiners; every other thread was killed. */
		if (t == current && st.kind == EXIT_EXITED) {
			t->exit_value = (uint64_t)(int64_t)st.code;
			thread_handle_exited(t, false);
		} else {
			thread_handle_exited(t, true);
		}
		park_thread_gone(t);
		timer_thread_gone(t);
		endpoint_thread_gone(t);
	}
	endpoint_process_gone(p);
	/* Releasing capabilities may wake other processes; none is us. */
	captable_clear(&p->caps, kobj_unref);
	vm_process_stopped(p);
	window_process_stopped(p);
	process_handle_exited(p);
	kernel_process_stopped(p);
	/* What it no longer holds goes back to its spawner now; the rest
	 * as it is freed (its threads and address space at reaping). */
	kmem_account_stop(p->kmem);
	p->dead_next = dead_procs;
	dead_procs = p;
}

void
process_kill(struct process *p, struct exit_status st)
{
	process_stop(p, st);
	if (current->proc == p)
		sched_exit_current();
}

void
processes_stop_all(void)
{
	struct exit_status st = { .kind = EXIT_KILLED };

	for (uint32_t i = 0; i < MAX_PROCS; i++)
		if (proc_table[i] != NULL &&
		    proc_table[i]->status.kind == EXIT_RUNNING)
			process_stop(proc_table[i], st);
}

uint32_t
process_count(void)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < MAX_PROCS; i++)
		n += proc_table[i] != NULL;
	return n;
}

void
thread_exit_current(uint64_t value)
{
	struct thread *t = current;
	struct process *p = t->proc;
	struct exit_status st = { .kind = EXIT_EXITED, .code = (int32_t)value };

	if (p->nthreads == 1)
		process_exit_current(st);
	p->nthreads--;
	t->exit_value = value;
	t->state = T_DEAD;
	thread_handle_exited(t, false);
	park_thread_gone(t);
	timer_thread_gone(t);
	endpoint_thread_gone(t);
	t->dead_next = dead_threads;
	dead_threads = t;
	sched_exit_current();
}

void
process_exit_current(struct exit_status st)
{
	process_stop(current->proc, st);
	sched_exit_current();
}

/* Frees a thread of a dead process (its address space goes too). */
static void
thread_free(struct thread *t)
{
	thread_table[t->index] = NULL;
	frames_free(t->ring.phys, RING_PAGES);
	kstack_free(t);
	kmem_free(t, &t->charge);
}

/* Takes t off its process's list (the process lives on). */
static void
thread_unlink(struct thread *t)
{
	for (struct thread **pp = &t->proc->threads; *pp != NULL;
	    pp = &(*pp)->proc_next) {
		if (*pp == t) {
			*pp = t->proc_next;
			return;
		}
	}
}

/* Whether a CPU is still on t's stack or any of p's threads'. */
static bool
proc_on_cpu(const struct process *p)
{
	for (const struct thread *t = p->threads; t != NULL; t = t->proc_next)
		if (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE) != 0)
			return true;
	return false;
}

bool
threads_reap_pending(void)
{
	return __atomic_load_n(&dead_threads, __ATOMIC_RELAXED) != NULL ||
	    __atomic_load_n(&dead_procs, __ATOMIC_RELAXED) != NULL;
}

void
threads_reap(void)
{
	struct thread *keep_threads = NULL;
	struct process *keep_procs = NULL;

	/* What a CPU is still on (a thread that has just exited there, or
	 * was stopped while it ran there) waits for the next reaping. */
	while (dead_threads != NULL) {
		struct thread *t = dead_threads;

		dead_threads = t->dead_next;
		if (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE) != 0) {
			t->dead_next = keep_threads;
			keep_threads = t;
			continue;
		}
		thread_unlink(t);
		ring_teardown(t);
		thread_table[t->index] = NULL;
		kstack_free(t);
		kmem_free(t, &t->charge);
	}
	dead_threads = keep_threads;
	while (dead_procs != NULL) {
		struct process *p = dead_procs;
		struct thread *t = p->threads, *next;

		dead_procs = p->dead_next;
		if (proc_on_cpu(p)) {
			p->dead_next = keep_procs;
			keep_procs = p;
			continue;
		}
		for (; t != NULL; t = next) {
			next = t->proc_next;
			thread_free(t);
		}
		aspace_destroy(&p->as);
		proc_table[p->index] = NULL;
		kmem_slots_reaped(p->kmem);
		kmem_account_put(p->kmem);
		kmem_free(p, &p->record);
	}
	dead_procs = keep_procs;
}
