/*
 * web-gateway: capOS's shell in a browser (docs/web.md, "The gateway").
 * It serves a small terminal page over HTTPS (TLS 1.3 only) and, on the
 * page's WebSocket, the terminal stream protocol bridged to a
 * TerminalSession this process serves; after a login (a password typed
 * in that terminal, or a passkey, docs/web.md "Passkeys"), capos-shell
 * gets the terminal and its broker's bundle, nothing of the gateway's.
 *
 * Holds:
 *   "listen"          TcpListenAuthority for one port (443): it can listen
 *                     there and do nothing else with the network
 *   "tlsServerKey"    TlsServerKey: the certificate, and CertificateVerify
 *                     signatures; the private key stays in the key vault
 *   "sessionManager"  SessionManager: password and passkey logins; auth
 *                     issues the challenges, decides who logs in and
 *                     mints the session (a passkey is enrolled through
 *                     the logged-in session's own UserSession)
 *   "shells"          RestrictedShellLauncher: starts capos-shell only
 *   "terminals"       the endpoint it serves TerminalSessions on, one
 *                     badged client per connection
 *   "timer", "entropy", "virtualMemory", "console": the start deadline,
 *                     session ids and login cookies (16 and 32 bytes,
 *                     straight from Entropy) and TLS's generator seeds,
 *                     TLS's heap,
 *                     status lines
 * No NetworkManager, no ProcessSpawner, no key store.
 *
 * Arguments: "origin=https://HOST[:PORT]", required: the one origin the
 * page is served as. Every request must name its authority in Host, and
 * Origin, when sent (always on the WebSocket upgrade), must be exactly it.
 * "wait=S" (1..60) waits S seconds before listening (docs/tls.md, "Known
 * issue").
 *
 * Connections (docs/web.md, "Limits"): up to WG_CONNS served side by
 * side, each a static struct wg_conn (its size is printed at start) with
 * its own state, TLS connection (whose heap lib/tls holds to
 * TLS_CONN_MEM_MAX on an account of its own), calls in flight, terminal
 * badge and teardown. The listener's next accept is made only while a
 * slot is free; with all taken, clients wait in the listener's backlog
 * (8). One loop waits at once on the accept, a RECV of the terminal
 * endpoint (each call routed to its connection by badge), the timer's
 * tick and every connection's calls in flight: TCP recv and send, the
 * shell's wait and a login with auth, whose answer waits out auth's
 * failure delay after a refusal. The other calls, to the netstack, the
 * key vault, auth and shell-launcher, are made synchronously: each is
 * answered by one service without waiting on anyone (conn.c).
 */
#include <string.h>

#include "auth.capnp.h"
#include "crypto.capnp.h"
#include "crypto_rt.h"
#include "fmt/fmt.h"
#include "gateway.h"
#include "remote_shell.h"
#include "shell.capnp.h"
#include "tcp.h"

capos_cap_t wg_manager, wg_shells, wg_owner;
char wg_origin[128];
const char *wg_host = "";

static struct wg_conn conns[WG_CONNS];
static uint32_t next_id;
static uint64_t next_badge = 1;
static struct crypto_rt_source entropy;
static capos_cap_t listener, tick, keep;
static unsigned wait_s;

static uint8_t recv_buf[SVC_RECV_BUF] __attribute__((aligned(8)));
static struct capos_capdesc recv_caps[CAPOS_MAX_XCAPS];
static uint8_t acc_buf[128] __attribute__((aligned(8)));
static struct capos_capdesc acc_caps[CAPOS_MAX_XCAPS];
static uint8_t tick_buf[128] __attribute__((aligned(8)));
static uint8_t mbuf[512] __attribute__((aligned(8)));

int
wg_random(uint8_t *out, size_t n)
{
	return crypto_rt_entropy(&entropy, out, n) == 0 ? 0 : -1;
}

