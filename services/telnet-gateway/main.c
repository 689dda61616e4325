/*
 * telnet-gateway: a login and a capability shell for each Telnet
 * connection (docs/telnet.md). Telnet is plaintext: this is a
 * development demo, reached only through QEMU's forward on the host's
 * loopback, and never part of the default system.
 *
 * Holds: "listen" (a TcpListenAuthority for port 23, and nothing else of
 * the network), "shells" (RestrictedShellLauncher: it can start only
 * capos-shell), "sessionManager" (the pass-through identity the login
 * needs), "terminals" (the endpoint it serves the connections'
 * TerminalSessions on; nobody else is granted it), "timer" (the login
 * time limit) and "console" (status lines). No NetworkManager, no
 * ProcessSpawner, no socket but the ones it accepts.
 *
 * Arguments: "login=S", the seconds a connection has to type its login
 * (default 60, 1 to 86400; the time auth takes to check it is not
 * counted); "idle=S", the seconds after which the netstack resets a
 * connection on which no byte moved either way (default 600).
 *
 * Each connection: the NVT engine (lib/proto/telnet) on the socket, a
 * TerminalSession (lib/term) served on a client of "terminals" whose
 * badge names the connection, a login prompt read through that session
 * (username echoed, password not; SessionManager.login with source
 * "telnet ADDRESS", so the audit log and the failure policy see the
 * peer), then capos-shell from the launcher with the operator profile, or
 * the guest profile when the broker refuses that. NAWS reports become the
 * terminal's size and resize events; IAC IP and IAC BRK are interrupts.
 *
 * Limits (each with its outcome):
 *   CONN_MAX connections at once: one more is told so and closed;
 *   PREAUTH_MAX of them not yet logged in: one more is told so and closed;
 *   REFUSE_MAX refusals being sent at once: one more is closed without a
 *   word; REFUSE_S seconds for a refusal's send: then the socket is let
 *   go, which fails the send;
 *   LOGIN_TRIES failed logins: the connection is closed;
 *   login= seconds to type a login: the connection is closed;
 *   idle= seconds without a byte either way: the netstack resets it;
 *   IN_CHUNK bytes read at a time, and none while the session's input
 *   (4 KiB, lib/term) is full or the output waiting is past OUT_HIGH;
 *   OUT_MAX bytes of output waiting: the shell's write is answered only
 *   once the output is below OUT_HIGH again, which bounds it (below).
 *
 * One thread runs one loop over every call in flight (each connection's
 * recv, send, peer/setIdleTimeout/login/launch/logout call and shell
 * wait; each refusal's send; the accept, the RECV on "terminals", the
 * tick), so no client, and no service it reaches, can hold the others
 * up. Nothing waits in place on the netstack, auth or the launcher: a
 * socket is closed by letting go of its capability (the netstack closes
 * it on the kernel's drop notice, after any call made on it), and only
 * the kernel is called in place (Endpoint.client to mint a terminal, the
 * RETURNs that answer the terminals, RELEASE), which completes at once.
 *
 * Ends: a client that goes away (end of stream, reset, idle timeout)
 * hangs up its terminal, so the shell's read answers `closed` and the
 * shell ends; the gateway logs the session out at once, so its bundle
 * fails even before. A shell that ends has its output sent and its
 * connection closed, and its session logged out. A connection's slot is
 * reused only once the shell has exited, every call made for it has
 * completed and the kernel has said its terminal client is gone.
 */
#include <stddef.h>
#include <string.h>

#include "answer.h"
#include "auth.capnp.h"
#include "fmt/fmt.h"
#include "net.capnp.h"
#include "proto/telnet/telnet.h"
#include "rt.h"
#include "shell.capnp.h"
#include "tcp.h"
#include "term/term.h"
#include "terminal.capnp.h"

#define CONN_MAX	16
#define PREAUTH_MAX	8
#define LOGIN_TRIES	3
#define LOGIN_DEFAULT_S	60
#define IDLE_DEFAULT_S	600
#define IN_CHUNK	4096
#define SEND_CHUNK	8192
/*
 * Output waiting for the socket. Past OUT_HIGH no input is read and the
 * shell's writes wait, so at most this arrives on top of it: one write
 * (maxWrite bytes, at most twice that encoded: "\n" is CR LF, 255 is
 * IAC IAC), the echo of the session's whole input (4 KiB, at most 3
 * bytes each: "\b \b"), and the engine's own answers (TELNET_OUT_MAX).
 */
#define OUT_HIGH	8192
#define OUT_MAX		(OUT_HIGH + 2 * capos_TerminalSession_maxWrite + \
			 3 * TERM_PEND_MAX + TELNET_OUT_MAX + 1024)
#define PEER_MAX	24	/* "255.255.255.255:65535" */
#define REFUSE_MAX	16	/* refusals being sent at once */
#define REFUSE_S	10	/* seconds a refusal's send may wait */

static const char banner[] =
    "capOS telnet gateway: plaintext, for development only.\n";

enum phase {
	P_FREE,
	P_OPEN,		/* asking the peer's address, setting the idle timeout */
	P_NAME,		/* reading the user name */
	P_PASSWORD,	/* reading the password */
	P_CHECK,	/* SessionManager.login in flight */
	P_LAUNCH,	/* RestrictedShellLauncher.launch in flight */
	P_SHELL,	/* the shell runs */
	P_END,		/* ending: waiting for calls, the shell, the notice */
};

enum call_kind {
	K_NONE, K_PEER, K_IDLE, K_LOGIN, K_LAUNCH, K_LOGOUT, K_INFO
};

struct op {
	bool busy;
	uint64_t tag;
};

/*
 * A connection refused for want of room: told so, then let go. The send
 * goes through the loop like any other; one still waiting after
 * REFUSE_S (the client does not read, and the netstack has no room)
 * is ended by letting go of the socket, which fails the send.
 */
