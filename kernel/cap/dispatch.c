/*
 * cap_enter: consuming a thread's submissions, serving calls on kernel
 * objects, and delivering replies into completion rings.
 *
 * Every submission is copied out of the ring once and checked before it is
 * acted on. A submission is only taken while its completion has a CQ slot,
 * either free now or promised for later, so no completion is ever dropped.
 */
#include <string.h>

#include "arch/x86_64/timer.h"
#include "cap/call.h"
#include "cap/ring.h"
#include "kernel.h"
#include "mm/aspace.h"

/* Serving one call at a time on one CPU, calls and pending replies each
 * need one buffer; they are separate because a call may trigger replies. */
static uint8_t params_buf[CAPOS_MAX_PARAMS] __attribute__((aligned(8)));
static uint8_t result_buf[CAPOS_MAX_RESULT] __attribute__((aligned(8)));
static uint8_t pending_buf[CAPOS_MAX_RESULT] __attribute__((aligned(8)));

/* A params message may make the reader visit at most this many words. */
#define PARAMS_TRAVERSAL_WORDS	(4 * CAPOS_MAX_PARAMS / 8)

void
reply_init(struct reply *r, uint8_t *buf, size_t len)
{
	r->buf = buf;
	r->buflen = len;
	r->started = capnp_builder_init(&r->b, buf, len) == CAPNP_OK;
	r->exc_type = -1;
	r->exc_reason = NULL;
	r->ncaps = 0;
}