static int
listen_on(capos_cap_t auth)
{
	struct capos_TcpListenAuthority_listen_Params_b p;
	struct capos_TcpListenAuthority_port_Results_r pr;
	struct capos_ListenResult_r r;
	struct capnp_builder b;
	struct rt_result res;
	uint8_t params[64] __attribute__((aligned(8)));
	uint16_t port;
	uint32_t idx;

	if (rt_call(auth, capos_TcpListenAuthority_INTERFACE_ID,
	    capos_TcpListenAuthority_port_ORDINAL, NULL, NULL, 0, mbuf,
	    sizeof(mbuf), &res) != 0)
		return -1;
	pr.s = res.root;
	port = capos_TcpListenAuthority_port_Results_get_port(&pr);
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_TcpListenAuthority_listen_Params_init_root(&b, &p) != 0)
		return -1;
	capos_TcpListenAuthority_listen_Params_set_backlog(&p, 8);
	if (rt_call(auth, capos_TcpListenAuthority_INTERFACE_ID,
	    capos_TcpListenAuthority_listen_ORDINAL, &b, NULL, 0, mbuf,
	    sizeof(mbuf), &res) != 0)
		return -1;
	r.s = res.root;
	if (capos_ListenResult_which(&r) != capos_ListenResult_which_listener ||
	    capos_ListenResult_get_listener(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return -1;
	listener = res.caps[idx].cap;
	rt_printf("[web-gateway] listening on port %u (TLS 1.3 only) as %s\n",
	    port, wg_origin);
	return 0;
}

/* "web A.B.C.D:PORT" of the socket's peer, for auth's audit records. */
static void
peer_source(capos_cap_t sock, char *out, size_t room)
{
	struct capos_TcpSocket_peer_Results_r r;
	struct rt_result res;
	uint32_t a;

	if (rt_call(sock, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_peer_ORDINAL, NULL, NULL, 0, mbuf, sizeof(mbuf),
	    &res) != 0) {
		(void)fmt_snprintf(out, room, "web");
		return;
	}
	r.s = res.root;
	a = capos_TcpSocket_peer_Results_get_address(&r);
	(void)fmt_snprintf(out, room, "web %u.%u.%u.%u:%u", a >> 24,
	    (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff,
	    capos_TcpSocket_peer_Results_get_port(&r));
}

/* A slot for the next connection, or NULL when all are taken. */
static struct wg_conn *
free_slot(void)
{
	for (size_t i = 0; i < WG_CONNS; i++)
		if (conns[i].state == WG_FREE)
			return &conns[i];
	return NULL;
}

/* A new connection, into a free slot (the accept is made only while one
 * is); -1 when the listener is gone. */
static int
accept_done(const struct capos_cqe *cqe)
{
	struct capos_TcpListener_accept_Results_r r;
	struct rt_result res;
	struct wg_conn *c;
	uint32_t idx, n = cqe->ncaps < CAPOS_MAX_XCAPS ? cqe->ncaps :
	    CAPOS_MAX_XCAPS;
	capos_cap_t sock;
	int rc;

	if ((rc = rt_result_read(cqe, acc_buf, &res)) != 0)
		return rc == RT_EXCEPTION && res.cqe.aux ==
		    capos_CapException_Type_overloaded ? 0 : -1;
	r.s = res.root;
	if (capos_TcpListener_accept_Results_get_socket(&r, &idx) != 0)
		idx = n;
	for (uint32_t i = 0; i < n; i++)
		if (i != idx)
			(void)rt_release(acc_caps[i].cap);
	if (idx >= n)
		return 0;
	sock = acc_caps[idx].cap;
	if ((c = free_slot()) == NULL) {
		rt_warn("[web-gateway] an accept with no free slot\n");
		(void)rt_release(sock);
		return 0;
	}
	(void)tcp_set_idle_timeout(sock, WG_IDLE_PAGE_MS);
	conn_start(c, sock, ++next_id, next_badge++);
	peer_source(sock, c->source, sizeof(c->source));
	rt_printf("[web-gateway] conn %u from %s\n", c->id, c->source + 4);
	conn_pump(c);
	return 0;
}

/* One call (or drop notice) on the terminal endpoint. */
static void
terminal_call(const struct capos_cqe *cqe)
{
	struct svc_call call;
	int rc = svc_take(cqe, recv_buf, &call);

	if (rc < 0 && rc != RT_BAD_PARAMS)
		return;
	/* No TerminalSession method takes capabilities. */
	for (uint16_t i = 0; i < call.hdr->ncaps && i < CAPOS_MAX_XCAPS; i++)
		(void)rt_release(recv_caps[i].cap);
	if (call.notice)
		return;
	for (size_t i = 0; i < WG_CONNS; i++)
		if (conns[i].state != WG_FREE &&
		    conns[i].badge == call.hdr->badge) {
			conn_term_call(&conns[i], call.hdr->call_id,
			    call.hdr->interface_id, call.hdr->method,
			    &call.params, rc != RT_BAD_PARAMS);
			return;
		}
	(void)svc_answer_exception(wg_owner, call.hdr->call_id,
	    capos_CapException_Type_disconnected, "the connection is gone");
}

static int
post(struct capos_sqe *e, uint64_t *tag)
{
	if (rt_submit(e) != 0)
		return -1;
	*tag = e->user_data;
	return 0;
}

static int
post_accept(uint64_t *tag)
{
	struct capos_sqe e;

	rt_prep_call(&e, listener, capos_TcpListener_INTERFACE_ID,
	    capos_TcpListener_accept_ORDINAL, NULL, acc_buf, sizeof(acc_buf),
	    acc_caps, 0, CAPOS_MAX_XCAPS);
	return post(&e, tag);
}

static int
post_recv(uint64_t *tag)
{
	struct capos_sqe e;

	rt_prep_recv(&e, wg_owner, recv_buf, sizeof(recv_buf), recv_caps);
	return post(&e, tag);
}

static int
post_tick(uint64_t *tag)
{
	struct capos_sqe e;

	rt_prep_call(&e, tick, capos_TimerNotification_INTERFACE_ID,
	    capos_TimerNotification_next_ORDINAL, NULL, tick_buf,
	    sizeof(tick_buf), NULL, 0, 0);
	return post(&e, tag);
}

/* "origin=https://HOST[:PORT]": letters, digits, '.', '-' and one port;
 * the page is served under this origin only. */
static int
set_origin(const char *v)
{
	size_t len = strlen(v), colons = 0;

	if (strncmp(v, "https://", 8) != 0 || len <= 8 ||
	    len >= sizeof(wg_origin))
		return -1;
	for (size_t i = 8; i < len; i++) {
		char ch = v[i];

		if (ch == ':')
			colons++;
		else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' &&
		    ch <= '9') || ch == '.' || ch == '-'))
			return -1;
	}
	if (colons > 1 || v[len - 1] == ':' || v[8] == ':')
		return -1;
	memcpy(wg_origin, v, len + 1);
	wg_host = wg_origin + 8;
	return 0;
}

