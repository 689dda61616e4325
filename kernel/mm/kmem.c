/*
 * Kernel memory accounts. See kmem.h.
 */
#include <string.h>

#include "kernel.h"
#include "lock.h"
#include "mm/kmem.h"
#include "mm/mem.h"

/* Covers every account's counts and references: a leaf but for the
 * heap's lock, which it may take to free an account (docs/smp.md,
 * "ParkSpace without the lock"). The public functions take it; the
 * static ones run under it. */
static struct spinlock kmem_lock;

struct kmem_account *
kmem_account_new(uint64_t limit)
{
	struct kmem_account *a = kzalloc(sizeof(*a));

	if (a == NULL)
		return NULL;
	a->limit = limit;
	a->refs = 1;
	return a;
}

/*
 * Gives bytes back to a. A stopped account's grant follows what it holds,
 * so the refund goes on up to the spawner's account, and on from there
 * while that one has stopped too: a loop, not recursion, however deep the
 * tree of spawns was.
 */
static void
refund(struct kmem_account *a, uint64_t bytes)
{
	while (a != NULL) {
		if (bytes > a->used)
			panic("kmem: refunding more than was charged");
		a->used -= bytes;
		if (!a->stopped || a->grant.acct == NULL ||
		    a->grant.bytes <= a->used)
			return;
		bytes = a->grant.bytes - a->used;
		a->grant.bytes = a->used;
		a = a->grant.acct;
	}
}

static void
account_put(struct kmem_account *a)
{
	struct kmem_account *up;

	/* The last reference to an account may be the last one to the
	 * account it was carved from: a loop up the tree. */
	while (a != NULL) {
		if (a->refs == 0)
			panic("kmem: an account was put once too often");
		if (--a->refs != 0)
			return;
		if (a->nprocs != 0 || a->slot_payer != NULL)
			panic("kmem: an account went holding process slots");
		if (a->used != 0 || a->nwaits != 0)
			panic("kmem: an account went with %llu bytes charged",
			    (unsigned long long)a->used);
		up = a->grant.acct;
		if (up != NULL)
			refund(up, a->grant.bytes);
		kfree(a);
		a = up;
	}
}

void
kmem_account_put(struct kmem_account *a)
{
	spin_lock(&kmem_lock);
	account_put(a);
	spin_unlock(&kmem_lock);
}

static int
charge_take(struct kcharge *c, struct kmem_account *a, uint64_t bytes)
{
	if (c->acct != NULL)
		panic("kmem: charging a charge twice");
	if (bytes > a->limit - a->used || a->used > a->limit)
		return -1;
	a->used += bytes;
	if (a->used > a->peak)
		a->peak = a->used;
	a->refs++;
	c->acct = a;
	c->bytes = bytes;
	return 0;
}

static void
charge_shrink(struct kcharge *c, uint64_t bytes)
{
	if (c->acct == NULL || bytes > c->bytes)
		panic("kmem: refunding more than was charged");
	refund(c->acct, bytes);
	c->bytes -= bytes;
}

static void
charge_drop(struct kcharge *c)
{
	struct kmem_account *a = c->acct;

	if (a == NULL)
		return;
	charge_shrink(c, c->bytes);
	c->acct = NULL;
	account_put(a);
}

int
kmem_account_carve(struct kmem_account *a, struct kmem_account *payer)
{
	int rc;

	spin_lock(&kmem_lock);
	rc = charge_take(&a->grant, payer, a->limit);
	spin_unlock(&kmem_lock);
	return rc;
}

uint64_t
kmem_default_limit(const struct kmem_account *a)
{
	uint64_t left;

	spin_lock(&kmem_lock);
	left = a->used < a->limit ? a->limit - a->used : 0;
	spin_unlock(&kmem_lock);
	return left / 2 < KMEM_DEFAULT_LIMIT ? left / 2 : KMEM_DEFAULT_LIMIT;
}

