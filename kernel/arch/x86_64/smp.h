/*
 * The CPUs: which there are (from the ACPI MADT) and starting the
 * application processors (APs). docs/smp.md has the design.
 */
#ifndef CAPOS_SMP_H
#define CAPOS_SMP_H

/*
 * The APs' real-mode entry page, and the three pages after it for their
 * temporary page tables. Below 1 MiB, so the frame allocator never hands
 * these frames out (pmm.c keeps all of low memory); smp.c checks they are
 * RAM and hold no boot module before using them.
 */
#define AP_TRAMPOLINE		0x8000
#define AP_TRAMPOLINE_PAGES	4

#ifndef __ASSEMBLY__
#include <stdbool.h>
#include <stdint.h>

#include "boot/bootinfo.h"
#include "lock.h"

/* The trampoline's data block (ap_trampoline.S, at its end). */
struct ap_trampoline_data {
	uint64_t cr3;		/* the temporary tables, below 4 GiB */
	uint64_t entry;		/* ap_main */
	uint64_t stack;		/* the AP's first stack, top */
	uint32_t cpu;
	uint32_t nx;		/* whether to set EFER.NXE */
};

/* Reads the MADT through the boot-time reader (the RSDP from the boot
 * information, else the BIOS-area scan) and configures the I/O APICs from
 * it. Without a usable MADT the machine is taken as one CPU with the
 * standard I/O APIC, and the reason is printed. */
void smp_discover(const struct bootinfo *bi, uint32_t info_pa,
    phys_reader read, void *ctx);

/* CPUs the MADT lists (1 without one). */
uint32_t smp_cpus_listed(void);

/* Starts every AP the MADT lists, one at a time, with INIT-SIPI-SIPI;
 * each reports in and halts. Needs the local APIC (timer_init) and the
 * kernel's page tables. */
void smp_start_aps(const struct bootinfo *bi);

/* CPUs running, the boot CPU included. */
uint32_t smp_cpus_online(void);
/* Whether more than one CPU runs threads (not one CPU, not smp=halt). */
bool smp_cpus_share(void);

/*
 * The big kernel lock (docs/smp.md): held by a thread's kernel path.
 * Taken at every entry that needs it, dropped on the way out to user mode
 * and across a switch (sched.c), which takes it again for a thread that
 * held it. Waiting for it answers TLB shootdowns, and a CPU that has
 * waited long halts until the release kicks it. It is only in force once
 * APs schedule (not with smp=halt); before, and on one CPU, taking and
 * dropping it do nothing and bkl_held() is false.
 */
void bkl_acquire(void);
void bkl_release(void);
/* Whether this CPU holds the lock (false when it is not in force). */
bool bkl_held(void);
/* Takes the lock if it is free, without waiting; true when taken (or
 * not in force). */
bool bkl_try_acquire(void);
/* Whether a CPU other than this one holds the lock. */
bool bkl_held_elsewhere(void);

/* Answers this CPU's TLB flush request, if there is one (a CPU that
 * halted without the BKL and woke to run a thread without it). */
void smp_tlb_answer(void);

/* Makes every other CPU that has pml4 loaded (0: every other CPU, for the
 * shared kernel half) flush its TLB, and returns once each has. The
 * caller has already flushed its own entries and holds the lock. */
void tlb_shootdown(uint64_t pml4);
/* The TLB IPI's handler (trap.c calls it without the lock). */
void smp_tlb_irq(void);
/* The wake IPI's handler (trap.c calls it without the lock): the
 * interrupt itself is the message. */
void smp_wake_irq(void);
/* Sends cpu a wake IPI if it halts in its idle loop. */
void smp_wake_halted(uint32_t cpu);
/* Sends a wake IPI to cpu, making it enter the kernel. */
void smp_kick(uint32_t cpu);

/*
 * Stops every other CPU with an NMI (panic, and shutdown before the leak
 * check): each halts for good with interrupts masked, wherever it was.
 * Returns how many answered within a second. A CPU that calls this while
 * another is stopping the machine is stopped itself and never returns.
 */
uint32_t smp_stop_others(void);
/*
 * Every NMI (trap.c calls it without the lock, and without trusting GS):
 * stops this CPU if another is stopping the machine; otherwise it is a
 * kick, for a CPU asleep waiting for the lock or asked for a TLB flush
 * while so (docs/smp.md, "Waiting for the lock").
 */
struct trapframe;
void smp_nmi(struct trapframe *tf);
/* At shutdown: how many times each CPU switched to a user thread, and
 * the proof line when an AP ran any. */
void smp_report(void);

/* The C entry of an AP, from the trampoline. */
void ap_main(uint32_t cpu) __attribute__((noreturn));
#endif

#endif