struct refusal {
	capos_cap_t sock;	/* CAPOS_CAP_NULL once let go */
	struct op send;
	uint64_t deadline_ns;
	uint8_t params[256] __attribute__((aligned(8)));
	uint8_t res[64] __attribute__((aligned(8)));
};

struct conn {
	enum phase phase;
	uint32_t gen;		/* badge generation (24 bits) of the last mint */
	capos_cap_t sock;
	bool sock_closed;	/* the socket was let go: closed */
	bool eof;		/* the peer sent all it will */
	bool closing;		/* close once the output is sent */
	capos_cap_t session;
	capos_cap_t handle;	/* the shell's ProcessHandle */
	bool minted, dropped;	/* terminal client minted; its notice came */
	bool had_shell, shell_ok, revoked;
	int exit_status;
	int tries;
	int profile;		/* 0 operator, 1 guest */
	uint64_t deadline_ns;
	char peer[PEER_MAX];
	char source[capos_SessionManager_maxSource + 1];
	char name[capos_SessionManager_maxName + 1];
	size_t nlen;
	uint32_t sb_dropped;	/* subnegotiations the engine dropped */

	struct telnet tn;
	struct term term;

	struct op recv, send, call, wait;
	enum call_kind kind;
	/* Raw bytes received and not yet through the engine. */
	const uint8_t *in;
	size_t in_len, in_off;
	uint8_t in_buf[IN_CHUNK + 256] __attribute__((aligned(8)));
	uint8_t recv_params[64] __attribute__((aligned(8)));
	uint8_t send_params[SEND_CHUNK + 256] __attribute__((aligned(8)));
	uint8_t send_res[64] __attribute__((aligned(8)));
	uint32_t sending;	/* bytes of out in the send in flight */
	uint8_t call_params[1024] __attribute__((aligned(8)));
	uint8_t call_res[1024] __attribute__((aligned(8)));
	struct capos_capdesc call_caps[CAPOS_MAX_XCAPS];
	uint8_t wait_res[256] __attribute__((aligned(8)));
	/* Output for the socket, oldest first; out_len <= OUT_MAX. */
	size_t out_len;
	uint8_t out[OUT_MAX];
};

static struct conn conns[CONN_MAX];
static struct refusal refusals[REFUSE_MAX];
static capos_cap_t owner, listen_auth, listener, shells, manager;
static uint32_t login_s = LOGIN_DEFAULT_S, idle_s = IDLE_DEFAULT_S;

static struct op acc, tick, rcv;
static bool acc_dead;		/* the listener failed: no more accepts */
/* An unbadged client of "terminals" the gateway keeps, so that a RECV
 * waits (rather than failing as "no client left") while no connection
 * has a terminal. Calls on it are refused. */
static capos_cap_t keeper;
static capos_cap_t tick_cap;
static uint8_t acc_buf[128] __attribute__((aligned(8)));
static struct capos_capdesc acc_caps[CAPOS_MAX_XCAPS];
static uint8_t tick_buf[64] __attribute__((aligned(8)));
static uint8_t recv_buf[SVC_RECV_BUF] __attribute__((aligned(8)));
static struct capos_capdesc recv_caps[CAPOS_MAX_XCAPS];
static uint8_t scratch[TCP_SCRATCH] __attribute__((aligned(8)));

/* ---- Output ---- */

/* Queues bytes for the socket as they are (the engine's answers). */
static void
queue_raw(struct conn *c, const void *p, size_t n)
{
	if (n > OUT_MAX - c->out_len) {
		/* OUT_MAX bounds what can arrive (above); past it the
		 * connection is broken rather than the output cut. */
		rt_printf("[telnet] %s: output overflow; closing\n", c->peer);
		c->out_len = 0;
		c->eof = true;
		c->closing = true;
		return;
	}
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
}

/* term_ops.write: text for the client, encoded as NVT. */
static void
t_write(void *ctx, const void *p, size_t n)
{
	struct conn *c = ctx;
	size_t used;

	while (n > 0) {
		size_t w = telnet_encode(&c->tn, p, n, &used,
		    c->out + c->out_len, OUT_MAX - c->out_len);

		c->out_len += w;
		if (used == 0) {
			queue_raw(c, p, OUT_MAX);	/* reports the overflow */
			return;
		}
		p = (const uint8_t *)p + used;
		n -= used;
	}
}

static void
say(struct conn *c, const char *s)
{
	t_write(c, s, strlen(s));
}

static void
t_answer(void *ctx, uint64_t id, struct capnp_builder *b)
{
	(void)ctx;
	(void)svc_answer(owner, id, b, NULL, 0);
}

static void
t_fail(void *ctx, uint64_t id, enum capos_CapException_Type type,
    const char *why)
{
	(void)ctx;
	(void)svc_answer_exception(owner, id, type, why);
}

static bool
t_blocked(void *ctx)
{
	return ((struct conn *)ctx)->out_len > OUT_HIGH;
}

static void t_line(void *ctx, enum term_line how, const uint8_t *line,
    size_t len);

static const struct term_ops ops = {
	.write = t_write, .answer = t_answer, .fail = t_fail,
	.local_line = t_line, .blocked = t_blocked,
};

/* ---- Calls ---- */

static void
submit(struct op *o, struct capos_sqe *e)
{
	o->busy = rt_submit(e) == 0;
	o->tag = e->user_data;
}

static bool
overloaded(int rc, const struct rt_result *res)
{
	return rc == RT_EXCEPTION &&
	    res->cqe.aux == capos_CapException_Type_overloaded;
}