uint8_t *
reply_scratch(size_t *len)
{
	*len = sizeof(pending_buf);
	return pending_buf;
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

/* Inserts the reply's caps into p and writes their ids; all or nothing. */
static int
deliver_caps(struct process *p, const struct reply_to *to, struct reply *r)
{
	struct capos_capdesc d[CAPOS_MAX_XCAPS];
	uint32_t i;

	if (r->ncaps == 0)
		return 0;
	if (r->ncaps > to->ncaps_out || r->ncaps > captable_room(&p->caps))
		return CAPOS_ETRANSFER;
	for (i = 0; i < r->ncaps; i++) {
		d[i].cap = captable_insert(&p->caps, r->caps[i],
		    r->caps_iface[i], 0);
		d[i].mode = 0;
	}
	if (copy_to_user(p->pml4, to->caps, d, r->ncaps * sizeof(d[0])) != 0) {
		/* Take them back out: the ids never reached the caller. */
		for (i = 0; i < r->ncaps; i++)
			captable_remove(&p->caps, d[i].cap);
		return CAPOS_EFAULT;
	}
	r->ncaps = 0;	/* the table holds the references now */
	return (int)i;
}

static void
post(struct thread *t, const struct reply_to *to, struct capos_cqe *cqe)
{
	int used;

	if (to->owed)
		t->ring.cq_owed--;
	ring_cq_post(&t->ring, cqe);
	used = ring_cq_used(&t->ring);
	if (t->state == T_BLOCKED && t->wait == WAIT_RING &&
	    (used < 0 || (uint32_t)used >= t->wait_min))
		sched_wake(t);
}

void
reply_send(const struct reply_to *to, struct reply *r)
{
	struct thread *t = thread_get(to->thread);
	struct capos_cqe cqe = { .user_data = to->user_data,
		.opcode = to->opcode };
	size_t len;
	int n;

	if (t == NULL) {
		reply_drop_caps(r);
		return;
	}
	if (!r->started && r->exc_type < 0) {
		r->exc_type = capos_CapException_Type_failed;
		r->exc_reason = "no room to build the result";
	}
	if (r->exc_type >= 0) {
		reply_drop_caps(r);
		len = build_exception(r);
		cqe.flags = CAPOS_CQE_EXCEPTION;
		cqe.aux = (uint64_t)r->exc_type;
	} else {
		len = capnp_builder_finish(&r->b);
	}
	if (len > to->result_len) {
		cqe.status = CAPOS_ERESULT;
		cqe.aux = len;
		reply_drop_caps(r);
	} else if (copy_to_user(t->proc->pml4, to->result, r->b.buf,
	    len) != 0) {
		cqe.status = CAPOS_EFAULT;
		reply_drop_caps(r);
	} else if ((n = deliver_caps(t->proc, to, r)) < 0) {
		cqe.status = n;
		reply_drop_caps(r);
	} else {
		cqe.status = (int32_t)len;
		cqe.ncaps = (uint16_t)n;
	}
	post(t, to, &cqe);
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

/* Takes the sent capabilities: references for copies, reservations for
 * moves. On error nothing stays taken. */
static int
take_caps(struct call *c, const struct capos_sqe *e,
    struct capos_capdesc *d)
{
	struct captable *tab = &c->proc->caps;
	uint32_t i;

	if (e->ncaps_in == 0)
		return 0;
	if (copy_from_user(c->proc->pml4, d, e->caps,
	    e->ncaps_in * sizeof(*d)) != 0)
		return CAPOS_EFAULT;
	for (i = 0; i < e->ncaps_in; i++) {
		struct cap_slot *s = captable_lookup(tab, d[i].cap);

		if (s == NULL || d[i].mode > CAPOS_XFER_MOVE)
			break;
		c->caps_in[i] = s->obj;
		c->caps_in_iface[i] = s->interface_id;
		if (d[i].mode == CAPOS_XFER_COPY)
			kobj_ref(s->obj);
		else
			captable_reserve(tab, d[i].cap);
	}
	if (i == e->ncaps_in) {
		c->ncaps_in = i;
		return 0;
	}
	while (i-- > 0) {
		if (d[i].mode == CAPOS_XFER_COPY)
			kobj_unref(c->caps_in[i]);
		else
			captable_rollback(tab, d[i].cap);
	}
	return CAPOS_ETRANSFER;
}

/* Settles the sent capabilities once the object has answered. */
static void
settle_caps(struct call *c, const struct capos_capdesc *d, bool ok)
{
	for (uint32_t i = 0; i < c->ncaps_in; i++) {
		if (d[i].mode == CAPOS_XFER_COPY)
			kobj_unref(c->caps_in[i]);
		else if (ok)
			kobj_unref(captable_commit(&c->proc->caps, d[i].cap));
		else
			captable_rollback(&c->proc->caps, d[i].cap);
	}
}

/* Serves a CALL on a kernel object. Returns a transport error, or 0 when
 * the reply was sent or promised. */
static int
do_call(struct thread *t, const struct capos_sqe *e)
{
	static struct call c;
	struct capos_capdesc d[CAPOS_MAX_XCAPS];
	struct cap_slot *s = captable_lookup(&t->proc->caps, e->cap);
	struct kobj *obj;
	int rc;

	if (s == NULL)
		return CAPOS_EBADCAP;
	if (s->interface_id != e->interface_id)
		return CAPOS_EIFACE;
	memset(&c, 0, sizeof(c));
	c.proc = t->proc;
	c.thread = t;
	c.method = e->method;
	c.meta = s->meta;
	c.params = params_buf;
	c.params_len = e->params_len;
	if (copy_from_user(t->proc->pml4, params_buf, e->params,
	    e->params_len) != 0)
		return CAPOS_EFAULT;
	obj = kobj_ref(s->obj);
	if ((rc = take_caps(&c, e, d)) != 0) {
		kobj_unref(obj);
		return rc;
	}
	c.to = (struct reply_to){ .thread = thread_ref(t),
		.user_data = e->user_data, .result = e->result,
		.result_len = e->result_len, .caps = e->caps,
		.ncaps_out = e->ncaps_out, .opcode = e->opcode };
	reply_init(&c.reply, result_buf, sizeof(result_buf));
	rc = obj->ops->call(obj, &c);
	settle_caps(&c, d, c.reply.exc_type < 0);
	kobj_unref(obj);
	if (rc == CALL_PENDING) {
		t->ring.cq_owed++;
		return 0;
	}
	reply_send(&c.to, &c.reply);
	return 0;
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
		case CAPOS_OP_RELEASE: {
			struct kobj *o = captable_remove(&t->proc->caps,
			    e->cap);

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
		int pending = ring_sq_pending(r);

		if (ring_cq_used(r) < 0)
			return CAPOS_ERING;
		if (pending == 0 || ring_cq_room(r) == 0)
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
		/* A call may have ended this process (a fault elsewhere
		 * cannot, but a kill of oneself through a handle can). */
		if (t->proc->status.kind != EXIT_RUNNING)
			break;
	}
	return 0;
}

int64_t
cap_enter(uint32_t min_complete, uint64_t timeout_ns)
{
	struct thread *t = current;
	uint64_t deadline = 0;
	int used, rc;

	if ((rc = process_ring(t)) < 0)
		return rc;
	if (min_complete > CAPOS_CQ_ENTRIES)
		min_complete = CAPOS_CQ_ENTRIES;
	if (timeout_ns != CAPOS_TIMEOUT_INFINITE && timeout_ns != 0) {
		uint64_t now = time_ns();

		deadline = timeout_ns > UINT64_MAX - now ? UINT64_MAX :
		    now + timeout_ns;
	}
	while ((used = ring_cq_used(&t->ring)) >= 0 &&
	    (uint32_t)used < min_complete && timeout_ns != 0) {
		t->wait_min = min_complete;
		sched_block(WAIT_RING, deadline);
		if (t->timed_out)
			break;
	}
	return ring_cq_used(&t->ring);
}
