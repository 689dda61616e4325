/*
 * cap_enter: consuming a thread's submissions, serving calls on kernel
 * objects, and delivering replies into completion rings.
 *
 * Every submission is copied out of the ring once and checked before it is
 * acted on. A submission is only taken while its completion has a CQ slot,
 * either free now or promised for later, so no completion is ever dropped.
 */
#include <string.h>

#include "arch/x86_64/percpu.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/timer.h"
#include "cap/call.h"
#include "cap/ring.h"
#include "cap/scratch.h"
#include "kernel.h"
#include "mm/aspace.h"
#include "obj/objects.h"

/* A params message may make the reader visit at most this many words, and
 * nest at most this deep: kernel stacks are small, and deep copies recurse. */
#define PARAMS_TRAVERSAL_WORDS	(4 * CAPOS_MAX_PARAMS / 8)
#define KERNEL_MSG_NESTING	16

void
reply_init(struct reply *r, uint8_t *buf, size_t len)
{
	r->buf = buf;
	r->buflen = len;
	r->started = capnp_builder_init(&r->b, buf, len) == CAPNP_OK;
	r->raw = NULL;
	r->raw_len = 0;
	r->exc_type = -1;
	r->exc_reason = NULL;
	r->ncaps = 0;
}

uint8_t *
reply_scratch(size_t *len)
{
	struct cpu_scratch *sc = this_scratch();

	*len = sizeof(sc->pending);
	return sc->pending;
}

int
call_params(struct call *c, struct capnp_msg *m, struct capnp_struct *root)
{
	int err;

	if (c->params_len == 0) {
		memset(root, 0, sizeof(*root));
		return 0;
	}
	if ((err = capnp_msg_init(m, c->params, c->params_len)) != CAPNP_OK)
		return err;
	m->budget = PARAMS_TRAVERSAL_WORDS;
	m->nesting = KERNEL_MSG_NESTING;
	return capnp_msg_root(m, root);
}

struct capnp_builder *
call_result(struct call *c)
{
	return &c->reply.b;
}

int
call_exception(struct call *c, enum capos_CapException_Type type,
    const char *reason)
{
	c->reply.exc_type = (int)type;
	c->reply.exc_reason = reason;
	return CALL_DONE;
}

int
reply_add_cap(struct reply *r, struct kobj *obj, uint64_t iface)
{
	if (r->ncaps == CAPOS_MAX_XCAPS)
		return -1;
	r->caps[r->ncaps] = obj;
	r->caps_iface[r->ncaps] = iface;
	return (int)r->ncaps++;
}

static void
reply_drop_caps(struct reply *r)
{
	for (uint32_t i = 0; i < r->ncaps; i++)
		kobj_unref(r->caps[i]);
	r->ncaps = 0;
}

/* Replaces whatever the reply built with a CapException message. */
static size_t
build_exception(struct reply *r)
{
	struct capos_CapException_b e;
	const char *why = r->exc_reason != NULL ? r->exc_reason : "";

	if (capnp_builder_init(&r->b, r->buf, r->buflen) != CAPNP_OK ||
	    capos_CapException_init_root(&r->b, &e) != CAPNP_OK)
		return 0;
	capos_CapException_set_type(&e, (enum capos_CapException_Type)
	    r->exc_type);
	if (capos_CapException_set_reason(&e, why, strlen(why)) != CAPNP_OK)
		return 0;
	return capnp_builder_finish(&r->b);
}

int
caps_deliver(struct process *p, uint64_t uva, uint16_t room,
    struct kobj **objs, const uint64_t *ifaces, uint32_t n)
{
	struct capos_capdesc d[CAPOS_MAX_XCAPS];
	uint32_t i;

	if (n == 0)
		return 0;
	if (n > room || n > captable_room(&p->caps))
		return CAPOS_ETRANSFER;
	for (i = 0; i < n; i++) {
		d[i].cap = captable_insert(&p->caps, objs[i], ifaces[i], 0);
		d[i].mode = 0;
	}
	if (copy_to_user(&p->as, uva, d, n * sizeof(d[0])) != 0) {
		/* Take them back out: the ids never reached the receiver. */
		for (i = 0; i < n; i++)
			captable_remove(&p->caps, d[i].cap);
		return CAPOS_EFAULT;
	}
	return (int)n;
}