static void
post_recv(struct conn *c)
{
	struct capos_TcpSocket_recv_Params_b p;
	struct capnp_builder b;
	struct capos_sqe e;

	if (capnp_builder_init(&b, c->recv_params,
	    sizeof(c->recv_params)) != 0 ||
	    capos_TcpSocket_recv_Params_init_root(&b, &p) != 0)
		return;
	capos_TcpSocket_recv_Params_set_maxBytes(&p, IN_CHUNK);
	rt_prep_call(&e, c->sock, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_recv_ORDINAL, &b, c->in_buf, sizeof(c->in_buf),
	    NULL, 0, 0);
	submit(&c->recv, &e);
}

static void
post_send(struct conn *c)
{
	struct capos_TcpSocket_send_Params_b p;
	struct capnp_builder b;
	struct capos_sqe e;
	uint32_t n = c->out_len > SEND_CHUNK ? SEND_CHUNK :
	    (uint32_t)c->out_len;

	if (capnp_builder_init(&b, c->send_params,
	    sizeof(c->send_params)) != 0 ||
	    capos_TcpSocket_send_Params_init_root(&b, &p) != 0 ||
	    capos_TcpSocket_send_Params_set_data(&p, c->out, n) != 0)
		return;
	rt_prep_call(&e, c->sock, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_send_ORDINAL, &b, c->send_res, sizeof(c->send_res),
	    NULL, 0, 0);
	c->sending = n;
	submit(&c->send, &e);
}

/* Starts a call on the connection's call op; the result, with up to
 * CAPOS_MAX_XCAPS capabilities, lands in call_res / call_caps. */
static void
post_call(struct conn *c, enum call_kind kind, capos_cap_t cap,
    uint64_t iface, uint16_t method, struct capnp_builder *b,
    uint16_t nsend)
{
	struct capos_sqe e;

	rt_prep_call(&e, cap, iface, method, b, c->call_res,
	    sizeof(c->call_res), c->call_caps, nsend, CAPOS_MAX_XCAPS);
	c->kind = kind;
	submit(&c->call, &e);
}

static void
start_login(struct conn *c, const uint8_t *pw, size_t plen)
{
	struct capos_SessionManager_login_Params_b p;
	struct capnp_builder b;

	if (capnp_builder_init(&b, c->call_params,
	    sizeof(c->call_params)) != 0 ||
	    capos_SessionManager_login_Params_init_root(&b, &p) != 0 ||
	    capos_SessionManager_login_Params_set_account(&p, c->name,
	    c->nlen) != 0 ||
	    capos_SessionManager_login_Params_set_password(&p, pw, plen) != 0 ||
	    capos_SessionManager_login_Params_set_source(&p, c->source,
	    strlen(c->source)) != 0)
		return;
	post_call(c, K_LOGIN, manager, capos_SessionManager_INTERFACE_ID,
	    capos_SessionManager_login_ORDINAL, &b, 0);
	c->phase = P_CHECK;
}

/* A new client of "terminals" with this badge, typed TerminalSession. */
static capos_cap_t
mint_terminal(uint64_t badge)
{
	struct capos_Endpoint_client_Params_b p;
	struct capos_Endpoint_client_Results_r r;
	uint8_t pbuf[128] __attribute__((aligned(8)));
	uint8_t rbuf[256] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct rt_result res;
	uint32_t idx;

	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_Endpoint_client_Params_init_root(&b, &p) != 0)
		return CAPOS_CAP_NULL;
	capos_Endpoint_client_Params_set_badge(&p, badge);
	capos_Endpoint_client_Params_set_interfaceId(&p,
	    capos_TerminalSession_INTERFACE_ID);
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

static void end_conn(struct conn *c, bool flush);

static void
start_launch(struct conn *c)
{
	static const char *const profiles[] = { "operator", "guest" };
	struct capos_RestrictedShellLauncher_launch_Params_b p;
	struct capnp_builder b;
	const char *prof = profiles[c->profile];
	capos_cap_t term;

	/* The badge names the slot and a generation new with every mint: a
	 * client refused with a profile (and dropped by the launcher) is
	 * told from the one that follows, and from every earlier one. */
	c->gen = (c->gen + 1) & 0xffffff ? (c->gen + 1) & 0xffffff : 1;
	c->dropped = false;
	term = mint_terminal((uint64_t)c->gen << 8 | (uint64_t)(c - conns + 1));
	if (term == CAPOS_CAP_NULL) {
		say(c, "telnet: no terminal could be made for a shell\n");
		end_conn(c, true);
		return;
	}
	c->minted = true;
	/* The launcher moves it into the shell; ours is not kept. */
	c->call_caps[0].cap = term;
	c->call_caps[0].mode = CAPOS_XFER_MOVE;
	c->call_caps[1].cap = c->session;
	c->call_caps[1].mode = CAPOS_XFER_COPY;
	if (capnp_builder_init(&b, c->call_params,
	    sizeof(c->call_params)) != 0 ||
	    capos_RestrictedShellLauncher_launch_Params_init_root(&b, &p) != 0 ||
	    capos_RestrictedShellLauncher_launch_Params_set_profile(&p, prof,
	    strlen(prof)) != 0) {
		rt_release(term);
		end_conn(c, true);
		return;
	}
	capos_RestrictedShellLauncher_launch_Params_set_terminal(&p, 0);
	capos_RestrictedShellLauncher_launch_Params_set_session(&p, 1);
	post_call(c, K_LAUNCH, shells,
	    capos_RestrictedShellLauncher_INTERFACE_ID,
	    capos_RestrictedShellLauncher_launch_ORDINAL, &b, 2);
	c->phase = P_LAUNCH;
}

static void
start_session_call(struct conn *c, enum call_kind kind, uint16_t method)
{
	post_call(c, kind, c->session, capos_UserSession_INTERFACE_ID, method,
	    NULL, 0);
}

