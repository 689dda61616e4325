/*
 * TCP client calls. See tcp.h.
 */
#include <string.h>

#include "tcp.h"

/* The ConnectResult of a finished connect call. */
static int
connect_result(struct rt_result *res, capos_cap_t *out)
{
	struct capos_ConnectResult_r r = { res->root };
	uint32_t idx;
	int which = capos_ConnectResult_which(&r);

	if (which == capos_ConnectResult_which_socket) {
		if (capos_ConnectResult_get_socket(&r, &idx) != 0 ||
		    idx >= res->cqe.ncaps)
			return TCP_BAD_ANSWER;
		*out = res->caps[idx].cap;
	}
	return which;
}

int
tcp_connect_to(capos_cap_t authority, capos_cap_t *out, uint8_t *scratch)
{
	struct rt_result res;
	int rc;

	rc = rt_call(authority, capos_TcpConnectAuthority_INTERFACE_ID,
	    capos_TcpConnectAuthority_connect_ORDINAL, NULL, NULL, 0, scratch,
	    TCP_SCRATCH, &res);
	return rc != 0 ? rc : connect_result(&res, out);
}

int
tcp_connect(capos_cap_t nm, uint32_t addr, uint16_t port, capos_cap_t *out,
    uint8_t *scratch)
{
	struct capos_NetworkManager_connect_Params_b p;
	uint8_t params[64] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct rt_result res;
	int rc;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_NetworkManager_connect_Params_init_root(&b, &p) != 0)
		return CAPOS_E2BIG;
	capos_NetworkManager_connect_Params_set_address(&p, addr);
	capos_NetworkManager_connect_Params_set_port(&p, port);
	rc = rt_call(nm, capos_NetworkManager_INTERFACE_ID,
	    capos_NetworkManager_connect_ORDINAL, &b, NULL, 0, scratch,
	    TCP_SCRATCH, &res);
	return rc != 0 ? rc : connect_result(&res, out);
}

int
tcp_send_all(capos_cap_t s, const uint8_t *data, uint32_t len,
    uint8_t *scratch)
{
	uint8_t out[256] __attribute__((aligned(8)));

	while (len > 0) {
		struct capos_TcpSocket_send_Params_b p;
		struct capos_TcpSocket_send_Results_r r;
		struct capnp_builder b;
		struct rt_result res;
		uint32_t n = len > capos_TcpSocket_maxChunk ?
		    capos_TcpSocket_maxChunk : len;
		int rc;

		if (capnp_builder_init(&b, scratch, TCP_SCRATCH) != 0 ||
		    capos_TcpSocket_send_Params_init_root(&b, &p) != 0 ||
		    capos_TcpSocket_send_Params_set_data(&p, data, n) != 0)
			return CAPOS_E2BIG;
		rc = rt_call(s, capos_TcpSocket_INTERFACE_ID,
		    capos_TcpSocket_send_ORDINAL, &b, NULL, 0, out, sizeof(out),
		    &res);
		if (rc != 0)
			return rc;
		r.s = res.root;
		n = capos_TcpSocket_send_Results_get_sent(&r);
		if (n == 0 || n > len)
			return TCP_BAD_ANSWER;
		data += n;
		len -= n;
	}
	return 0;
}

int
tcp_recv_some(capos_cap_t s, uint32_t max, const uint8_t **data,
    uint8_t *scratch)
{
	struct capos_TcpSocket_recv_Params_b p;
	struct capos_TcpSocket_recv_Results_r r;
	uint8_t params[64] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct rt_result res;
	struct capnp_data d;
	int rc;

	if (max > capos_TcpSocket_maxChunk)
		max = capos_TcpSocket_maxChunk;
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_TcpSocket_recv_Params_init_root(&b, &p) != 0)
		return CAPOS_E2BIG;
	capos_TcpSocket_recv_Params_set_maxBytes(&p, max);
	rc = rt_call(s, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_recv_ORDINAL, &b, NULL, 0, scratch, TCP_SCRATCH,
	    &res);
	if (rc != 0)
		return rc;
	r.s = res.root;
	if (capos_TcpSocket_recv_Results_get_data(&r, &d) != 0 || d.len > max)
		return TCP_BAD_ANSWER;
	*data = d.ptr;
	return (int)d.len;
}

int
tcp_recv_exact(capos_cap_t s, uint8_t *dst, uint32_t len, uint8_t *scratch)
{
	while (len > 0) {
		const uint8_t *d;
		int n = tcp_recv_some(s, len, &d, scratch);

		if (n < 0)
			return n;
		if (n == 0)
			return TCP_BAD_ANSWER;
		memcpy(dst, d, (size_t)n);
		dst += n;
		len -= (uint32_t)n;
	}
	return 0;
}

void
tcp_close(capos_cap_t s)
{
	uint8_t out[256] __attribute__((aligned(8)));
	struct rt_result res;

	(void)rt_call(s, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_close_ORDINAL, NULL, NULL, 0, out, sizeof(out),
	    &res);
	(void)rt_release(s);
}

int
tcp_set_idle_timeout(capos_cap_t s, uint32_t ms)
{
	struct capos_TcpSocket_setIdleTimeout_Params_b p;
	uint8_t params[64] __attribute__((aligned(8)));
	uint8_t out[256] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct rt_result res;

	if (ms > capos_TcpSocket_maxIdleMs)
		return CAPOS_EINVAL;
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_TcpSocket_setIdleTimeout_Params_init_root(&b, &p) != 0)
		return CAPOS_E2BIG;
	capos_TcpSocket_setIdleTimeout_Params_set_ms(&p, ms);
	return rt_call(s, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_setIdleTimeout_ORDINAL, &b, NULL, 0, out,
	    sizeof(out), &res);
}