/*
 * Posts a completion to t's CQ and wakes t if it waits for it. Under the
 * ring's lock, under which t looks at its CQ before it blocks (cap_enter):
 * either t sees this entry, or it is BLOCKED by the time the lock is
 * taken here, and t cannot block again before the wake.
 */
static void
post(struct thread *t, const struct reply_to *to, struct capos_cqe *cqe)
{
	int used;

	spin_lock(&t->ring.lock);
	if (to->owed)
		t->ring.cq_owed--;
	ring_cq_post(&t->ring, cqe);
	used = ring_cq_used(&t->ring);
	if (t->state == T_BLOCKED && t->wait == WAIT_RING &&
	    (used < 0 || (uint32_t)used >= t->wait_min))
		sched_wake(t);
	spin_unlock(&t->ring.lock);
}

/* Promises (1) or gives back (-1) a CQ slot for a call still pending. */
static void
owe(struct thread *t, int n)
{
	spin_lock(&t->ring.lock);
	t->ring.cq_owed += n;
	spin_unlock(&t->ring.lock);
}

bool
reply_to_gone(const struct reply_to *to)
{
	return thread_get(to->thread) == NULL;
}

void
reply_status(const struct reply_to *to, int32_t status, uint64_t aux)
{
	struct thread *t = thread_get(to->thread);
	struct capos_cqe cqe = { .user_data = to->user_data,
		.opcode = to->opcode, .status = status, .aux = aux };

	if (t != NULL)
		post(t, to, &cqe);
}

/* The message a reply carries, or 0 bytes if it could not be built. */
static const uint8_t *
reply_message(struct reply *r, size_t *len, struct capos_cqe *cqe)
{
	if (r->raw != NULL && r->exc_type < 0) {
		*len = r->raw_len;
		return r->raw;
	}
	if (!r->started && r->exc_type < 0) {
		r->exc_type = capos_CapException_Type_failed;
		r->exc_reason = "no room to build the result";
	}
	if (r->exc_type >= 0) {
		cqe->flags = CAPOS_CQE_EXCEPTION;
		cqe->aux = (uint64_t)r->exc_type;
		if (r->raw != NULL) {
			*len = r->raw_len;
			return r->raw;
		}
		reply_drop_caps(r);
		*len = build_exception(r);
		return r->buf;
	}
	*len = capnp_builder_finish(&r->b);
	return r->buf;
}

int
reply_send(const struct reply_to *to, struct reply *r)
{
	struct thread *t = thread_get(to->thread);
	struct capos_cqe cqe = { .user_data = to->user_data,
		.opcode = to->opcode };
	const uint8_t *msg;
	size_t len;
	int n;

	if (t == NULL) {
		reply_drop_caps(r);
		return CAPOS_ECANCELED;
	}
	msg = reply_message(r, &len, &cqe);
	if (len > to->result_len) {
		cqe.status = CAPOS_ERESULT;
		cqe.flags = 0;
		cqe.aux = len;
	} else if (copy_to_user(&t->proc->as, to->result, msg, len) != 0) {
		cqe.status = CAPOS_EFAULT;
	} else if ((n = caps_deliver(t->proc, to->caps, to->ncaps_out,
	    r->caps, r->caps_iface, r->ncaps)) < 0) {
		cqe.status = n;
	} else {
		cqe.status = (int32_t)len;
		cqe.ncaps = (uint16_t)n;
		r->ncaps = 0;	/* the caller's table holds them now */
	}
	reply_drop_caps(r);
	post(t, to, &cqe);
	return cqe.status;
}

void
reply_cancel(const struct reply_to *to, enum capos_CapException_Type type,
    const char *reason)
{
	struct reply r;
	size_t len;
	uint8_t *buf = reply_scratch(&len);

	reply_init(&r, buf, len);
	r.exc_type = (int)type;
	r.exc_reason = reason;
	reply_send(to, &r);
}

/* Copies in and takes the capabilities an entry sends. */
static int
take_sent(struct process *p, const struct capos_sqe *e, struct xcap *out)
{
	struct capos_capdesc d[CAPOS_MAX_XCAPS];

	if (e->ncaps_in == 0)
		return 0;
	if (copy_from_user(&p->as, d, e->caps, e->ncaps_in * sizeof(*d)) != 0)
		return CAPOS_EFAULT;
	return xcaps_take(&p->caps, d, e->ncaps_in, out);
}