static void
start_wait(struct conn *c)
{
	struct capos_sqe e;

	rt_prep_call(&e, c->handle, capos_ProcessHandle_INTERFACE_ID,
	    capos_ProcessHandle_wait_ORDINAL, NULL, c->wait_res,
	    sizeof(c->wait_res), NULL, 0, 0);
	submit(&c->wait, &e);
}

/* ---- Connections ---- */

static int
active(enum phase lo, enum phase hi)
{
	int n = 0;

	for (int i = 0; i < CONN_MAX; i++)
		n += conns[i].phase >= lo && conns[i].phase <= hi;
	return n;
}

static void
prompt_name(struct conn *c)
{
	c->phase = P_NAME;
	say(c, "username> ");
	(void)term_read_local(&c->term, true);
}

/*
 * Ends the connection's session and, with flush, closes the socket once
 * the output waiting is sent (a shell that ended, a refusal); without,
 * closes it now (the client is gone). The session is logged out as soon
 * as no call is in flight; the slot is freed by try_free.
 */
static void
end_conn(struct conn *c, bool flush)
{
	if (c->phase == P_END)
		return;
	c->phase = P_END;
	term_hangup(&c->term);
	c->closing = true;
	if (!flush) {
		c->out_len = 0;
		c->eof = true;
	}
	if (c->session != CAPOS_CAP_NULL && !c->call.busy)
		start_session_call(c, K_LOGOUT,
		    capos_UserSession_logout_ORDINAL);
}

/* term_ops.local_line: the login prompt's lines. */
static void
t_line(void *ctx, enum term_line how, const uint8_t *line, size_t len)
{
	struct conn *c = ctx;
	if (how == TERM_LINE_CLOSED || c->phase == P_END)
		return;
	if (how == TERM_LINE_INTERRUPTED || how == TERM_LINE_EOF) {
		say(c, "login: cancelled\n");
		end_conn(c, true);
		return;
	}
	if (c->phase == P_NAME) {
		if (how == TERM_LINE_OK && len == 0) {
			prompt_name(c);
			return;
		}
		/* A name too long for any account still gets a password
		 * prompt, so the prompts tell nothing about names. */
		c->nlen = how == TERM_LINE_OK &&
		    len <= capos_SessionManager_maxName ? len : 0;
		memcpy(c->name, line, c->nlen);
		c->name[c->nlen] = '\0';
		c->phase = P_PASSWORD;
		say(c, "password> ");
		(void)term_read_local(&c->term, false);
		return;
	}
	if (c->phase != P_PASSWORD)
		return;
	if (how == TERM_LINE_OK && c->nlen != 0 &&
	    len <= capos_SessionManager_maxPassword) {
		start_login(c, line, len);
		return;
	}
	say(c, "Login incorrect.\n");
	if (++c->tries >= LOGIN_TRIES) {
		say(c, "Too many failed logins.\n");
		end_conn(c, true);
		return;
	}
	prompt_name(c);
}

/* The address as text, "a.b.c.d". */
static void
format_addr(char *out, size_t room, uint32_t a)
{
	fmt_snprintf(out, room, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
	    (a >> 8) & 255, a & 255);
}

/*
 * Tells a connection there is no room for it and lets it go: the send
 * goes through the loop (refusal_done lets go of the socket, which the
 * netstack closes once the text is out). With every refusal record busy
 * the connection is let go without a word.
 */
static void
refuse(capos_cap_t sock, const char *why)
{
	struct capos_TcpSocket_send_Params_b p;
	struct refusal *r = NULL;
	struct capnp_builder b;
	struct capos_sqe e;

	for (int i = 0; i < REFUSE_MAX && r == NULL; i++)
		if (refusals[i].sock == CAPOS_CAP_NULL && !refusals[i].send.busy)
			r = &refusals[i];
	if (r == NULL || capnp_builder_init(&b, r->params,
	    sizeof(r->params)) != 0 ||
	    capos_TcpSocket_send_Params_init_root(&b, &p) != 0 ||
	    capos_TcpSocket_send_Params_set_data(&p, why, strlen(why)) != 0) {
		rt_release(sock);
		return;
	}
	rt_prep_call(&e, sock, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_send_ORDINAL, &b, r->res, sizeof(r->res), NULL, 0,
	    0);
	submit(&r->send, &e);
	if (!r->send.busy) {
		rt_release(sock);
		return;
	}
	r->sock = sock;
	r->deadline_ns = rt_now_ns() + (uint64_t)REFUSE_S * 1000000000ull;
}

static void
refusal_done(struct refusal *r)
{
	r->send.busy = false;
	if (r->sock != CAPOS_CAP_NULL)
		rt_release(r->sock);
	r->sock = CAPOS_CAP_NULL;
}

/*
 * A new connection: a slot, or a refusal. The slot starts in P_OPEN,
 * asking the netstack for the peer's address and then setting the idle
 * timeout (call_done goes on with open_done); nothing is read or said
 * until both have answered.
 */
static void
accepted(capos_cap_t sock)
{
	struct conn *c = NULL;

	for (int i = 0; i < CONN_MAX && c == NULL; i++)
		if (conns[i].phase == P_FREE)
			c = &conns[i];
	if (c == NULL) {
		refuse(sock, "capOS telnet: too many connections; try again "
		    "later\r\n");
		return;
	}
	if (active(P_OPEN, P_LAUNCH) >= PREAUTH_MAX) {
		refuse(sock, "capOS telnet: too many connections are logging "
		    "in; try again later\r\n");
		return;
	}
	{
		uint32_t gen = c->gen;	/* generations go on across uses */

		memset(c, 0, offsetof(struct conn, out));
		c->gen = gen;
	}
	c->sock = sock;
	c->session = c->handle = CAPOS_CAP_NULL;
	c->phase = P_OPEN;
	fmt_snprintf(c->peer, sizeof(c->peer), "(opening)");
	c->deadline_ns = rt_now_ns() + (uint64_t)login_s * 1000000000ull;
	telnet_init(&c->tn);
	term_init(&c->term, &ops, c);
	post_call(c, K_PEER, c->sock, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_peer_ORDINAL, NULL, 0);
	if (!c->call.busy)
		end_conn(c, false);
}

