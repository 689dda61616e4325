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
 *
 * Who pays (kernel/mm/kmem.h): the endpoint and its owner facet are charged
 * to the process that created them, a client facet and its notice to the
 * process that minted it (the owner's holder), a call record and its params
 * to the caller. The params are freed when the call is delivered, so a call
 * being served costs only its record.
 *
 * Lifetimes that users cannot stretch:
 *   - A call waiting in the queue is cancelled when its calling thread
 *     ends: its capabilities go back (or are dropped with a stopped
 *     process) and its record is freed.
 *   - A call received by a process that stops before answering fails with
 *     `disconnected`, even when another process still holds the owner
 *     (a supervisor keeping the endpoint for a restarted server).
 *   - A RECV serves only while its thread's process still holds the owner
 *     facet under the id it was posted with; once the owner has moved or
 *     been released there, the RECV completes with CAPOS_ECANCELED instead
 *     of taking a call.
 *   - An owner facet never waits inside a queued call (CALL refuses to
 *     send one; it travels by spawn grant or RETURN, which deliver at once).
 *     So every owner lives in some process's table, and no cycle of
 *     endpoints held only by each other's queues can outlive the processes.
 *   - A client facet cannot be labelled with a kernel interface: no service
 *     can pass an endpoint off as a kernel object.
 */
#include <string.h>

#include "cap/call.h"
#include "kernel.h"
#include "mm/aspace.h"
#include "mm/kmem.h"
#include "mm/mem.h"
#include "obj/objects.h"

#define EP_MAX_QUEUED	32
#define EP_MAX_RECVS	8
#define EP_MAX_ACTIVE	64

struct ep_call {
	struct ep_call *next;
	/* The endpoint, and while queued the calling thread's list of its
	 * queued calls (so its end can cancel them), once received the
	 * receiving process's list of calls it owes an answer (so its end
	 * can fail them). */
	struct endpoint *ep;
	struct ep_call *tnext, **tprev;
	struct kcharge charge;		/* record and params */
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
	uint32_t refs;			/* facets, and running operations */
	struct kcharge charge;
	struct kobj *owner;		/* the owner facet (no reference) */
	uint32_t nclients;		/* client facets */
	bool closed;
	uint64_t interface_id;
	uint64_t next_id;
	struct ep_call *queue, *queue_tail;
	uint32_t nqueued;
	struct reply_to recvs[EP_MAX_RECVS];
	capos_cap_t recv_cap[EP_MAX_RECVS];	/* the id each was posted on */
	uint32_t nrecvs;
	struct ep_call *active;
	uint32_t nactive;
};

struct facet {
	struct kobj obj;
	struct endpoint *ep;
	uint64_t badge;			/* client facets: told to the server */
	struct ep_call *notice;		/* badged clients: sent when dropped */
	struct kcharge charge;		/* the facet */
};

static const struct kobj_ops owner_ops, client_ops;

static void
ep_unref(struct endpoint *ep)
{
	if (--ep->refs == 0)
		kmem_free(ep, &ep->charge);
}

/*
 * A facet charged to p, with its notice record when notice is set. The
 * notice carries its own charge: it may wait in the queue long after the
 * facet is gone, and stays charged to p until the owner takes it.
 */
static struct facet *
facet_new(struct endpoint *ep, const struct kobj_ops *ops, struct process *p,
    bool notice)
{
	struct kcharge ch = { 0 }, nch = { 0 };
	struct facet *f;

	if ((f = kmem_zalloc(p->kmem, sizeof(*f), &ch)) == NULL)
		return NULL;
	f->charge = ch;
	if (notice) {
		if ((f->notice = kmem_zalloc(p->kmem, sizeof(*f->notice),
		    &nch)) == NULL) {
			kmem_free(f, &f->charge);
			return NULL;
		}
		f->notice->charge = nch;
	}
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

/* Puts a call on a list of calls (a thread's queued or a process's
 * received ones). */
static void
call_link(struct ep_call *ec, struct ep_call **head)
{
	ec->tnext = *head;
	if (ec->tnext != NULL)
		ec->tnext->tprev = &ec->tnext;
	ec->tprev = head;
	*head = ec;
}

/* Takes a call off the list it is on. */
static void
call_unlink(struct ep_call *ec)
{
	if (ec->tprev == NULL)
		return;
	*ec->tprev = ec->tnext;
	if (ec->tnext != NULL)
		ec->tnext->tprev = ec->tprev;
	ec->tnext = NULL;
	ec->tprev = NULL;
}

static void
call_free(struct ep_call *ec, bool delivered)
{
	call_unlink(ec);
	xcaps_settle(sender_table(ec), ec->caps, ec->ncaps, delivered);
	kfree(ec->params);
	kmem_free(ec, &ec->charge);
}

static void
notice_free(struct ep_call *n)
{
	if (n != NULL)
		kmem_free(n, &n->charge);
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
		if (copy_to_user(&t->proc->as, rt->result, &h,
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
	if (copy_to_user(&t->proc->as, rt->result, &h, sizeof(h)) != 0 ||
	    copy_to_user(&t->proc->as, rt->result + sizeof(h), ec->params,
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
	/* The server has the params now; the record alone waits for RETURN. */
	if (ec->params != NULL) {
		kfree(ec->params);
		ec->params = NULL;
		kcharge_shrink(&ec->charge, kmalloc_size(ec->params_len));
	}
	ec->id = ep->next_id++;
	call_unlink(ec);
	call_link(ec, &t->proc->ep_received);
	reply_status(rt, (int32_t)need, ec->id);
	return DELIVERED;
}

/*
 * Whether the thread that posted a RECV still runs in a process holding
 * this endpoint's owner under the id the RECV named. An owner moved away
 * or released there takes its future with it: the RECV no longer serves.
 */
static bool
recv_holds_owner(const struct endpoint *ep, const struct reply_to *rt,
    capos_cap_t cap)
{
	struct thread *t = thread_get(rt->thread);
	struct cap_slot *s;

	if (t == NULL)
		return false;
	s = captable_lookup(&t->proc->caps, cap);
	return s != NULL && s->obj == ep->owner;
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
		capos_cap_t cap = ep->recv_cap[0];
		enum deliver d;

		ep->nrecvs--;
		memmove(&ep->recvs[0], &ep->recvs[1],
		    ep->nrecvs * sizeof(ep->recvs[0]));
		memmove(&ep->recv_cap[0], &ep->recv_cap[1],
		    ep->nrecvs * sizeof(ep->recv_cap[0]));
		if (!recv_holds_owner(ep, &rt, cap)) {
			reply_status(&rt, CAPOS_ECANCELED, 0);
			continue;
		}
		d = deliver(ep, ec, &rt);
		if (d == KEEP_CALL)
			continue;
		ep->queue = ec->next;
		if (ep->queue == NULL)
			ep->queue_tail = NULL;
		if (d == NOTICE_DONE) {
			notice_free(ec);
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
	struct kcharge ch = { 0 };
	struct ep_call *ec;

	if (ep->closed)
		return call_exception(c, capos_CapException_Type_disconnected,
		    "the service is gone");
	if (ep->nqueued == EP_MAX_QUEUED)
		return call_exception(c, capos_CapException_Type_overloaded,
		    "the service's call queue is full");
	/*
	 * An owner facet waiting in a queue could keep endpoints open after
	 * every process that could receive from them is gone (two owners, each
	 * queued on the other's endpoint): owners never ride in a CALL.
	 */
	for (uint32_t i = 0; i < c->ncaps_in; i++)
		if (c->caps_in[i].obj->ops == &owner_ops)
			return call_exception(c, capos_CapException_Type_failed,
			    "an endpoint's owner cannot be sent with a call");
	if (kcharge_take(&ch, c->proc->kmem,
	    kmalloc_size(sizeof(*ec)) + kmalloc_size(c->params_len)) != 0)
		return call_exception(c, capos_CapException_Type_overloaded,
		    "the caller's kernel memory limit is reached");
	if ((ec = kzalloc(sizeof(*ec))) == NULL ||
	    (c->params_len != 0 &&
	    (ec->params = kmalloc(c->params_len)) == NULL)) {
		kfree(ec);
		kcharge_drop(&ch);
		return call_exception(c, capos_CapException_Type_overloaded,
		    "kernel out of memory");
	}
	ec->charge = ch;
	if (c->params_len != 0)
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
	ec->ep = ep;
	call_link(ec, &c->thread->ep_calls);
	if (ep->queue_tail != NULL)
		ep->queue_tail->next = ec;
	else
		ep->queue = ec;
	ep->queue_tail = ec;
	ep->nqueued++;
	pump(ep);
	return CALL_PENDING;
}

/* Takes ec out of its endpoint's queue (it must be there). */
static void
queue_remove(struct endpoint *ep, struct ep_call *ec)
{
	struct ep_call *prev = NULL;

	for (struct ep_call *q = ep->queue; q != NULL; prev = q, q = q->next) {
		if (q != ec)
			continue;
		if (prev != NULL)
			prev->next = ec->next;
		else
			ep->queue = ec->next;
		if (ep->queue_tail == ec)
			ep->queue_tail = prev;
		ep->nqueued--;
		return;
	}
	panic("endpoint: a queued call is missing from its queue");
}

/* Takes ec out of its endpoint's received calls (it must be there). */
static void
active_remove(struct endpoint *ep, struct ep_call *ec)
{
	for (struct ep_call **pp = &ep->active; *pp != NULL;
	    pp = &(*pp)->next) {
		if (*pp == ec) {
			*pp = ec->next;
			ep->nactive--;
			return;
		}
	}
	panic("endpoint: a received call is missing from its endpoint");
}

void
endpoint_process_gone(struct process *p)
{
	struct ep_call *ec;

	while ((ec = p->ep_received) != NULL) {
		struct endpoint *ep = ec->ep;

		call_unlink(ec);
		ep->refs++;
		active_remove(ep, ec);
		call_fail(ec, capos_CapException_Type_disconnected,
		    "the service stopped during the call");
		if (!ep->closed)
			pump(ep);
		ep_unref(ep);
	}
}

void
endpoint_thread_gone(struct thread *t)
{
	struct ep_call *ec;

	while ((ec = t->ep_calls) != NULL) {
		struct endpoint *ep = ec->ep;

		call_unlink(ec);
		ep->refs++;
		queue_remove(ep, ec);
		call_free(ec, false);
		if (!ep->closed)
			pump(ep);
		ep_unref(ep);
	}
}

int
endpoint_recv(struct kobj *owner, const struct reply_to *to, capos_cap_t cap)
{
	struct endpoint *ep = ((struct facet *)owner)->ep;
	uint32_t n = 0;

	/* RECVs that can no longer serve hold no promise: their threads have
	 * exited (dropped), or their owner has gone elsewhere (cancelled). */
	for (uint32_t i = 0; i < ep->nrecvs; i++) {
		if (recv_holds_owner(ep, &ep->recvs[i], ep->recv_cap[i])) {
			ep->recv_cap[n] = ep->recv_cap[i];
			ep->recvs[n++] = ep->recvs[i];
		} else {
			reply_status(&ep->recvs[i], CAPOS_ECANCELED, 0);
		}
	}
	ep->nrecvs = n;
	if (ep->nrecvs == EP_MAX_RECVS)
		return CAPOS_EBUSY;
	ep->recvs[ep->nrecvs] = *to;
	ep->recvs[ep->nrecvs].owed = true;
	ep->recv_cap[ep->nrecvs] = cap;
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
			notice_free(ec);
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
	uint64_t iface, badge;
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
	if (kernel_interface(iface))
		return call_exception(c, capos_CapException_Type_failed,
		    "a client cannot carry a kernel interface id");
	badge = capos_Endpoint_client_Params_get_badge(&p);
	if ((f = facet_new(ep, &client_ops, c->proc, badge != 0)) == NULL)
		return call_exception(c, capos_CapException_Type_overloaded,
		    "the kernel memory limit is reached");
	f->badge = badge;
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
	kmem_free(f, &f->charge);
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
		notice_free(n);
	}
	if (!ep->closed)
		pump(ep);
	ep_unref(ep);
	kmem_free(f, &f->charge);
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

/* The interfaces the kernel serves: no endpoint may wear their ids. */
static const uint64_t kernel_ifaces[] = {
	capos_Console_INTERFACE_ID, capos_BootPackage_INTERFACE_ID,
	capos_ProcessSpawner_INTERFACE_ID, capos_ProcessHandle_INTERFACE_ID,
	capos_VirtualMemory_INTERFACE_ID, capos_SharedMemory_INTERFACE_ID,
	capos_DeviceManager_INTERFACE_ID, capos_DeviceMmio_INTERFACE_ID,
	capos_Interrupt_INTERFACE_ID, capos_DMAPool_INTERFACE_ID,
	capos_Entropy_INTERFACE_ID, capos_Endpoint_INTERFACE_ID,
	capos_EndpointFactory_INTERFACE_ID, capos_ThreadSpawner_INTERFACE_ID,
	capos_ThreadHandle_INTERFACE_ID, capos_ThreadControl_INTERFACE_ID,
	capos_ParkSpace_INTERFACE_ID, capos_TimerNotification_INTERFACE_ID,
	capos_Timer_INTERFACE_ID,
};

bool
kernel_interface(uint64_t iface)
{
	for (size_t i = 0; i < ARRAY_LEN(kernel_ifaces); i++)
		if (kernel_ifaces[i] == iface)
			return true;
	return false;
}

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
	struct kcharge ch = { 0 };
	struct capnp_msg m;
	int idx;

	(void)obj;
	if (c->method != capos_EndpointFactory_create_ORDINAL)
		return call_exception(c, capos_CapException_Type_unimplemented,
		    "EndpointFactory has no such method");
	if (call_params(c, &m, &p.s) != 0)
		return call_exception(c, capos_CapException_Type_failed,
		    "malformed create params");
	if (kernel_interface(
	    capos_EndpointFactory_create_Params_get_interfaceId(&p)))
		return call_exception(c, capos_CapException_Type_failed,
		    "an endpoint cannot carry a kernel interface id");
	if ((ep = kmem_zalloc(c->proc->kmem, sizeof(*ep), &ch)) == NULL)
		return call_exception(c, capos_CapException_Type_overloaded,
		    "the kernel memory limit is reached");
	ep->charge = ch;
	ep->interface_id = capos_EndpointFactory_create_Params_get_interfaceId(
	    &p);
	ep->next_id = 1;
	if ((owner = facet_new(ep, &owner_ops, c->proc, false)) == NULL) {
		kmem_free(ep, &ep->charge);
		return call_exception(c, capos_CapException_Type_overloaded,
		    "the kernel memory limit is reached");
	}
	ep->owner = &owner->obj;
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
