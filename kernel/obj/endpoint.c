/*
 * Endpoints: how services serve. An endpoint has one owner facet, which
 * receives calls (RECV) and answers them (RETURN), and any number of client
 * facets, which can only CALL. Each received call carries the caller's
 * session reference, fixed by the kernel at spawn.
 *
 * Queues and their bounds (overflow outcome in brackets):
 *   calls waiting for a RECV   EP_MAX_QUEUED  [caller: overloaded exception]
 *   RECVs waiting for a call   EP_MAX_RECVS   [receiver: CAPOS_EBUSY]
 *   calls received, unanswered EP_MAX_ACTIVE  [RECV waits: no delivery until
 *                                              the server answers one]
 * When the owner facet's last reference goes, every queued and received
 * call fails with a disconnected exception, waiting RECVs complete with
 * CAPOS_ECANCELED, and later calls fail with disconnected at once. When the
 * last client facet goes and no call is queued, RECVs complete with
 * CAPOS_EPEER: nobody can call any more, so a server may exit.
 *
 * Capabilities sent with a call stay with the call record (moves keep the
 * sender's slot reserved) until the call is delivered into the receiver's
 * table, when moves commit; if it is never delivered they roll back.
 *
 * When a badged client facet's last reference goes, the owner gets a
 * notice (CAPOS_METHOD_DROPPED with that badge) so it can drop the object
 * the badge named. Its record is allocated with the facet, so a notice can
 * neither fail nor be bounded away; it does not count against the queue.
 */
#include <string.h>

#include "cap/call.h"
#include "kernel.h"
#include "mm/aspace.h"
#include "mm/mem.h"
#include "obj/objects.h"

#define EP_MAX_QUEUED	32
#define EP_MAX_RECVS	8
#define EP_MAX_ACTIVE	64

struct ep_call {
	struct ep_call *next;
	uint64_t id;
	struct reply_to to;		/* the caller */
	struct proc_ref sender;
	uint64_t interface_id;
	uint16_t method;
	uint8_t session[16];
	uint64_t epoch;
	uint64_t badge;
	bool notice;			/* a CAPOS_METHOD_DROPPED notice */
	uint32_t params_len;
	uint8_t *params;
	uint32_t ncaps;
	struct xcap caps[CAPOS_MAX_XCAPS];
};

struct endpoint {
	uint32_t refs;			/* facets */
	uint32_t nclients;		/* client facets */
	bool closed;
	uint64_t interface_id;
	uint64_t next_id;
	struct ep_call *queue, *queue_tail;
	uint32_t nqueued;
	struct reply_to recvs[EP_MAX_RECVS];
	uint32_t nrecvs;
	struct ep_call *active;
	uint32_t nactive;
};

struct facet {
	struct kobj obj;
	struct endpoint *ep;
	uint64_t badge;			/* client facets: told to the server */
	struct ep_call *notice;		/* badged clients: sent when dropped */
};

static const struct kobj_ops owner_ops, client_ops;

static void
ep_unref(struct endpoint *ep)
{
	if (--ep->refs == 0)
		kfree(ep);
}

static struct facet *
facet_new(struct endpoint *ep, const struct kobj_ops *ops)
{
	struct facet *f = kzalloc(sizeof(*f));

	if (f == NULL)
		return NULL;
	kobj_init(&f->obj, ops);
	f->ep = ep;
	ep->refs++;
	if (ops == &client_ops)
		ep->nclients++;
	return f;
}

/* The sender's table, or NULL once the sender has stopped. */
static struct captable *
sender_table(const struct ep_call *ec)
{
	struct process *p = process_get(ec->sender);

	return p != NULL ? &p->caps : NULL;
}

static void
call_free(struct ep_call *ec, bool delivered)
{
	xcaps_settle(sender_table(ec), ec->caps, ec->ncaps, delivered);
	kfree(ec->params);
	kfree(ec);
}

