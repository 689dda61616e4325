/*
 * netbench: the capOS side of make bench's TCP rows (docs/benchmarks.md,
 * "TCP rows"). It holds the console, a TcpListenAuthority for guest port
 * 5001 ("listen") and the owner of a Console export ("gate") that the
 * bench program prints through.
 *
 * The protocol wants the TCP rows after the in-guest rows and before the
 * single "[bench] end". So netbench first serves the gate: every line the
 * bench program writes goes on to the console, except "[bench] end",
 * which is held back. When the bench program has gone (the gate has no
 * client left), netbench listens, prints "[bench] net port=5001", serves
 * one connection at a time until the host sends 'q', and only then prints
 * "[bench] end" and exits; the netstack and the driver then see their
 * last clients go and exit too, and init halts the machine.
 */
#include <string.h>

#include "net.capnp.h"
#include "rt.h"

#define PORT		5001
#define MAX_LEN		(1ull << 30)	/* longer transfers are refused */
#define MSG_ROOM	(capos_TcpSocket_maxChunk + 256)
#define END_LINE	"[bench] end"

static capos_cap_t con;
static bool end_held;
static uint8_t in[MSG_ROOM] __attribute__((aligned(8)));
static uint8_t out[MSG_ROOM] __attribute__((aligned(8)));
static uint8_t res_buf[256] __attribute__((aligned(8)));
static const uint8_t zeros[capos_TcpSocket_maxChunk];

/* ---- The console gate ---- */

static void
con_write(const char *p, size_t n)
{
	struct capos_Console_write_Params_b wp;
	struct capnp_builder b;
	struct rt_result res;

	if (n == 0 || capnp_builder_init(&b, out, sizeof(out)) != 0 ||
	    capos_Console_write_Params_init_root(&b, &wp) != 0 ||
	    capos_Console_write_Params_set_bytes(&wp, p, n) != 0)
		return;
	(void)rt_call(con, capos_Console_INTERFACE_ID,
	    capos_Console_write_ORDINAL, &b, NULL, 0, res_buf, sizeof(res_buf),
	    &res);
}

/* Console.write from the bench program: passes every line on but the
 * end line. rt_printf writes whole lines; a partial line is passed on as
 * it is. */
static int
gate_write(void *ctx, struct rt_request *rq)
{
	struct capos_Console_write_Params_r p = { rq->params };
	struct capnp_sb root;
	struct capnp_data d;
	const char *s, *e;

	(void)ctx;
	if (capos_Console_write_Params_get_bytes(&p, &d) != 0)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "malformed bytes");
	for (s = (const char *)d.ptr, e = s + d.len; s < e;) {
		const char *nl = memchr(s, '\n', (size_t)(e - s));
		size_t n = nl != NULL ? (size_t)(nl - s) + 1 : (size_t)(e - s);

		if (nl != NULL && n == sizeof(END_LINE) &&
		    memcmp(s, END_LINE, sizeof(END_LINE) - 1) == 0)
			end_held = true;
		else
			con_write(s, n);
		s += n;
	}
	return capnp_init_root(&rq->reply, 0, 0, &root);
}

/* ---- Sockets ---- */

static int
sock_call0(capos_cap_t s, uint64_t iface, uint16_t method)
{
	struct rt_result res;

	return rt_call(s, iface, method, NULL, NULL, 0, res_buf,
	    sizeof(res_buf), &res);
}

static void
sock_close(capos_cap_t s)
{
	(void)sock_call0(s, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_close_ORDINAL);
	(void)rt_release(s);
}

/* Receives up to max bytes; *data points into `in`. Returns the count,
 * 0 at end of stream, or a negative error. */
