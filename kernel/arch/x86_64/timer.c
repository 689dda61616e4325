/*
 * Local APIC timer and PIT calibration. See timer.h.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/trap.h"
#include "kernel.h"
#include "mm/vmm.h"
#include "proc/proc.h"
#include "proc/timeout.h"

#define PIT_HZ		1193182u
#define PIT_CH2		0x42
#define PIT_CMD		0x43
#define PIT_GATE	0x61
#define CALIBRATE_MS	4
#define CALIBRATE_ROUNDS 5

#define LAPIC_ID	0x020
#define LAPIC_EOI	0x0B0
#define LAPIC_SVR	0x0F0
#define LAPIC_ICR_LO	0x300
#define LAPIC_ICR_HI	0x310
#define ICR_PENDING	(1u << 12)
#define LAPIC_LVT_TIMER	0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR	0x390
#define LAPIC_TIMER_DIV	0x3E0
#define LVT_MASKED	(1u << 16)
/* Shorter waits are rounded up: an interrupt costs more than that. */
#define TIMER_MIN_NS	20000

static volatile uint32_t *lapic;
static volatile uint64_t ticks;
static uint64_t tsc_per_sec;
static uint64_t tsc_start;
static uint64_t apic_per_ms;

static uint32_t
lapic_read(uint32_t reg)
{
	return lapic[reg / 4];
}

static void
lapic_write(uint32_t reg, uint32_t v)
{
	lapic[reg / 4] = v;
}

/* Remaps the legacy PICs away from the exception vectors and masks them. */
static void
pic_disable(void)
{
	outb(0x20, 0x11);
	outb(0xA0, 0x11);
	outb(0x21, 0x20);
	outb(0xA1, 0x28);
	outb(0x21, 0x04);
	outb(0xA1, 0x02);
	outb(0x21, 0x01);
	outb(0xA1, 0x01);
	outb(0x21, 0xFF);
	outb(0xA1, 0xFF);
}

/* Programs the one-shot timer to fire at deadline (monotonic ns). */
static void
program(uint64_t deadline)
{
	uint64_t now = time_ns(), ns, count;

	ns = deadline > now ? deadline - now : 0;
	if (ns < TIMER_MIN_NS)
		ns = TIMER_MIN_NS;
	this_cpu()->timer_due = now + ns;
	count = ns / 1000 * apic_per_ms / 1000;
	if (count == 0)
		count = 1;
	if (count > 0xFFFFFFFFu)
		count = 0xFFFFFFFFu;
	lapic_write(LAPIC_TIMER_INIT, (uint32_t)count);
}

/*
 * Every interrupt: fire due timeouts, let the scheduler account the
 * quantum, then ask for the next interrupt at the earliest of the next
 * timeout and the end of the quantum.
 */
static void
timer_irq(struct trapframe *tf)
{
	uint64_t next, q;

	__atomic_fetch_add(&ticks, 1, __ATOMIC_RELAXED);
	this_cpu()->stat.ticks++;
	lapic_write(LAPIC_EOI, 0);
	/* The one-shot that brought us here is spent. */
	this_cpu()->timer_due = UINT64_MAX;
	timeout_run(time_ns());
	q = sched_tick((tf->cs & 3) != 0);
	next = timeout_next();
	program(next < q ? next : q);
}

/*
 * The timer interrupt without the big kernel lock, when no timeout that
 * needs it is due (firing one does: its callbacks answer calls). The
 * deadlines of blocked threads' own waits are fired here, under the
 * timeout list's and the scheduler's locks. The rest is the scheduler's:
 * end a user thread's quantum, perhaps switching to another thread
 * (sched_yield), and re-arm. With several CPUs busy in user code, taking
 * the BKL at every tick made them wait for each other (docs/smp.md,
 * "Ticks without the lock"). Returns false, having fired at most threads'
 * deadlines, when the tick needs the BKL.
 */
bool
timer_tick_unlocked(const struct trapframe *tf)
{
	struct percpu *me = this_cpu();
	uint64_t now = time_ns(), next = timeout_next_hint(), q;
	bool from_user = (tf->cs & 3) != 0;

	if (!from_user && me->cur != me->idle)
		return false;	/* the kernel runs with interrupts masked */
	/* Threads' own deadlines fire here; any other due timeout needs
	 * the BKL. */
	if (next <= now && timeout_run_sched_only(now))
		return false;
	__atomic_fetch_add(&ticks, 1, __ATOMIC_RELAXED);
	me->stat.ticks++;
	me->stat.quiet_ticks++;
	lapic_write(LAPIC_EOI, 0);
	me->timer_due = UINT64_MAX;
	/* May run another thread here; this one resumes later, perhaps on
	 * another CPU, whose timer it then programs. */
	q = sched_tick(from_user);
	next = timeout_next_hint();
	program(next < q ? next : q);
	return true;
}

void
timer_arm_quantum(uint64_t quantum_end)
{
	/* Called as a CPU switches, perhaps without the BKL that covers the
	 * timeout list: the hint is as of the list's last change. */
	uint64_t next = timeout_next_hint();
	uint64_t want = next < quantum_end ? next : quantum_end;

	/* An interrupt already due sooner stands (it re-arms for whatever
	 * is due then), which spares a LAPIC write on most switches; only a
	 * missing or later one is brought forward. */
	if (want < this_cpu()->timer_due)
		program(want);
}

void
timer_reprogram(void)
{
	uint64_t next = timeout_next();

	if (next < this_cpu()->timer_due)
		program(next);
}