/* Fails a call that will never be served, returning its capabilities. */
static void
call_fail(struct ep_call *ec, enum capos_CapException_Type type,
    const char *why)
{
	reply_cancel(&ec->to, type, why);
	call_free(ec, false);
}

enum deliver { DELIVERED, KEEP_CALL, DROP_CALL, NOTICE_DONE };

/*
 * Hands a call to a RECV: header and params into the receiver's buffer,
 * capabilities into its table, a completion into its ring.
 */
static enum deliver
deliver(struct endpoint *ep, struct ep_call *ec, const struct reply_to *rt)
{
	struct thread *t = thread_get(rt->thread);
	struct capos_recv_hdr h;
	struct kobj *objs[CAPOS_MAX_XCAPS];
	uint64_t ifaces[CAPOS_MAX_XCAPS];
	uint64_t need = sizeof(h) + ec->params_len;
	int n;

	if (t == NULL)
		return KEEP_CALL;	/* the receiver is gone; the RECV too */
	if (need > rt->result_len) {
		reply_status(rt, CAPOS_ERESULT, need);
		return KEEP_CALL;
	}
	memset(&h, 0, sizeof(h));
	if (ec->notice) {
		h.method = CAPOS_METHOD_DROPPED;
		h.badge = ec->badge;
		if (copy_to_user(t->proc->as.pml4, rt->result, &h,
		    sizeof(h)) != 0) {
			reply_status(rt, CAPOS_EFAULT, 0);
			return KEEP_CALL;
		}
		reply_status(rt, (int32_t)sizeof(h), 0);
		return NOTICE_DONE;
	}
	h.call_id = ep->next_id;
	h.interface_id = ec->interface_id;
	h.method = ec->method;
	h.ncaps = (uint16_t)ec->ncaps;
	h.params_len = ec->params_len;
	memcpy(h.session, ec->session, sizeof(h.session));
	h.epoch = ec->epoch;
	h.badge = ec->badge;
	if (copy_to_user(t->proc->as.pml4, rt->result, &h, sizeof(h)) != 0 ||
	    copy_to_user(t->proc->as.pml4, rt->result + sizeof(h), ec->params,
	    ec->params_len) != 0) {
		reply_status(rt, CAPOS_EFAULT, 0);
		return KEEP_CALL;
	}
	for (uint32_t i = 0; i < ec->ncaps; i++) {
		objs[i] = ec->caps[i].obj;
		ifaces[i] = ec->caps[i].iface;
	}
	n = caps_deliver(t->proc, rt->caps, rt->ncaps_out, objs, ifaces,
	    ec->ncaps);
	if (n < 0) {
		/* The receiver cannot take them: the call fails, nothing moves. */
		reply_status(rt, n, 0);
		return DROP_CALL;
	}
	/* The receiver's table took the records' references. */
	for (uint32_t i = 0; i < ec->ncaps; i++)
		kobj_ref(ec->caps[i].obj);
	ec->id = ep->next_id++;
	reply_status(rt, (int32_t)need, ec->id);
	return DELIVERED;
}

/* Completes every waiting RECV with status. */
static void
fail_recvs(struct endpoint *ep, int32_t status)
{
	for (uint32_t i = 0; i < ep->nrecvs; i++)
		reply_status(&ep->recvs[i], status, 0);
	ep->nrecvs = 0;
}

static void pump_locked(struct endpoint *ep);

/*
 * Matches queued calls with waiting RECVs while both exist. Settling a
 * call can release the last client facet, which re-enters pump: the
 * extra reference keeps ep alive meanwhile.
 */
static void
pump(struct endpoint *ep)
{
	ep->refs++;
	pump_locked(ep);
	ep_unref(ep);
}

