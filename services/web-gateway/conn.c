/*
 * The web gateway's connection: TLS 1.3 (lib/tls with memory I/O) over
 * the TCP socket, HTTP/1.1 requests (lib/proto/http) for the page's
 * files and the passkey routes, then a WebSocket (lib/proto/websocket)
 * carrying the terminal stream protocol (lib/proto/termstream), bridged
 * to a TerminalSession (lib/term) that capos-shell gets once the user
 * has logged in: with a password typed in the terminal, or with a
 * passkey before the upgrade, whose session waits as a ticket (below)
 * for the upgrade that brings its cookie.
 *
 * Bytes flow, each way with one bound:
 *   browser -> rbuf (one TCP recv, WG_MSG_ROOM) -> TLS -> pin (one
 *     tls_read, WG_PIN_MAX) -> HTTP parser (a POST's body to msg, at most
 *     WG_POST_MAX) or WebSocket frames -> msg (one
 *     terminal stream message, TS_MAX_MESSAGE) -> stage (the input window
 *     granted, WG_IN_WINDOW) -> term_input (TERM_PEND_MAX). Input is
 *     granted back only as the terminal takes it, so a shell that does
 *     not read stops the browser through its window while its other
 *     messages (cancel, close) are still read; nothing is read while pw
 *     lacks room for a reply, so a peer that never reads its replies
 *     stops being read.
 *   shell -> term write -> sout (WG_SOUT_MAX; the write's answer waits
 *     past WG_SOUT_BLOCK) -> output messages as the browser's credit
 *     allows (WG_OUT_CHUNK each) -> pw (one record, WG_PW_MAX) -> TLS's
 *     out (TLS_MEM_OUT) -> one TCP send.
 *
 * Every request and the upgrade must name the configured host in Host,
 * and a request that carries Origin must carry the configured origin;
 * the upgrade must carry it. Static files are answered with
 * "Connection: close", so a browser's idle keep-alive never holds one
 * of the gateway's WG_CONNS connections.
 *
 * Calls in flight: at most one TCP recv, one TCP send, the shell's wait
 * and a login with auth (password or passkey: auth holds a refusal for
 * its failure delay, and other connections are served meanwhile).
 * conn_end hangs up the terminal, logs the session out (which ends the
 * shell's authority), closes the socket and waits for those calls to
 * come back before the connection is reused; a login's session that
 * comes back after the end is logged out at once.
 *
 * Other calls are made synchronously, each answered by one service
 * without waiting on anyone: the netstack (peer, idle timeout, close),
 * the key vault (CertificateVerify, from lib/tls), auth's challenges,
 * enrolment and logout, and shell-launcher (which starts the shell).
 * The buffers below are shared by all connections: each is used within
 * one call of conn.c and never across the loop.
 */
#include <string.h>

#include "auth.capnp.h"
#include "crypto.h"
#include "fmt/fmt.h"
#include "gateway.h"
#include "remote_shell.h"
#include "shell.capnp.h"
#include "tcp.h"

/* A synchronous call's params: an enrolment's client data and
 * attestation fit (TS_MAX_CLIENT_DATA + TS_MAX_ATTESTATION). A login's
 * go in its connection's aparams, as they stay until auth answers. */
static uint8_t cbuf[4096] __attribute__((aligned(8)));
static uint8_t cres[1024] __attribute__((aligned(8)));
/* A message built before it goes to pw. */
static uint8_t mtmp[WG_PW_MAX];

static void
wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;

	while (n-- > 0)
		*v++ = 0;
}

static void
begin_closing(struct wg_conn *c, const char *why)
{
	if (c->closing)
		return;
	c->why = why;
	c->closing = true;
	c->deadline_ns = rt_now_ns() + WG_LINGER_NS;
}

/* Queues plaintext for TLS; false (and the connection closing) when it
 * does not fit, which the read rules above make a bug, not a peer's
 * doing. */
static bool
queue_plain(struct wg_conn *c, const void *p, size_t n)
{
	if (n > sizeof(c->pw) - c->pw_len) {
		begin_closing(c, "reply past its bound");
		return false;
	}
	memcpy(c->pw + c->pw_len, p, n);
	c->pw_len += n;
	return true;
}

/* One WebSocket frame of ours around payload. */
static bool
queue_frame(struct wg_conn *c, enum ws_opcode op, const void *payload,
    size_t len)
{
	int n = ws_write_frame(mtmp, sizeof(mtmp), op, true, payload, len);

	return n > 0 && queue_plain(c, mtmp, (size_t)n);
}

/* The terminal stream's close with code, then the WebSocket's. */
static void
close_stream(struct wg_conn *c, uint16_t code, const char *reason)
{
	uint8_t m[2 + 1 + TS_MAX_REASON];
	int n;

	if (c->ts.phase != TS_P_CLOSED &&
	    (n = ts_write_close(&c->ts, code, reason, m, sizeof(m))) > 0)
		(void)queue_frame(c, WS_OP_BINARY, m, (size_t)n);
	if ((n = ws_write_close(mtmp, sizeof(mtmp), code, reason)) > 0)
		(void)queue_plain(c, mtmp, (size_t)n);
	begin_closing(c, reason);
}

/* ---- The terminal's side ---- */

static void
t_write(void *ctx, const void *p, size_t n)
{
	struct wg_conn *c = ctx;
	const uint8_t *s = p;

	for (size_t i = 0; i < n; i++) {
		size_t need = s[i] == '\n' ? 2 : 1;

		if (c->sout_len + need > sizeof(c->sout)) {
			c->sout_lost += n - i;
			return;
		}
		if (need == 2)
			c->sout[c->sout_len++] = '\r';
		c->sout[c->sout_len++] = s[i];
	}
}

static void
say(struct wg_conn *c, const char *s)
{
	t_write(c, s, strlen(s));
}

static void
t_answer(void *ctx, uint64_t call_id, struct capnp_builder *b)
{
	(void)ctx;
	(void)svc_answer(wg_owner, call_id, b, NULL, 0);
}

static void
t_fail(void *ctx, uint64_t call_id, enum capos_CapException_Type type,
    const char *why)
{
	(void)ctx;
	(void)svc_answer_exception(wg_owner, call_id, type, why);
}

/* The login's lines: kept until conn_pump acts on them, outside the
 * terminal's call. */
static void
t_local_line(void *ctx, enum term_line how, const uint8_t *line, size_t len)
{
	struct wg_conn *c = ctx;

	c->line_how = how;
	c->line_len = len < sizeof(c->line) ? len : sizeof(c->line);
	memcpy(c->line, line, c->line_len);
	c->line_ready = true;
}

static bool
t_blocked(void *ctx)
{
	const struct wg_conn *c = ctx;

	return c->sout_len >= WG_SOUT_BLOCK;
}

static const struct term_ops term_ops = {
	.write = t_write,
	.answer = t_answer,
	.fail = t_fail,
	.local_line = t_local_line,
	.blocked = t_blocked,
};

void
conn_term_call(struct wg_conn *c, uint64_t call_id, uint64_t iface,
    uint16_t method, const struct capnp_struct *params, bool params_ok)
{
	term_call(&c->term, call_id, iface, method, params, params_ok);
	conn_pump(c);
}

/* ---- Login and the shell ---- */

/* Posts a SessionManager login call (method) built in aparams; its
 * answer comes to auth_done. 0, or -1 when the ring is full. */
static int
post_auth(struct wg_conn *c, enum wg_acall kind, uint16_t method,
    struct capnp_builder *b)
{
	struct capos_sqe e;

	rt_prep_call(&e, wg_manager, capos_SessionManager_INTERFACE_ID, method,
	    b, c->ares, sizeof(c->ares), c->acaps, 0, CAPOS_MAX_XCAPS);
	if (rt_submit(&e) != 0)
		return -1;
	c->atag = e.user_data;
	c->acall = kind;
	return 0;
}

/* SessionManager.login with the typed password, which is wiped from the
 * line at once and from the params when the answer comes. -1 when it
 * could not be sent. */
