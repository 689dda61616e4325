/*
 * CPU discovery from the MADT and the start of the application
 * processors; see smp.h and docs/smp.md.
 */
#include <string.h>

#include "arch/x86_64/acpi.h"
#include "arch/x86_64/boot_proto.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/trap.h"
#include "boot/rsdp.h"
#include "cap/scratch.h"
#include "kernel.h"
#include "proc/proc.h"
#include "mm/mem.h"
#include "mm/vmm.h"

static struct acpi_madt madt;
static bool have_madt;

/* An I/O APIC inside RAM or ACPI memory is a lie that would have the
 * kernel write registers into memory something else owns. */
static bool
ioapic_in_ram(const struct bootinfo *bi, uint64_t addr)
{
	for (uint32_t i = 0; i < bi->nregions; i++) {
		const struct mem_region *r = &bi->regions[i];

		if ((r->type == MEM_USABLE || r->type == MEM_ACPI_RECLAIM ||
		    r->type == MEM_ACPI_NVS) &&
		    range_overlaps(addr, 4096, r->base, r->len))
			return true;
	}
	return false;
}

static void
print_madt(uint64_t rsdp, const char *where)
{
	kdebug("acpi: RSDP at %#llx (%s), %u CPU%s, apic ids",
	    (unsigned long long)rsdp, where, madt.ncpus,
	    madt.ncpus == 1 ? "" : "s");
	for (uint32_t i = 0; i < madt.ncpus; i++)
		kdebug(" %u", madt.apic_ids[i]);
	if (madt.dropped != 0)
		kdebug(" (%u MADT entries left out)", madt.dropped);
	kdebug("\n");
	for (uint32_t i = 0; i < madt.nioapics; i++)
		kdebug("acpi: I/O APIC %u at %#x, global interrupts from %u\n",
		    madt.ioapics[i].id, madt.ioapics[i].addr,
		    madt.ioapics[i].gsi_base);
	for (uint32_t i = 0; i < ACPI_ISA_IRQS; i++)
		if (madt.isa_gsi[i] != i || madt.isa_flags[i] != 0)
			kdebug("acpi: ISA interrupt %u -> global %u%s%s\n", i,
			    madt.isa_gsi[i],
			    ACPI_INTI_POLARITY(madt.isa_flags[i]) ==
			    ACPI_INTI_ACTIVE_LOW ? ", active low" : "",
			    ACPI_INTI_TRIGGER(madt.isa_flags[i]) ==
			    ACPI_INTI_LEVEL ? ", level" : "");
}

void
smp_discover(const struct bootinfo *bi, uint32_t info_pa, phys_reader read,
    void *ctx)
{
	uint64_t rsdp = bootinfo_rsdp(bi->proto, info_pa, read, ctx);
	const char *where = bi->proto == BOOT_PROTO_PVH ? "from PVH" : "from Multiboot2";
	int err = ACPI_ERR_NO_RSDP;
	uint32_t kept = 0;

	if (rsdp != 0)
		err = acpi_read_madt(rsdp, read, ctx, &madt);
	/* The loader's copy may be wrong where the firmware's is not. */
	if (err != ACPI_OK && (rsdp = acpi_scan_rsdp(read, ctx)) != 0) {
		where = "BIOS area";
		err = acpi_read_madt(rsdp, read, ctx, &madt);
	}
	if (err != ACPI_OK) {
		kwarn("acpi: %s; running on the boot CPU with the standard "
		    "I/O APIC\n", acpi_strerror(err));
		return;
	}
	for (uint32_t i = 0; i < madt.nioapics; i++) {
		if (ioapic_in_ram(bi, madt.ioapics[i].addr)) {
			kwarn("acpi: I/O APIC at %#x lies in RAM; ignored\n",
			    madt.ioapics[i].addr);
			continue;
		}
		madt.ioapics[kept++] = madt.ioapics[i];
	}
	madt.nioapics = kept;
	have_madt = true;
	print_madt(rsdp, where);
	ioapic_configure(&madt);
}

uint32_t
smp_cpus_listed(void)
{
	return have_madt ? madt.ncpus : 1;
}

/* ---- Starting the application processors ---- */

