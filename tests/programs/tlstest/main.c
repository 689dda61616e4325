/*
 * tlstest: one fixed page over HTTPS, the TLS 1.3 server of lib/tls under
 * test (system/tls.capnp, tests/qemu/test_tls.py). It holds the console;
 * "listen", a TcpListenAuthority for one port (443 in system/tls.capnp);
 * "tlsServerKey", a TlsServerKey of the key vault, which holds the
 * private key and signs each handshake's CertificateVerify; "entropy",
 * which seeds each connection's random generator; and "virtualMemory",
 * for the heap wolfSSL allocates from (each connection bounded by
 * TLS_CONN_MEM_MAX); and "timer", for the deadlines. It never
 * holds the private key.
 *
 * It serves one connection at a time: a TLS 1.3 handshake, then one
 * HTTP/1.1 request (lib/proto/http) answered with the page, then
 * close_notify. A handshake that fails is reported on the console with
 * its reason and the next connection is served. A client that stops
 * sending holds the server for at most IDLE_MS: the netstack resets its
 * connection then. One that sends slowly holds it for at most
 * TLS_HANDSHAKE_MS and then REQUEST_MS (each plus IDLE_MS): past them
 * the connection is dropped.
 *
 * Arguments: "connmem=N" bounds each connection's heap at N bytes (1024
 * to TLS_CONN_MEM_MAX; default TLS_CONN_MEM_MAX), so a test can watch the
 * bound refuse a connection that needs more. It serves until the system
 * stops.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto.capnp.h"
#include "http.h"
#include "net.capnp.h"
#include "rt.h"
#include "tcp.h"
#include "tls.h"

#define IDLE_MS		4000
/* The request after the handshake must come within this, as the
 * handshake must within TLS_HANDSHAKE_MS: a client trickling bytes
 * would hold the one connection served otherwise. */
#define REQUEST_MS	10000
static const char page[] =
	"<!doctype html><title>capOS</title>"
	"<p>capOS TLS 1.3 test page\n";

static uint8_t buf[512] __attribute__((aligned(8)));