static void
pump_locked(struct endpoint *ep)
{
	if (ep->queue == NULL && ep->nclients == 0) {
		fail_recvs(ep, CAPOS_EPEER);
		return;
	}
	while (ep->queue != NULL && ep->nrecvs > 0 &&
	    ep->nactive < EP_MAX_ACTIVE) {
		struct ep_call *ec = ep->queue;
		struct reply_to rt = ep->recvs[0];
		enum deliver d;

		memmove(&ep->recvs[0], &ep->recvs[1],
		    --ep->nrecvs * sizeof(ep->recvs[0]));
		d = deliver(ep, ec, &rt);
		if (d == KEEP_CALL)
			continue;
		ep->queue = ec->next;
		if (ep->queue == NULL)
			ep->queue_tail = NULL;
		if (d == NOTICE_DONE) {
			kfree(ec);
			continue;
		}
		ep->nqueued--;
		if (d == DROP_CALL) {
			reply_status(&ec->to, CAPOS_ETRANSFER, 0);
			call_free(ec, false);
			continue;
		}
		xcaps_settle(sender_table(ec), ec->caps, ec->ncaps, true);
		ec->ncaps = 0;
		ec->next = ep->active;
		ep->active = ec;
		ep->nactive++;
	}
	if (ep->queue == NULL && ep->nclients == 0)
		fail_recvs(ep, CAPOS_EPEER);
}

/* CALL on a client facet: queue the call for the owner. */
static int
client_call(struct kobj *obj, struct call *c)
{
	struct endpoint *ep = ((struct facet *)obj)->ep;
	struct ep_call *ec;

	if (ep->closed)
		return call_exception(c, capos_CapException_Type_disconnected,
		    "the service is gone");
	if (ep->nqueued == EP_MAX_QUEUED)
		return call_exception(c, capos_CapException_Type_overloaded,
		    "the service's call queue is full");
	/*
	 * An owner facet waiting in its own endpoint's queue would keep the
	 * endpoint open forever once its holder dies: refuse it.
	 */
	for (uint32_t i = 0; i < c->ncaps_in; i++)
		if (c->caps_in[i].obj->ops == &owner_ops &&
		    ((struct facet *)c->caps_in[i].obj)->ep == ep)
			return call_exception(c, capos_CapException_Type_failed,
			    "an endpoint's owner cannot be sent through itself");
	if ((ec = kzalloc(sizeof(*ec))) == NULL ||
	    (c->params_len != 0 &&
	    (ec->params = kmalloc(c->params_len)) == NULL)) {
		kfree(ec);
		return call_exception(c, capos_CapException_Type_overloaded,
		    "kernel out of memory");
	}
	memcpy(ec->params, c->params, c->params_len);
	ec->params_len = c->params_len;
	ec->to = c->to;
	ec->to.owed = true;
	ec->sender = process_ref(c->proc);
	ec->interface_id = c->interface_id;
	ec->method = c->method;
	memcpy(ec->session, c->proc->session, sizeof(ec->session));
	ec->epoch = c->proc->epoch;
	ec->badge = ((struct facet *)obj)->badge;
	/* The call record keeps the sent capabilities from here on. */
	memcpy(ec->caps, c->caps_in, c->ncaps_in * sizeof(ec->caps[0]));
	ec->ncaps = c->ncaps_in;
	c->ncaps_in = 0;
	if (ep->queue_tail != NULL)
		ep->queue_tail->next = ec;
	else
		ep->queue = ec;
	ep->queue_tail = ec;
	ep->nqueued++;
	pump(ep);
	return CALL_PENDING;
}

int
endpoint_recv(struct kobj *owner, const struct reply_to *to)
{
	struct endpoint *ep = ((struct facet *)owner)->ep;
	uint32_t n = 0;

	/* RECVs of threads that have exited hold no promise: drop them. */
	for (uint32_t i = 0; i < ep->nrecvs; i++)
		if (thread_get(ep->recvs[i].thread) != NULL)
			ep->recvs[n++] = ep->recvs[i];
	ep->nrecvs = n;
	if (ep->nrecvs == EP_MAX_RECVS)
		return CAPOS_EBUSY;
	ep->recvs[ep->nrecvs] = *to;
	ep->recvs[ep->nrecvs].owed = true;
	ep->nrecvs++;
	pump(ep);
	return 0;
}

