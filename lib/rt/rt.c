/*
 * Runtime core: startup, CapSet lookup, the ring and synchronous calls.
 */
#include <string.h>

#include "fmt/fmt.h"
#include "rt.h"

static const struct capos_start *start;
static uint64_t next_tag = 1;

void rt_startup(const struct capos_start *sb) __attribute__((noreturn));

void
rt_thread_ring_init(struct rt_thread *t, uint64_t ring_addr)
{
	t->self = t;
	t->ring = (struct capos_ring_header *)(uintptr_t)ring_addr;
	t->sq = (struct capos_sqe *)((uint8_t *)t->ring + t->ring->sq_offset);
	t->cq = (struct capos_cqe *)((uint8_t *)t->ring + t->ring->cq_offset);
	t->nparked = 0;
}

void
rt_startup(const struct capos_start *sb)
{
	int status;

	start = sb;
	if (sb->magic != CAPOS_START_MAGIC || sb->version != 1)
		sys_exit(127);
	rt_thread_ring_init(&rt_main_thread, sb->ring);
	status = main();
	rt_flush();
	sys_exit(status);
}

const struct capos_start *
rt_start(void)
{
	return start;
}

struct capos_ring_header *
rt_ring(void)
{
	return rt_self()->ring;
}

capos_cap_t
rt_cap(const char *name, uint64_t interface_id)
{
	for (uint32_t i = 0; i < start->ncaps && i < CAPOS_CAPSET_MAX; i++) {
		const struct capos_capset_entry *e = &start->caps[i];

		if (strncmp(e->name, name, CAPOS_CAPNAME_MAX) == 0 &&
		    (interface_id == 0 || e->interface_id == interface_id))
			return e->cap;
	}
	return CAPOS_CAP_NULL;
}

int
rt_argc(void)
{
	const char *p = (const char *)(uintptr_t)start->args;
	int n = 0;

	for (uint32_t i = 0; i < start->args_len; i++)
		if (p[i] == '\0')
			n++;
	return n;
}

const char *
rt_argv(int i)
{
	const char *p = (const char *)(uintptr_t)start->args;
	uint32_t off = 0;

	if (i < 0 || i >= rt_argc())
		return NULL;
	while (i-- > 0)
		off += (uint32_t)strlen(p + off) + 1;
	return p + off;
}

int
rt_release(capos_cap_t cap)
{
	struct capos_sqe e;
	struct capos_cqe c;
	int rc;

	memset(&e, 0, sizeof(e));
	e.opcode = CAPOS_OP_RELEASE;
	e.cap = cap;
	e.user_data = rt_next_tag();
	if ((rc = rt_submit(&e)) != 0 || (rc = rt_wait(e.user_data, &c)) != 0)
		return rc;
	return c.status;
}

uint64_t
rt_next_tag(void)
{
	/* Unique across threads, though each thread has its own ring. */
	return __atomic_fetch_add(&next_tag, 1, __ATOMIC_RELAXED);
}

int
rt_submit(const struct capos_sqe *e)
{
	struct rt_thread *t = rt_self();
	uint32_t tail = t->ring->sq_tail;

	if (tail - t->ring->sq_head >= CAPOS_SQ_ENTRIES) {
		/* Full: let the kernel consume some, then try once more. */
		cap_enter(0, CAPOS_TIMEOUT_NONE);
		if (tail - t->ring->sq_head >= CAPOS_SQ_ENTRIES)
			return CAPOS_E2BIG;
	}
	t->sq[tail % CAPOS_SQ_ENTRIES] = *e;
	__atomic_store_n(&t->ring->sq_tail, tail + 1, __ATOMIC_RELEASE);
	return 0;
}

/*
 * Moves every new completion of this thread's ring into its wait records
 * (`parked`), which hold a whole CQ, so draining never stalls.
 */
/* Drops c if its entry was forgotten; returns whether it was. */
static bool
forgotten(struct rt_thread *t, const struct capos_cqe *c)
{
	for (uint32_t i = 0; i < t->nforget; i++) {
		if (t->forget[i] == c->user_data) {
			t->forget[i] = t->forget[--t->nforget];
			return true;
		}
	}
	return false;
}

