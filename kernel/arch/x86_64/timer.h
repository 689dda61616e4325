/*
 * The tick: the local APIC timer in periodic mode, calibrated against PIT
 * channel 2, which also gives the TSC frequency for nanosecond time.
 */
#ifndef CAPOS_TIMER_H
#define CAPOS_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct trapframe;

/* The scheduling quantum is 1 / TIMER_HZ seconds; the timer itself runs
 * one-shot, programmed for the next timeout or the end of the quantum. */
#define TIMER_HZ	100
#define QUANTUM_NS	(1000000000ull / TIMER_HZ)

void timer_init(void);
uint64_t timer_ticks(void);
/* Ends the interrupt being handled (device interrupt handlers call it). */
void lapic_eoi(void);
/* Switches an AP's local APIC on, with its one-shot timer running as
 * the boot CPU's does. */
void lapic_init_ap(void);
/* Sends an interprocessor interrupt (icr: the ICR's low word) to the CPU
 * with the given APIC id and waits until the local APIC has sent it. */
void lapic_send_ipi(uint32_t apic_id, uint32_t icr);
/* This CPU's local APIC id. */
uint32_t lapic_id(void);
/* Re-programs the one-shot timer after a timeout was armed earlier than
 * the interrupt already asked for. */
void timer_reprogram(void);
/* Makes sure an interrupt comes by the end of the quantum of a thread just
 * switched to, or the earliest timeout, whichever is first (an earlier one
 * already programmed is kept). Every switch calls it, so a thread that
 * resumes outside the timer interrupt still has the timer armed. */
void timer_arm_quantum(uint64_t quantum_end);
/* Handles a timer interrupt that needs no lock and returns true, or
 * returns false for the caller to take the lock and dispatch it. */
bool timer_tick_unlocked(const struct trapframe *tf);
uint64_t tsc_hz(void);
/* Monotonic nanoseconds since timer_init, from the TSC. */
uint64_t time_ns(void);

#endif
