/*
 * Local APIC timer and PIT calibration. See timer.h.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/trap.h"
#include "kernel.h"
#include "mm/vmm.h"
#include "proc/proc.h"

#define PIT_HZ		1193182u
#define PIT_CH2		0x42
#define PIT_CMD		0x43
#define PIT_GATE	0x61
#define CALIBRATE_MS	10

#define LAPIC_EOI	0x0B0
#define LAPIC_SVR	0x0F0
#define LAPIC_LVT_TIMER	0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR	0x390
#define LAPIC_TIMER_DIV	0x3E0
#define LVT_MASKED	(1u << 16)
#define LVT_PERIODIC	(1u << 17)

static volatile uint32_t *lapic;
static volatile uint64_t ticks;
static uint64_t tsc_per_sec;
static uint64_t tsc_start;

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

static void
timer_irq(struct trapframe *tf)
{
	ticks++;
	lapic_write(LAPIC_EOI, 0);
	sched_tick((tf->cs & 3) != 0);
}

/*
 * Runs PIT channel 2 as a one-shot for CALIBRATE_MS and counts how far the
 * APIC timer (divide by 16) and the TSC move meanwhile.
 */
static void
calibrate(uint32_t *apic_per_ms)
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

	*apic_per_ms = (0xFFFFFFFFu - left) / CALIBRATE_MS;
	tsc_per_sec = (t1 - t0) * (1000 / CALIBRATE_MS);
}

void
timer_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	uint32_t apic_per_ms;

	pic_disable();
	wrmsr(MSR_APIC_BASE, base | (1u << 11));
	lapic = vmm_map_mmio(base & 0xFFFFF000ull, 4096);
	lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);

	calibrate(&apic_per_ms);
	if (apic_per_ms == 0 || tsc_per_sec == 0)
		panic("timer: calibration failed (apic %u/ms, tsc %llu Hz)",
		    apic_per_ms, (unsigned long long)tsc_per_sec);
	tsc_start = rdtsc();

	irq_set_handler(VEC_TIMER, timer_irq);
	lapic_write(LAPIC_TIMER_DIV, 0x3);
	lapic_write(LAPIC_LVT_TIMER, LVT_PERIODIC | VEC_TIMER);
	lapic_write(LAPIC_TIMER_INIT, apic_per_ms * 1000 / TIMER_HZ);
	kprintf("timer: lapic %u kHz (div 16), tsc %llu MHz, %u Hz tick\n",
	    apic_per_ms, (unsigned long long)(tsc_per_sec / 1000000),
	    TIMER_HZ);
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
