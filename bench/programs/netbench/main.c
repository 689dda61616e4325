/*
 * netbench: the capOS side of make bench's TCP rows (docs/benchmarks.md,
 * "TCP rows"). It holds the console, a TcpListenAuthority for guest port
 * 5001 ("listen") and the owner of a TextSink export ("gate") that the
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
#include "text.capnp.h"
#include "rt.h"
#include "tcp.h"

#define PORT		5001
#define MAX_LEN		(1ull << 30)	/* longer transfers are refused */
#define END_LINE	"[bench] end"

static capos_cap_t con;
static bool end_held;
static uint8_t in[TCP_SCRATCH] __attribute__((aligned(8)));
static uint8_t out[TCP_SCRATCH] __attribute__((aligned(8)));
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
	struct capos_TextSink_write_Params_r p = { rq->params };
	struct capnp_sb root;
	struct capnp_data d;
	const char *s, *e;

	(void)ctx;
	if (capos_TextSink_write_Params_get_bytes(&p, &d) != 0)
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
		int k = tcp_recv_some(s, want < capos_TcpSocket_maxChunk ?
		    (uint32_t)want : capos_TcpSocket_maxChunk, &d, in);

		if (k <= 0)
			break;
		got += (uint64_t)k;
	}
	for (int i = 0; i < 8; i++)
		reply[i] = (uint8_t)(got >> (8 * i));
	(void)tcp_send_all(s, reply, sizeof(reply), out);
}

/* 'd': sends len bytes. */
static void
download(capos_cap_t s, uint64_t len)
{
	while (len > 0) {
		uint32_t n = len < sizeof(zeros) ? (uint32_t)len :
		    (uint32_t)sizeof(zeros);

		if (tcp_send_all(s, zeros, n, out) != 0)
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

	if (tcp_recv_exact(s, &cmd, 1, in) != 0)
		cmd = 0;
	if ((cmd == 'u' || cmd == 'd') &&
	    (tcp_recv_exact(s, lenb, 8, in) != 0 ||
	    (len = le64(lenb)) > MAX_LEN))
		cmd = 0;	/* cut short or too long: just close */
	switch (cmd) {
	case 'u':
		upload(s, len);
		break;
	case 'd':
		download(s, len);
		break;
	case 'c':
		(void)tcp_send_all(s, &cmd, 1, out);
		break;
	case 'q':
		more = false;
		break;
	}
	tcp_close(s);
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
	{ capos_TextSink_INTERFACE_ID, capos_TextSink_write_ORDINAL,
	    gate_write },
};

int
main(void)
{
	capos_cap_t gate = rt_cap("gate", capos_Endpoint_INTERFACE_ID);
	capos_cap_t auth = rt_cap("listen",
	    capos_TcpListenAuthority_INTERFACE_ID);
	struct rt_result res;
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
	(void)rt_call(l, capos_TcpListener_INTERFACE_ID,
	    capos_TcpListener_close_ORDINAL, NULL, NULL, 0, res_buf,
	    sizeof(res_buf), &res);
	(void)rt_release(l);
	rt_printf("netbench: served %llu connections\n",
	    (unsigned long long)conns);
	rt_printf("%s\n", END_LINE);
	return 0;
}