static int
parse_args(void)
{
	for (int i = 0; i < rt_argc(); i++) {
		const char *a = rt_argv(i);

		if (strncmp(a, "origin=", 7) == 0) {
			if (set_origin(a + 7) != 0) {
				rt_printf("[web-gateway] origin= takes "
				    "https://HOST[:PORT] in lower case\n");
				return -1;
			}
		} else if (strncmp(a, "wait=", 5) == 0) {
			unsigned s = 0;

			for (a += 5; *a >= '0' && *a <= '9' && s <= 60; a++)
				s = s * 10 + (unsigned)(*a - '0');
			if (*a != '\0' || s < 1 || s > 60) {
				rt_printf("[web-gateway] wait= takes 1..60 "
				    "seconds\n");
				return -1;
			}
			wait_s = s;
		} else {
			rt_printf("[web-gateway] unknown argument \"%s\"\n", a);
			return -1;
		}
	}
	if (wg_origin[0] == '\0') {
		rt_printf("[web-gateway] needs origin=https://HOST[:PORT]\n");
		return -1;
	}
	return 0;
}

static int
setup(void)
{
	capos_cap_t auth, key;
	int rc;

	if (parse_args() != 0)
		return -1;
	auth = rt_cap("listen", capos_TcpListenAuthority_INTERFACE_ID);
	key = rt_cap("tlsServerKey", capos_TlsServerKey_INTERFACE_ID);
	wg_manager = rt_cap("sessionManager",
	    capos_SessionManager_INTERFACE_ID);
	wg_shells = rt_cap("shells",
	    capos_RestrictedShellLauncher_INTERFACE_ID);
	wg_owner = rt_cap("terminals", capos_Endpoint_INTERFACE_ID);
	entropy.cap = rt_cap("entropy", capos_Entropy_INTERFACE_ID);
	entropy.iface = capos_Entropy_INTERFACE_ID;
	if (auth == CAPOS_CAP_NULL || key == CAPOS_CAP_NULL ||
	    wg_manager == CAPOS_CAP_NULL || wg_shells == CAPOS_CAP_NULL ||
	    wg_owner == CAPOS_CAP_NULL || entropy.cap == CAPOS_CAP_NULL ||
	    rt_cap("timer", capos_Timer_INTERFACE_ID) == CAPOS_CAP_NULL) {
		rt_printf("[web-gateway] needs listen, tlsServerKey, "
		    "sessionManager, shells, terminals, timer and entropy\n");
		return -1;
	}
	if ((rc = tls_server_init(key, entropy.cap, TLS_CONN_MEM_MAX)) != 0) {
		rt_printf("[web-gateway] TLS server: %s\n", tls_strerror(rc));
		return -1;
	}
	/* A client of our own, so a RECV waits while no shell holds a
	 * terminal instead of failing with no client left. */
	keep = remote_shell_terminal(wg_owner, 0);
	if (keep == CAPOS_CAP_NULL ||
	    rt_timer_notify(1000000000ull, 1000000000ull, &tick) != 0) {
		rt_printf("[web-gateway] cannot set up its endpoint or "
		    "timer\n");
		return -1;
	}
	if (wait_s > 0 && rt_sleep_ns((uint64_t)wait_s * 1000000000ull) != 0)
		return -1;
	if (listen_on(auth) != 0) {
		rt_printf("[web-gateway] cannot listen\n");
		return -1;
	}
	(void)rt_release(auth);
	rt_printf("[web-gateway] %u connections side by side, %u bytes each, "
	    "start deadline %u s\n", WG_CONNS, (unsigned)sizeof(struct wg_conn),
	    WG_START_S);
	return 0;
}