static void
drain(struct rt_thread *t)
{
	uint32_t head = t->ring->cq_head;
	uint32_t tail = __atomic_load_n(&t->ring->cq_tail, __ATOMIC_ACQUIRE);

	while (head != tail && t->nparked < RT_PARKED_MAX) {
		struct capos_cqe c = t->cq[head % CAPOS_CQ_ENTRIES];

		head++;
		if (!forgotten(t, &c))
			t->parked[t->nparked++] = c;
	}
	__atomic_store_n(&t->ring->cq_head, head, __ATOMIC_RELEASE);
}

int
rt_forget(uint64_t user_data)
{
	struct rt_thread *t = rt_self();

	for (uint32_t i = 0; i < t->nparked; i++) {
		if (t->parked[i].user_data == user_data) {
			t->parked[i] = t->parked[--t->nparked];
			return 0;
		}
	}
	if (t->nforget == RT_FORGET_MAX)
		return CAPOS_EBUSY;
	t->forget[t->nforget++] = user_data;
	return 0;
}

int
rt_wait_any(const uint64_t *user_data, int n, struct capos_cqe *out)
{
	struct rt_thread *t = rt_self();

	for (;;) {
		int64_t rc;

		drain(t);
		for (uint32_t i = 0; i < t->nparked; i++) {
			for (int k = 0; k < n; k++) {
				if (t->parked[i].user_data != user_data[k])
					continue;
				*out = t->parked[i];
				t->parked[i] = t->parked[--t->nparked];
				return k;
			}
		}
		/* Every slot holds a completion nobody asked for: waiting
		 * would spin, since the CQ still has unread entries. */
		if (t->nparked == RT_PARKED_MAX)
			return CAPOS_EBUSY;
		rc = cap_enter(1, CAPOS_TIMEOUT_INFINITE);
		if (rc < 0)
			return (int)rc;
	}
}

/* Moves the parked completion of user_data to *out; whether there was one. */
static bool
take_parked(struct rt_thread *t, uint64_t user_data, struct capos_cqe *out)
{
	for (uint32_t i = 0; i < t->nparked; i++) {
		if (t->parked[i].user_data == user_data) {
			*out = t->parked[i];
			t->parked[i] = t->parked[--t->nparked];
			return true;
		}
	}
	return false;
}

int
rt_wait_all(const uint64_t *user_data, int n, struct capos_cqe *out)
{
	struct rt_thread *t = rt_self();
	uint32_t found = 0;	/* bit k: out[k] is filled */

	if (n < 1 || n > 32)
		return CAPOS_EINVAL;
	for (;;) {
		int64_t rc;
		int missing = 0;

		drain(t);
		for (int k = 0; k < n; k++) {
			if (!(found & (1u << k)) &&
			    take_parked(t, user_data[k], &out[k]))
				found |= 1u << k;
			missing += !(found & (1u << k));
		}
		if (missing == 0)
			return 0;
		if (t->nparked == RT_PARKED_MAX)
			return CAPOS_EBUSY;
		/* The CQ was drained: wait for as many as are missing, so a
		 * completion the kernel posts at once (a RETURN's) does not
		 * end the wait before the others. */
		rc = cap_enter((uint32_t)missing, CAPOS_TIMEOUT_INFINITE);
		if (rc < 0)
			return (int)rc;
	}
}

int
rt_wait(uint64_t user_data, struct capos_cqe *out)
{
	int rc = rt_wait_any(&user_data, 1, out);

	return rc < 0 ? rc : 0;
}

void
rt_prep_call(struct capos_sqe *e, capos_cap_t cap, uint64_t iface,
    uint16_t method, struct capnp_builder *params, void *buf, size_t buflen,
    struct capos_capdesc *caps, uint16_t nsend, uint16_t nrecv)
{
	memset(e, 0, sizeof(*e));
	e->opcode = CAPOS_OP_CALL;
	e->method = method;
	e->cap = cap;
	e->user_data = rt_next_tag();
	e->interface_id = iface;
	if (params != NULL) {
		e->params_len = (uint32_t)capnp_builder_finish(params);
		e->params = (uint64_t)(uintptr_t)params->buf;
	}
	e->result = (uint64_t)(uintptr_t)buf;
	e->result_len = (uint32_t)buflen;
	e->caps = (uint64_t)(uintptr_t)caps;
	e->ncaps_in = nsend;
	e->ncaps_out = nrecv;
}

