/*
 * Spin locks below the big kernel lock (docs/smp.md, "The scheduler's
 * lock" and "ParkSpace without the lock"). Taken with interrupts masked,
 * as all kernel code runs; a CPU waiting for one answers TLB shootdowns.
 * Taking a lock the CPU already holds, or dropping one it does not hold,
 * panics.
 * The kernel's are in kernel/arch/x86_64/smp.c; the host unit tests
 * stand in with their own (tests/unit/lock_host.c).
 */
#ifndef CAPOS_LOCK_H
#define CAPOS_LOCK_H

#include <stdbool.h>
#include <stdint.h>

struct spinlock {
	volatile uint32_t owner;	/* 0 when free, else CPU id + 1 */
};

void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);
bool spin_mine(const struct spinlock *l);

#endif