int
endpoint_return(struct kobj *owner, uint64_t call_id, const uint8_t *msg,
    uint32_t len, bool exception, struct xcap *caps, uint32_t ncaps)
{
	struct endpoint *ep = ((struct facet *)owner)->ep;
	struct ep_call **pp, *ec = NULL;
	struct capos_CapException_r ex;
	struct capnp_msg m;
	struct reply r;
	uint8_t *buf;
	size_t blen;
	int rc;

	for (pp = &ep->active; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->id == call_id) {
			ec = *pp;
			*pp = ec->next;
			ep->nactive--;
			break;
		}
	}
	if (ec == NULL)
		return CAPOS_EINVAL;
	buf = reply_scratch(&blen);
	reply_init(&r, buf, blen);
	r.raw = msg;
	r.raw_len = len;
	if (exception) {
		/* The server's CapException; its type goes into the CQE. */
		r.exc_type = capos_CapException_Type_failed;
		if (capnp_msg_init(&m, msg, len) == CAPNP_OK &&
		    capos_CapException_read_root(&m, &ex) == CAPNP_OK &&
		    capos_CapException_get_type(&ex) <=
		    capos_CapException_Type_unimplemented)
			r.exc_type = (int)capos_CapException_get_type(&ex);
	}
	for (uint32_t i = 0; i < ncaps && !exception; i++)
		reply_add_cap(&r, kobj_ref(caps[i].obj), caps[i].iface);
	rc = reply_send(&ec->to, &r);
	call_free(ec, true);
	pump(ep);
	return rc;
}

/* The owner facet is gone: fail everything that waits on the endpoint. */
static void
close_endpoint(struct endpoint *ep)
{
	struct ep_call *ec;

	ep->refs++;
	ep->closed = true;
	while ((ec = ep->queue) != NULL) {
		ep->queue = ec->next;
		if (ec->notice)
			kfree(ec);
		else
			call_fail(ec, capos_CapException_Type_disconnected,
			    "the service went away");
	}
	ep->queue_tail = NULL;
	ep->nqueued = 0;
	while ((ec = ep->active) != NULL) {
		ep->active = ec->next;
		call_fail(ec, capos_CapException_Type_disconnected,
		    "the service went away during the call");
	}
	ep->nactive = 0;
	fail_recvs(ep, CAPOS_ECANCELED);
	ep_unref(ep);
}

static int
owner_call(struct kobj *obj, struct call *c)
{
	struct endpoint *ep = ((struct facet *)obj)->ep;
	struct capos_Endpoint_client_Params_r p;
	struct capos_Endpoint_client_Results_b res;
	struct capnp_msg m;
	struct facet *f;
	uint64_t iface;
	int idx;

	if (c->method != capos_Endpoint_client_ORDINAL)
		return call_exception(c, capos_CapException_Type_unimplemented,
		    "Endpoint has no such method");
	if (call_params(c, &m, &p.s) != 0)
		return call_exception(c, capos_CapException_Type_failed,
		    "malformed client params");
	if (c->to.ncaps_out < 1 || captable_room(&c->proc->caps) < 1)
		return call_exception(c, capos_CapException_Type_failed,
		    "no room for the client capability");
	iface = capos_Endpoint_client_Params_get_interfaceId(&p);
	if (iface == 0)
		iface = ep->interface_id;
	if ((f = facet_new(ep, &client_ops)) == NULL)
		return call_exception(c, capos_CapException_Type_overloaded,
		    "kernel out of memory");
	f->badge = capos_Endpoint_client_Params_get_badge(&p);
	if (f->badge != 0 && (f->notice = kzalloc(sizeof(*f->notice))) == NULL) {
		kobj_unref(&f->obj);
		return call_exception(c, capos_CapException_Type_overloaded,
		    "kernel out of memory");
	}
	if ((idx = reply_add_cap(&c->reply, &f->obj, iface)) < 0 ||
	    capos_Endpoint_client_Results_init_root(call_result(c), &res) !=
	    CAPNP_OK) {
		if (idx < 0)
			kobj_unref(&f->obj);
		return call_exception(c, capos_CapException_Type_failed,
		    "result buffer");
	}
	capos_Endpoint_client_Results_set_client(&res, (uint32_t)idx);
	return CALL_DONE;
}

