/*
 * The tick: the local APIC timer in periodic mode, calibrated against PIT
 * channel 2, which also gives the TSC frequency for nanosecond time.
 */
#ifndef CAPOS_TIMER_H
#define CAPOS_TIMER_H

#include <stdint.h>

#define TIMER_HZ	100

void timer_init(void);
uint64_t timer_ticks(void);
uint64_t tsc_hz(void);
/* Monotonic nanoseconds since timer_init, from the TSC. */
uint64_t time_ns(void);

#endif
