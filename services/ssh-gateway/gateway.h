/*
 * ssh-gateway's shared declarations: one struct gw_conn per TCP
 * connection (conn.c), and the few things of the process as a whole that
 * connections use (main.c). docs/ssh.md, "The gateway", has the limits.
 */
#ifndef CAPOS_SSH_GATEWAY_H
#define CAPOS_SSH_GATEWAY_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto.h"
#include "net.capnp.h"
#include "rt.h"
#include "proto/ssh/ssh.h"
#include "term/term.h"
#include "terminal.capnp.h"
#include "crypto.capnp.h"
#include "answer.h"

/* Connections not yet logged in (OpenSSH's MaxStartups): one past this
 * is closed as soon as it is accepted. */
#define GW_STARTUPS_MAX		4
/* Logged-in connections, each with at most one shell. A login past this
 * is refused (ssh-session-limit). */
#define GW_SESSIONS_MAX		4
#define GW_CONN_MAX		(GW_STARTUPS_MAX + GW_SESSIONS_MAX)
/* OpenSSH's LoginGraceTime: from accept to a successful login. */
#define GW_GRACE_DEFAULT_S	30
#define GW_IDLE_DEFAULT_S	600	/* idle=: no byte either way for 10 min */
/* A connection being closed gets this long to send its last packets. */
#define GW_LINGER_NS		(5ull * 1000000000ull)
/* The shell's output waiting for the channel's window. Writes are
 * answered late once GW_SOUT_BLOCK bytes wait; one write of maxWrite
 * bytes, every "\n" made "\r\n", plus the echo of a line, still fits. */
#define GW_SOUT_MAX		(64u * 1024)
#define GW_SOUT_BLOCK		(16u * 1024)
#define GW_SOURCE_MAX		31	/* SessionManager.maxSource */

_Static_assert(GW_SOUT_BLOCK + 2 * capos_TerminalSession_maxWrite +
    2 * TERM_LINE_MAX <= GW_SOUT_MAX, "a write after the block still fits");

#define GW_MSG_ROOM	(capos_TcpSocket_maxChunk + 256)

enum gw_state {
	GW_FREE,
	GW_LIVE,	/* the connection runs */
	GW_ENDING,	/* closed; waiting for its calls in flight to come back */
};

struct gw_conn {
	enum gw_state state;
	uint32_t id;			/* for the console's lines */
	uint64_t badge;			/* its TerminalSession client's */
	capos_cap_t sock;
	char source[GW_SOURCE_MAX + 1];	/* "ssh ADDRESS:PORT", for auth */
	uint64_t deadline_ns;		/* login grace; then the linger */
	bool authed;			/* counted as a session, not a startup */
	bool closing;			/* draining its last packets */
	const char *why;		/* why it ends, for the console */
	uint32_t rekeys;		/* key exchanges after the first */

	struct ssh_conn ssh;
	struct term term;

	/* The TCP recv in flight, and the bytes it brought not yet taken
	 * by the engine (bound GW_MSG_ROOM, the answer's buffer). */
	bool rbusy, rretry, reof;
	uint64_t rtag;
	uint8_t rparams[64] __attribute__((aligned(8)));
	uint8_t rbuf[GW_MSG_ROOM] __attribute__((aligned(8)));
	const uint8_t *rdata;
	size_t rlen;

	/* The TCP send in flight (its message copies engine output). */
	bool sbusy, sretry;
	uint64_t stag;
	size_t slen;
	uint8_t sparams[GW_MSG_ROOM] __attribute__((aligned(8)));
	uint8_t sres[64] __attribute__((aligned(8)));

	/* Typed bytes of one SSH_EV_DATA not yet taken by the terminal:
	 * bound SSH_CHAN_PACKET, and no more is read from the engine while
	 * any wait, so the client's window bounds the rest. */
	uint8_t stage[SSH_CHAN_PACKET];
	size_t stage_len, stage_off;
	bool eof_typed, eof_seen;

	/* The shell's output waiting for the channel (bound GW_SOUT_MAX). */
	uint8_t sout[GW_SOUT_MAX];
	size_t sout_len;
	uint64_t sout_lost;

	/* The loginKey call in flight: auth may hold a refusal back for
	 * its failure delay, so the engine waits (SSH_AUTH_LATER) while
	 * the loop serves everyone else. Its params and answer live here
	 * until it comes back. */
	bool lbusy;
	uint64_t ltag;
	uint8_t lparams[1024] __attribute__((aligned(8)));
	uint8_t lres[256] __attribute__((aligned(8)));
	struct capos_capdesc lcaps[CAPOS_MAX_XCAPS];

	/* The shell and its session. */
	capos_cap_t session, handle;
	bool shell, waiting, exited, exit_sent, pty;
	uint32_t status;
	uint64_t wtag;
	uint8_t wbuf[256] __attribute__((aligned(8)));
};

/* main.c: the capabilities connections use, and the session count. */
extern capos_cap_t gw_hostkey, gw_manager, gw_shells, gw_owner;
extern uint32_t gw_sessions, gw_logins;
int gw_random(void *ctx, uint8_t *out, size_t n);

/* conn.c */
void conn_start(struct gw_conn *c, capos_cap_t sock, uint32_t id,
    uint64_t badge, const uint8_t host_pub[CRYPTO_ED25519_PUB_LEN],
    uint64_t grace_ns);
/* Moves everything that can move; call after any completion. */
void conn_pump(struct gw_conn *c);
/* A completion of one of the connection's calls (which: 0 recv, 1 send,
 * 2 the shell's wait, 3 loginKey). */
void conn_done(struct gw_conn *c, int which, const struct capos_cqe *cqe);
/* The timer's tick: the login grace time and the linger. */
void conn_tick(struct gw_conn *c, uint64_t now);
/* Lets calls refused as overloaded be made again. */
void conn_retry(struct gw_conn *c);
/* Ends the connection (why: for the console). */
void conn_end(struct gw_conn *c, const char *why);

#endif