/*
 * Takes the BKL for the rest of this kernel entry, unless it is held;
 * true when it was taken now. cap_enter starts without it and takes it at
 * the first entry that needs it (docs/smp.md, "ParkSpace without the
 * lock"); a thread stopped while it waited leaves here, before it acts on
 * a process torn down.
 */
static bool
kernel_lock(void)
{
	if (bkl_held())
		return false;
	bkl_acquire();
	sched_check_killed();
	return true;
}

/* Serves a CALL. Returns a transport error, or 0 when the reply was sent
 * or promised. A call on the ParkSpace that sends no capabilities runs
 * without the BKL: the object is never freed, so it needs no reference,
 * and all it touches has its own lock. Any other takes the BKL. */
static int
do_call(struct thread *t, const struct capos_sqe *e)
{
	struct cpu_scratch *sc = this_scratch();
	struct call *c = &sc->call;
	struct cap_slot s;
	struct kobj *obj;
	bool lock_free;
	int rc;

	if (!captable_get(&t->proc->caps, e->cap, &s))
		return CAPOS_EBADCAP;
	lock_free = e->ncaps_in == 0 && park_is(s.obj);
	if (!lock_free) {
		/* Under the BKL the slot's object stays referenced; it may
		 * have gone while this CPU waited for the lock. */
		if (kernel_lock() && !captable_get(&t->proc->caps, e->cap, &s))
			return CAPOS_EBADCAP;
	} else if (bkl_held_elsewhere()) {
		this_cpu()->stat.free_parks++;
	}
	if (s.interface_id != e->interface_id)
		return CAPOS_EIFACE;
	memset(c, 0, sizeof(*c));
	c->proc = t->proc;
	c->thread = t;
	c->method = e->method;
	c->interface_id = e->interface_id;
	c->meta = s.meta;
	c->params = sc->params;
	c->params_len = e->params_len;
	if (copy_from_user(&t->proc->as, sc->params, e->params,
	    e->params_len) != 0)
		return CAPOS_EFAULT;
	obj = lock_free ? s.obj : kobj_ref(s.obj);
	if ((rc = take_sent(t->proc, e, c->caps_in)) != 0) {
		kobj_unref(obj);
		return rc;
	}
	c->ncaps_in = e->ncaps_in;
	c->to = (struct reply_to){ .thread = thread_ref(t),
		.user_data = e->user_data, .result = e->result,
		.result_len = e->result_len, .caps = e->caps,
		.ncaps_out = e->ncaps_out, .opcode = e->opcode };
	reply_init(&c->reply, sc->result, sizeof(sc->result));
	/* The slot is promised before the call: a reply kept for later
	 * may be posted from another CPU before the call returns. */
	owe(t, 1);
	rc = obj->ops->call(obj, c);
	xcaps_settle(&t->proc->caps, c->caps_in, c->ncaps_in,
	    c->caps_consumed && c->reply.exc_type < 0);
	if (!lock_free)
		kobj_unref(obj);
	if (c->exit_after)
		thread_exit_current(c->exit_value);
	if (rc == CALL_PENDING)
		return 0;
	owe(t, -1);
	reply_send(&c->to, &c->reply);
	return 0;
}

/* Serves a RETURN: the server's answer to a call it received. */
static int
do_return(struct thread *t, const struct capos_sqe *e)
{
	struct xcap sent[CAPOS_MAX_XCAPS];
	uint8_t *params = this_scratch()->params;
	struct cap_slot *s = captable_lookup(&t->proc->caps, e->cap);
	int rc;

	if (s == NULL)
		return CAPOS_EBADCAP;
	if (!endpoint_is_owner(s->obj))
		return CAPOS_EIFACE;
	if (copy_from_user(&t->proc->as, params, e->params,
	    e->params_len) != 0)
		return CAPOS_EFAULT;
	if ((rc = take_sent(t->proc, e, sent)) != 0)
		return rc;
	rc = endpoint_return(s->obj, e->call_id, params, e->params_len,
	    (e->flags & CAPOS_SQE_EXCEPTION) != 0, sent, e->ncaps_in);
	xcaps_settle(&t->proc->caps, sent, e->ncaps_in, rc >= 0);
	return rc < 0 ? rc : 0;
}