static int
login_call(struct wg_conn *c)
{
	struct capos_SessionManager_login_Params_b p;
	struct capnp_builder b;
	int rc = -1;

	if (capnp_builder_init(&b, c->aparams, sizeof(c->aparams)) == 0 &&
	    capos_SessionManager_login_Params_init_root(&b, &p) == 0 &&
	    capos_SessionManager_login_Params_set_account(&p, c->name,
	    c->name_len) == 0 &&
	    capos_SessionManager_login_Params_set_password(&p, c->line,
	    c->line_len) == 0 &&
	    capos_SessionManager_login_Params_set_source(&p, c->source,
	    strlen(c->source)) == 0)
		rc = post_auth(c, WG_A_PASSWORD,
		    capos_SessionManager_login_ORDINAL, &b);
	wipe(c->line, sizeof(c->line));
	c->line_len = 0;
	if (rc != 0)
		wipe(c->aparams, sizeof(c->aparams));
	return rc;
}

static void
post_wait(struct wg_conn *c)
{
	struct capos_sqe e;

	rt_prep_call(&e, c->handle, capos_ProcessHandle_INTERFACE_ID,
	    capos_ProcessHandle_wait_ORDINAL, NULL, c->wbuf, sizeof(c->wbuf),
	    NULL, 0, 0);
	if (rt_submit(&e) != 0) {
		close_stream(c, TS_CLOSE_EXITED, "cannot wait for the shell");
		return;
	}
	c->wtag = e.user_data;
	c->waiting = true;
}

/* capos-shell on this connection's terminal, through shell-launcher,
 * with the first profile the broker allows. */
static void
start_shell(struct wg_conn *c)
{
	static const char *const profiles[] = { "operator", "guest" };
	const char *profile = "";
	char why[48];

	c->handle = remote_shell_launch(wg_shells, wg_owner, c->badge,
	    c->session, profiles, sizeof(profiles) / sizeof(profiles[0]),
	    &profile, why, sizeof(why));
	if (c->handle == CAPOS_CAP_NULL) {
		rt_printf("[web-gateway] conn %u no shell: %s\n", c->id, why);
		say(c, "web-gateway: no shell for this account: ");
		say(c, why);
		say(c, "\n");
		close_stream(c, TS_CLOSE_EXITED, "no shell");
		return;
	}
	c->login = WG_L_SHELL;
	rt_debug("[web-gateway] conn %u shell started (profile %s)\n", c->id,
	    profile);
	post_wait(c);
}

static void
prompt_name(struct wg_conn *c)
{
	c->login = WG_L_NAME;
	say(c, "username> ");
	if (term_read_local(&c->term, true) != 0)
		close_stream(c, TS_CLOSE_PROTOCOL, "terminal busy");
}

/* Auth's answer to the password: s the session, or CAPOS_CAP_NULL
 * (denied: refused by auth, not failed). */
static void
password_done(struct wg_conn *c, capos_cap_t s, bool denied)
{
	if (s == CAPOS_CAP_NULL) {
		rt_printf("[web-gateway] conn %u login refused\n", c->id);
		say(c, denied ? "Login incorrect.\n" :
		    "web-gateway: the session manager failed\n");
		if (++c->tries >= WG_LOGIN_TRIES) {
			close_stream(c, TS_CLOSE_NORMAL, "too many login "
			    "failures");
			return;
		}
		prompt_name(c);
		return;
	}
	c->session = s;
	rt_printf("[web-gateway] conn %u logged in as %s\n", c->id, c->name);
	start_shell(c);
}

/* A line of the login ended: the name, then the password; then auth
 * decides, and password_done goes on. */
static void
login_line(struct wg_conn *c)
{
	c->line_ready = false;
	if (c->line_how != TERM_LINE_OK) {
		wipe(c->line, sizeof(c->line));
		if (c->line_how == TERM_LINE_EOF ||
		    c->line_how == TERM_LINE_CLOSED) {
			close_stream(c, TS_CLOSE_NORMAL, "login cancelled");
			return;
		}
		say(c, "\n");
		prompt_name(c);
		return;
	}
	if (c->login == WG_L_NAME) {
		if (c->line_len == 0 || c->line_len > WG_NAME_MAX) {
			prompt_name(c);
			return;
		}
		memcpy(c->name, c->line, c->line_len);
		c->name[c->line_len] = '\0';
		c->name_len = c->line_len;
		c->login = WG_L_PASSWORD;
		say(c, "password> ");
		if (term_read_local(&c->term, false) != 0)
			close_stream(c, TS_CLOSE_PROTOCOL, "terminal busy");
		return;
	}
	if (c->line_len > WG_PASSWORD_MAX) {
		wipe(c->line, sizeof(c->line));
		c->line_len = 0;
	}
	say(c, "\n");
	if (login_call(c) != 0)
		password_done(c, CAPOS_CAP_NULL, false);
}

/* ---- Starting and ending ---- */

void
conn_start(struct wg_conn *c, capos_cap_t sock, uint32_t id, uint64_t badge)
{
	memset(c, 0, sizeof(*c));
	c->state = WG_LIVE;
	c->phase = WG_P_TLS;
	c->id = id;
	c->badge = badge;
	c->sock = sock;
	c->session = c->handle = CAPOS_CAP_NULL;
	c->deadline_ns = rt_now_ns() + WG_START_S * 1000000000ull;
	http_parser_init(&c->hp);
	term_init(&c->term, &term_ops, c);
	if (tls_accept_mem(&c->tls) != 0)
		begin_closing(c, "no memory for TLS");
}

/* Ends the session, and checks that it has: info must now fail. True
 * when it did. */
static bool
end_session(capos_cap_t session, uint32_t id)
{
	struct rt_result res;

	bool gone;

	(void)rt_call(session, capos_UserSession_INTERFACE_ID,
	    capos_UserSession_logout_ORDINAL, NULL, NULL, 0, cres, sizeof(cres),
	    &res);
	gone = rt_call(session, capos_UserSession_INTERFACE_ID,
	    capos_UserSession_info_ORDINAL, NULL, NULL, 0, cres, sizeof(cres),
	    &res) == RT_EXCEPTION;

	if (gone)
		rt_debug("[web-gateway] conn %u session ended\n", id);
	else
		rt_warn("[web-gateway] conn %u session STILL LIVE after "
		    "logout\n", id);
	(void)rt_release(session);
	return gone;
}

static void
reap(struct wg_conn *c)
{
	if (c->state != WG_ENDING || c->rbusy || c->sbusy || c->waiting ||
	    c->acall != WG_A_NONE)
		return;
	/* A browser gone without logout (a closed tab, a dropped network):
	 * its shell has ended and its session is revoked. */
	if (c->hung_up && c->revoked && c->exited)
		rt_debug("[proof] web-hangup ok: conn %u ended (%s) with its "
		    "shell running; the shell exited (status %u) and its "
		    "session is revoked\n", c->id, c->why, c->status);
	if (c->handle != CAPOS_CAP_NULL)
		(void)rt_release(c->handle);
	c->handle = CAPOS_CAP_NULL;
	rt_debug("[web-gateway] conn %u freed\n", c->id);
	c->state = WG_FREE;
}

void
conn_end(struct wg_conn *c, const char *why)
{
	struct rt_result res;

	if (c->state != WG_LIVE)
		return;
	c->state = WG_ENDING;
	c->why = why;
	c->hung_up = c->login == WG_L_SHELL && !c->exited;
	rt_printf("[web-gateway] conn %u closed: %s%s\n", c->id, why,
	    c->hung_up ? ", its shell hung up" : "");
	term_hangup(&c->term);
	if (c->session != CAPOS_CAP_NULL) {
		c->revoked = end_session(c->session, c->id);
		c->session = CAPOS_CAP_NULL;
	}
	tls_close(&c->tls);
	wipe(c->line, sizeof(c->line));
	(void)rt_call(c->sock, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_close_ORDINAL, NULL, NULL, 0, cres, sizeof(cres),
	    &res);
	(void)rt_release(c->sock);
	c->sock = CAPOS_CAP_NULL;
	reap(c);
}

/* ---- HTTP ---- */

