/*
 * Serving by hand (answer.h).
 */
#include <string.h>

#include "answer.h"

int
svc_take(const struct capos_cqe *c, const uint8_t *buf, struct svc_call *out)
{
	memset(out, 0, sizeof(*out));
	if (c->status < 0)
		return c->status;
	out->hdr = (const struct capos_recv_hdr *)buf;
	out->notice = out->hdr->call_id == 0 &&
	    out->hdr->method == CAPOS_METHOD_DROPPED;
	if (out->hdr->params_len == 0)
		return 0;
	if (capnp_msg_init(&out->msg, buf + sizeof(*out->hdr),
	    out->hdr->params_len) != 0 ||
	    capnp_msg_root(&out->msg, &out->params) != 0) {
		memset(&out->params, 0, sizeof(out->params));
		return RT_BAD_PARAMS;
	}
	return 0;
}

static int
send_return(struct capos_sqe *e)
{
	struct capos_cqe c;
	int rc;

	if ((rc = rt_submit(e)) != 0 || (rc = rt_wait(e->user_data, &c)) != 0)
		return rc;
	return c.status;
}

int
svc_answer(capos_cap_t owner, uint64_t call_id, struct capnp_builder *b,
    struct capos_capdesc *caps, uint16_t ncaps)
{
	static uint8_t empty[16] __attribute__((aligned(8)));
	struct capnp_builder eb;
	struct capnp_sb root;
	struct capos_sqe e;

	if (b == NULL) {
		if (capnp_builder_init(&eb, empty, sizeof(empty)) != 0 ||
		    capnp_init_root(&eb, 0, 0, &root) != 0)
			return CAPOS_E2BIG;
		b = &eb;
	}
	rt_prep_return(&e, owner, call_id, b->buf, capnp_builder_finish(b),
	    caps, ncaps);
	return send_return(&e);
}

int
svc_answer_exception(capos_cap_t owner, uint64_t call_id,
    enum capos_CapException_Type type, const char *why)
{
	uint8_t buf[512] __attribute__((aligned(8)));
	struct capos_CapException_b ex;
	struct capnp_builder b;
	struct capos_sqe e;

	if (capnp_builder_init(&b, buf, sizeof(buf)) != 0 ||
	    capos_CapException_init_root(&b, &ex) != 0 ||
	    capos_CapException_set_reason(&ex, why, strnlen(why, 256)) != 0)
		return CAPOS_E2BIG;
	capos_CapException_set_type(&ex, type);
	rt_prep_return(&e, owner, call_id, buf, capnp_builder_finish(&b), NULL,
	    0);
	e.flags = CAPOS_SQE_EXCEPTION;
	return send_return(&e);
}

capos_cap_t
svc_mint(capos_cap_t owner, uint64_t badge, uint64_t interface_id)
{
	static uint8_t rbuf[512] __attribute__((aligned(8)));
	struct capos_Endpoint_client_Params_b p;
	struct capos_Endpoint_client_Results_r r;
	uint8_t pbuf[128] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct rt_result res;
	uint32_t idx;

	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_Endpoint_client_Params_init_root(&b, &p) != 0)
		return CAPOS_CAP_NULL;
	capos_Endpoint_client_Params_set_badge(&p, badge);
	capos_Endpoint_client_Params_set_interfaceId(&p, interface_id);
	if (rt_call(owner, capos_Endpoint_INTERFACE_ID,
	    capos_Endpoint_client_ORDINAL, &b, NULL, 0, rbuf, sizeof(rbuf),
	    &res) != 0)
		return CAPOS_CAP_NULL;
	r.s = res.root;
	if (capos_Endpoint_client_Results_get_client(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return CAPOS_CAP_NULL;
	return res.caps[idx].cap;
}

capos_cap_t
svc_endpoint(capos_cap_t factory, uint64_t interface_id)
{
	static uint8_t rbuf[512] __attribute__((aligned(8)));
	struct capos_EndpointFactory_create_Params_b p;
	struct capos_EndpointFactory_create_Results_r r;
	uint8_t pbuf[128] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct rt_result res;
	uint32_t idx;

	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_EndpointFactory_create_Params_init_root(&b, &p) != 0)
		return CAPOS_CAP_NULL;
	capos_EndpointFactory_create_Params_set_interfaceId(&p, interface_id);
	if (rt_call(factory, capos_EndpointFactory_INTERFACE_ID,
	    capos_EndpointFactory_create_ORDINAL, &b, NULL, 0, rbuf,
	    sizeof(rbuf), &res) != 0)
		return CAPOS_CAP_NULL;
	r.s = res.root;
	if (capos_EndpointFactory_create_Results_get_endpoint(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return CAPOS_CAP_NULL;
	return res.caps[idx].cap;
}