static int
recv_some(capos_cap_t s, uint32_t max, const uint8_t **data)
{
	struct capos_TcpSocket_recv_Params_b p;
	struct capos_TcpSocket_recv_Results_r r;
	struct capnp_builder b;
	struct rt_result res;
	struct capnp_data d;
	int rc;

	if (capnp_builder_init(&b, out, sizeof(out)) != 0 ||
	    capos_TcpSocket_recv_Params_init_root(&b, &p) != 0)
		return CAPOS_E2BIG;
	capos_TcpSocket_recv_Params_set_maxBytes(&p, max);
	rc = rt_call(s, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_recv_ORDINAL, &b, NULL, 0, in, sizeof(in), &res);
	if (rc != 0)
		return rc < 0 ? rc : -1;
	r.s = res.root;
	if (capos_TcpSocket_recv_Results_get_data(&r, &d) != 0 || d.len == 0)
		return 0;
	if (d.len > max)
		return -1;	/* more than asked for: not trusted */
	*data = d.ptr;
	return (int)d.len;
}

/* Receives exactly n bytes (n <= 16) into dst; false on a short stream. */
static bool
recv_exact(capos_cap_t s, uint8_t *dst, uint32_t n)
{
	while (n > 0) {
		const uint8_t *d;
		int k = recv_some(s, n, &d);

		if (k <= 0)
			return false;
		memcpy(dst, d, (size_t)k);
		dst += k;
		n -= (uint32_t)k;
	}
	return true;
}

static int
send_all(capos_cap_t s, const uint8_t *data, uint32_t len)
{
	while (len > 0) {
		struct capos_TcpSocket_send_Params_b p;
		struct capos_TcpSocket_send_Results_r r;
		struct capnp_builder b;
		struct rt_result res;
		uint32_t n = len > capos_TcpSocket_maxChunk ?
		    capos_TcpSocket_maxChunk : len;
		int rc;

		if (capnp_builder_init(&b, out, sizeof(out)) != 0 ||
		    capos_TcpSocket_send_Params_init_root(&b, &p) != 0 ||
		    capos_TcpSocket_send_Params_set_data(&p, data, n) != 0)
			return -1;
		rc = rt_call(s, capos_TcpSocket_INTERFACE_ID,
		    capos_TcpSocket_send_ORDINAL, &b, NULL, 0, res_buf,
		    sizeof(res_buf), &res);
		if (rc != 0)
			return -1;
		r.s = res.root;
		n = capos_TcpSocket_send_Results_get_sent(&r);
		if (n == 0 || n > len)
			return -1;
		data += n;
		len -= n;
	}
	return 0;
}

static uint64_t
le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* ---- The bench commands ---- */

/* 'u': counts the bytes that follow the length, then answers the count. */
static void
upload(capos_cap_t s, uint64_t len)
{
	uint64_t got = 0;
	uint8_t reply[8];

	while (got < len) {
		const uint8_t *d;
		uint64_t want = len - got;
		int k = recv_some(s, want < capos_TcpSocket_maxChunk ?
		    (uint32_t)want : capos_TcpSocket_maxChunk, &d);

		if (k <= 0)
			break;
		got += (uint64_t)k;
	}
	for (int i = 0; i < 8; i++)
		reply[i] = (uint8_t)(got >> (8 * i));
	(void)send_all(s, reply, sizeof(reply));
}

/* 'd': sends len bytes. */
static void
download(capos_cap_t s, uint64_t len)
{
	while (len > 0) {
		uint32_t n = len < sizeof(zeros) ? (uint32_t)len :
		    (uint32_t)sizeof(zeros);

		if (send_all(s, zeros, n) != 0)
			return;
		len -= n;
	}
}

/* Serves one connection; false once the host has sent 'q'. */
static bool
serve(capos_cap_t s)
{
	uint8_t cmd, lenb[8];
	uint64_t len = 0;
	bool more = true;

	if (!recv_exact(s, &cmd, 1))
		cmd = 0;
	if ((cmd == 'u' || cmd == 'd') &&
	    (!recv_exact(s, lenb, 8) || (len = le64(lenb)) > MAX_LEN))
		cmd = 0;	/* cut short or too long: just close */
	switch (cmd) {
	case 'u':
		upload(s, len);
		break;
	case 'd':
		download(s, len);
		break;
	case 'c':
		(void)send_all(s, &cmd, 1);
		break;
	case 'q':
		more = false;
		break;
	}
	sock_close(s);
	return more;
}

