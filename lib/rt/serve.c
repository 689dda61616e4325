/*
 * The server loop: receive calls on an endpoint owner capability, dispatch
 * them by interface id and method ordinal to a handler table, and return
 * the handler's result (or exception) with its capabilities.
 */
#include <string.h>

#include "rt.h"

#define RECV_BUF	(CAPOS_MAX_PARAMS + sizeof(struct capos_recv_hdr))
#define REPLY_BUF	CAPOS_MAX_RESULT

static uint8_t recv_buf[RECV_BUF] __attribute__((aligned(8)));
static uint8_t reply_buf[REPLY_BUF] __attribute__((aligned(8)));
static uint8_t exc_buf[1024] __attribute__((aligned(8)));
static int last_return;

int
rt_last_return(void)
{
	return last_return;
}

int
rt_reply_exception(struct rt_request *rq, enum capos_CapException_Type type,
    const char *reason)
{
	rq->exc_type = (int)type;
	rq->exc_reason = reason;
	return 0;
}

int
rt_reply_cap(struct rt_request *rq, capos_cap_t cap, uint32_t mode)
{
	if (rq->nreply_caps == CAPOS_MAX_XCAPS)
		return -1;
	rq->reply_caps[rq->nreply_caps].cap = cap;
	rq->reply_caps[rq->nreply_caps].mode = mode;
	return rq->nreply_caps++;
}

capos_cap_t
rt_keep_cap(struct rt_request *rq, uint32_t idx)
{
	if (idx >= rq->hdr->ncaps || idx >= CAPOS_MAX_XCAPS)
		return CAPOS_CAP_NULL;
	rq->kept |= 1u << idx;
	return rq->caps[idx].cap;
}

/* Releases the call's capabilities that no handler kept or sent on. */
static void
release_unkept(struct rt_request *rq)
{
	for (uint32_t i = 0; i < rq->hdr->ncaps && i < CAPOS_MAX_XCAPS; i++)
		if (!(rq->kept & (1u << i)))
			rt_release(rq->caps[i].cap);
}

/*
 * Takes the next call; 0, or a negative status (CAPOS_EPEER: no clients).
 * With the answer to the last call submitted but not yet consumed
 * (*answer_tag != 0), one kernel entry delivers it and waits for the next
 * call, and its status goes to last_return.
 */
static int
receive(capos_cap_t owner, struct rt_request *rq, uint64_t *answer_tag)
{
	struct capos_sqe e;
	struct capos_cqe c[2];
	uint64_t tags[2];
	int rc;

	rt_prep_recv(&e, owner, recv_buf, sizeof(recv_buf), rq->caps);
	if ((rc = rt_submit(&e)) != 0) {
		if (*answer_tag != 0 &&
		    (last_return = rt_wait(*answer_tag, &c[1])) == 0)
			last_return = c[1].status;
		*answer_tag = 0;
		return rc;
	}
	tags[0] = e.user_data;
	tags[1] = *answer_tag;
	rc = rt_wait_all(tags, *answer_tag != 0 ? 2 : 1, c);
	if (*answer_tag != 0)
		last_return = rc != 0 ? rc : c[1].status;
	*answer_tag = 0;
	if (rc != 0)
		return rc;
	if (c[0].status < 0)
		return c[0].status;
	rq->hdr = (const struct capos_recv_hdr *)recv_buf;
	rq->params_bytes = recv_buf + sizeof(*rq->hdr);
	if (rq->hdr->params_len == 0) {
		memset(&rq->params, 0, sizeof(rq->params));
		return 0;
	}
	if (capnp_msg_init(&rq->msg, rq->params_bytes, rq->hdr->params_len) != 0 ||
	    capnp_msg_root(&rq->msg, &rq->params) != 0)
		return RT_BAD_PARAMS;
	return 0;
}

/*
 * Submits the answer for the call in rq, consumed by the kernel with the
 * next RECV (receive); its tag, or 0 with last_return set to the error
 * that kept it from being submitted.
 */
