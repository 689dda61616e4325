/*
 * The device window of a user address space ([CAPOS_USER_DEVICE_BASE,
 * _END)): where BARs, DMA pools and shared memory are mapped. Each object
 * remembers where it is mapped in which process, so mapping it again gives
 * the same address; windows are bump-allocated with a guard page between
 * them and last as long as the process.
 */
#ifndef CAPOS_WINDOW_H
#define CAPOS_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#include "proc/proc.h"

#define WINDOW_MAX_MAPPINGS	4	/* processes one object maps into */

struct window_map {
	struct proc_ref proc;
	uint64_t addr;
};

/*
 * The address of p's mapping of an object: where it is already mapped,
 * else [pa, pa + size) newly mapped into p's device window with flags and
 * recorded in maps; 0 if there is no free record, no room or no memory.
 * Pages where hole(ctx, offset) is true stay unmapped. With hold set, a
 * new mapping makes p keep a reference to it until p stops (for objects
 * whose frames are freed with them); 0 if p holds too many already.
 */
uint64_t window_map(struct window_map *maps, struct process *p, uint64_t pa,
    uint64_t size, uint64_t flags, bool (*hole)(const void *, uint64_t),
    const void *ctx, struct kobj *hold);

/* Drops the references p's mappings hold (p has stopped). */
void window_process_stopped(struct process *p);

#endif