#define ICR_INIT		0x00004500u	/* INIT, level assert */
#define ICR_STARTUP		0x00004600u	/* Startup, vector in bits 0-7 */
#define INIT_WAIT_US		10000
#define SIPI_WAIT_US		200
/* How long an AP may take to report in; TCG on a busy host is slow. */
#define AP_START_TIMEOUT_US	2000000
/* Each AP's first stack and its three interrupt stacks, in one block. */
#define AP_STACK_SIZE		16384
#define AP_BLOCK_FRAMES		((AP_STACK_SIZE + 3 * IST_STACK_SIZE) / 4096)

#define PG_P			0x1
#define PG_W			0x2
#define PG_PS			0x80

extern const char ap_trampoline_start[], ap_trampoline_end[];
extern const char ap_trampoline_data[];

static uint32_t ncpus_online = 1;
/* percpu.online of an AP the boot CPU stopped waiting for. */
#define AP_ABANDONED	2
/* Whether the APs run user threads (the default) or, with the boot
 * parameter smp=halt, halt once they have reported in. */
static bool aps_schedule;
/* Off while only the boot CPU schedules: one CPU needs no lock, and the
 * kernel then runs exactly as it did before SMP. */
static bool bkl_active;
/* test=ap-panic: the first AP to take the lock panics (test_smp.py). */
static bool ap_panic_test;
/* smpstats: print each CPU's counters (percpu.stat) at shutdown. */
static bool print_stats;

/*
 * How long a CPU spins for the lock before it halts until the release
 * (TSC cycles; the boot parameter bkl=sleep makes it 0, for tests). A
 * spinning CPU keeps its host thread busy under emulation or a
 * hypervisor, where the holder may be the one waiting for a host core
 * (docs/smp.md, "Waiting for the lock").
 */
#define BKL_SPIN_CYCLES	200000
static uint64_t bkl_spin_limit = BKL_SPIN_CYCLES;


static void
delay_us(uint64_t us)
{
	uint64_t end = time_ns() + us * 1000;

	while (time_ns() < end)
		__asm__ volatile("pause");
}

/*
 * The trampoline pages must be RAM the firmware left us (a usable region)
 * with no boot module in them; the frame allocator never hands out low
 * memory, so nothing else of the kernel's is there.
 */
static bool
trampoline_room(const struct bootinfo *bi)
{
	uint64_t base = AP_TRAMPOLINE, len = AP_TRAMPOLINE_PAGES * 4096ull;
	bool in_ram = false;

	for (uint32_t i = 0; i < bi->nregions; i++) {
		const struct mem_region *r = &bi->regions[i];

		if (r->type == MEM_USABLE && r->base <= base &&
		    base + len <= r->base + r->len)
			in_ram = true;
		else if (r->type != MEM_USABLE &&
		    range_overlaps(base, len, r->base, r->len))
			return false;
	}
	for (uint32_t i = 0; i < bi->nmodules; i++)
		if (range_overlaps(base, len, bi->modules[i].base,
		    bi->modules[i].len))
			return false;
	return in_ram;
}

/*
 * Copies the trampoline in and builds its page tables in the three pages
 * after it: the first 2 MiB identity-mapped (the trampoline runs there
 * while paging comes on) and the kernel half of the kernel's own PML4, so
 * the jump to ap_main lands in the kernel's text.
 */
static void
trampoline_setup(void)
{
	uint8_t *page = phys_to_virt(AP_TRAMPOLINE);
	uint64_t *pml4 = phys_to_virt(AP_TRAMPOLINE + 0x1000);
	uint64_t *pdpt = phys_to_virt(AP_TRAMPOLINE + 0x2000);
	uint64_t *pd = phys_to_virt(AP_TRAMPOLINE + 0x3000);
	const uint64_t *kpml4 = phys_to_virt(vmm_kernel_pml4());
	size_t len = (size_t)(ap_trampoline_end - ap_trampoline_start);

	_Static_assert(AP_TRAMPOLINE % 4096 == 0 && AP_TRAMPOLINE < 0x100000,
	    "a Startup IPI names a page below 1 MiB");
	if (len > 4096)
		panic("smp: the AP trampoline is %zu bytes", len);
	memset(page, 0, 4 * 4096);
	memcpy(page, ap_trampoline_start, len);
	pml4[0] = (AP_TRAMPOLINE + 0x2000) | PG_P | PG_W;
	for (int i = 256; i < 512; i++)
		pml4[i] = kpml4[i];
	pdpt[0] = (AP_TRAMPOLINE + 0x3000) | PG_P | PG_W;
	pd[0] = 0 | PG_P | PG_W | PG_PS;
}