static capos_cap_t
do_listen(capos_cap_t auth)
{
	struct capos_TcpListenAuthority_listen_Params_b p;
	struct capos_ListenResult_r r;
	struct capnp_builder b;
	struct rt_result res;
	uint32_t idx;

	if (capnp_builder_init(&b, out, sizeof(out)) != 0 ||
	    capos_TcpListenAuthority_listen_Params_init_root(&b, &p) != 0)
		return CAPOS_CAP_NULL;
	capos_TcpListenAuthority_listen_Params_set_backlog(&p, 4);
	if (rt_call(auth, capos_TcpListenAuthority_INTERFACE_ID,
	    capos_TcpListenAuthority_listen_ORDINAL, &b, NULL, 0, res_buf,
	    sizeof(res_buf), &res) != 0)
		return CAPOS_CAP_NULL;
	r.s = res.root;
	if (capos_ListenResult_which(&r) != capos_ListenResult_which_listener ||
	    capos_ListenResult_get_listener(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return CAPOS_CAP_NULL;
	return res.caps[idx].cap;
}

static capos_cap_t
do_accept(capos_cap_t l)
{
	struct capos_TcpListener_accept_Results_r r;
	struct rt_result res;
	uint32_t idx;

	if (rt_call(l, capos_TcpListener_INTERFACE_ID,
	    capos_TcpListener_accept_ORDINAL, NULL, NULL, 0, res_buf,
	    sizeof(res_buf), &res) != 0)
		return CAPOS_CAP_NULL;
	r.s = res.root;
	if (capos_TcpListener_accept_Results_get_socket(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return CAPOS_CAP_NULL;
	return res.caps[idx].cap;
}

static const struct rt_method gate_methods[] = {
	{ capos_Console_INTERFACE_ID, capos_Console_write_ORDINAL, gate_write },
};

int
main(void)
{
	capos_cap_t gate = rt_cap("gate", capos_Endpoint_INTERFACE_ID);
	capos_cap_t auth = rt_cap("listen",
	    capos_TcpListenAuthority_INTERFACE_ID);
	capos_cap_t l, s;
	uint64_t conns = 0;

	con = rt_cap("console", capos_Console_INTERFACE_ID);
	if (con == CAPOS_CAP_NULL || gate == CAPOS_CAP_NULL ||
	    auth == CAPOS_CAP_NULL) {
		rt_printf("netbench: needs \"console\", \"gate\" and "
		    "\"listen\"\n");
		return 1;
	}
	(void)rt_serve(gate, gate_methods, 1, NULL);
	(void)rt_release(gate);
	if (!end_held)
		rt_printf("[bench] error the bench program ended without "
		    "[bench] end\n");
	if ((l = do_listen(auth)) == CAPOS_CAP_NULL) {
		rt_printf("[bench] error netbench cannot listen on port %d\n",
		    PORT);
		rt_printf("%s\n", END_LINE);
		return 1;
	}
	rt_printf("[bench] net port=%d\n", PORT);
	for (;;) {
		if ((s = do_accept(l)) == CAPOS_CAP_NULL) {
			rt_printf("[bench] error accept failed\n");
			break;
		}
		conns++;
		if (!serve(s))
			break;
	}
	(void)sock_call0(l, capos_TcpListener_INTERFACE_ID,
	    capos_TcpListener_close_ORDINAL);
	(void)rt_release(l);
	rt_printf("netbench: served %llu connections\n",
	    (unsigned long long)conns);
	rt_printf("%s\n", END_LINE);
	return 0;
}