static void
owner_release(struct kobj *obj)
{
	struct facet *f = (struct facet *)obj;

	close_endpoint(f->ep);
	ep_unref(f->ep);
	kfree(f);
}

static void
client_release(struct kobj *obj)
{
	struct facet *f = (struct facet *)obj;
	struct endpoint *ep = f->ep;
	struct ep_call *n = f->notice;

	ep->nclients--;
	if (n != NULL && !ep->closed) {
		/* Queued at the tail, after any call the holder made. */
		n->notice = true;
		n->badge = f->badge;
		if (ep->queue_tail != NULL)
			ep->queue_tail->next = n;
		else
			ep->queue = n;
		ep->queue_tail = n;
	} else {
		kfree(n);
	}
	if (!ep->closed)
		pump(ep);
	ep_unref(ep);
	kfree(f);
}

static const struct kobj_ops owner_ops = {
	.name = "Endpoint",
	.call = owner_call,
	.release = owner_release,
};

static const struct kobj_ops client_ops = {
	.name = "EndpointClient",
	.call = client_call,
	.release = client_release,
};

bool
endpoint_is_owner(const struct kobj *obj)
{
	return obj->ops == &owner_ops;
}

static int
factory_call(struct kobj *obj, struct call *c)
{
	struct capos_EndpointFactory_create_Params_r p;
	struct capos_EndpointFactory_create_Results_b res;
	struct endpoint *ep;
	struct facet *owner;
	struct capnp_msg m;
	int idx;

	(void)obj;
	if (c->method != capos_EndpointFactory_create_ORDINAL)
		return call_exception(c, capos_CapException_Type_unimplemented,
		    "EndpointFactory has no such method");
	if (call_params(c, &m, &p.s) != 0)
		return call_exception(c, capos_CapException_Type_failed,
		    "malformed create params");
	if ((ep = kzalloc(sizeof(*ep))) == NULL)
		return call_exception(c, capos_CapException_Type_overloaded,
		    "kernel out of memory");
	ep->interface_id = capos_EndpointFactory_create_Params_get_interfaceId(
	    &p);
	ep->next_id = 1;
	if ((owner = facet_new(ep, &owner_ops)) == NULL) {
		kfree(ep);
		return call_exception(c, capos_CapException_Type_overloaded,
		    "kernel out of memory");
	}
	if ((idx = reply_add_cap(&c->reply, &owner->obj,
	    capos_Endpoint_INTERFACE_ID)) < 0 ||
	    capos_EndpointFactory_create_Results_init_root(call_result(c),
	    &res) != CAPNP_OK) {
		if (idx < 0)
			kobj_unref(&owner->obj);
		return call_exception(c, capos_CapException_Type_failed,
		    "result buffer");
	}
	capos_EndpointFactory_create_Results_set_endpoint(&res, (uint32_t)idx);
	return CALL_DONE;
}

static const struct kobj_ops factory_ops = {
	.name = "EndpointFactory",
	.call = factory_call,
	.release = NULL,
};

struct kobj *
endpoint_factory_create(void)
{
	static struct kobj factory;

	if (factory.ops == NULL)
		kobj_init(&factory, &factory_ops);
	return kobj_ref(&factory);
}