/* Every connection's calls in flight, after the n tags already in tags:
 * each one's connection and kind (conn_done's which). The new count. */
static int
gather(uint64_t *tags, struct wg_conn **who, int *which, int n)
{
	for (size_t i = 0; i < WG_CONNS; i++) {
		struct wg_conn *c = &conns[i];
		const struct {
			bool busy;
			uint64_t tag;
		} calls[4] = {
			{ c->rbusy, c->rtag },
			{ c->sbusy, c->stag },
			{ c->waiting, c->wtag },
			{ c->acall != WG_A_NONE, c->atag },
		};

		if (c->state == WG_FREE)
			continue;
		for (int k = 0; k < 4; k++)
			if (calls[k].busy) {
				who[n] = c;
				which[n] = k;
				tags[n++] = calls[k].tag;
			}
	}
	return n;
}

int
main(void)
{
	enum { NTAGS = 3 + 4 * WG_CONNS };
	uint64_t tags[NTAGS];
	struct wg_conn *who[NTAGS];
	int which[NTAGS];
	uint64_t acc_tag = 0, recv_tag, tick_tag;
	bool accepting = false;
	struct capos_cqe cqe;

	if (setup() != 0)
		return 1;
	if (post_recv(&recv_tag) != 0 || post_tick(&tick_tag) != 0)
		return 1;
	for (;;) {
		int n = 2, k;

		/* The next connection only while a slot is free for it. */
		if (!accepting && free_slot() != NULL) {
			if (post_accept(&acc_tag) != 0) {
				rt_printf("[web-gateway] the listener is "
				    "gone\n");
				return 1;
			}
			accepting = true;
		}
		tags[0] = recv_tag;
		tags[1] = tick_tag;
		if (accepting)
			tags[n++] = acc_tag;
		n = gather(tags, who, which, n);
		if ((k = rt_wait_any(tags, n, &cqe)) < 0) {
			rt_printf("[web-gateway] stopped: %s\n",
			    rt_strerror(k));
			return 1;
		}
		if (k == 0) {
			terminal_call(&cqe);
			if (post_recv(&recv_tag) != 0)
				return 1;
		} else if (k == 1) {
			uint64_t now = rt_now_ns();

			for (size_t i = 0; i < WG_CONNS; i++) {
				conn_retry(&conns[i]);
				conn_tick(&conns[i], now);
			}
			tickets_tick(now);
			if (post_tick(&tick_tag) != 0)
				return 1;
		} else if (k == 2 && accepting) {
			accepting = false;
			if (accept_done(&cqe) != 0) {
				rt_printf("[web-gateway] the listener is "
				    "gone\n");
				return 1;
			}
		} else {
			conn_done(who[k], which[k], &cqe);
		}
	}
}