/* The peer's address came (K_PEER), or the idle timeout was set (K_IDLE). */
static void
open_done(struct conn *c, enum call_kind kind, int rc, struct rt_result *res)
{
	struct capos_TcpSocket_setIdleTimeout_Params_b ip;
	struct capos_TcpSocket_peer_Results_r r = { res->root };
	struct capnp_builder b;
	uint8_t opening[TELNET_OUT_MAX];
	uint32_t addr;
	char text[16];
	size_t n;

	if (c->phase != P_OPEN)
		return;
	if (rc != 0) {
		end_conn(c, false);
		return;
	}
	if (kind == K_PEER) {
		addr = capos_TcpSocket_peer_Results_get_address(&r);
		format_addr(text, sizeof(text), addr);
		fmt_snprintf(c->peer, sizeof(c->peer), "%s:%u", text,
		    capos_TcpSocket_peer_Results_get_port(&r));
		fmt_snprintf(c->source, sizeof(c->source), "telnet %s", text);
		if (capnp_builder_init(&b, c->call_params,
		    sizeof(c->call_params)) != 0 ||
		    capos_TcpSocket_setIdleTimeout_Params_init_root(&b,
		    &ip) != 0) {
			end_conn(c, false);
			return;
		}
		capos_TcpSocket_setIdleTimeout_Params_set_ms(&ip,
		    idle_s * 1000);
		post_call(c, K_IDLE, c->sock, capos_TcpSocket_INTERFACE_ID,
		    capos_TcpSocket_setIdleTimeout_ORDINAL, &b, 0);
		if (!c->call.busy)
			end_conn(c, false);
		return;
	}
	n = telnet_take_output(&c->tn, opening, sizeof(opening));
	queue_raw(c, opening, n);
	say(c, banner);
	prompt_name(c);
	rt_debug("[telnet] %s: connected; %d connections, %d logging in\n",
	    c->peer, active(P_OPEN, P_END), active(P_OPEN, P_LAUNCH));
}

/* Feeds the raw input through the engine into the session, as far as the
 * session and the output have room. */
static void
pump(struct conn *c)
{
	uint8_t data[IN_CHUNK], answers[TELNET_OUT_MAX];
	struct telnet_event ev;
	size_t n, used, room;

	while (c->in_off < c->in_len && c->phase != P_END &&
	    (room = term_room(&c->term)) > 0 &&
	    OUT_MAX - c->out_len >= TELNET_OUT_MAX) {
		used = telnet_input(&c->tn, c->in + c->in_off,
		    c->in_len - c->in_off, data,
		    room < sizeof(data) ? room : sizeof(data), &n, &ev);
		c->in_off += used;
		(void)term_input(&c->term, data, n);
		switch (ev.kind) {
		case TELNET_EV_WINDOW_SIZE:
		case TELNET_EV_RESIZE:
			term_resize(&c->term, ev.size.width, ev.size.height,
			    ev.kind == TELNET_EV_RESIZE);
			break;
		case TELNET_EV_INTERRUPT:
			term_interrupt(&c->term);
			break;
		case TELNET_EV_ERASE:
			/* Erase character / line, as Backspace and Ctrl-U. */
			(void)term_input(&c->term, ev.cmd == TELNET_EC ?
			    "\x7f" : "\x15", 1);
			break;
		case TELNET_EV_SB_DISCARDED:
			c->sb_dropped++;
			break;
		default:
			break;
		}
		n = telnet_take_output(&c->tn, answers, sizeof(answers));
		queue_raw(c, answers, n);
	}
}

/* Lets go of the socket: the netstack closes it (sending what it holds,
 * then FIN) once the kernel tells it the last reference is gone, and
 * fails a recv still waiting on it. No call, so nothing to wait for. */
static void
close_sock(struct conn *c)
{
	if (c->sock_closed)
		return;
	c->sock_closed = true;
	rt_release(c->sock);
	c->sock = CAPOS_CAP_NULL;
}

/* Frees the slot once nothing of the connection is left anywhere. */
static void
try_free(struct conn *c)
{
	if (c->recv.busy || c->send.busy || c->call.busy || c->wait.busy ||
	    c->session != CAPOS_CAP_NULL || c->handle != CAPOS_CAP_NULL ||
	    (c->minted && !c->dropped))
		return;
	if (c->sock != CAPOS_CAP_NULL)
		rt_release(c->sock);
	if (c->had_shell) {
		rt_printf("[telnet] %s from %s: shell exited with status %d, "
		    "session %s, connection closed\n", c->name, c->peer,
		    c->exit_status, c->revoked ? "revoked" : "NOT revoked");
		if (c->shell_ok && c->revoked && c->exit_status == 0)
			rt_debug("[proof] telnet-session ok: %s logged in from "
			    "%s, its shell ran on the connection's terminal and "
			    "exited with status 0, the session then failed as "
			    "revoked, and the socket and terminal were given "
			    "back\n", c->name, c->source + 7);
	}
	if (c->sb_dropped != 0)
		rt_printf("[telnet] %s: the engine dropped %u subnegotiations "
		    "(overlong, unterminated, malformed or not agreed)\n",
		    c->peer, c->sb_dropped);
	c->phase = P_FREE;
}