static bool
same_nocase(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++) {
		char x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

/* The fields every response carries: what the page may load (its own
 * files and its own WebSocket, no inline script), that nothing is cached
 * or framed, and that the browser keeps to HTTPS. The page itself also
 * names its style nonce (below). */
static struct http_out_field fields[10];
static char csp[448];

static size_t
fields_with_nonce(const char *type, const char *nonce)
{
	size_t n = 0;

	(void)fmt_snprintf(csp, sizeof(csp), "default-src 'none'; "
	    "script-src 'self'; style-src 'self'%s%s%s; "
	    "connect-src wss://%s %s; base-uri 'none'; form-action 'none'; "
	    "frame-ancestors 'none'", nonce != NULL ? " 'nonce-" : "",
	    nonce != NULL ? nonce : "", nonce != NULL ? "'" : "", wg_host,
	    wg_origin);
	fields[n++] = (struct http_out_field){ "Content-Security-Policy", csp };
	fields[n++] = (struct http_out_field){ "Cache-Control", "no-store" };
	fields[n++] = (struct http_out_field){ "Strict-Transport-Security",
	    "max-age=31536000" };
	fields[n++] = (struct http_out_field){ "X-Content-Type-Options",
	    "nosniff" };
	fields[n++] = (struct http_out_field){ "X-Frame-Options", "DENY" };
	fields[n++] = (struct http_out_field){ "Referrer-Policy",
	    "no-referrer" };
	if (type != NULL)
		fields[n++] = (struct http_out_field){ "Content-Type", type };
	return n;
}

static size_t
security_fields(const char *type)
{
	return fields_with_nonce(type, NULL);
}

/* The Set-Cookie field that drops the passkey login's cookie. */
static const struct http_out_field drop_cookie = { "Set-Cookie",
    WG_COOKIE_NAME "=; Path=/term; Max-Age=0; Secure; HttpOnly; "
    "SameSite=Strict" };

/* A refusal with the security fields (and extra, when not NULL), then
 * the connection closes. */
static void
refuse_with(struct wg_conn *c, int status, const char *why,
    const struct http_out_field *extra)
{
	static const char body[] = "refused\n";
	char *h = (char *)mtmp;
	size_t nf = security_fields("text/plain; charset=utf-8");
	int n;

	if (status == 426)
		fields[nf++] = (struct http_out_field){
		    "Sec-WebSocket-Version", "13" };
	if (extra != NULL)
		fields[nf++] = *extra;
	rt_printf("[web-gateway] conn %u refused %d: %s\n", c->id, status,
	    why);
	n = http_write_head(h, sizeof(mtmp), status, fields, nf,
	    sizeof(body) - 1, false);
	if (n > 0 && queue_plain(c, h, (size_t)n))
		(void)queue_plain(c, body, sizeof(body) - 1);
	begin_closing(c, why);
}

static void
refuse(struct wg_conn *c, int status, const char *why)
{
	refuse_with(c, status, why, NULL);
}

/* A whole answer with the security fields, then the connection closes. */
static void
respond(struct wg_conn *c, int status, const char *type,
    const struct http_out_field *extra, const void *body, size_t len)
{
	size_t nf = security_fields(type);
	int n;

	if (extra != NULL)
		fields[nf++] = *extra;
	n = http_write_head((char *)mtmp, sizeof(mtmp), status, fields, nf,
	    len, false);
	if (n > 0 && queue_plain(c, mtmp, (size_t)n) && len > 0)
		(void)queue_plain(c, body, len);
	begin_closing(c, "answered");
}

/* Host must name us exactly; Origin, when sent (or when required), must
 * be our origin exactly. 0, or the refusal already queued. */
static int
check_host_origin(struct wg_conn *c, bool need_origin)
{
	const char *v;
	size_t len;

	v = http_field(&c->hp, "host", &len);
	if (v == NULL || !same_nocase(v, len, wg_host)) {
		refuse(c, 421, "wrong Host");
		return -1;
	}
	v = http_field(&c->hp, "origin", &len);
	if (v == NULL ? need_origin : !same_nocase(v, len, wg_origin)) {
		refuse(c, 403, v == NULL ? "no Origin" : "wrong Origin");
		return -1;
	}
	return 0;
}

/* ---- Passkeys (docs/web.md, "Passkeys") ---- */

/*
 * A passkey login's session, waiting for its terminal: the browser holds
 * its cookie (HttpOnly, for /term only) and the WebSocket upgrade that
 * carries it takes the session, once. WG_TICKETS at most; a login that
 * finds none free is refused (503) and its session ended. A ticket not
 * taken within WG_TICKET_S ends its session (tickets_tick).
 */
static struct wg_ticket {
	bool live;
	uint32_t conn;			/* the login's, for the console */
	uint8_t cookie[WG_COOKIE_LEN];
	capos_cap_t session;
	uint64_t expires_ns;
} tickets[WG_TICKETS];

static void
ticket_free(struct wg_ticket *t)
{
	wipe(t->cookie, sizeof(t->cookie));
	t->live = false;
	t->session = CAPOS_CAP_NULL;
}

void
tickets_tick(uint64_t now)
{
	for (size_t i = 0; i < WG_TICKETS; i++) {
		struct wg_ticket *t = &tickets[i];

		if (!t->live || now < t->expires_ns)
			continue;
		rt_printf("[web-gateway] conn %u passkey login expired before "
		    "its terminal came\n", t->conn);
		(void)end_session(t->session, t->conn);
		ticket_free(t);
	}
}

static int
hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/*
 * The upgrade's cookie, if it has one: 1 with the ticket's session taken
 * into the connection; 0 when the request carries no cookie of ours; -1
 * when it carries one that names no live ticket (stale: used, expired or
 * made up). Every live ticket is compared, in constant time.
 */
static int
take_ticket(struct wg_conn *c)
{
	static const char name[] = WG_COOKIE_NAME "=";
	uint8_t want[WG_COOKIE_LEN];
	struct wg_ticket *found = NULL;
	const char *v, *p = NULL;
	size_t len;

	v = http_field(&c->hp, "cookie", &len);
	for (size_t i = 0; v != NULL && i + sizeof(name) - 1 <= len; i++)
		if ((i == 0 || v[i - 1] == ' ' || v[i - 1] == ';') &&
		    memcmp(v + i, name, sizeof(name) - 1) == 0) {
			p = v + i + sizeof(name) - 1;
			len -= i + sizeof(name) - 1;
			break;
		}
	if (p == NULL)
		return 0;
	if (len < 2 * WG_COOKIE_LEN || (len > 2 * WG_COOKIE_LEN &&
	    p[2 * WG_COOKIE_LEN] != ';'))
		return -1;
	for (size_t i = 0; i < WG_COOKIE_LEN; i++) {
		int hi = hex_value(p[2 * i]), lo = hex_value(p[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		want[i] = (uint8_t)(hi << 4 | lo);
	}
	for (size_t i = 0; i < WG_TICKETS; i++) {
		uint8_t d = 0;

		for (size_t k = 0; k < WG_COOKIE_LEN; k++)
			d |= (uint8_t)(tickets[i].cookie[k] ^ want[k]);
		if (tickets[i].live && d == 0 &&
		    rt_now_ns() < tickets[i].expires_ns)
			found = &tickets[i];
	}
	wipe(want, sizeof(want));
	if (found == NULL)
		return -1;
	c->session = found->session;
	c->ticketed = true;
	ticket_free(found);
	return 1;
}

/* POST /passkey/challenge: auth's challenge and RP ID, as JSON. */
static void
post_challenge(struct wg_conn *c)
{
	struct capos_SessionManager_passkeyChallenge_Params_b p;
	struct capos_SessionManager_passkeyChallenge_Results_r r;
	struct capnp_builder b;
	struct capnp_data ch = { 0 };
	struct capnp_text rp = { 0 };
	struct rt_result res;
	char enc[64], json[192];
	int n;

	if (capnp_builder_init(&b, cbuf, sizeof(cbuf)) != 0 ||
	    capos_SessionManager_passkeyChallenge_Params_init_root(&b,
	    &p) != 0 ||
	    capos_SessionManager_passkeyChallenge_Params_set_source(&p,
	    c->source, strlen(c->source)) != 0 ||
	    rt_call(wg_manager, capos_SessionManager_INTERFACE_ID,
	    capos_SessionManager_passkeyChallenge_ORDINAL, &b, NULL, 0, cres,
	    sizeof(cres), &res) != 0) {
		refuse(c, 503, "no passkey challenge");
		return;
	}
	r.s = res.root;
	if (capos_SessionManager_passkeyChallenge_Results_get_challenge(&r,
	    &ch) != 0 || ch.len != capos_SessionManager_challengeLen ||
	    capos_SessionManager_passkeyChallenge_Results_get_rpId(&r,
	    &rp) != 0 || rp.len == 0 || rp.len > 100 ||
	    crypto_base64(ch.ptr, ch.len, true, enc, sizeof(enc)) < 0) {
		refuse(c, 503, "a bad answer from auth");
		return;
	}
	/* The RP ID is auth's configured host name: letters, digits, '.'
	 * and '-' only (passkey_configure), so it needs no escaping. */
	n = fmt_snprintf(json, sizeof(json), "{\"challenge\":\"%s\","
	    "\"rpId\":\"%.*s\"}", enc, (int)rp.len, rp.str);
	if (n <= 0 || (size_t)n >= sizeof(json)) {
		refuse(c, 503, "a bad answer from auth");
		return;
	}
	respond(c, 200, "application/json", NULL, json, (size_t)n);
}

/* One field of the login's body: a 2-byte length and its bytes. */
static bool
field(const uint8_t **p, size_t *left, size_t max, struct capnp_data *out)
{
	size_t n;

	if (*left < 2)
		return false;
	n = (size_t)(*p)[0] << 8 | (*p)[1];
	if (n > max || n > *left - 2)
		return false;
	out->ptr = *p + 2;
	out->len = n;
	*p += 2 + n;
	*left -= 2 + n;
	return true;
}

/*
 * POST /passkey/login: credential id, clientDataJSON, authenticatorData,
 * signature and user handle, each a field; auth decides (passkey_done).
 */
static void
post_login(struct wg_conn *c)
{
	struct capos_SessionManager_loginPasskey_Params_b p;
	struct capnp_data f[5];
	static const size_t max[5] = { capos_SessionManager_maxCredentialId,
	    capos_SessionManager_maxClientData,
	    capos_SessionManager_maxAuthenticatorData,
	    capos_SessionManager_maxPasskeySignature,
	    capos_SessionManager_userHandleLen };
	const uint8_t *q = c->msg;
	size_t left = c->msg_len;
	struct capnp_builder b;

	for (size_t i = 0; i < 5; i++)
		if (!field(&q, &left, max[i], &f[i])) {
			refuse(c, 400, "malformed passkey login");
			return;
		}
	if (left != 0) {
		refuse(c, 400, "malformed passkey login");
		return;
	}
	if (capnp_builder_init(&b, c->aparams, sizeof(c->aparams)) != 0 ||
	    capos_SessionManager_loginPasskey_Params_init_root(&b, &p) != 0 ||
	    capos_SessionManager_loginPasskey_Params_set_credentialId(&p,
	    f[0].ptr, f[0].len) != 0 ||
	    capos_SessionManager_loginPasskey_Params_set_clientDataJson(&p,
	    f[1].ptr, f[1].len) != 0 ||
	    capos_SessionManager_loginPasskey_Params_set_authenticatorData(&p,
	    f[2].ptr, f[2].len) != 0 ||
	    capos_SessionManager_loginPasskey_Params_set_signature(&p,
	    f[3].ptr, f[3].len) != 0 ||
	    capos_SessionManager_loginPasskey_Params_set_userHandle(&p,
	    f[4].ptr, f[4].len) != 0 ||
	    capos_SessionManager_loginPasskey_Params_set_source(&p, c->source,
	    strlen(c->source)) != 0 ||
	    post_auth(c, WG_A_PASSKEY, capos_SessionManager_loginPasskey_ORDINAL,
	    &b) != 0) {
		wipe(c->aparams, sizeof(c->aparams));
		refuse(c, 503, "the session manager failed");
	}
}

/* Auth's answer to a passkey login (answered: a result came, s its
 * session or CAPOS_CAP_NULL): a session is kept as a ticket whose cookie
 * the answer sets. */
static void
passkey_done(struct wg_conn *c, capos_cap_t s, bool answered)
{
	struct wg_ticket *t = NULL;
	char cookie[160], hex[2 * WG_COOKIE_LEN + 1];

	if (!answered) {
		refuse(c, 503, "the session manager failed");
		return;
	}
	if (s == CAPOS_CAP_NULL) {
		rt_printf("[web-gateway] conn %u passkey login refused: no "
		    "session, no shell\n", c->id);
		refuse(c, 403, "passkey login refused");
		return;
	}
	for (size_t i = 0; i < WG_TICKETS && t == NULL; i++)
		if (!tickets[i].live)
			t = &tickets[i];
	if (t == NULL || wg_random(t->cookie, sizeof(t->cookie)) != 0) {
		(void)end_session(s, c->id);
		refuse(c, 503, t == NULL ? "too many logins waiting" :
		    "no random numbers");
		return;
	}
	t->live = true;
	t->conn = c->id;
	t->session = s;
	t->expires_ns = rt_now_ns() + WG_TICKET_S * 1000000000ull;
	for (size_t i = 0; i < WG_COOKIE_LEN; i++)
		(void)fmt_snprintf(hex + 2 * i, 3, "%02x", t->cookie[i]);
	(void)fmt_snprintf(cookie, sizeof(cookie), WG_COOKIE_NAME "=%s; "
	    "Path=/term; Max-Age=%u; Secure; HttpOnly; SameSite=Strict", hex,
	    WG_TICKET_S);
	wipe(hex, sizeof(hex));
	rt_printf("[web-gateway] conn %u passkey login accepted: its terminal "
	    "may attach for %u s\n", c->id, WG_TICKET_S);
	respond(c, 204, NULL, &(struct http_out_field){ "Set-Cookie", cookie },
	    NULL, 0);
	wipe(cookie, sizeof(cookie));
}

/*
 * POST /passkey/enrol-options: the body is an enrolment code (from the
 * page's fragment, docs/web.md "Enrolment by code"); auth's options for
 * navigator.credentials.create, as JSON, or 403 when the code is not
 * live. The code is never written to the console.
 */
static void
post_enrol_options(struct wg_conn *c)
{
	struct capos_SessionManager_enrolCodeOptions_Params_b p;
	struct capos_SessionManager_enrolCodeOptions_Results_r r;
	struct capnp_data ch = { 0 }, h = { 0 };
	struct capnp_text rp = { 0 }, name = { 0 };
	struct capnp_builder b;
	struct rt_result res;
	char ench[64], ench2[32], json[256];
	int rc = -1, n;

	if (c->msg_len == 0 || c->msg_len > 64) {
		refuse(c, 400, "malformed enrolment code");
		return;
	}
	if (capnp_builder_init(&b, cbuf, sizeof(cbuf)) == 0 &&
	    capos_SessionManager_enrolCodeOptions_Params_init_root(&b,
	    &p) == 0 &&
	    capos_SessionManager_enrolCodeOptions_Params_set_code(&p,
	    (const char *)c->msg, c->msg_len) == 0 &&
	    capos_SessionManager_enrolCodeOptions_Params_set_source(&p,
	    c->source, strlen(c->source)) == 0)
		rc = rt_call(wg_manager, capos_SessionManager_INTERFACE_ID,
		    capos_SessionManager_enrolCodeOptions_ORDINAL, &b, NULL, 0,
		    cres, sizeof(cres), &res);
	wipe(cbuf, sizeof(cbuf));
	if (rc == RT_EXCEPTION) {
		rt_printf("[web-gateway] conn %u passkey enrolment by code "
		    "refused: no such code\n", c->id);
		refuse(c, 403, "no such enrolment code");
		return;
	}
	r.s = res.root;
	/* The RP ID is auth's host name and the account a name of
	 * [a-z0-9_-] (account.h): neither needs escaping. */
	if (rc != 0 ||
	    capos_SessionManager_enrolCodeOptions_Results_get_challenge(&r,
	    &ch) != 0 || ch.len != capos_SessionManager_challengeLen ||
	    capos_SessionManager_enrolCodeOptions_Results_get_userHandle(&r,
	    &h) != 0 || h.len != capos_SessionManager_userHandleLen ||
	    capos_SessionManager_enrolCodeOptions_Results_get_rpId(&r,
	    &rp) != 0 || rp.len == 0 || rp.len > 100 ||
	    capos_SessionManager_enrolCodeOptions_Results_get_account(&r,
	    &name) != 0 || name.len == 0 || name.len > 31 ||
	    crypto_base64(ch.ptr, ch.len, true, ench, sizeof(ench)) < 0 ||
	    crypto_base64(h.ptr, h.len, true, ench2, sizeof(ench2)) < 0) {
		refuse(c, 503, "a bad answer from auth");
		return;
	}
	n = fmt_snprintf(json, sizeof(json), "{\"challenge\":\"%s\","
	    "\"userHandle\":\"%s\",\"rpId\":\"%.*s\",\"account\":\"%.*s\"}",
	    ench, ench2, (int)rp.len, rp.str, (int)name.len, name.str);
	if (n <= 0 || (size_t)n >= sizeof(json)) {
		refuse(c, 503, "a bad answer from auth");
		return;
	}
	respond(c, 200, "application/json", NULL, json, (size_t)n);
}

/*
 * POST /passkey/enrol: the code, clientDataJSON and attestationObject,
 * each a field; auth spends the code and records the passkey. 204 when
 * it is recorded, else 403.
 */
static void
post_enrol(struct wg_conn *c)
{
	struct capos_SessionManager_enrolByCode_Params_b p;
	struct capos_SessionManager_enrolByCode_Results_r r;
	static const size_t max[3] = { 64, capos_SessionManager_maxClientData,
	    capos_SessionManager_maxAttestation };
	struct capnp_data f[3];
	const uint8_t *q = c->msg;
	size_t left = c->msg_len;
	struct capnp_builder b;
	struct rt_result res;
	uint16_t reason;
	int rc = -1;

	for (size_t i = 0; i < 3; i++)
		if (!field(&q, &left, max[i], &f[i])) {
			refuse(c, 400, "malformed passkey enrolment");
			return;
		}
	if (left != 0) {
		refuse(c, 400, "malformed passkey enrolment");
		return;
	}
	if (capnp_builder_init(&b, cbuf, sizeof(cbuf)) == 0 &&
	    capos_SessionManager_enrolByCode_Params_init_root(&b, &p) == 0 &&
	    capos_SessionManager_enrolByCode_Params_set_code(&p,
	    (const char *)f[0].ptr, f[0].len) == 0 &&
	    capos_SessionManager_enrolByCode_Params_set_clientDataJson(&p,
	    f[1].ptr, f[1].len) == 0 &&
	    capos_SessionManager_enrolByCode_Params_set_attestationObject(&p,
	    f[2].ptr, f[2].len) == 0 &&
	    capos_SessionManager_enrolByCode_Params_set_source(&p, c->source,
	    strlen(c->source)) == 0)
		rc = rt_call(wg_manager, capos_SessionManager_INTERFACE_ID,
		    capos_SessionManager_enrolByCode_ORDINAL, &b, NULL, 0, cres,
		    sizeof(cres), &res);
	wipe(cbuf, sizeof(cbuf));
	if (rc != 0) {
		refuse(c, 503, "the session manager failed");
		return;
	}
	r.s = res.root;
	reason = (uint16_t)capos_SessionManager_enrolByCode_Results_get_reason(
	    &r);
	rt_printf("[web-gateway] conn %u passkey enrolment by code: reason "
	    "%u\n", c->id, reason);
	if (reason != capos_AuthReason_ok) {
		refuse(c, 403, "passkey enrolment refused");
		return;
	}
	respond(c, 204, NULL, NULL, NULL, 0);
}

static void
upgrade(struct wg_conn *c)
{
	char accept[WS_ACCEPT_LEN + 1];
	uint8_t id[TS_ID_LEN];
	int rc, n;

	if ((rc = ws_handshake_check(&c->hp, accept)) != 0) {
		refuse(c, rc, "not a WebSocket upgrade");
		return;
	}
	/* The session's id: 16 random bytes, or no session at all. */
	if (wg_random(id, sizeof(id)) != 0 ||
	    ts_server_init(&c->ts, id, WG_IN_WINDOW) != 0) {
		refuse(c, 503, "no random numbers");
		return;
	}
	/* A passkey login's cookie brings its session, once; a cookie that
	 * names none is refused (and dropped), so no shell starts. */
	if (take_ticket(c) < 0) {
		refuse_with(c, 403, "stale login cookie", &drop_cookie);
		rt_debug("[proof] web-stale-cookie refused: conn %u has no "
		    "session and no shell\n", c->id);
		return;
	}
	{
		const struct http_out_field f[] = {
			{ "Upgrade", "websocket" },
			{ "Connection", "Upgrade" },
			{ "Sec-WebSocket-Accept", accept },
			drop_cookie,
		};

		n = http_write_head((char *)mtmp, sizeof(mtmp), 101, f,
		    c->ticketed ? 4 : 3, 0, true);
	}
	if (n <= 0 || !queue_plain(c, mtmp, (size_t)n))
		return;
	ws_conn_init(&c->ws, TS_MAX_MESSAGE);
	c->phase = WG_P_WS;
	rt_debug("[web-gateway] conn %u WebSocket open%s\n", c->id,
	    c->ticketed ? " with a passkey login" : "");
}

/*
 * The page with a fresh style nonce: 16 random bytes in base64, written
 * over the page's NONCE_MARK (once, in its script element) into msg
 * (unused before an upgrade), and named by the response's CSP. xterm.js
 * inserts <style> elements, which style-src 'self' alone refuses; the
 * page's script stamps this nonce on them (docs/web.md, "The page").
 * The page's length, or 0 without random bytes or the mark.
 */
#define NONCE_MARK	"@NONCE@"

static size_t
with_nonce(struct wg_conn *c, const struct wg_file *f, char *nonce,
    size_t room)
{
	const size_t mlen = sizeof(NONCE_MARK) - 1;
	uint8_t r[16];
	size_t at, nlen;

	for (at = 0; at + mlen <= f->len; at++)
		if (memcmp(f->data + at, NONCE_MARK, mlen) == 0)
			break;
	if (at + mlen > f->len || wg_random(r, sizeof(r)) != 0 ||
	    crypto_base64(r, sizeof(r), true, nonce, room) < 0)
		return 0;
	nlen = strlen(nonce);
	if (f->len - mlen + nlen > sizeof(c->msg))
		return 0;
	memcpy(c->msg, f->data, at);
	memcpy(c->msg + at, nonce, nlen);
	memcpy(c->msg + at + nlen, f->data + at + mlen, f->len - at - mlen);
	return f->len - mlen + nlen;
}

/* The head of a request is in: route it. */
static void
request(struct wg_conn *c)
{
	const char *t;
	size_t tlen, nf;
	bool term;
	int rc, n;

	t = http_target(&c->hp, &tlen);
	term = tlen == 5 && memcmp(t, "/term", 5) == 0;
	if (tlen == 18 && memcmp(t, "/passkey/challenge", 18) == 0)
		c->post = WG_POST_CHALLENGE;
	else if (tlen == 14 && memcmp(t, "/passkey/login", 14) == 0)
		c->post = WG_POST_LOGIN;
	else if (tlen == 22 && memcmp(t, "/passkey/enrol-options", 22) == 0)
		c->post = WG_POST_ENROL_OPTIONS;
	else if (tlen == 14 && memcmp(t, "/passkey/enrol", 14) == 0)
		c->post = WG_POST_ENROL;
	if (c->post != WG_POST_NONE)
		rc = http_route(&c->hp, HTTP_POST, c->post == WG_POST_CHALLENGE ?
		    0 : WG_POST_MAX);
	else
		rc = http_route(&c->hp, HTTP_GET | HTTP_HEAD, 0);
	if (rc < 0) {
		refuse(c, -rc, "request refused");
		return;
	}
	if (check_host_origin(c, term || c->post != WG_POST_NONE) != 0)
		return;
	if (term) {
		upgrade(c);
		return;
	}
	/* A POST is answered at its end, its body (bound WG_POST_MAX, the
	 * route's) gathered in msg. */
	if (c->post != WG_POST_NONE) {
		c->msg_len = 0;
		return;
	}
	for (size_t i = 0; i < wg_nfiles; i++) {
		const struct wg_file *f = &wg_files[i];
		const uint8_t *body = f->data;
		size_t len = f->len;
		char nonce[32];

		if (strlen(f->path) != tlen || memcmp(f->path, t, tlen) != 0)
			continue;
		nonce[0] = '\0';
		if (strcmp(f->path, "/") == 0 &&
		    (len = with_nonce(c, f, nonce, sizeof(nonce))) == 0) {
			refuse(c, 503, "no random numbers");
			return;
		}
		if (nonce[0] != '\0')
			body = c->msg;
		nf = fields_with_nonce(f->type, nonce[0] != '\0' ? nonce :
		    NULL);
		n = http_write_head((char *)mtmp, sizeof(mtmp), 200, fields, nf,
		    len, false);
		if (n <= 0 || !queue_plain(c, mtmp, (size_t)n))
			return;
		if (c->hp.method == HTTP_GET) {
			c->body = body;
			c->body_left = len;
		}
		begin_closing(c, "page served");
		return;
	}
	refuse(c, 404, "no such file");
}

/* Takes plaintext as HTTP until a response is queued. */
static bool
http_step(struct wg_conn *c)
{
	size_t used;
	int ev;

	/* A POST's end may come with no byte left (an empty body). Nothing
	 * more is taken while its login is with auth. */
	if ((c->pin_len == 0 && c->post == WG_POST_NONE) || c->closing ||
	    c->acall != WG_A_NONE)
		return false;
	ev = http_parse(&c->hp, c->pin + c->pin_off, c->pin_len, &used);
	c->pin_off += used;
	c->pin_len -= used;
	if (ev == HTTP_EV_MORE)
		return used > 0;
	if (ev < 0) {
		refuse(c, -ev, "malformed request");
	} else if (ev == HTTP_EV_HEAD) {
		request(c);
	} else if (ev == HTTP_EV_BODY && c->post != WG_POST_NONE) {
		/* http_route bounds the body by WG_POST_MAX < sizeof(msg). */
		if (c->hp.body_len > sizeof(c->msg) - c->msg_len) {
			refuse(c, 413, "body past its bound");
			return true;
		}
		memcpy(c->msg + c->msg_len, c->hp.body, c->hp.body_len);
		c->msg_len += c->hp.body_len;
	} else if (ev == HTTP_EV_END && c->post != WG_POST_NONE) {
		if (c->post == WG_POST_CHALLENGE)
			post_challenge(c);
		else if (c->post == WG_POST_LOGIN)
			post_login(c);
		else if (c->post == WG_POST_ENROL_OPTIONS)
			post_enrol_options(c);
		else
			post_enrol(c);
		wipe(c->msg, c->msg_len);
		c->msg_len = 0;
		c->post = WG_POST_NONE;
	}
	return true;
}

/* ---- The terminal stream ---- */

static void
ts_violation(struct wg_conn *c, int err)
{
	uint16_t code = ts_close_code(err);

	rt_printf("[web-gateway] conn %u terminal stream closed %u\n", c->id,
	    code);
	close_stream(c, code, code == TS_CLOSE_FLOW ? "flow-control violation" :
	    "protocol violation");
}

static void
welcome(struct wg_conn *c, const struct ts_event *ev)
{
	uint8_t m[64];
	int n;

	/* Sessions do not outlive their connection yet: nothing to resume. */
	if (ev->resume) {
		close_stream(c, TS_CLOSE_GONE, "no such session");
		return;
	}
	if ((n = ts_write_welcome(&c->ts, m, sizeof(m))) <= 0 ||
	    !queue_frame(c, WS_OP_BINARY, m, (size_t)n))
		return;
	term_resize(&c->term, ev->cols, ev->rows, false);
	/* The page may be reached now: the connection may idle as a
	 * terminal does. */
	(void)tcp_set_idle_timeout(c->sock, WG_IDLE_TERM_MS);
	rt_printf("[web-gateway] conn %u terminal %ux%u\n", c->id, ev->cols,
	    ev->rows);
	if (c->ticketed) {
		say(c, "capOS web terminal. Logged in with a passkey.\n");
		rt_printf("[web-gateway] conn %u logged in with a passkey\n",
		    c->id);
		start_shell(c);
		return;
	}
	say(c, "capOS web terminal. Log in with your account's password.\n");
	prompt_name(c);
}

/* The browser asks to enrol a passkey for the login: auth's challenge,
 * bound to this session, goes to the page; without a login, or without
 * a challenge, the answer is a result with the reason. */
static void
enrol_begin(struct wg_conn *c)
{
	struct capos_UserSession_enrolChallenge_Results_r r;
	struct capnp_data ch = { 0 }, h = { 0 };
	struct capnp_text rp = { 0 }, name = { 0 };
	struct rt_result res;
	char rps[TS_MAX_NAME + 1], ns[TS_MAX_NAME + 1];
	uint8_t m[256];
	int n = -1;

	if (c->login == WG_L_SHELL && rt_call(c->session,
	    capos_UserSession_INTERFACE_ID,
	    capos_UserSession_enrolChallenge_ORDINAL, NULL, NULL, 0, cres,
	    sizeof(cres), &res) == 0) {
		r.s = res.root;
		if (capos_UserSession_enrolChallenge_Results_get_challenge(&r,
		    &ch) == 0 && ch.len == TS_CHALLENGE_LEN &&
		    capos_UserSession_enrolChallenge_Results_get_userHandle(&r,
		    &h) == 0 && h.len == TS_HANDLE_LEN &&
		    capos_UserSession_enrolChallenge_Results_get_rpId(&r,
		    &rp) == 0 && rp.len > 0 && rp.len <= TS_MAX_NAME &&
		    capos_UserSession_enrolChallenge_Results_get_account(&r,
		    &name) == 0 && name.len > 0 && name.len <= TS_MAX_NAME) {
			memcpy(rps, rp.str, rp.len);
			rps[rp.len] = '\0';
			memcpy(ns, name.str, name.len);
			ns[name.len] = '\0';
			n = ts_write_enrol_options(&c->ts, ch.ptr, h.ptr, rps,
			    ns, m, sizeof(m));
		}
	}
	if (n <= 0) {
		rt_printf("[web-gateway] conn %u passkey enrolment: no "
		    "challenge\n", c->id);
		n = ts_write_enrol_result(&c->ts, capos_AuthReason_malformed, m,
		    sizeof(m));
	}
	if (n > 0)
		(void)queue_frame(c, WS_OP_BINARY, m, (size_t)n);
}

static void
enrol_finish(struct wg_conn *c, const struct ts_event *ev)
{
	struct capos_UserSession_enrolPasskey_Params_b p;
	struct capos_UserSession_enrolPasskey_Results_r r;
	struct capnp_builder b;
	struct rt_result res;
	uint16_t reason = capos_AuthReason_malformed;
	uint8_t m[8];
	int n;

	if (c->login == WG_L_SHELL &&
	    capnp_builder_init(&b, cbuf, sizeof(cbuf)) == 0 &&
	    capos_UserSession_enrolPasskey_Params_init_root(&b, &p) == 0 &&
	    capos_UserSession_enrolPasskey_Params_set_clientDataJson(&p,
	    ev->data, ev->len) == 0 &&
	    capos_UserSession_enrolPasskey_Params_set_attestationObject(&p,
	    ev->data2, ev->len2) == 0 &&
	    rt_call(c->session, capos_UserSession_INTERFACE_ID,
	    capos_UserSession_enrolPasskey_ORDINAL, &b, NULL, 0, cres,
	    sizeof(cres), &res) == 0) {
		r.s = res.root;
		reason = (uint16_t)capos_UserSession_enrolPasskey_Results_get_reason(
		    &r);
	}
	rt_printf("[web-gateway] conn %u passkey enrolment: reason %u\n",
	    c->id, reason);
	if ((n = ts_write_enrol_result(&c->ts, reason, m, sizeof(m))) > 0)
		(void)queue_frame(c, WS_OP_BINARY, m, (size_t)n);
}

static void
ts_message(struct wg_conn *c)
{
	struct ts_event ev;
	int rc = ts_server_receive(&c->ts, c->msg, c->msg_len, &ev);

	c->msg_len = 0;
	if (rc < 0) {
		ts_violation(c, rc);
		return;
	}
	switch (ev.type) {
	case TS_EV_HELLO:
		welcome(c, &ev);
		break;
	case TS_EV_INPUT:
	case TS_EV_PASTE:
		/* Input in flight is at most the window granted, which is
		 * the stage's size (the engine closes with 4003 past it). */
		memmove(c->stage, c->stage + c->stage_off,
		    c->stage_len - c->stage_off);
		c->stage_len -= c->stage_off;
		c->stage_off = 0;
		if (ev.len > sizeof(c->stage) - c->stage_len) {
			ts_violation(c, TS_EFLOW);
			return;
		}
		memcpy(c->stage + c->stage_len, ev.data, ev.len);
		c->stage_len += ev.len;
		break;
	case TS_EV_RESIZE:
		term_resize(&c->term, ev.cols, ev.rows, true);
		rt_debug("[web-gateway] conn %u terminal resized to %ux%u\n",
		    c->id, ev.cols, ev.rows);
		break;
	case TS_EV_CANCEL:
		/* Typed bytes not yet delivered are dropped, and granted
		 * back: they no longer take room. */
		c->granted += (uint32_t)(c->stage_len - c->stage_off);
		c->stage_len = c->stage_off = 0;
		term_interrupt(&c->term);
		break;
	case TS_EV_CREDIT:
		break;
	case TS_EV_CLOSE:
		close_stream(c, TS_CLOSE_NORMAL, "the browser closed");
		break;
	case TS_EV_ENROL:
		enrol_begin(c);
		break;
	case TS_EV_ENROLLED:
		enrol_finish(c, &ev);
		break;
	}
}

/* One WebSocket event from the plaintext. */
static bool
ws_step(struct wg_conn *c)
{
	struct ws_event ev;
	size_t used;

	if (c->pin_len == 0 || c->closing ||
	    sizeof(c->pw) - c->pw_len < WG_REPLY_ROOM)
		return false;
	(void)ws_recv(&c->ws, c->pin + c->pin_off, c->pin_len, &used, &ev);
	c->pin_off += used;
	c->pin_len -= used;
	switch (ev.kind) {
	case WS_EV_MORE:
	case WS_EV_PONG:
		break;
	case WS_EV_DATA:
		if (ev.opcode != WS_OP_BINARY) {
			ts_violation(c, TS_EMALFORMED);
			break;
		}
		/* ws_conn_init's bound is TS_MAX_MESSAGE: it fits. */
		if (ev.len > sizeof(c->msg) - c->msg_len) {
			ts_violation(c, TS_EMALFORMED);
			break;
		}
		memcpy(c->msg + c->msg_len, ev.data, ev.len);
		c->msg_len += ev.len;
		if (ev.last)
			ts_message(c);
		break;
	case WS_EV_PING:
		(void)queue_frame(c, WS_OP_PONG, ev.data, ev.len);
		break;
	case WS_EV_CLOSE:
		close_stream(c, ev.code == 1005 ? WS_CLOSE_NORMAL : ev.code,
		    "the browser closed the WebSocket");
		break;
	case WS_EV_ERROR:
		rt_printf("[web-gateway] conn %u WebSocket refused: close "
		    "%u\n", c->id, ev.code);
		/* The stream cannot carry a message now: only the
		 * WebSocket's close goes out. */
		c->ts.phase = TS_P_CLOSED;
		close_stream(c, ev.code, "WebSocket protocol error");
		break;
	}
	return true;
}

/* ---- Moving bytes ---- */

static bool
terminal_step(struct wg_conn *c)
{
	bool moved = false;
	uint8_t g[16];
	int n;

	if (c->line_ready) {
		login_line(c);
		moved = true;
	}
	if (c->stage_off < c->stage_len) {
		size_t k = term_input(&c->term, c->stage + c->stage_off,
		    c->stage_len - c->stage_off);

		c->stage_off += k;
		c->granted += (uint32_t)k;
		if (c->stage_off == c->stage_len)
			c->stage_len = c->stage_off = 0;
		moved |= k > 0;
	}
	if (c->granted > 0 && c->ts.phase == TS_P_OPEN && !c->closing &&
	    sizeof(c->pw) - c->pw_len >= WG_REPLY_ROOM) {
		if ((n = ts_write_grant(&c->ts, c->granted, g,
		    sizeof(g))) < 0) {
			ts_violation(c, n);
			return true;
		}
		c->granted = 0;
		(void)queue_frame(c, WS_OP_BINARY, g, (size_t)n);
		moved = true;
	}
	/* Output as the browser's credit allows, one message a record. */
	if (c->sout_len > 0 && c->pw_len == 0 && c->ts.phase == TS_P_OPEN &&
	    !c->closing) {
		static uint8_t m[1 + WG_OUT_CHUNK];
		size_t taken;

		n = ts_write_output(&c->ts, c->sout, c->sout_len, m, sizeof(m),
		    &taken);
		if (n > 0 && queue_frame(c, WS_OP_BINARY, m, (size_t)n)) {
			memmove(c->sout, c->sout + taken, c->sout_len - taken);
			c->sout_len -= taken;
			moved = true;
		}
	}
	if (c->sout_len < WG_SOUT_BLOCK)
		term_drained(&c->term);
	if (c->exited && c->sout_len == 0 && c->ts.phase == TS_P_OPEN) {
		close_stream(c, TS_CLOSE_EXITED, "the shell exited");
		moved = true;
	}
	return moved;
}

/* Plaintext into TLS, once its out is empty. */
static bool
flush_plain(struct wg_conn *c)
{
	int rc;

	if (c->tls.ssl == NULL || c->tls.out_len != 0)
		return false;
	if (c->pw_len == 0 && c->body_left > 0) {
		size_t k = c->body_left < sizeof(c->pw) ? c->body_left :
		    sizeof(c->pw);

		memcpy(c->pw, c->body, k);
		c->pw_len = k;
		c->body += k;
		c->body_left -= k;
	}
	if (c->pw_len == 0)
		return false;
	rc = tls_write(&c->tls, c->pw, c->pw_len);
	if (rc == TLS_EAGAIN)
		return false;
	if (rc != 0) {
		conn_end(c, tls_strerror(rc));
		return false;
	}
	c->pw_len = 0;
	return true;
}

static bool
tls_step(struct wg_conn *c)
{
	int rc;

	if (c->phase == WG_P_TLS) {
		rc = tls_handshake(&c->tls);
		if (rc == TLS_EAGAIN)
			return false;
		if (rc != 0) {
			rt_printf("[web-gateway] conn %u handshake refused: %s "
			    "(wolfSSL %d)\n", c->id, tls_strerror(rc), rc);
			/* The alert wolfSSL wrote, if any, goes out first. */
			begin_closing(c, "TLS handshake failed");
			return true;
		}
		if (strcmp(tls_version(&c->tls), "TLSv1.3") != 0) {
			conn_end(c, "not TLS 1.3");
			return false;
		}
		rt_debug("[proof] web-tls13 ok: conn %u %s %s, signed by the "
		    "key vault\n", c->id, tls_version(&c->tls),
		    tls_cipher(&c->tls));
		c->phase = WG_P_HTTP;
		return true;
	}
	if (c->pin_len > 0 || c->closing || c->body_left > 0 ||
	    sizeof(c->pw) - c->pw_len < WG_REPLY_ROOM)
		return false;
	rc = tls_read(&c->tls, c->pin, sizeof(c->pin));
	if (rc > 0) {
		c->pin_off = 0;
		c->pin_len = (size_t)rc;
		return true;
	}
	if (rc == TLS_EAGAIN)
		return false;
	if (rc == TLS_ECLOSED) {
		begin_closing(c, "the browser went away");
		return true;
	}
	conn_end(c, tls_strerror(rc));
	return false;
}

static void
post_recv(struct wg_conn *c)
{
	struct capos_TcpSocket_recv_Params_b p;
	struct capnp_builder b;
	struct capos_sqe e;

	if (capnp_builder_init(&b, c->rparams, sizeof(c->rparams)) != 0 ||
	    capos_TcpSocket_recv_Params_init_root(&b, &p) != 0)
		return;
	capos_TcpSocket_recv_Params_set_maxBytes(&p, capos_TcpSocket_maxChunk);
	rt_prep_call(&e, c->sock, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_recv_ORDINAL, &b, c->rbuf, sizeof(c->rbuf), NULL,
	    0, 0);
	if (rt_submit(&e) != 0) {
		c->rretry = true;
		return;
	}
	c->rtag = e.user_data;
	c->rbusy = true;
}

static void
post_send(struct wg_conn *c)
{
	struct capos_TcpSocket_send_Params_b p;
	struct capnp_builder b;
	struct capos_sqe e;
	size_t n = c->tls.out_len;

	if (capnp_builder_init(&b, c->sparams, sizeof(c->sparams)) != 0 ||
	    capos_TcpSocket_send_Params_init_root(&b, &p) != 0 ||
	    capos_TcpSocket_send_Params_set_data(&p, c->tls.out, n) != 0)
		return;
	rt_prep_call(&e, c->sock, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_send_ORDINAL, &b, c->sres, sizeof(c->sres), NULL,
	    0, 0);
	if (rt_submit(&e) != 0) {
		c->sretry = true;
		return;
	}
	c->stag = e.user_data;
	c->slen = n;
	c->sbusy = true;
}

void
conn_pump(struct wg_conn *c)
{
	bool moved = true;

	while (c->state == WG_LIVE && moved) {
		moved = tls_step(c);
		if (c->state != WG_LIVE)
			break;
		if (c->phase == WG_P_HTTP)
			moved |= http_step(c);
		else if (c->phase == WG_P_WS)
			moved |= ws_step(c);
		moved |= terminal_step(c);
		if (c->state != WG_LIVE)
			break;
		moved |= flush_plain(c);
		if (c->state == WG_LIVE && !c->sbusy && !c->sretry &&
		    c->tls.out_len > 0)
			post_send(c);
	}
	if (c->state != WG_LIVE) {
		reap(c);
		return;
	}
	/* A closing connection sends its last records, then close_notify
	 * (tls_close leaves it in `out`), then ends. */
	if (c->closing) {
		if (c->pw_len == 0 && c->body_left == 0 &&
		    c->tls.out_len == 0 && c->tls.ssl != NULL) {
			tls_close(&c->tls);
			if (!c->sbusy && !c->sretry && c->tls.out_len > 0)
				post_send(c);
		}
		if (c->tls.ssl == NULL && c->tls.out_len == 0 && !c->sbusy)
			conn_end(c, c->why);
		return;
	}
	if (!c->rbusy && !c->rretry && !c->reof && c->tls.in_len == 0)
		post_recv(c);
}

static bool
overloaded(int rc, const struct rt_result *res)
{
	return rc == RT_EXCEPTION &&
	    res->cqe.aux == capos_CapException_Type_overloaded;
}

static void
recv_done(struct wg_conn *c, const struct capos_cqe *cqe)
{
	struct capos_TcpSocket_recv_Results_r r;
	struct rt_result res;
	struct capnp_data d;
	int rc;

	c->rbusy = false;
	if (c->state != WG_LIVE)
		return;
	if ((rc = rt_result_read(cqe, c->rbuf, &res)) != 0) {
		if (overloaded(rc, &res))
			c->rretry = true;
		else
			conn_end(c, "the connection was reset");
		return;
	}
	r.s = res.root;
	if (capos_TcpSocket_recv_Results_get_data(&r, &d) != 0 ||
	    d.len > capos_TcpSocket_maxChunk) {
		conn_end(c, "a bad answer from the network stack");
		return;
	}
	if (d.len == 0) {
		c->reof = true;
		begin_closing(c, "the browser went away");
		return;
	}
	tls_feed(&c->tls, d.ptr, d.len);
}

static void
send_done(struct wg_conn *c, const struct capos_cqe *cqe)
{
	struct capos_TcpSocket_send_Results_r r;
	struct rt_result res;
	uint32_t n;
	int rc;

	c->sbusy = false;
	if (c->state != WG_LIVE)
		return;
	if ((rc = rt_result_read(cqe, c->sres, &res)) != 0) {
		if (overloaded(rc, &res))
			c->sretry = true;
		else
			conn_end(c, "the connection was reset");
		return;
	}
	r.s = res.root;
	n = capos_TcpSocket_send_Results_get_sent(&r);
	if (n == 0 || n > c->slen) {
		conn_end(c, "a bad answer from the network stack");
		return;
	}
	tls_out_done(&c->tls, n);
}

static void
wait_done(struct wg_conn *c, const struct capos_cqe *cqe)
{
	struct capos_ExitStatus_r es;
	struct rt_result res;

	c->waiting = false;
	c->exited = true;
	c->status = 255;
	if (rt_result_read(cqe, c->wbuf, &res) == 0) {
		es.s = res.root;
		if (capos_ExitStatus_which(&es) == capos_ExitStatus_which_exited)
			c->status = (uint32_t)capos_ExitStatus_get_exited(&es);
	}
	rt_printf("[web-gateway] conn %u shell exited with status %u\n", c->id,
	    c->status);
	term_hangup(&c->term);
}

/* A login's answer: a session goes on with the login, or is ended at
 * once when the connection ended meanwhile. */
static void
auth_done(struct wg_conn *c, const struct capos_cqe *cqe)
{
	struct capos_SessionManager_LoginResult_r r;
	struct rt_result res;
	enum wg_acall kind = c->acall;
	uint32_t idx = 0, n = cqe->ncaps < CAPOS_MAX_XCAPS ? cqe->ncaps :
	    CAPOS_MAX_XCAPS;
	capos_cap_t s = CAPOS_CAP_NULL;
	bool denied = false;
	int rc;

	c->acall = WG_A_NONE;
	wipe(c->aparams, sizeof(c->aparams));
	rc = rt_result_read(cqe, c->ares, &res);
	if (rc == 0) {
		r.s = res.root;
		denied = capos_SessionManager_LoginResult_which(&r) ==
		    capos_SessionManager_LoginResult_which_denied;
		if (capos_SessionManager_LoginResult_which(&r) !=
		    capos_SessionManager_LoginResult_which_session ||
		    capos_SessionManager_LoginResult_get_session(&r, &idx) != 0)
			idx = n;
	} else {
		idx = n;
	}
	for (uint32_t i = 0; i < n; i++)
		if (i != idx)
			(void)rt_release(c->acaps[i].cap);
	if (idx < n)
		s = c->acaps[idx].cap;
	if (c->state != WG_LIVE) {
		if (s != CAPOS_CAP_NULL)
			end_session(s, c->id);
		return;
	}
	if (kind == WG_A_PASSWORD)
		password_done(c, s, denied);
	else
		passkey_done(c, s, rc == 0);
}

void
conn_done(struct wg_conn *c, int which, const struct capos_cqe *cqe)
{
	if (which == 0)
		recv_done(c, cqe);
	else if (which == 1)
		send_done(c, cqe);
	else if (which == 2)
		wait_done(c, cqe);
	else
		auth_done(c, cqe);
	if (c->state == WG_LIVE)
		conn_pump(c);
	else
		reap(c);
}

void
conn_tick(struct wg_conn *c, uint64_t now)
{
	if (c->state != WG_LIVE || now < c->deadline_ns)
		return;
	if (c->closing) {
		conn_end(c, c->why);
		return;
	}
	if (c->phase != WG_P_WS || c->ts.phase == TS_P_HELLO)
		conn_end(c, "start deadline passed");
}

void
conn_retry(struct wg_conn *c)
{
	if (c->state != WG_LIVE || !(c->rretry || c->sretry))
		return;
	c->rretry = c->sretry = false;
	conn_pump(c);
}
