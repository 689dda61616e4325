/*
 * ParkSpace: futex-like waiting on 32-bit words of the caller's own address
 * space. wait(addr, expected, timeout) checks *addr == expected and parks
 * the call in one step (under the lock of the word's bucket, which a wake
 * takes too, so no wake can slip in between); wake(addr, count) answers
 * up to count parked waits on that word, oldest first, and says how many.
 *
 * Rules: a wait ends only by a wake (woken), its timeout (timedOut), or its
 * thread ending; there are no spurious wake-ups. timeoutNs 0 waits without
 * limit. A word that is unmapped or misaligned is `invalid`. At most
 * PARK_MAX_WAITERS waits are parked system-wide, and a process's park
 * waits, sleeps and notifications together at most PROC_MAX_KWAITS; one
 * more is refused as overloaded.
 */
#include "arch/x86_64/timer.h"
#include "cap/call.h"
#include "kernel.h"
#include "lock.h"
#include "mm/aspace.h"
#include "mm/mem.h"
#include "obj/objects.h"
#include "proc/timeout.h"

/* Enough for every process to hold all the records it may: a process's
 * own limit is what a hostile one meets first. */
#define PARK_MAX_WAITERS	(MAX_PROCS * PROC_MAX_KWAITS)
#define PARK_BUCKETS		64

struct parked {
	struct parked *next, *prev;	/* in its bucket */
	struct reply_to to;
	struct proc_ref proc;
	struct kcharge charge;
	uint64_t addr;
	bool timed;		/* its timeout was armed */
	struct timeout timeout;
};

/*
 * Parked waits, hashed by process and word into buckets, each under its
 * own lock, oldest first in each (docs/smp.md, "ParkSpace without the
 * lock"). A wait looks at its word and queues itself under the bucket's
 * lock, and a wake takes the same lock, so no wake falls between a wait's
 * look and its sleep. Lock order: a bucket, then the address space (the
 * word), the ring (the answer), the timeout list, the scheduler.
 */
struct park_bucket {
	struct spinlock lock;
	struct parked *head, *tail;
};

static struct park_bucket buckets[PARK_BUCKETS];
static uint32_t nparked;	/* atomic */
static struct kobj park_obj;
/* Drawn at the ParkSpace's making: which words of two processes share a
 * bucket is not something either can work out. */
static uint64_t hash_salt;

/* A 64-bit finaliser: every input bit moves every output bit. */
static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xBF58476D1CE4E5B9ull;
	x ^= x >> 27;
	x *= 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

static struct park_bucket *
bucket_of(uint32_t proc_index, uint64_t addr)
{
	return &buckets[mix((addr >> 2) ^ mix(proc_index + hash_salt)) >> 58];
}

static void
link_locked(struct park_bucket *b, struct parked *w)
{
	w->next = NULL;
	w->prev = b->tail;
	if (b->tail != NULL)
		b->tail->next = w;
	else
		b->head = w;
	b->tail = w;
}

/* Takes w off its bucket's list; the bucket's lock is held. */
static void
unlink_locked(struct park_bucket *b, struct parked *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		b->head = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	else
		b->tail = w->prev;
	w->next = w->prev = NULL;
}

/* Frees a wait record taken off its bucket, with no bucket's lock held. */
static void
release(struct parked *w)
{
	kmem_wait_put(&w->charge);
	__atomic_fetch_sub(&nparked, 1, __ATOMIC_RELAXED);
	kfree(w);
}

/* Frees records chained through next, taken off under a bucket's lock. */
static void
release_list(struct parked *w)
{
	struct parked *next;

	for (; w != NULL; w = next) {
		next = w->next;
		release(w);
	}
}

static void
answer(struct parked *w, void (*set)(struct capos_ParkResult_b *))
{
	struct capos_ParkResult_b r;
	struct reply rep;
	uint8_t *buf;
	size_t len;

	buf = reply_scratch(&len);
	reply_init(&rep, buf, len);
	if (capos_ParkResult_init_root(&rep.b, &r) != CAPNP_OK)
		rep.started = false;
	else
		set(&r);
	reply_send(&w->to, &rep);
}

/*
 * A wait's deadline passed. Fired under the BKL with the timeout list's
 * lock dropped: the wait is still in its bucket, since a wake leaves one
 * whose timeout it could not cancel (park_wake) and park_thread_gone runs
 * under the BKL too, before or after this, never between the timeout's
 * firing and this callback.
 */
static void
expired(struct timeout *to)
{
	struct parked *w = (struct parked *)((char *)to -
	    offsetof(struct parked, timeout));
	struct park_bucket *b = bucket_of(w->proc.index, w->addr);

	spin_lock(&b->lock);
	unlink_locked(b, w);
	answer(w, capos_ParkResult_set_timedOut);
	spin_unlock(&b->lock);
	release(w);
}

static int
result(struct call *c, void (*set)(struct capos_ParkResult_b *))
{
	struct capos_ParkResult_b r;

	if (capos_ParkResult_init_root(call_result(c), &r) != CAPNP_OK)
		return call_exception(c, capos_CapException_Type_failed,
		    "result buffer");
	set(&r);
	return CALL_DONE;
}