/*
 * Runs PIT channel 2 as a one-shot for CALIBRATE_MS and counts how far the
 * APIC timer (divide by 16) and the TSC move meanwhile.
 */
static void
calibrate_once(uint64_t *apic, uint64_t *tsc)
{
	uint16_t count = (uint16_t)(PIT_HZ * CALIBRATE_MS / 1000);
	uint64_t t0, t1;
	uint32_t left;

	outb(PIT_GATE, (inb(PIT_GATE) & 0xFC) | 0x01);	/* gate on, no speaker */
	outb(PIT_CMD, 0xB0);	/* channel 2, lobyte/hibyte, mode 0 */
	outb(PIT_CH2, count & 0xFF);
	outb(PIT_CH2, count >> 8);
	/* Restart the count: a gate edge reloads channel 2. */
	outb(PIT_GATE, inb(PIT_GATE) & 0xFE);
	outb(PIT_GATE, inb(PIT_GATE) | 0x01);

	lapic_write(LAPIC_TIMER_DIV, 0x3);
	lapic_write(LAPIC_TIMER_INIT, 0xFFFFFFFFu);
	t0 = rdtsc();
	while ((inb(PIT_GATE) & 0x20) == 0)
		;
	t1 = rdtsc();
	left = lapic_read(LAPIC_TIMER_CUR);
	lapic_write(LAPIC_TIMER_INIT, 0);
	*apic = 0xFFFFFFFFu - left;
	*tsc = t1 - t0;
}

/*
 * CALIBRATE_ROUNDS measurements, of which the one with the median TSC
 * count gives both rates. Under a virtual machine the host may stop this
 * CPU for a while inside a measurement (seen: 70 ms on a loaded host
 * under TCG, which made one 10 ms measurement read the clocks 8 times
 * too fast, and every timeout last 8 times too long); such a stop makes
 * a round too long (or, between the PIT's start and the first reading,
 * too short), so the median stands while fewer than half are hit.
 */
static void
calibrate(uint64_t *per_ms)
{
	uint64_t apic[CALIBRATE_ROUNDS], tsc[CALIBRATE_ROUNDS];
	int order[CALIBRATE_ROUNDS], mid;

	for (int i = 0; i < CALIBRATE_ROUNDS; i++) {
		calibrate_once(&apic[i], &tsc[i]);
		order[i] = i;
	}
	for (int i = 1; i < CALIBRATE_ROUNDS; i++)
		for (int j = i; j > 0 && tsc[order[j]] < tsc[order[j - 1]];
		    j--) {
			int t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	mid = order[CALIBRATE_ROUNDS / 2];
	*per_ms = apic[mid] / CALIBRATE_MS;
	tsc_per_sec = tsc[mid] * (1000 / CALIBRATE_MS);
}

void
timer_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	pic_disable();
	wrmsr(MSR_APIC_BASE, base | (1u << 11));
	lapic = vmm_map_mmio(base & 0xFFFFF000ull, 4096);
	if (lapic == NULL)
		panic("timer: no memory to map the local APIC");
	lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);

	calibrate(&apic_per_ms);
	if (apic_per_ms == 0 || tsc_per_sec == 0)
		panic("timer: calibration failed (apic %llu/ms, tsc %llu Hz)",
		    (unsigned long long)apic_per_ms,
		    (unsigned long long)tsc_per_sec);
	tsc_start = rdtsc();

	irq_set_handler(VEC_TIMER, timer_irq);
	lapic_write(LAPIC_TIMER_DIV, 0x3);
	lapic_write(LAPIC_LVT_TIMER, VEC_TIMER);	/* one-shot */
	program(time_ns() + QUANTUM_NS);
	kdebug("timer: lapic %llu kHz (div 16), tsc %llu MHz, one-shot, "
	    "%u ms quantum\n", (unsigned long long)apic_per_ms,
	    (unsigned long long)(tsc_per_sec / 1000000), 1000 / TIMER_HZ);
}

void
lapic_init_ap(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	/* Every CPU's local APIC answers at the same physical address, the
	 * one timer_init mapped; an AP only has to switch its own on. */
	wrmsr(MSR_APIC_BASE, base | (1u << 11));
	lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
	/* Every local APIC timer runs at the bus clock the boot CPU's was
	 * calibrated against (QEMU's do), so the calibration holds here. */
	lapic_write(LAPIC_TIMER_DIV, 0x3);
	lapic_write(LAPIC_LVT_TIMER, VEC_TIMER);	/* one-shot */
	program(time_ns() + QUANTUM_NS);
}

void
lapic_send_ipi(uint32_t apic_id, uint32_t icr)
{
	lapic_write(LAPIC_ICR_HI, apic_id << 24);
	lapic_write(LAPIC_ICR_LO, icr);
	/* The local APIC takes one command at a time. */
	while (lapic_read(LAPIC_ICR_LO) & ICR_PENDING)
		__asm__ volatile("pause");
}

void
lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

uint32_t
lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

uint64_t
timer_ticks(void)
{
	return ticks;
}

uint64_t
tsc_hz(void)
{
	return tsc_per_sec;
}

uint64_t
time_ns(void)
{
	uint64_t d = rdtsc() - tsc_start;

	/* Split to keep d * 1e9 from overflowing. */
	return d / tsc_per_sec * 1000000000ull +
	    d % tsc_per_sec * 1000000000ull / tsc_per_sec;
}