/* Moves one connection along: its input, its output, its end. */
static void
service(struct conn *c)
{
	if (c->phase == P_FREE)
		return;
	if (!c->sock_closed) {
		pump(c);
		if (!c->recv.busy && !c->eof && c->in_off == c->in_len &&
		    c->phase != P_END && c->phase != P_OPEN &&
		    term_room(&c->term) > 0 &&
		    c->out_len <= OUT_HIGH)
			post_recv(c);
		if (!c->send.busy && c->out_len > 0)
			post_send(c);
		if (c->out_len <= OUT_HIGH)
			term_drained(&c->term);
		if (c->closing && c->out_len == 0 && !c->send.busy)
			close_sock(c);
	}
	if (c->phase == P_END)
		try_free(c);
}

/* ---- Completions ---- */

static void
recv_done(struct conn *c, const struct capos_cqe *cqe)
{
	struct capos_TcpSocket_recv_Results_r r;
	struct rt_result res;
	struct capnp_data d;
	int rc;

	c->recv.busy = false;
	if (c->sock_closed)
		return;
	if ((rc = rt_result_read(cqe, c->in_buf, &res)) != 0) {
		/* Refused as overloaded, the recv is made again; anything
		 * else is a reset or the idle timeout. */
		if (!overloaded(rc, &res))
			end_conn(c, false);
		return;
	}
	r.s = res.root;
	if (capos_TcpSocket_recv_Results_get_data(&r, &d) != 0 ||
	    d.len > IN_CHUNK) {
		end_conn(c, false);
		return;
	}
	if (d.len == 0) {
		/* The client has gone: its shell goes with it. */
		end_conn(c, false);
		return;
	}
	c->in = d.ptr;
	c->in_len = d.len;
	c->in_off = 0;
}

static void
send_done(struct conn *c, const struct capos_cqe *cqe)
{
	struct capos_TcpSocket_send_Results_r r;
	struct rt_result res;
	uint32_t n;
	int rc;

	c->send.busy = false;
	if (c->sock_closed)
		return;
	if ((rc = rt_result_read(cqe, c->send_res, &res)) != 0) {
		if (!overloaded(rc, &res))
			end_conn(c, false);
		return;
	}
	r.s = res.root;
	n = capos_TcpSocket_send_Results_get_sent(&r);
	if (n == 0 || n > c->sending || n > c->out_len) {
		end_conn(c, false);
		return;
	}
	memmove(c->out, c->out + n, c->out_len - n);
	c->out_len -= n;
}

/*
 * The capability named by index idx among the n that came with a result
 * (in caps: the array the call was made with, or an rt_result's), or
 * NULL when !ok; every other capability that came is let go.
 */
static capos_cap_t
take_cap(const struct capos_capdesc *caps, uint16_t n, uint32_t idx,
    bool ok)
{
	capos_cap_t cap = CAPOS_CAP_NULL;

	for (uint32_t i = 0; i < n && i < CAPOS_MAX_XCAPS; i++) {
		if (ok && i == idx)
			cap = caps[i].cap;
		else
			rt_release(caps[i].cap);
	}
	return cap;
}

static void
login_done(struct conn *c, int rc, struct rt_result *res)
{
	struct capos_SessionManager_LoginResult_r r = { res->root };
	bool denied;
	uint32_t idx = 0;

	/* The request held the password. */
	memset(c->call_params, 0, sizeof(c->call_params));
	bool ok;

	denied = rc == 0 && capos_SessionManager_LoginResult_which(&r) ==
	    capos_SessionManager_LoginResult_which_denied;
	ok = rc == 0 && !denied &&
	    capos_SessionManager_LoginResult_get_session(&r, &idx) == 0;
	c->session = take_cap(c->call_caps, res->cqe.ncaps, idx, ok);
	if (c->phase == P_END) {
		if (c->session != CAPOS_CAP_NULL)
			start_session_call(c, K_LOGOUT,
			    capos_UserSession_logout_ORDINAL);
		return;
	}
	if (c->session != CAPOS_CAP_NULL) {
		rt_printf("[telnet] %s logged in from %s\n", c->name, c->peer);
		start_launch(c);
		return;
	}
	say(c, denied ? "Login incorrect.\n" :
	    "login: the session manager failed\n");
	if (!denied || ++c->tries >= LOGIN_TRIES) {
		if (denied)
			say(c, "Too many failed logins.\n");
		end_conn(c, true);
		return;
	}
	prompt_name(c);
}

static void
launch_done(struct conn *c, int rc, struct rt_result *res)
{
	struct capos_RestrictedShellLauncher_LaunchResult_r r = { res->root };
	uint32_t idx = 0;
	int which = rc == 0 ?
	    (int)capos_RestrictedShellLauncher_LaunchResult_which(&r) : -1;

	bool ok = which ==
	    capos_RestrictedShellLauncher_LaunchResult_which_handle &&
	    capos_RestrictedShellLauncher_LaunchResult_get_handle(&r,
	    &idx) == 0;

	c->handle = take_cap(c->call_caps, res->cqe.ncaps, idx, ok);
	if (c->handle != CAPOS_CAP_NULL) {
		c->had_shell = true;
		start_wait(c);
		if (c->phase == P_END)
			start_session_call(c, K_LOGOUT,
			    capos_UserSession_logout_ORDINAL);
		else
			c->phase = P_SHELL;
		return;
	}
	if (c->phase != P_END &&
	    which == capos_RestrictedShellLauncher_LaunchResult_which_refused &&
	    c->profile == 0) {
		c->profile = 1;
		start_launch(c);
		return;
	}
	if (c->phase != P_END)
		say(c, "login: no shell could be started for this account\n");
	c->phase = P_LAUNCH;	/* so end_conn logs the session out */
	end_conn(c, true);
}

