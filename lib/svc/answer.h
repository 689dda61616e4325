/*
 * Serving by hand: for a program whose one loop waits on a RECV and on
 * other completions at once (rt_wait_any), so it cannot sit in rt_serve.
 * It posts RECVs with rt_prep_recv into a buffer of SVC_RECV_BUF bytes,
 * reads each completion with svc_take, and answers (now or later) with
 * svc_answer or svc_answer_exception.
 */
#ifndef CAPOS_SVC_ANSWER_H
#define CAPOS_SVC_ANSWER_H

#include "rt.h"

#define SVC_RECV_BUF	(CAPOS_MAX_PARAMS + sizeof(struct capos_recv_hdr))

struct svc_call {
	const struct capos_recv_hdr *hdr;
	struct capnp_msg msg;
	struct capnp_struct params;	/* zeroed when there are none */
	bool notice;			/* a dropped-client notice, no call */
};

/*
 * Reads a RECV completion over buf. 0 with *out set; RT_BAD_PARAMS when
 * the call came with a params message that does not read (the call must
 * still be answered); or the completion's negative status (CAPOS_EPEER:
 * no client is left).
 */
int svc_take(const struct capos_cqe *c, const uint8_t *buf,
    struct svc_call *out);

/* Answers call_id with the message in b (NULL: an empty struct) and the
 * capabilities in caps; returns the RETURN's status. */
int svc_answer(capos_cap_t owner, uint64_t call_id, struct capnp_builder *b,
    struct capos_capdesc *caps, uint16_t ncaps);

/* Answers call_id with a CapException. */
int svc_answer_exception(capos_cap_t owner, uint64_t call_id,
    enum capos_CapException_Type type, const char *why);

/* Mints a client of the endpoint owner holds, with badge, for the
 * interface interface_id; the client, or CAPOS_CAP_NULL when the
 * endpoint refused. Not reentrant: one static reply buffer. */
capos_cap_t svc_mint(capos_cap_t owner, uint64_t badge,
    uint64_t interface_id);

/* A new endpoint for interface_id from an EndpointFactory; its owner
 * capability, or CAPOS_CAP_NULL when the factory refused. Not
 * reentrant: one static reply buffer. */
capos_cap_t svc_endpoint(capos_cap_t factory, uint64_t interface_id);

#endif