static struct ap_trampoline_data *
trampoline_data(void)
{
	return (struct ap_trampoline_data *)((uint8_t *)phys_to_virt(
	    AP_TRAMPOLINE) + (ap_trampoline_data - ap_trampoline_start));
}

/* Starts CPU cpu (APIC id apic); true once it has reported in. */
static bool
start_ap(uint32_t cpu, uint32_t apic)
{
	struct percpu *p = &cpus[cpu];
	struct ap_trampoline_data *d = trampoline_data();
	uint64_t block = frames_alloc_contig(AP_BLOCK_FRAMES), t0;
	uint8_t *mem;

	if (block == 0 || scratch_init(cpu) != 0) {
		if (block != 0)
			frames_free(block, AP_BLOCK_FRAMES);
		kwarn("smp: no memory for cpu %u's stacks\n", cpu);
		return false;
	}
	mem = phys_to_virt(block);
	p->apic_id = apic;
	p->online = 0;
	for (int i = 0; i < 3; i++)
		p->ist_top[i] = (uint64_t)(mem + AP_STACK_SIZE +
		    (uint64_t)(i + 1) * IST_STACK_SIZE);
	d->cr3 = AP_TRAMPOLINE + 0x1000;
	d->entry = (uint64_t)ap_main;
	d->stack = (uint64_t)(mem + AP_STACK_SIZE);
	d->cpu = cpu;
	d->nx = vmm_nx_supported();
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	/* INIT, then Startup twice as the MP specification has it (the
	 * second only if the first did not take). */
	lapic_send_ipi(apic, ICR_INIT);
	delay_us(INIT_WAIT_US);
	for (int i = 0; i < 2 && !p->online; i++) {
		lapic_send_ipi(apic, ICR_STARTUP | (AP_TRAMPOLINE >> 12));
		delay_us(SIPI_WAIT_US);
	}
	t0 = time_ns();
	while (!__atomic_load_n(&p->online, __ATOMIC_ACQUIRE)) {
		uint32_t none = 0;

		/* Given up on, a late AP must not report in and schedule:
		 * it is not among the CPUs shootdowns reach. Whichever of
		 * the two marks the word first decides. */
		if (time_ns() - t0 > AP_START_TIMEOUT_US * 1000ull)
			return !__atomic_compare_exchange_n(&p->online, &none,
			    AP_ABANDONED, false, __ATOMIC_ACQ_REL,
			    __ATOMIC_ACQUIRE);
		__asm__ volatile("pause");
	}
	return true;
}