static void
call_done(struct conn *c, const struct capos_cqe *cqe)
{
	struct rt_result res;
	enum call_kind kind = c->kind;
	int rc;

	c->call.busy = false;
	c->kind = K_NONE;
	memset(&res, 0, sizeof(res));
	rc = rt_result_read(cqe, c->call_res, &res);
	switch (kind) {
	case K_PEER:
	case K_IDLE:
		(void)take_cap(c->call_caps, res.cqe.ncaps, 0, false);
		open_done(c, kind, rc, &res);
		break;
	case K_LOGIN:
		login_done(c, rc, &res);
		break;
	case K_LAUNCH:
		launch_done(c, rc, &res);
		break;
	case K_LOGOUT:
		(void)take_cap(c->call_caps, res.cqe.ncaps, 0, false);
		/* Whatever logout answered, the session must now fail. */
		start_session_call(c, K_INFO, capos_UserSession_info_ORDINAL);
		break;
	case K_INFO:
		(void)take_cap(c->call_caps, res.cqe.ncaps, 0, false);
		c->revoked = rc == RT_EXCEPTION;
		rt_release(c->session);
		c->session = CAPOS_CAP_NULL;
		break;
	case K_NONE:
		break;
	}
}

static void
wait_done(struct conn *c, const struct capos_cqe *cqe)
{
	struct rt_result res;
	struct capos_ExitStatus_r es;

	c->wait.busy = false;
	c->exit_status = -1;
	if (rt_result_read(cqe, c->wait_res, &res) == 0) {
		es.s = res.root;
		c->shell_ok = true;
		if (capos_ExitStatus_which(&es) == capos_ExitStatus_which_exited)
			c->exit_status = capos_ExitStatus_get_exited(&es);
	}
	rt_release(c->handle);
	c->handle = CAPOS_CAP_NULL;
	end_conn(c, true);
}

static void
accept_done(const struct capos_cqe *cqe)
{
	struct capos_TcpListener_accept_Results_r r;
	struct rt_result res;
	uint32_t idx = 0;
	capos_cap_t sock;
	bool ok;
	int rc;

	acc.busy = false;
	memset(&res, 0, sizeof(res));
	if ((rc = rt_result_read(cqe, acc_buf, &res)) != 0) {
		if (!overloaded(rc, &res)) {
			acc_dead = true;
			rt_printf("[telnet] the listener failed (%s): no more "
			    "connections\n", rt_strerror(rc));
		}
		return;
	}
	r.s = res.root;
	ok = capos_TcpListener_accept_Results_get_socket(&r, &idx) == 0;
	sock = take_cap(acc_caps, res.cqe.ncaps, idx, ok);
	if (sock != CAPOS_CAP_NULL)
		accepted(sock);
}

/* A call on "terminals", or the notice that a terminal client is gone. */
static void
terminal_call(const struct capos_cqe *cqe)
{
	struct svc_call sc;
	struct conn *c = NULL;
	uint64_t badge;
	int rc;

	rcv.busy = false;
	rc = svc_take(cqe, recv_buf, &sc);
	if (rc < 0 && rc != RT_BAD_PARAMS)
		return;
	/* No method takes capabilities: drop any that came. */
	for (uint16_t i = 0; i < sc.hdr->ncaps && i < CAPOS_MAX_XCAPS; i++)
		rt_release(recv_caps[i].cap);
	badge = sc.hdr->badge;
	if (badge != 0 && (badge & 0xff) >= 1 && (badge & 0xff) <= CONN_MAX) {
		c = &conns[(badge & 0xff) - 1];
		if (c->phase == P_FREE || !c->minted || c->dropped ||
		    c->gen != (uint32_t)(badge >> 8))
			c = NULL;
	}
	if (sc.notice) {
		if (c != NULL)
			c->dropped = true;
		return;
	}
	if (c == NULL) {
		(void)svc_answer_exception(owner, sc.hdr->call_id,
		    capos_CapException_Type_disconnected,
		    "this terminal's connection is gone");
		return;
	}
	term_call(&c->term, sc.hdr->call_id, sc.hdr->interface_id,
	    sc.hdr->method, &sc.params, rc != RT_BAD_PARAMS);
}

/* Every second: connections past their time to type a login are ended,
 * and refusals past theirs let go. */
static void
tick_done(void)
{
	uint64_t now = rt_now_ns();
	char msg[64];

	tick.busy = false;
	for (int i = 0; i < REFUSE_MAX; i++) {
		struct refusal *r = &refusals[i];

		if (r->sock != CAPOS_CAP_NULL && now >= r->deadline_ns) {
			rt_release(r->sock);
			r->sock = CAPOS_CAP_NULL;
		}
	}
	for (int i = 0; i < CONN_MAX; i++) {
		struct conn *c = &conns[i];

		/* While the login is checked, the time is auth's, not the
		 * client's: the check is bounded there. */
		if (c->phase < P_OPEN || c->phase > P_PASSWORD ||
		    now < c->deadline_ns)
			continue;
		fmt_snprintf(msg, sizeof(msg), "\nLogin timed out after %u "
		    "seconds.\n", login_s);
		say(c, msg);
		rt_printf("[telnet] %s: login timed out\n", c->peer);
		end_conn(c, true);
	}
}

/* ---- Start ---- */

static bool
parse_secs(const char *s, uint32_t *out)
{
	uint32_t n = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		n = n * 10 + (uint32_t)(*s - '0');
		if (n > 86400)
			return false;
	}
	if (n == 0)
		return false;
	*out = n;
	return true;
}