/* Serves a RECV: 0 once the completion is posted or promised. */
static int
do_recv(struct thread *t, const struct capos_sqe *e)
{
	struct cap_slot *s = captable_lookup(&t->proc->caps, e->cap);
	int rc;
	struct reply_to to = { .thread = thread_ref(t),
		.user_data = e->user_data, .result = e->result,
		.result_len = e->result_len, .caps = e->caps,
		.ncaps_out = e->ncaps_out, .opcode = e->opcode };

	if (s == NULL)
		return CAPOS_EBADCAP;
	if (!endpoint_is_owner(s->obj))
		return CAPOS_EIFACE;
	/* Promise the slot first: the endpoint may complete the RECV now. */
	owe(t, 1);
	rc = endpoint_recv(s->obj, &to, e->cap);
	if (rc < 0)
		owe(t, -1);
	return rc;
}

static void
execute(struct thread *t, const struct capos_sqe *e)
{
	struct capos_cqe cqe = { .user_data = e->user_data,
		.opcode = e->opcode };
	struct reply_to to = { .owed = false };
	int rc = ring_sqe_check(e);

	if (rc == 0) {
		switch (e->opcode) {
		case CAPOS_OP_NOP:
			break;
		case CAPOS_OP_CALL:
			if ((rc = do_call(t, e)) == 0)
				return;
			break;
		case CAPOS_OP_RECV:
			kernel_lock();
			if ((rc = do_recv(t, e)) == 0)
				return;
			break;
		case CAPOS_OP_RETURN:
			kernel_lock();
			rc = do_return(t, e);
			break;
		case CAPOS_OP_RELEASE: {
			struct kobj *o;

			kernel_lock();
			o = captable_remove(&t->proc->caps, e->cap);

			if (o == NULL)
				rc = CAPOS_EBADCAP;
			kobj_unref(o);
			break;
		}
		default:
			rc = CAPOS_EBADOP;
			break;
		}
	}
	cqe.status = rc;
	post(t, &to, &cqe);
}

/* Consumes submissions while their completions have room. */
static int
process_ring(struct thread *t)
{
	struct ring *r = &t->ring;
	struct capos_sqe e;

	for (int n = 0; n < CAPOS_SQ_ENTRIES; n++) {
		int pending = ring_sq_pending(r), used;
		uint32_t room;

		/* Other CPUs post promised entries meanwhile: the room they
		 * leave is read whole under the lock. */
		spin_lock(&r->lock);
		used = ring_cq_used(r);
		room = ring_cq_room(r);
		spin_unlock(&r->lock);
		if (used < 0)
			return CAPOS_ERING;
		if (pending == 0 || room == 0)
			break;
		if (pending < 0) {
			struct capos_cqe cqe = { .status = CAPOS_ERING };
			struct reply_to to = { .owed = false };

			ring_sq_resync(r);
			post(t, &to, &cqe);
			continue;
		}
		ring_sq_take(r, &e);
		execute(t, &e);
	}
	return 0;
}

int64_t
cap_enter(uint32_t min_complete, uint64_t timeout_ns)
{
	struct thread *t = current;
	uint64_t deadline = 0;
	int used, rc;

	/* Processes that died without running (a failed spawn) go now. */
	if (threads_reap_pending()) {
		kernel_lock();
		threads_reap();
	}
	if ((rc = process_ring(t)) < 0)
		return rc;
	if (min_complete > CAPOS_CQ_ENTRIES)
		min_complete = CAPOS_CQ_ENTRIES;
	if (timeout_ns != CAPOS_TIMEOUT_INFINITE && timeout_ns != 0) {
		uint64_t now = time_ns();

		deadline = timeout_ns > UINT64_MAX - now ? UINT64_MAX :
		    now + timeout_ns;
	}
	for (;;) {
		spin_lock(&t->ring.lock);
		used = ring_cq_used(&t->ring);
		if (used < 0 || (uint32_t)used >= min_complete ||
		    timeout_ns == 0) {
			spin_unlock(&t->ring.lock);
			break;
		}
		/* Looked at and blocked under the ring's lock (post). */
		t->wait_min = min_complete;
		sched_block(WAIT_RING, deadline, &t->ring.lock);
		if (t->timed_out)
			break;
	}
	return ring_cq_used(&t->ring);
}
