/*
 * Kernel memory accounts. See kmem.h.
 */
#include <string.h>

#include "kernel.h"
#include "mm/kmem.h"
#include "mm/mem.h"

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

void
kmem_account_put(struct kmem_account *a)
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

int
kmem_account_carve(struct kmem_account *a, struct kmem_account *payer)
{
	return kcharge_take(&a->grant, payer, a->limit);
}

uint64_t
kmem_default_limit(const struct kmem_account *a)
{
	uint64_t left = a->used < a->limit ? a->limit - a->used : 0;

	return left / 2 < KMEM_DEFAULT_LIMIT ? left / 2 : KMEM_DEFAULT_LIMIT;
}

int
kmem_slots_carve(struct kmem_account *a, uint32_t procs,
    struct kmem_account *payer)
{
	if (payer != NULL) {
		/* payer's own process holds one of its slots. */
		if (procs == 0 || payer->procs - 1 - payer->nprocs < procs)
			return -1;
		payer->nprocs += procs;
		payer->refs++;
		a->slot_payer = payer;
	}
	a->procs = procs;
	return 0;
}

uint32_t
kmem_default_procs(const struct kmem_account *a)
{
	uint32_t left = a->procs - 1 - a->nprocs;

	if (left <= 1)
		return left;
	return left / 2 < KMEM_DEFAULT_PROCS ? left / 2 : KMEM_DEFAULT_PROCS;
}

void
kmem_slots_reaped(struct kmem_account *a)
{
	struct kmem_account *up, *held = NULL;

	/* Up the tree while each account has nothing left in the table; the
	 * reference a gave up on its payer is put once the payer is done. */
	a->reaped = true;
	while (a->reaped && a->nprocs == 0 && a->slot_payer != NULL) {
		up = a->slot_payer;
		a->slot_payer = NULL;
		up->nprocs -= a->procs;
		kmem_account_put(held);
		held = up;
		a = up;
	}
	kmem_account_put(held);
}

void
kmem_account_stop(struct kmem_account *a)
{
	a->stopped = true;
	if (a->grant.acct != NULL && a->grant.bytes > a->used) {
		refund(a->grant.acct, a->grant.bytes - a->used);
		a->grant.bytes = a->used;
	}
}

int
kcharge_take(struct kcharge *c, struct kmem_account *a, uint64_t bytes)
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

void
kcharge_shrink(struct kcharge *c, uint64_t bytes)
{
	if (c->acct == NULL || bytes > c->bytes)
		panic("kmem: refunding more than was charged");
	refund(c->acct, bytes);
	c->bytes -= bytes;
}

void
kcharge_drop(struct kcharge *c)
{
	struct kmem_account *a = c->acct;

	if (a == NULL)
		return;
	kcharge_shrink(c, c->bytes);
	c->acct = NULL;
	kmem_account_put(a);
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
