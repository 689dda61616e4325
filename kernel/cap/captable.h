/*
 * A process's capability table: a flat array of slots. A CapId names a slot
 * and the slot's generation, which changes every time the slot is freed, so
 * an id kept after its capability was released (or made up) fails instead
 * of reaching whatever lives in the slot now.
 *
 * The table holds object pointers without touching their reference counts;
 * callers take and drop references around insert and remove. This keeps the
 * table pure, testable on the host, and usable for the reserve/commit steps
 * of a capability move.
 */
#ifndef CAPOS_CAPTABLE_H
#define CAPOS_CAPTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "capos/abi.h"
#include "lock.h"

enum slot_state {
	SLOT_FREE = 0,
	SLOT_LIVE,		/* holds a capability */
	SLOT_RESERVED,		/* being moved out; invisible to lookups */
};

struct kobj;

struct cap_slot {
	struct kobj *obj;
	uint64_t interface_id;
	uint64_t meta;		/* per-capability data for the object */
	uint16_t gen;		/* never 0, so CapId 0 is always invalid */
	uint8_t state;
	uint16_t next_free;
};

/* The lock covers the slots and counts: every change takes it, and so
 * does a reader without the BKL (captable_get). Under the BKL a slot
 * found by captable_lookup stays as it is, since no path without the BKL
 * changes a table (docs/smp.md, "ParkSpace without the lock"). */
struct captable {
	struct spinlock lock;
	struct cap_slot *slots;
	uint32_t nslots;
	uint32_t nlive;
	uint16_t free_head;	/* nslots when the table is full */
};

#define CAPTABLE_MAX_SLOTS	4096

/*
 * Slots start at generation gen_base (0 is taken as 1). Giving each process
 * a different base (the kernel derives it from the process number) means an
 * id copied from another process's table names nothing in a fresh table.
 */
void captable_init(struct captable *t, struct cap_slot *slots, uint32_t n,
    uint16_t gen_base);
/* Returns the new CapId, or CAPOS_CAP_NULL when the table is full. */
capos_cap_t captable_insert(struct captable *t, struct kobj *obj,
    uint64_t interface_id, uint64_t meta);
/* The live slot an id names, or NULL (free, reserved, stale, out of range). */
struct cap_slot *captable_lookup(struct captable *t, capos_cap_t id);
/* Copies the live slot an id names into out; false if there is none. */
bool captable_get(struct captable *t, capos_cap_t id, struct cap_slot *out);
/* Frees a live slot and returns its object, or NULL if the id is bad. */
struct kobj *captable_remove(struct captable *t, capos_cap_t id);

/*
 * Moving a capability out: reserve hides the slot (lookups fail) without
 * freeing it; commit frees it for good; rollback makes it live again under
 * the same id. Each returns 0, or -1 if the id/state is wrong.
 */
int captable_reserve(struct captable *t, capos_cap_t id);
struct kobj *captable_commit(struct captable *t, capos_cap_t id);
int captable_rollback(struct captable *t, capos_cap_t id);

/* Number of free slots. */
uint32_t captable_room(const struct captable *t);

/* Frees every live or reserved slot, one at a time, and calls fn with its
 * object after the slot is free, with no lock held (a process dying). */
void captable_clear(struct captable *t, void (*fn)(struct kobj *obj));

#endif