static capos_cap_t
listen_on(capos_cap_t auth)
{
	uint8_t params[64] __attribute__((aligned(8)));
	struct capos_TcpListenAuthority_listen_Params_b p;
	struct capos_ListenResult_r lr;
	struct capnp_builder b;
	struct rt_result res;
	uint32_t idx;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_TcpListenAuthority_listen_Params_init_root(&b, &p) != 0)
		return CAPOS_CAP_NULL;
	capos_TcpListenAuthority_listen_Params_set_backlog(&p, 8);
	if (rt_call(auth, capos_TcpListenAuthority_INTERFACE_ID,
	    capos_TcpListenAuthority_listen_ORDINAL, &b, NULL, 0, buf,
	    sizeof(buf), &res) != 0)
		return CAPOS_CAP_NULL;
	lr.s = res.root;
	if (capos_ListenResult_which(&lr) != capos_ListenResult_which_listener ||
	    capos_ListenResult_get_listener(&lr, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return CAPOS_CAP_NULL;
	return res.caps[idx].cap;
}

static capos_cap_t
accept_one(capos_cap_t l)
{
	struct capos_TcpListener_accept_Results_r ar;
	struct rt_result res;
	uint32_t idx;

	if (rt_call(l, capos_TcpListener_INTERFACE_ID,
	    capos_TcpListener_accept_ORDINAL, NULL, NULL, 0, buf, sizeof(buf),
	    &res) != 0)
		return CAPOS_CAP_NULL;
	ar.s = res.root;
	if (capos_TcpListener_accept_Results_get_socket(&ar, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return CAPOS_CAP_NULL;
	return res.caps[idx].cap;
}

/* Reads one request through the TLS connection and answers it: the page
 * for GET or HEAD of "/", 404 for any other target, the parser's refusal
 * for a malformed request. 0 once a response was written. */
static int
serve_request(struct tls_conn *c)
{
	static struct http_parser hp;
	static uint8_t in[2048];	/* one read of application data */
	static char head[512];
	struct http_out_field f[] = {
		{ "Content-Type", "text/html; charset=utf-8" },
		{ "Strict-Transport-Security", "max-age=31536000" },
	};
	const char *target;
	size_t used, tlen;
	int ev = HTTP_EV_MORE, n, hl, status = 200;

	http_parser_init(&hp);
	while (ev == HTTP_EV_MORE) {
		if ((n = tls_read(c, in, sizeof(in))) < 0)
			return n;
		ev = http_parse(&hp, in, (size_t)n, &used);
	}
	if (ev == HTTP_EV_HEAD)
		ev = http_route(&hp, HTTP_GET | HTTP_HEAD, 0);
	if (ev < 0) {
		if ((hl = http_write_error(head, sizeof(head), -ev)) < 0)
			return -1;
		rt_printf("tlstest: request refused with %d\n", -ev);
		return tls_write(c, (const uint8_t *)head, (size_t)hl);
	}
	target = http_target(&hp, &tlen);
	if (tlen != 1 || target[0] != '/')
		status = 404;
	hl = http_write_head(head, sizeof(head), status, f, 2,
	    status == 200 ? sizeof(page) - 1 : 0, false);
	if (hl < 0)
		return -1;
	if ((n = tls_write(c, (const uint8_t *)head, (size_t)hl)) != 0)
		return n;
	if (status == 200 && hp.method == HTTP_GET)
		return tls_write(c, (const uint8_t *)page, sizeof(page) - 1);
	return 0;
}

static void
serve(capos_cap_t sock)
{
	struct tls_conn c;
	int rc;

	if ((rc = tcp_set_idle_timeout(sock, IDLE_MS)) != 0)
		rt_printf("tlstest: no idle timeout: %s\n", rt_strerror(rc));
	if ((rc = tls_accept(&c, sock)) != 0) {
		rt_printf("tlstest: handshake refused: %s (wolfSSL %d%s%s), "
		    "heap peak %u bytes\n", tls_strerror(rc), rc,
		    c.io_err != 0 ? "; socket: " : "",
		    c.io_err != 0 ? rt_strerror(c.io_err) : "",
		    (unsigned)c.mem_peak);
		return;
	}
	if (strcmp(tls_version(&c), "TLSv1.3") != 0 ||
	    strcmp(tls_cipher(&c), "TLS13-AES128-GCM-SHA256") != 0) {
		rt_printf("tlstest: FAILED: negotiated %s %s\n",
		    tls_version(&c), tls_cipher(&c));
		tls_close(&c);
		return;
	}
	rt_debug("[proof] tls13-handshake ok: %s %s, CertificateVerify "
	    "signed by the key vault, connection heap peak %u bytes\n",
	    tls_version(&c), tls_cipher(&c), (unsigned)c.mem_peak);
	tls_set_deadline(&c, REQUEST_MS);
	if ((rc = serve_request(&c)) != 0)
		rt_printf("tlstest: request not answered: %s (%d)\n",
		    tls_strerror(rc), rc);
	else
		rt_printf("tlstest: page served, heap peak %u bytes\n",
		    (unsigned)c.mem_peak);
	tls_close(&c);
}

int
main(void)
{
	capos_cap_t auth = rt_cap("listen", capos_TcpListenAuthority_INTERFACE_ID);
	capos_cap_t key = rt_cap("tlsServerKey", capos_TlsServerKey_INTERFACE_ID);
	capos_cap_t ent = rt_cap("entropy", capos_Entropy_INTERFACE_ID);
	capos_cap_t l, s;
	size_t conn_mem = TLS_CONN_MEM_MAX;
	int rc;

	if (auth == CAPOS_CAP_NULL || key == CAPOS_CAP_NULL ||
	    ent == CAPOS_CAP_NULL) {
		rt_printf("tlstest: needs listen, tlsServerKey and entropy\n");
		return 1;
	}
	for (int i = 0; i < rt_argc(); i++) {
		const char *a = rt_argv(i);
		long n;

		if (strncmp(a, "connmem=", 8) == 0 &&
		    (n = strtol(a + 8, NULL, 10)) >= 1024 &&
		    n <= (long)TLS_CONN_MEM_MAX)
			conn_mem = (size_t)n;
		else {
			rt_printf("tlstest: arguments are connmem=N (1024 to "
			    "%u), not \"%s\"\n",
			    TLS_CONN_MEM_MAX, a);
			return 1;
		}
	}
	if ((rc = tls_server_init(key, ent, conn_mem)) != 0) {
		rt_printf("tlstest: TLS server: %s\n", tls_strerror(rc));
		return 1;
	}
	if ((l = listen_on(auth)) == CAPOS_CAP_NULL) {
		rt_printf("tlstest: cannot listen\n");
		return 1;
	}
	rt_printf("tlstest: listening (TLS 1.3 only), connection heap bound "
	    "%u bytes\n", (unsigned)conn_mem);
	while ((s = accept_one(l)) != CAPOS_CAP_NULL) {
		serve(s);
		tcp_close(s);
	}
	rt_printf("tlstest: accept failed; stopping\n");
	return 1;
}