void
rt_prep_recv(struct capos_sqe *e, capos_cap_t owner, void *buf,
    size_t buflen, struct capos_capdesc *caps)
{
	memset(e, 0, sizeof(*e));
	e->opcode = CAPOS_OP_RECV;
	e->cap = owner;
	e->user_data = rt_next_tag();
	e->result = (uint64_t)(uintptr_t)buf;
	e->result_len = (uint32_t)buflen;
	e->caps = (uint64_t)(uintptr_t)caps;
	e->ncaps_out = CAPOS_MAX_XCAPS;
}

void
rt_prep_return(struct capos_sqe *e, capos_cap_t owner, uint64_t call_id,
    const void *msg, size_t len, struct capos_capdesc *caps, uint16_t ncaps)
{
	memset(e, 0, sizeof(*e));
	e->opcode = CAPOS_OP_RETURN;
	e->cap = owner;
	e->user_data = rt_next_tag();
	e->call_id = call_id;
	e->params = (uint64_t)(uintptr_t)msg;
	e->params_len = (uint32_t)len;
	e->caps = (uint64_t)(uintptr_t)caps;
	e->ncaps_in = ncaps;
}

int
rt_result_read(const struct capos_cqe *cqe, void *buf, struct rt_result *res)
{
	res->cqe = *cqe;
	if (cqe->status < 0)
		return cqe->status;
	if (capnp_msg_init(&res->msg, buf, (size_t)cqe->status) != 0 ||
	    capnp_msg_root(&res->msg, &res->root) != 0)
		return CAPOS_EINVAL;
	if (cqe->flags & CAPOS_CQE_EXCEPTION)
		return RT_EXCEPTION;
	return 0;
}

int
rt_call(capos_cap_t cap, uint64_t iface, uint16_t method,
    struct capnp_builder *params, const struct capos_capdesc *send,
    uint16_t nsend, void *buf, size_t buflen, struct rt_result *res)
{
	struct capos_sqe e;
	struct capos_cqe cqe;
	int rc;

	memset(res, 0, sizeof(*res));
	if (nsend > CAPOS_MAX_XCAPS)
		return CAPOS_E2BIG;
	/* One array carries the sent descriptors and the received ids. */
	if (nsend > 0)
		memcpy(res->caps, send, nsend * sizeof(*send));
	rt_prep_call(&e, cap, iface, method, params, buf, buflen, res->caps,
	    nsend, CAPOS_MAX_XCAPS);
	if ((rc = rt_submit(&e)) != 0 || (rc = rt_wait(e.user_data, &cqe)) != 0)
		return rc;
	return rt_result_read(&cqe, buf, res);
}

const char *
rt_exception_reason(struct rt_result *res)
{
	struct capos_CapException_r e = { res->root };
	struct capnp_text t;

	if (!(res->cqe.flags & CAPOS_CQE_EXCEPTION) ||
	    capos_CapException_get_reason(&e, &t) != 0)
		return "";
	return t.str;
}

const char *
rt_strerror(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case CAPOS_EBADCAP:
		return "no such capability";
	case CAPOS_EFAULT:
		return "bad buffer";
	case CAPOS_EBADOP:
		return "unknown operation";
	case CAPOS_EINVAL:
		return "malformed request";
	case CAPOS_EIFACE:
		return "wrong interface";
	case CAPOS_E2BIG:
		return "too big";
	case CAPOS_ERESULT:
		return "result buffer too small";
	case CAPOS_ETRANSFER:
		return "capability transfer failed";
	case CAPOS_ERING:
		return "ring corrupt";
	case CAPOS_ENOMEM:
		return "kernel out of memory";
	case CAPOS_ECANCELED:
		return "cancelled";
	case CAPOS_EBUSY:
		return "kernel queue full";
	case CAPOS_EPEER:
		return "no clients left";
	case RT_EXCEPTION:
		return "exception";
	case RT_BAD_PARAMS:
		return "malformed params";
	case RT_NOCAP:
		return "capability not granted";
	case RT_OVERLOADED:
		return "overloaded";
	default:
		return "unknown error";
	}
}