void
smp_start_aps(const struct bootinfo *bi)
{
	uint32_t self = lapic_id(), listed = smp_cpus_listed(), next = 1;
	bool checked = true;

	cpus[0].apic_id = self;
	aps_schedule = !bootinfo_has_arg(bi, "smp=halt");
	print_stats = bootinfo_has_arg(bi, "smpstats");
	if (bootinfo_has_arg(bi, "bkl=sleep"))
		bkl_spin_limit = 0;
	ap_panic_test = bootinfo_has_arg(bi, "test=ap-panic");
	if (aps_schedule && have_madt && listed > 1) {
		/* From here the boot CPU runs under the lock, like every CPU
		 * in the kernel; its idle loop or init's first way out to user
		 * mode lets the APs in. */
		bkl_active = true;
		bkl_acquire();
	}
	if (!have_madt || listed == 1)
		return;
	if (!trampoline_room(bi)) {
		kwarn("smp: the AP trampoline's pages at %#x are not free "
		    "RAM; running on the boot CPU\n", AP_TRAMPOLINE);
		return;
	}
	trampoline_setup();
	for (uint32_t i = 0; i < madt.ncpus; i++) {
		uint32_t apic = madt.apic_ids[i];

		if (apic == self)
			continue;
		if (next == SMP_MAX_CPUS) {
			kwarn("smp: more than %u CPUs; apic id %u and after "
			    "left out\n", SMP_MAX_CPUS, apic);
			break;
		}
		if (!start_ap(next, apic)) {
			/* A late starter would take the next AP's stack from
			 * the shared trampoline, so none is started after. */
			kwarn("smp: cpu %u (apic id %u) did not start; no "
			    "more are tried\n", next, apic);
			break;
		}
		next++;
	}
	ncpus_online = next;
	/* What each AP found for itself must be what the MADT said and
	 * its own per-CPU block. */
	for (uint32_t c = 1; c < ncpus_online; c++) {
		if (cpus[c].apic_id_seen != cpus[c].apic_id ||
		    cpus[c].gs_seen != &cpus[c]) {
			kwarn("smp: cpu %u read apic id %u (MADT: %u) and "
			    "per-CPU block %p (its own: %p)\n", c,
			    cpus[c].apic_id_seen, cpus[c].apic_id,
			    (void *)cpus[c].gs_seen, (void *)&cpus[c]);
			checked = false;
		}
	}
	if (checked && ncpus_online == listed)
		kdebug("[proof] smp ok cpus=%u every AP read its MADT apic "
		    "id and reached its own per-CPU block through GS\n",
		    ncpus_online);
	else
		kwarn("smp: %u of %u CPUs online\n", ncpus_online, listed);
	if (ncpus_online > 1)
		kdebug("smp: user threads run on %s\n", aps_schedule ?
		    "every CPU" : "the boot CPU (smp=halt)");
}

uint32_t
smp_cpus_online(void)
{
	return ncpus_online;
}

bool
smp_cpus_share(void)
{
	return bkl_active && ncpus_online > 1;
}

