/*
 * Kernel memory accounts: whoever makes the kernel allocate pays for it.
 *
 * Every process has an account with a limit set when it is spawned. Each
 * kernel allocation made on a process's behalf (its threads with their
 * kernel stacks and rings, the call records and params it queues, the
 * endpoints, facets and notices it mints, its park, sleep and timer
 * records, its DMA pools) is charged to that account before it is made and
 * refunded when it is freed. A charge past the limit fails, and the caller
 * sees an ordinary `overloaded` (or `noMemory`) result.
 *
 * An object can outlive the process that paid for it (an endpoint handed
 * to a peer, a call queued on a server that has not received it yet). The
 * charge then stays on the payer's account, which lives on without its
 * process until the last charge is refunded: each outstanding charge holds
 * a reference to it. What the limit bounds is therefore what a process
 * has caused and not yet given back, wherever it now lives.
 *
 * A child's limit is carved out of its spawner's account: the whole limit
 * is charged to the spawner while the child runs (its grant), so a process
 * and all it spawns, and all they spawn, never hold more than the root of
 * the tree was granted. When the child stops, the grant shrinks to what
 * its account still holds, and follows each later refund down to nothing.
 * Only init, the root of every tree, has no spawner to pay: the kernel
 * grants it the memory there is, and the manifest divides it.
 *
 * Process slots are carved the same way. An account's `procs` is how many
 * processes its tree may hold alive at once, its own included; a child's
 * whole `procs` is taken from its spawner's while the child is in the
 * process table, and while any process it spawned still is (an orphan's
 * slots stay charged up its tree). Init is granted the whole table, so a
 * spawn meets its spawner's quota before it can meet a full table.
 */
#ifndef CAPOS_KMEM_H
#define CAPOS_KMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The limit of a process whose spawner names none (or half of what the
 * spawner has left, when that is less: kmem_default_limit), and the most
 * a spawner may name. */
#define KMEM_DEFAULT_LIMIT	(8ull << 20)
#define KMEM_MAX_LIMIT		(256ull << 20)
/* The process slots of a child whose spawner names none (itself and 8
 * descendants; or half of what the spawner has left, when that is less:
 * kmem_default_procs). */
#define KMEM_DEFAULT_PROCS	9u

/* One object's charge: the account it went to and how much. */
struct kcharge {
	struct kmem_account *acct;
	uint64_t bytes;
};

struct kmem_account {
	uint64_t used;		/* bytes charged and not yet refunded */
	uint64_t limit;
	uint64_t peak;
	uint32_t refs;		/* the process's, plus one per charge */
	uint32_t nwaits;	/* kernel wait records held (a count limit) */
	bool stopped;		/* its process has stopped */
	struct kcharge grant;	/* its limit, or once stopped what it still
				 * holds, charged to its spawner's account */
	uint32_t procs;		/* process slots its tree may hold, its own
				 * process's included */
	uint32_t nprocs;	/* slots its children's trees hold */
	bool reaped;		/* its process has left the table */
	struct kmem_account *slot_payer; /* holds procs of its nprocs (and
				 * a reference), until it is reaped and
				 * its nprocs is 0; NULL for init */
};

/* A new account holding one reference (its process's), or NULL. */
struct kmem_account *kmem_account_new(uint64_t limit);
void kmem_account_put(struct kmem_account *a);
/* Charges a's whole limit to its spawner's account payer; 0, or -1 when
 * payer has not that much left. */
int kmem_account_carve(struct kmem_account *a, struct kmem_account *payer);
/* The limit of a child of a's process that names none. */
uint64_t kmem_default_limit(const struct kmem_account *a);
/* Takes procs slots for a from payer's (which names a's spawner); 0, or
 * -1 when payer has fewer left. A NULL payer (init) pays nothing. */
int kmem_slots_carve(struct kmem_account *a, uint32_t procs,
    struct kmem_account *payer);
/* The slots of a child of a's process that names none: 0 when a has
 * none left. */
uint32_t kmem_default_procs(const struct kmem_account *a);
/* a's process has left the process table: its slots go back up the tree
 * once none of its descendants is left in it. */
void kmem_slots_reaped(struct kmem_account *a);
/* a's process has stopped: its grant shrinks to what a still holds. */
void kmem_account_stop(struct kmem_account *a);

/* Charges bytes to a into c (which must be empty); 0, or -1 past the
 * limit with nothing charged. */
int kcharge_take(struct kcharge *c, struct kmem_account *a, uint64_t bytes);
/* Refunds what c holds and empties it; an empty c is left alone. */
void kcharge_drop(struct kcharge *c);
/* Refunds part of c's charge, keeping the rest. */
void kcharge_shrink(struct kcharge *c, uint64_t bytes);

/* A wait record (a park, sleep or notification) of bytes charged to a
 * into c: 0, or -1 when a holds max of them already or is past its limit. */
int kmem_wait_take(struct kmem_account *a, uint32_t max, uint64_t bytes,
    struct kcharge *c);
/* Gives back what kmem_wait_take took. */
void kmem_wait_put(struct kcharge *c);

/* kzalloc(size) charged to a: NULL past the limit or without memory. */
void *kmem_zalloc(struct kmem_account *a, size_t size, struct kcharge *c);
/* kmalloc(size) charged to a; the memory is not cleared. */
void *kmem_alloc(struct kmem_account *a, size_t size, struct kcharge *c);
/* Frees p and refunds c. */
void kmem_free(void *p, struct kcharge *c);

#endif