static int
do_listen(void)
{
	uint8_t params[64] __attribute__((aligned(8)));
	struct capos_TcpListenAuthority_listen_Params_b p;
	struct capos_ListenResult_r r;
	struct capnp_builder b;
	struct rt_result res;
	uint32_t idx = 0;
	bool ok;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_TcpListenAuthority_listen_Params_init_root(&b, &p) != 0)
		return -1;
	capos_TcpListenAuthority_listen_Params_set_backlog(&p, 16);
	if (rt_call(listen_auth, capos_TcpListenAuthority_INTERFACE_ID,
	    capos_TcpListenAuthority_listen_ORDINAL, &b, NULL, 0, scratch,
	    sizeof(scratch), &res) != 0)
		return -1;
	r.s = res.root;
	ok = capos_ListenResult_which(&r) == capos_ListenResult_which_listener &&
	    capos_ListenResult_get_listener(&r, &idx) == 0;
	listener = take_cap(res.caps, res.cqe.ncaps, idx, ok);
	return listener == CAPOS_CAP_NULL ? -1 : 0;
}

static void
arm_globals(void)
{
	struct capos_sqe e;

	if (!acc.busy && !acc_dead) {
		rt_prep_call(&e, listener, capos_TcpListener_INTERFACE_ID,
		    capos_TcpListener_accept_ORDINAL, NULL, acc_buf,
		    sizeof(acc_buf), acc_caps, 0, CAPOS_MAX_XCAPS);
		submit(&acc, &e);
	}
	if (!rcv.busy) {
		rt_prep_recv(&e, owner, recv_buf, sizeof(recv_buf), recv_caps);
		submit(&rcv, &e);
	}
	if (!tick.busy) {
		rt_prep_call(&e, tick_cap, capos_TimerNotification_INTERFACE_ID,
		    capos_TimerNotification_next_ORDINAL, NULL, tick_buf,
		    sizeof(tick_buf), NULL, 0, 0);
		submit(&tick, &e);
	}
}

int
main(void)
{
	owner = rt_cap("terminals", capos_Endpoint_INTERFACE_ID);
	listen_auth = rt_cap("listen", capos_TcpListenAuthority_INTERFACE_ID);
	shells = rt_cap("shells", capos_RestrictedShellLauncher_INTERFACE_ID);
	manager = rt_cap("sessionManager", capos_SessionManager_INTERFACE_ID);
	if (owner == CAPOS_CAP_NULL || listen_auth == CAPOS_CAP_NULL ||
	    shells == CAPOS_CAP_NULL || manager == CAPOS_CAP_NULL) {
		rt_printf("[telnet] needs terminals, listen, shells and "
		    "sessionManager\n");
		return 1;
	}
	for (int i = 0; i < rt_argc(); i++) {
		const char *a = rt_argv(i);

		if (!(strncmp(a, "login=", 6) == 0 && parse_secs(a + 6,
		    &login_s)) &&
		    !(strncmp(a, "idle=", 5) == 0 && parse_secs(a + 5,
		    &idle_s))) {
			rt_printf("[telnet] bad argument \"%s\"\n", a);
			return 1;
		}
	}
	if ((keeper = mint_terminal(0)) == CAPOS_CAP_NULL) {
		rt_printf("[telnet] cannot mint on terminals\n");
		return 1;
	}
	if (rt_timer_notify(1000000000ull, 1000000000ull, &tick_cap) != 0) {
		rt_printf("[telnet] needs the timer\n");
		return 1;
	}
	if (do_listen() != 0) {
		rt_printf("[telnet] cannot listen\n");
		return 1;
	}
	rt_printf("[telnet] listening on port 23: %d connections, %d logging "
	    "in at once, %u s to log in, %u s idle\n", CONN_MAX, PREAUTH_MAX,
	    login_s, idle_s);
	for (;;) {
		/* Per connection 4 calls, the refusals' sends, and the
		 * accept, RECV and tick. */
		uint64_t tags[CONN_MAX * 4 + REFUSE_MAX + 3];
		int who[CONN_MAX * 4 + REFUSE_MAX + 3];
		int what[CONN_MAX * 4 + REFUSE_MAX + 3];
		struct capos_cqe cqe;
		int n = 0, k;

		for (int i = 0; i < CONN_MAX; i++) {
			struct conn *c = &conns[i];

			service(c);
		}
		arm_globals();
		for (int i = 0; i < CONN_MAX; i++) {
			struct op *o[4] = { &conns[i].recv, &conns[i].send,
			    &conns[i].call, &conns[i].wait };

			for (int j = 0; j < 4; j++)
				if (o[j]->busy)
					tags[n] = o[j]->tag, who[n] = i,
					    what[n++] = j;
		}
		if (acc.busy)
			tags[n] = acc.tag, who[n] = -1, what[n++] = 0;
		if (rcv.busy)
			tags[n] = rcv.tag, who[n] = -1, what[n++] = 1;
		if (tick.busy)
			tags[n] = tick.tag, who[n] = -1, what[n++] = 2;
		for (int i = 0; i < REFUSE_MAX; i++)
			if (refusals[i].send.busy)
				tags[n] = refusals[i].send.tag, who[n] = -1,
				    what[n++] = 3 + i;
		if ((k = rt_wait_any(tags, n, &cqe)) < 0) {
			rt_printf("[telnet] stopped: %s\n", rt_strerror(k));
			return 1;
		}
		if (who[k] < 0) {
			if (what[k] == 0)
				accept_done(&cqe);
			else if (what[k] == 1)
				terminal_call(&cqe);
			else if (what[k] == 2)
				tick_done();
			else
				refusal_done(&refusals[what[k] - 3]);
			continue;
		}
		switch (what[k]) {
		case 0:
			recv_done(&conns[who[k]], &cqe);
			break;
		case 1:
			send_done(&conns[who[k]], &cqe);
			break;
		case 2:
			call_done(&conns[who[k]], &cqe);
			break;
		default:
			wait_done(&conns[who[k]], &cqe);
			break;
		}
	}
}