void
ap_main(uint32_t cpu)
{
	struct percpu *p = &cpus[cpu];
	uint32_t none = 0;

	write_cr3(vmm_kernel_pml4());
	gdt_init_cpu(cpu, p->ist_top);
	idt_load();
	percpu_init(cpu);
	cpu_init_user();
	lapic_init_ap();
	p->apic_id_seen = lapic_id();
	p->gs_seen = this_cpu();
	if (aps_schedule)
		sched_init();
	kdebug("cpu %u online (apic id %u)\n", cpu, p->apic_id_seen);
	/* Last: the boot CPU prints again only once this is seen. Too late
	 * (the boot CPU gave up on this one) it halts. */
	if (!__atomic_compare_exchange_n(&p->online, &none, 1, false,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		for (;;)
			__asm__ volatile("cli; hlt");
	if (aps_schedule) {
		/* The boot CPU holds the lock until it has started init. */
		bkl_acquire();
		if (ap_panic_test)
			panic("test: cpu %u panics with the others running",
			    cpu);
		sched_run();
	}
	/* Not scheduling: halted with interrupts masked. Without an idle
	 * thread it is left out of wake-ups and shootdowns, as it runs
	 * nothing that could use a TLB entry. */
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* ---- The big kernel lock, wake-ups and TLB shootdown ---- */

/* 0 when free, else the holding CPU's id + 1. */
static volatile uint32_t bkl_owner;

#define ICR_NMI			0x00004400u	/* NMI, level assert */

/*
 * Halts unless the lock word at %rdi reads 0 (free) or this CPU's sleep
 * mark at %rsi does (a release took it, and its kick is on the way or
 * came). Interrupts are masked, so only an NMI ends the halt: the
 * releaser's kick. An NMI that lands between the looks and the hlt
 * resumes after the hlt (smp_nmi), so a release that comes after the
 * looks is never slept through.
 */
void bkl_halt(const volatile uint32_t *owner, const volatile uint32_t *mark);
extern const char bkl_halt_window[], bkl_halt_window_end[];
__asm__(
"	.text\n"
"	.globl	bkl_halt, bkl_halt_window, bkl_halt_window_end\n"
"bkl_halt:\n"
"bkl_halt_window:\n"
"	cmpl	$0, (%rdi)\n"
"	je	bkl_halt_window_end\n"
"	cmpl	$0, (%rsi)\n"
"	je	bkl_halt_window_end\n"
"	hlt\n"
"bkl_halt_window_end:\n"
"	ret\n");

/* Answers this CPU's TLB flush request, if there is one. */
static void
tlb_answer(void)
{
	struct percpu *p = this_cpu();

	if (__atomic_load_n(&p->tlb_req, __ATOMIC_ACQUIRE)) {
		/* Reloading CR3 drops every non-global entry; the kernel
		 * half is shared, so this also covers kernel unmaps. */
		write_cr3(read_cr3());
		__atomic_store_n(&p->tlb_req, 0, __ATOMIC_RELEASE);
	}
}

bool
bkl_held(void)
{
	return bkl_active && bkl_owner == this_cpu()->id + 1;
}

bool
bkl_held_elsewhere(void)
{
	uint32_t owner = __atomic_load_n(&bkl_owner, __ATOMIC_RELAXED);

	return bkl_active && owner != 0 && owner != this_cpu()->id + 1;
}

bool
bkl_try_acquire(void)
{
	uint32_t free_ = 0;

	if (!bkl_active)
		return true;
	if (bkl_owner != 0 || !__atomic_compare_exchange_n(&bkl_owner,
	    &free_, this_cpu()->id + 1, false, __ATOMIC_ACQUIRE,
	    __ATOMIC_RELAXED))
		return false;
	tlb_answer();
	return true;
}

void
smp_tlb_answer(void)
{
	tlb_answer();
}

void
spin_lock(struct spinlock *l)
{
	struct percpu *p = this_cpu();
	uint32_t me = p->id + 1, free_ = 0;
	uint64_t t0 = 0;

	if (l->owner == me)
		panic("spin_lock: cpu %u takes a lock it holds (from %p)",
		    p->id, __builtin_return_address(0));
	for (;;) {
		if (l->owner == 0 && __atomic_compare_exchange_n(&l->owner,
		    &free_, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			if (t0 != 0) {
				p->stat.lock_waits++;
				p->stat.lock_spin += rdtsc() - t0;
			}
			return;
		}
		if (t0 == 0)
			t0 = rdtsc();
		free_ = 0;
		/* The holder never waits for a shootdown, but a CPU holding
		 * the BKL may be waiting for this one's answer. */
		tlb_answer();
		__asm__ volatile("pause");
	}
}

void
spin_unlock(struct spinlock *l)
{
	if (!spin_mine(l))
		panic("spin_unlock: cpu %u does not hold the lock (owner %u, "
		    "from %p)", this_cpu()->id, l->owner,
		    __builtin_return_address(0));
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELEASE);
}

bool
spin_mine(const struct spinlock *l)
{
	return l->owner == this_cpu()->id + 1;
}

/*
 * Halts until the lock's release kicks this CPU. The mark goes up before
 * the last look at the lock, and the release clears the lock before it
 * looks for marks, so one of the two sees the other (both fence); the
 * release that takes the mark down sends the kick, and a mark found down
 * ends the sleep before it starts (a release took it: it cannot be
 * counted on to kick again). A
 * shootdown asked of this CPU before its mark was seen is answered here;
 * one asked after comes as an NMI (tlb_shootdown), answered in smp_nmi.
 */
static void
bkl_sleep(struct percpu *p)
{
	__atomic_store_n(&p->lock_sleep, 1, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	tlb_answer();
	p->stat.bkl_sleeps++;
	bkl_halt(&bkl_owner, &p->lock_sleep);
	__atomic_store_n(&p->lock_sleep, 0, __ATOMIC_RELEASE);
}

void
bkl_acquire(void)
{
	struct percpu *p = this_cpu();
	uint32_t me = p->id + 1, free_ = 0;
	uint64_t t0 = 0, spun_from = 0;

	if (!bkl_active)
		return;

	for (;;) {
		if (bkl_owner == 0 && __atomic_compare_exchange_n(&bkl_owner,
		    &free_, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			if (t0 != 0) {
				p->stat.bkl_waits++;
				p->stat.bkl_spin += rdtsc() - t0;
			}
			/* A request left for this CPU while it halted is
			 * answered before it runs anything (tlb_shootdown). */
			tlb_answer();
			return;
		}
		if (t0 == 0)
			spun_from = t0 = rdtsc();
		free_ = 0;
		/* Interrupts are masked here: whoever holds the lock may be
		 * waiting on this CPU's answer to a shootdown. */
		tlb_answer();
		if (rdtsc() - spun_from >= bkl_spin_limit) {
			bkl_sleep(p);
			spun_from = rdtsc();
			continue;
		}
		__asm__ volatile("pause");
	}
}

void
bkl_release(void)
{
	if (!bkl_active)
		return;
	if (!bkl_held())
		panic("bkl_release: cpu %u does not hold the lock (owner %u, "
		    "from %p)", this_cpu()->id, bkl_owner,
		    __builtin_return_address(0));
	__atomic_store_n(&bkl_owner, 0, __ATOMIC_RELEASE);
	/* Kicks every CPU asleep for it (bkl_sleep): the first to wake
	 * takes it, the others spin and may sleep again. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (uint32_t c = 0; c < ncpus_online; c++) {
		if (__atomic_load_n(&cpus[c].lock_sleep, __ATOMIC_RELAXED) &&
		    __atomic_exchange_n(&cpus[c].lock_sleep, 0,
		    __ATOMIC_ACQ_REL)) {
			lapic_send_ipi(cpus[c].apic_id, ICR_NMI);
			this_cpu()->stat.bkl_kicks++;
		}
	}
}

void
smp_tlb_irq(void)
{
	tlb_answer();
	lapic_eoi();
}

void
smp_wake_irq(void)
{
	/* A halted idle loop looks for work (sched_run); a thread in user
	 * mode leaves the kernel through kernel_exit_to_user, where one
	 * stopped meanwhile exits. */
	this_cpu()->quiet_wake = 0;
	lapic_eoi();
}

/*
 * A CPU halted in its idle loop runs nothing that could use a stale entry
 * (its idle stack is its own, and user tables are not loaded there), and
 * it answers its request as it clears its halted mark on waking
 * (sched_run): it is left the request and not sent an IPI or waited for.
 * Every other CPU concerned is interrupted and waited for. The fences
 * pair with the other side's: the caller's table edits come before the
 * look at loaded_pml4, as switch_to publishes it before it loads the
 * tables; the request comes before the look at halted, as the idle loop
 * clears the mark before it looks for a request.
 */
void
tlb_shootdown(uint64_t pml4)
{
	struct percpu *me = this_cpu();
	bool waiting[SMP_MAX_CPUS] = { false }, sent = false;
	uint64_t t0;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (uint32_t c = 0; c < ncpus_online; c++) {
		struct percpu *p = &cpus[c];

		if (p == me || p->idle == NULL || (pml4 != 0 &&
		    __atomic_load_n(&p->loaded_pml4, __ATOMIC_ACQUIRE) != pml4))
			continue;
		__atomic_store_n(&p->tlb_req, 1, __ATOMIC_RELEASE);
		/* A CPU asleep waiting for the lock has interrupts masked:
		 * an NMI wakes it to answer (the request is stored before
		 * the look at its mark, as bkl_sleep marks before it looks
		 * at its requests). */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&p->halted, __ATOMIC_ACQUIRE))
			continue;
		lapic_send_ipi(p->apic_id,
		    __atomic_load_n(&p->lock_sleep, __ATOMIC_ACQUIRE) ?
		    ICR_NMI : VEC_TLB);
		me->stat.tlb_ipis++;
		waiting[c] = sent = true;
	}
	if (!sent)
		return;
	t0 = rdtsc();
	for (uint32_t c = 0; c < ncpus_online; c++)
		while (waiting[c] &&
		    __atomic_load_n(&cpus[c].tlb_req, __ATOMIC_ACQUIRE))
			__asm__ volatile("pause");
	me->stat.tlb_spin += rdtsc() - t0;
}

void
smp_wake_halted(uint32_t cpu)
{
	struct percpu *p = &cpus[cpu];

	/* The thread is queued before the mark is read (sched_run). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (p == this_cpu() || !__atomic_load_n(&p->halted, __ATOMIC_ACQUIRE))
		return;
	p->halted = 0;
	lapic_send_ipi(p->apic_id, VEC_WAKE);
	this_cpu()->stat.wake_ipis++;
}

void
smp_kick(uint32_t cpu)
{
	if (cpu < ncpus_online && &cpus[cpu] != this_cpu() &&
	    cpus[cpu].idle != NULL)
		lapic_send_ipi(cpus[cpu].apic_id, VEC_WAKE);
}

/* ---- Stopping the other CPUs (panic, shutdown) ---- */
/* How long the stopped CPUs have to answer. */
#define STOP_TIMEOUT_NS		1000000000ull

/* The CPU that stops the others, as id + 1; 0 until one does. */
static volatile uint32_t stopper;

/* This CPU's number from its local APIC, not GS: an NMI may arrive in
 * the instructions between a kernel entry and its swapgs. */
static uint32_t
cpu_from_apic(void)
{
	uint32_t apic = lapic_id();

	for (uint32_t c = 0; c < ncpus_online; c++)
		if (cpus[c].apic_id == apic)
			return c;
	return 0;
}

static void __attribute__((noreturn))
stop_here(uint32_t cpu)
{
	__atomic_store_n(&cpus[cpu].stopped, 1, __ATOMIC_RELEASE);
	for (;;)
		__asm__ volatile("cli; hlt");
}

uint32_t
smp_stop_others(void)
{
	uint32_t me, none = 0, stopped = 0;
	uint64_t give_up;

	if (ncpus_online == 1)
		return 0;
	me = cpu_from_apic();
	if (!__atomic_compare_exchange_n(&stopper, &none, me + 1, false,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		/* Stopped already, by this CPU (a panic after shutdown
		 * stopped the others), or being stopped by another. */
		if (none != me + 1)
			stop_here(me);
		give_up = 0;
	} else {
		/* An NMI: a CPU spinning with interrupts masked (for the
		 * lock, for a shootdown's answer) takes it too. */
		for (uint32_t c = 0; c < ncpus_online; c++)
			if (c != me)
				lapic_send_ipi(cpus[c].apic_id, ICR_NMI);
		give_up = time_ns() + STOP_TIMEOUT_NS;
	}
	for (uint32_t c = 0; c < ncpus_online; c++) {
		if (c == me)
			continue;
		while (!__atomic_load_n(&cpus[c].stopped, __ATOMIC_ACQUIRE) &&
		    time_ns() < give_up)
			__asm__ volatile("pause");
		stopped += cpus[c].stopped;
	}
	return stopped;
}

void
smp_nmi(struct trapframe *tf)
{
	uint32_t by = __atomic_load_n(&stopper, __ATOMIC_ACQUIRE);
	uint32_t me = cpu_from_apic();
	struct percpu *p = &cpus[me];

	if (by != 0 && by != me + 1)
		stop_here(me);
	/* A kick: answer a flush request (tlb_answer, by the APIC id:
	 * GS may still be the user's), and end a sleep for the lock. */
	if (__atomic_load_n(&p->tlb_req, __ATOMIC_ACQUIRE)) {
		write_cr3(read_cr3());
		__atomic_store_n(&p->tlb_req, 0, __ATOMIC_RELEASE);
	}
	if (tf->rip >= (uint64_t)bkl_halt_window &&
	    tf->rip < (uint64_t)bkl_halt_window_end)
		tf->rip = (uint64_t)bkl_halt_window_end;
}

/* Each CPU's counters, one line each, for docs/smp.md's measurements. */
static void
print_cpu_stats(void)
{
	for (uint32_t c = 0; c < ncpus_online; c++) {
		const struct percpu *p = &cpus[c];

		kprintf("smpstats cpu=%u user_runs=%llu ticks=%llu "
		    "quiet_ticks=%llu halts=%llu quiet_halts=%llu "
		    "poll_hits=%llu bkl_waits=%llu bkl_spin=%llu bkl_sleeps=%llu "
		    "bkl_kicks=%llu lock_waits=%llu lock_spin=%llu "
		    "oncpu_waits=%llu oncpu_spin=%llu "
		    "free_idle_switches=%llu free_preemptions=%llu "
		    "free_deadlines=%llu free_parks=%llu tlb_ipis=%llu "
		    "tlb_spin=%llu "
		    "wake_ipis=%llu steals=%llu migrations=%llu "
		    "handoffs=%llu\n", c,
		    (unsigned long long)p->user_runs,
		    (unsigned long long)p->stat.ticks,
		    (unsigned long long)p->stat.quiet_ticks,
		    (unsigned long long)p->stat.halts,
		    (unsigned long long)p->stat.quiet_halts,
		    (unsigned long long)p->stat.poll_hits,
		    (unsigned long long)p->stat.bkl_waits,
		    (unsigned long long)p->stat.bkl_spin,
		    (unsigned long long)p->stat.bkl_sleeps,
		    (unsigned long long)p->stat.bkl_kicks,
		    (unsigned long long)p->stat.lock_waits,
		    (unsigned long long)p->stat.lock_spin,
		    (unsigned long long)p->stat.oncpu_waits,
		    (unsigned long long)p->stat.oncpu_spin,
		    (unsigned long long)p->stat.free_idle_switches,
		    (unsigned long long)p->stat.free_preemptions,
		    (unsigned long long)p->stat.free_deadlines,
		    (unsigned long long)p->stat.free_parks,
		    (unsigned long long)p->stat.tlb_ipis,
		    (unsigned long long)p->stat.tlb_spin,
		    (unsigned long long)p->stat.wake_ipis,
		    (unsigned long long)p->stat.steals,
		    (unsigned long long)p->stat.migrations,
		    (unsigned long long)p->stat.handoffs);
	}
}

void
smp_report(void)
{
	uint32_t ran = 0;
	uint64_t idle_sw = 0, preempt = 0, deadlines = 0, parks = 0;

	if (print_stats)
		print_cpu_stats();
	if (ncpus_online == 1 || log_level < CAPOS_LOG_DEBUG)
		return;
	kdebug("smp: user threads switched in per CPU:");
	for (uint32_t c = 0; c < ncpus_online; c++) {
		kdebug(" %llu", (unsigned long long)cpus[c].user_runs);
		ran += cpus[c].user_runs != 0;
	}
	kdebug("\n");
	/* Counted by the idle loop as it halted again on its own. */
	for (uint32_t c = 0; c < ncpus_online; c++)
		if (cpus[c].stat.quiet_halts != 0) {
			kdebug("[proof] smp-quiet ok idle CPUs woken by ticks "
			    "that needed no lock halted again without the big "
			    "kernel lock\n");
			break;
		}
	/* Counted as a CPU switched threads without the BKL and found
	 * another CPU holding it (sched.c, switch_to). */
	for (uint32_t c = 0; c < ncpus_online; c++) {
		idle_sw += cpus[c].stat.free_idle_switches;
		preempt += cpus[c].stat.free_preemptions;
		deadlines += cpus[c].stat.free_deadlines;
		parks += cpus[c].stat.free_parks;
	}
	if (idle_sw != 0 && preempt != 0 && deadlines != 0)
		kdebug("[proof] sched-free ok while another CPU held the big "
		    "kernel lock, idle loops ran threads, ticks preempted them "
		    "and deadlines woke them without it (%llu, %llu and %llu "
		    "times)\n", (unsigned long long)idle_sw,
		    (unsigned long long)preempt,
		    (unsigned long long)deadlines);
	/* Counted by do_call (dispatch.c) as it served a ParkSpace call
	 * without the BKL and found another CPU holding it. */
	if (parks != 0)
		kdebug("[proof] park-free ok ParkSpace calls ran without the "
		    "big kernel lock while another CPU held it (%llu times)\n",
		    (unsigned long long)parks);
	/* The counts are the scheduler's own, taken as it switched. */
	for (uint32_t c = 1; c < ncpus_online; c++)
		if (cpus[c].user_runs != 0) {
			kdebug("[proof] smp-run ok user threads ran on %u of "
			    "%u CPUs, application processors among them\n",
			    ran, ncpus_online);
			return;
		}
}
