/*
 * web-gateway's shared declarations: a connection it serves (struct
 * wg_conn, conn.c; main.c holds WG_CONNS of them) and what of the process
 * connections use (main.c). docs/web.md, "The gateway", has the limits.
 */
#ifndef CAPOS_WEB_GATEWAY_H
#define CAPOS_WEB_GATEWAY_H

#include <stdbool.h>
#include <stdint.h>

#include "answer.h"
#include "http.h"
#include "net.capnp.h"
#include "rt.h"
#include "static.h"
#include "term/term.h"
#include "termstream.h"
#include "terminal.capnp.h"
#include "tls.h"
#include "websocket.h"

/* Connections served side by side: each one's struct wg_conn (printed
 * at start) is static, and its TLS heap is held to TLS_CONN_MEM_MAX; the
 * listener's next accept waits while all are taken. */
#define WG_CONNS		8
/* From accept to the WebSocket's hello: the TLS handshake and the
 * requests before it must be done by then, however slowly bytes drip. */
#define WG_START_S		10
/* The netstack resets a connection with no byte moving either way for
 * this long: short while only pages are served, long once a terminal is
 * open (the browser's own idle). */
#define WG_IDLE_PAGE_MS		4000u
#define WG_IDLE_TERM_MS		600000u
/* A connection being closed gets this long to send its last records. */
#define WG_LINGER_NS		(2ull * 1000000000ull)
/* Password attempts on one terminal before it is closed. */
#define WG_LOGIN_TRIES		3
/* Passkey logins waiting for their terminal (docs/web.md, "Passkeys"):
 * at most WG_TICKETS at once, each for WG_TICKET_S; its cookie is
 * WG_COOKIE_LEN random bytes, in hex. */
#define WG_TICKETS		4
#define WG_TICKET_S		60
#define WG_COOKIE_LEN		32
#define WG_COOKIE_NAME		"capos_login"
/* The body of POST /passkey/login: five fields of a 2-byte length and
 * their bytes, each within SessionManager's bounds. */
#define WG_POST_MAX		4096

/* One TCP recv's answer, and one send's message (all of TLS's `out`). */
#define WG_MSG_ROOM		(capos_TcpSocket_maxChunk + 256)
#define WG_SEND_ROOM		(TLS_MEM_OUT + 256)
/* Plaintext of one tls_read, not yet taken by the HTTP or WebSocket
 * engine. */
#define WG_PIN_MAX		4096
/* Plaintext waiting for TLS's `out` to empty: one record's worth. A
 * terminal output message is at most WG_OUT_CHUNK data bytes, and input
 * is read only while WG_REPLY_ROOM is free, enough for any reply one
 * browser message causes (a pong, a grant, a close). */
#define WG_PW_MAX		TLS_MEM_WRITE_MAX
#define WG_OUT_CHUNK		2048
#define WG_REPLY_ROOM		256
/* The input window granted to the browser: typed bytes in flight, held
 * in stage until the terminal takes them. */
#define WG_IN_WINDOW		4096
/* The shell's output waiting for the browser's credit; writes are
 * answered late past WG_SOUT_BLOCK (as ssh-gateway's). */
#define WG_SOUT_MAX		(64u * 1024)
#define WG_SOUT_BLOCK		(16u * 1024)
#define WG_SOURCE_MAX		31	/* SessionManager.maxSource */
#define WG_NAME_MAX		31	/* SessionManager.maxName */
#define WG_PASSWORD_MAX		256	/* SessionManager.maxPassword */

_Static_assert(WG_SOUT_BLOCK + 2 * capos_TerminalSession_maxWrite +
    2 * TERM_LINE_MAX <= WG_SOUT_MAX, "a write after the block still fits");
_Static_assert(WG_OUT_CHUNK + WS_MAX_HEADER + 1 + WG_REPLY_ROOM <= WG_PW_MAX,
    "an output message and a reply fit in one record");

enum wg_state {
	WG_FREE,
	WG_LIVE,
	WG_ENDING,	/* closed; waiting for its calls in flight */
};

enum wg_phase {
	WG_P_TLS,	/* the TLS handshake */
	WG_P_HTTP,	/* requests */
	WG_P_WS,	/* a WebSocket carrying the terminal stream */
};

enum wg_post {
	WG_POST_NONE,
	WG_POST_CHALLENGE,	/* POST /passkey/challenge */
	WG_POST_LOGIN,		/* POST /passkey/login */
	WG_POST_ENROL_OPTIONS,	/* POST /passkey/enrol-options */
	WG_POST_ENROL,		/* POST /passkey/enrol */
};

/* The SessionManager login in flight: auth holds a refusal's answer for
 * its failure delay (up to 4 s), so it is waited for with the
 * connection's other calls, not in a call of its own. */
enum wg_acall {
	WG_A_NONE,
	WG_A_PASSWORD,	/* login: the name and password typed */
	WG_A_PASSKEY,	/* loginPasskey: POST /passkey/login's fields */
};