int
kmem_slots_carve(struct kmem_account *a, uint32_t procs,
    struct kmem_account *payer)
{
	spin_lock(&kmem_lock);
	if (payer != NULL) {
		/* payer's own process holds one of its slots. */
		if (procs == 0 || payer->procs - 1 - payer->nprocs < procs) {
			spin_unlock(&kmem_lock);
			return -1;
		}
		payer->nprocs += procs;
		payer->refs++;
		a->slot_payer = payer;
	}
	a->procs = procs;
	spin_unlock(&kmem_lock);
	return 0;
}

uint32_t
kmem_default_procs(const struct kmem_account *a)
{
	uint32_t left;

	spin_lock(&kmem_lock);
	left = a->procs - 1 - a->nprocs;
	spin_unlock(&kmem_lock);
	if (left <= 1)
		return left;
	return left / 2 < KMEM_DEFAULT_PROCS ? left / 2 : KMEM_DEFAULT_PROCS;
}

void
kmem_slots_reaped(struct kmem_account *a)
{
	struct kmem_account *up, *held = NULL;

	spin_lock(&kmem_lock);
	/* Up the tree while each account has nothing left in the table; the
	 * reference a gave up on its payer is put once the payer is done. */
	a->reaped = true;
	while (a->reaped && a->nprocs == 0 && a->slot_payer != NULL) {
		up = a->slot_payer;
		a->slot_payer = NULL;
		up->nprocs -= a->procs;
		account_put(held);
		held = up;
		a = up;
	}
	account_put(held);
	spin_unlock(&kmem_lock);
}

void
kmem_account_stop(struct kmem_account *a)
{
	spin_lock(&kmem_lock);
	a->stopped = true;
	if (a->grant.acct != NULL && a->grant.bytes > a->used) {
		refund(a->grant.acct, a->grant.bytes - a->used);
		a->grant.bytes = a->used;
	}
	spin_unlock(&kmem_lock);
}

int
kcharge_take(struct kcharge *c, struct kmem_account *a, uint64_t bytes)
{
	int rc;

	spin_lock(&kmem_lock);
	rc = charge_take(c, a, bytes);
	spin_unlock(&kmem_lock);
	return rc;
}

void
kcharge_shrink(struct kcharge *c, uint64_t bytes)
{
	spin_lock(&kmem_lock);
	charge_shrink(c, bytes);
	spin_unlock(&kmem_lock);
}

void
kcharge_drop(struct kcharge *c)
{
	spin_lock(&kmem_lock);
	charge_drop(c);
	spin_unlock(&kmem_lock);
}

int
kmem_wait_take(struct kmem_account *a, uint32_t max, uint64_t bytes,
    struct kcharge *c)
{
	int rc = -1;

	spin_lock(&kmem_lock);
	if (a->nwaits < max && charge_take(c, a, bytes) == 0) {
		a->nwaits++;
		rc = 0;
	}
	spin_unlock(&kmem_lock);
	return rc;
}

void
kmem_wait_put(struct kcharge *c)
{
	spin_lock(&kmem_lock);
	if (c->acct == NULL || c->acct->nwaits == 0)
		panic("kmem_wait_put: no wait record was taken");
	c->acct->nwaits--;
	charge_drop(c);
	spin_unlock(&kmem_lock);
}

void *
kmem_alloc(struct kmem_account *a, size_t size, struct kcharge *c)
{
	void *p;

	if (kcharge_take(c, a, kmalloc_size(size)) != 0)
		return NULL;
	if ((p = kmalloc(size)) == NULL)
		kcharge_drop(c);
	return p;
}

void *
kmem_zalloc(struct kmem_account *a, size_t size, struct kcharge *c)
{
	void *p = kmem_alloc(a, size, c);

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

void
kmem_free(void *p, struct kcharge *c)
{
	struct kcharge ch = *c;	/* c may live in p */

	kfree(p);
	kcharge_drop(&ch);
}