static uint64_t
answer(capos_cap_t owner, struct rt_request *rq)
{
	struct capos_CapException_b ex;
	struct capnp_builder eb;
	struct capos_sqe e;
	int rc;

	if (rq->exc_type >= 0) {
		const char *why = rq->exc_reason ? rq->exc_reason : "";
		size_t wlen = strnlen(why, sizeof(exc_buf) / 2);

		if (capnp_builder_init(&eb, exc_buf, sizeof(exc_buf)) != 0 ||
		    capos_CapException_init_root(&eb, &ex) != 0 ||
		    capos_CapException_set_reason(&ex, why, wlen) != 0) {
			last_return = CAPOS_E2BIG;
			return 0;
		}
		capos_CapException_set_type(&ex,
		    (enum capos_CapException_Type)rq->exc_type);
		rt_prep_return(&e, owner, rq->hdr->call_id, exc_buf,
		    capnp_builder_finish(&eb), NULL, 0);
		e.flags = CAPOS_SQE_EXCEPTION;
	} else {
		rt_prep_return(&e, owner, rq->hdr->call_id, reply_buf,
		    capnp_builder_finish(&rq->reply), rq->reply_caps,
		    rq->nreply_caps);
	}
	if ((rc = rt_submit(&e)) != 0) {
		last_return = rc;
		return 0;
	}
	return e.user_data;
}

int
rt_return_empty(capos_cap_t owner, uint64_t call_id)
{
	static uint8_t empty[16] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct capnp_sb root;
	struct capos_sqe e;
	struct capos_cqe c;
	int rc;

	if (capnp_builder_init(&b, empty, sizeof(empty)) != 0 ||
	    capnp_init_root(&b, 0, 0, &root) != 0)
		return CAPOS_E2BIG;
	rt_prep_return(&e, owner, call_id, empty, capnp_builder_finish(&b),
	    NULL, 0);
	if ((rc = rt_submit(&e)) != 0 || (rc = rt_wait(e.user_data, &c)) != 0)
		return rc;
	return c.status;
}

int
rt_serve(capos_cap_t owner, const struct rt_method *table, size_t n,
    void *ctx)
{
	static struct rt_request rq;
	uint64_t answer_tag = 0;

	for (;;) {
		const struct rt_method *m = NULL;
		int rc;

		/* rq's answer, if any, is still to be consumed: receive
		 * submits it with the RECV. */
		rc = receive(owner, &rq, &answer_tag);
		rq.exc_type = -1;
		rq.exc_reason = NULL;
		rq.deferred = false;
		rq.kept = 0;
		rq.nreply_caps = 0;
		if (rc == CAPOS_EPEER || rc == CAPOS_ECANCELED)
			return rc;
		if (rc == CAPOS_ERESULT || rc == CAPOS_ETRANSFER ||
		    rc == CAPOS_EFAULT)
			continue;	/* that call failed; take the next */
		if (rc < 0 && rc != RT_BAD_PARAMS)
			return rc;
		if (capnp_builder_init(&rq.reply, reply_buf,
		    sizeof(reply_buf)) != 0)
			return CAPOS_E2BIG;
		/* Notices have call id 0; no call does, so no call can reach
		 * a notice handler by naming its method. */
		for (size_t i = 0; i < n && m == NULL; i++)
			if (table[i].iface == rq.hdr->interface_id &&
			    table[i].method == rq.hdr->method &&
			    (rq.hdr->call_id == 0) ==
			    (table[i].method == CAPOS_METHOD_DROPPED &&
			    table[i].iface == 0))
				m = &table[i];
		if (rq.hdr->call_id == 0 &&
		    rq.hdr->method == CAPOS_METHOD_DROPPED) {
			/* A notice, not a call: nothing to answer. */
			if (m != NULL)
				(void)m->fn(ctx, &rq);
			continue;
		}
		if (rc == RT_BAD_PARAMS)
			rt_reply_exception(&rq, capos_CapException_Type_failed,
			    "malformed params");
		else if (m == NULL)
			rt_reply_exception(&rq,
			    capos_CapException_Type_unimplemented,
			    "no such method");
		else if (m->fn(ctx, &rq) != 0 && rq.exc_type < 0)
			rt_reply_exception(&rq, capos_CapException_Type_failed,
			    "the method failed");
		if (!rq.deferred)
			answer_tag = answer(owner, &rq);
		/* Capabilities that came with a malformed call go too. */
		if (rc == 0 || rc == RT_BAD_PARAMS)
			release_unkept(&rq);
	}
}