enum wg_login {
	WG_L_NONE,	/* no terminal yet */
	WG_L_NAME,	/* reading the account's name */
	WG_L_PASSWORD,	/* reading its password, not echoed */
	WG_L_SHELL,	/* logged in; capos-shell holds the terminal */
};

struct wg_conn {
	enum wg_state state;
	enum wg_phase phase;
	uint32_t id;			/* for the console's lines */
	uint64_t badge;			/* its TerminalSession client's */
	capos_cap_t sock;
	char source[WG_SOURCE_MAX + 1];	/* "web ADDRESS:PORT", for auth */
	uint64_t deadline_ns;		/* the start deadline; the linger */
	bool closing;			/* sending its last records */
	const char *why;		/* why it ends, for the console */

	struct tls_conn tls;

	/* The TCP recv in flight, and its bytes (bound WG_MSG_ROOM), fed
	 * to TLS; no recv is made while TLS has not taken them all. */
	bool rbusy, rretry, reof;
	uint64_t rtag;
	uint8_t rparams[64] __attribute__((aligned(8)));
	uint8_t rbuf[WG_MSG_ROOM] __attribute__((aligned(8)));

	/* The TCP send in flight, a copy of TLS's `out`. */
	bool sbusy, sretry;
	uint64_t stag;
	size_t slen;
	uint8_t sparams[WG_SEND_ROOM] __attribute__((aligned(8)));
	uint8_t sres[64] __attribute__((aligned(8)));

	/* Plaintext in (bound WG_PIN_MAX) and out (bound WG_PW_MAX). */
	uint8_t pin[WG_PIN_MAX];
	size_t pin_off, pin_len;
	uint8_t pw[WG_PW_MAX];
	size_t pw_len;
	/* A static file's body still to go, after its head. */
	const uint8_t *body;
	size_t body_left;

	struct http_parser hp;
	enum wg_post post;		/* a POST whose body is in msg */
	struct ws_conn ws;
	/* One terminal stream message being assembled from its WebSocket
	 * pieces: bound TS_MAX_MESSAGE, the WebSocket engine's limit. */
	uint8_t msg[TS_MAX_MESSAGE];
	size_t msg_len;
	struct ts_server ts;

	/* Typed bytes not yet taken by the terminal: at most the window
	 * granted, WG_IN_WINDOW. */
	uint8_t stage[WG_IN_WINDOW];
	size_t stage_len, stage_off;
	uint32_t granted;		/* taken by the terminal, not yet granted */

	/* The shell's output waiting for credit (bound WG_SOUT_MAX). */
	uint8_t sout[WG_SOUT_MAX];
	size_t sout_len;
	uint64_t sout_lost;

	struct term term;

	/* The login in the terminal, before the shell. */
	enum wg_login login;
	int tries;
	bool line_ready;
	enum term_line line_how;
	char name[WG_NAME_MAX + 1];
	size_t name_len;
	uint8_t line[TERM_LINE_MAX];
	size_t line_len;

	/* The login call in flight: its params (the password, or the
	 * passkey login's fields, wiped once answered), its answer and the
	 * session it brings. */
	enum wg_acall acall;
	uint64_t atag;
	uint8_t aparams[WG_POST_MAX + 256] __attribute__((aligned(8)));
	uint8_t ares[512] __attribute__((aligned(8)));
	struct capos_capdesc acaps[CAPOS_MAX_XCAPS];

	/* The shell and its session; ticketed when the session came from a
	 * passkey login's cookie. */
	bool ticketed;
	capos_cap_t session, handle;
	bool waiting, exited;
	/* hung_up: the connection ended while its shell ran; revoked: its
	 * session was then checked to be gone (UserSession.info failed). */
	bool hung_up, revoked;
	uint32_t status;
	uint64_t wtag;
	uint8_t wbuf[256] __attribute__((aligned(8)));
};

/* main.c: the capabilities and settings connections use. */
extern capos_cap_t wg_manager, wg_shells, wg_owner;
extern char wg_origin[128];		/* "https://HOST[:PORT]" */
extern const char *wg_host;		/* the origin's authority */
int wg_random(uint8_t *out, size_t n);


/* conn.c */
void conn_start(struct wg_conn *c, capos_cap_t sock, uint32_t id,
    uint64_t badge);
void conn_pump(struct wg_conn *c);
/* A completion (which: 0 recv, 1 send, 2 the shell's wait, 3 the
 * login). */
void conn_done(struct wg_conn *c, int which, const struct capos_cqe *cqe);
void conn_tick(struct wg_conn *c, uint64_t now);
void conn_retry(struct wg_conn *c);
/* Ends passkey logins whose terminal never came. */
void tickets_tick(uint64_t now);
void conn_end(struct wg_conn *c, const char *why);
/* A TerminalSession call from the connection's shell. */
void conn_term_call(struct wg_conn *c, uint64_t call_id, uint64_t iface,
    uint16_t method, const struct capnp_struct *params, bool params_ok);

#endif