static int
park_wait(struct call *c, const struct capnp_struct *root)
{
	struct capos_ParkSpace_wait_Params_r p = { *root };
	uint64_t addr = capos_ParkSpace_wait_Params_get_addr(&p);
	uint64_t timeout = capos_ParkSpace_wait_Params_get_timeoutNs(&p);
	uint32_t expected = capos_ParkSpace_wait_Params_get_expected(&p), word;
	struct proc_ref me = process_ref(c->proc);
	struct park_bucket *b = bucket_of(me.index, addr);
	void (*outcome)(struct capos_ParkResult_b *) = NULL;
	struct parked *w;
	bool dead;

	/* A first look, so that a wait that would not sleep is answered
	 * as such whatever the limits; the look that counts is the one
	 * under the bucket's lock below. */
	if (addr % 4 != 0 || copy_from_user(&c->proc->as, &word, addr,
	    sizeof(word)) != 0)
		return result(c, capos_ParkResult_set_invalid);
	if (word != expected)
		return result(c, capos_ParkResult_set_mismatch);
	if ((w = kzalloc(sizeof(*w))) == NULL)
		return call_exception(c, capos_CapException_Type_overloaded,
		    "kernel out of memory");
	if (__atomic_add_fetch(&nparked, 1, __ATOMIC_RELAXED) >
	    PARK_MAX_WAITERS ||
	    !proc_kwait_take(c->proc, sizeof(*w), &w->charge)) {
		__atomic_fetch_sub(&nparked, 1, __ATOMIC_RELAXED);
		kfree(w);
		return call_exception(c, capos_CapException_Type_overloaded,
		    "too many parked waits");
	}
	w->to = c->to;
	w->to.owed = true;
	w->proc = me;
	w->addr = addr;
	w->timeout.fire = expired;
	spin_lock(&b->lock);
	/* A thread stopped on another CPU has had its waits taken out
	 * (park_thread_gone, after the stop marked it DEAD): one queued
	 * now would outlive it. */
	dead = __atomic_load_n(&c->thread->state, __ATOMIC_ACQUIRE) == T_DEAD;
	if (!dead && copy_from_user(&c->proc->as, &word, addr,
	    sizeof(word)) != 0)
		outcome = capos_ParkResult_set_invalid;
	else if (!dead && word != expected)
		outcome = capos_ParkResult_set_mismatch;
	if (dead || outcome != NULL) {
		spin_unlock(&b->lock);
		release(w);
		return dead ? call_exception(c,
		    capos_CapException_Type_failed, "the thread was stopped") :
		    result(c, outcome);
	}
	link_locked(b, w);
	/* Armed with the bucket's lock held: its callback waits for the
	 * lock, so it finds the wait queued. */
	if (timeout != 0) {
		uint64_t now = time_ns();

		w->timed = true;
		timeout_arm(&w->timeout, timeout > UINT64_MAX - now ?
		    UINT64_MAX : now + timeout);
	}
	spin_unlock(&b->lock);
	if (timeout != 0)
		timer_reprogram();
	return CALL_PENDING;
}

static int
park_wake(struct call *c, const struct capnp_struct *root)
{
	struct capos_ParkSpace_wake_Params_r p = { *root };
	struct capos_ParkSpace_wake_Results_b r;
	uint64_t addr = capos_ParkSpace_wake_Params_get_addr(&p);
	uint32_t count = capos_ParkSpace_wake_Params_get_count(&p), n = 0;
	struct proc_ref me = process_ref(c->proc);
	struct park_bucket *b = bucket_of(me.index, addr);
	struct parked *w, *next, *done = NULL;

	spin_lock(&b->lock);
	for (w = b->head; w != NULL && n < count; w = next) {
		next = w->next;
		if (w->addr != addr || w->proc.index != me.index ||
		    w->proc.gen != me.gen)
			continue;
		/* A deadline that fired first answers it (expired). */
		if (w->timed && !timeout_cancel(&w->timeout))
			continue;
		unlink_locked(b, w);
		answer(w, capos_ParkResult_set_woken);
		w->next = done;
		done = w;
		n++;
	}
	spin_unlock(&b->lock);
	release_list(done);
	if (capos_ParkSpace_wake_Results_init_root(call_result(c), &r) !=
	    CAPNP_OK)
		return call_exception(c, capos_CapException_Type_failed,
		    "result buffer");
	capos_ParkSpace_wake_Results_set_woken(&r, n);
	return CALL_DONE;
}

static int
park_call(struct kobj *obj, struct call *c)
{
	struct capnp_struct root;
	struct capnp_msg m;

	(void)obj;
	if (call_params(c, &m, &root) != 0)
		return call_exception(c, capos_CapException_Type_failed,
		    "malformed ParkSpace params");
	switch (c->method) {
	case capos_ParkSpace_wait_ORDINAL:
		return park_wait(c, &root);
	case capos_ParkSpace_wake_ORDINAL:
		return park_wake(c, &root);
	default:
		return call_exception(c, capos_CapException_Type_unimplemented,
		    "ParkSpace has no such method");
	}
}

void
park_thread_gone(struct thread *t)
{
	for (uint32_t i = 0; i < PARK_BUCKETS; i++) {
		struct park_bucket *b = &buckets[i];
		struct parked *w, *next, *gone = NULL;

		spin_lock(&b->lock);
		for (w = b->head; w != NULL; w = next) {
			next = w->next;
			if (w->to.thread.index != t->index ||
			    w->to.thread.gen != t->gen)
				continue;
			/* Under the BKL, like expired: a timeout taken off
			 * the list has had its callback run already. */
			timeout_cancel(&w->timeout);
			unlink_locked(b, w);
			w->next = gone;
			gone = w;
		}
		spin_unlock(&b->lock);
		release_list(gone);
	}
}

bool
park_is(const struct kobj *obj)
{
	return obj == &park_obj;
}

static const struct kobj_ops park_ops = {
	.name = "ParkSpace",
	.call = park_call,
	.release = NULL,
};

struct kobj *
park_create(void)
{
	if (park_obj.ops == NULL) {
		hash_salt = random_u64();
		kobj_init(&park_obj, &park_ops);
	}
	return kobj_ref(&park_obj);
}
