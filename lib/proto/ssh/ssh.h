/*
 * lib/proto/ssh: a pure SSH-2 server engine (docs/ssh.md). Bytes from the
 * client go in through ssh_input; bytes for the client collect in the
 * connection's output buffer (ssh_output, ssh_output_done); what the
 * service must act on comes out as one event at a time. The engine does
 * no I/O, keeps no clock and allocates nothing: every connection is one
 * struct ssh_conn of fixed size.
 *
 * One algorithm set: curve25519-sha256 (and its @libssh.org alias),
 * ssh-ed25519 host and user keys, chacha20-poly1305@openssh.com, no
 * compression, and strict key exchange, which a client must offer.
 * Authentication is publickey only; the connection layer serves one
 * session channel with pty-req, window-change and shell.
 *
 * Buffers and their bounds:
 *   in	 one packet being received, SSH_PACKET_MAX bytes (RFC 4253 6.1's
 *	 35000-byte total); a longer length ends the connection.
 *   out	 packets waiting to be sent, SSH_OUT_MAX bytes. A packet from the
 *	 client is processed only while SSH_OUT_RESERVE bytes are free, so a
 *	 reply always fits; while they are not, ssh_input consumes nothing
 *	 and the service must drain the output first. ssh_chan_send takes
 *	 only what fits.
 *   the client's identification line, SSH_ID_MAX bytes, kept for the
 *	 exchange hash of every key exchange.
 *
 * The host's private key is never here: the exchange hash is signed by
 * the sign callback (on capOS, SshHostKey.signExchangeHash in the key
 * vault). Whether a user's key may log in is the authorize callback's
 * decision (on capOS, SessionManager's).
 */
#ifndef CAPOS_PROTO_SSH_H
#define CAPOS_PROTO_SSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

#define SSH_PACKET_MAX		35000	/* RFC 4253 6.1: whole packet with MAC */
#define SSH_PAYLOAD_MAX		32768	/* largest payload this side sends */
#define SSH_OUT_MAX		(2 * SSH_PACKET_MAX)
#define SSH_OUT_RESERVE		2048	/* room any reply to one packet needs */
#define SSH_ID_MAX		255	/* RFC 4253 4.2, CR LF included */
#define SSH_PREBANNER_MAX	16	/* lines before the client's version */
#define SSH_USER_MAX		64	/* longest user name accepted */
#define SSH_TERM_MAX		64	/* longest TERM value kept */
#define SSH_AUTH_TRIES		6	/* failed publickey attempts allowed */
#define SSH_REKEY_BYTES		((uint64_t)1 << 30)
#define SSH_REKEY_PACKETS	((uint32_t)1 << 31)
#define SSH_WINDOW		(4 * SSH_PAYLOAD_MAX)	/* our receive window */
#define SSH_CHAN_PACKET		SSH_PAYLOAD_MAX	/* our max channel packet */

/* Errors: ssh_input's negative results; the connection is then closed. */
#define SSH_EPROTO	(-1)	/* the client broke the protocol */
#define SSH_EMAC	(-2)	/* a packet failed its MAC */
#define SSH_ELENGTH	(-3)	/* a packet length out of bounds */
#define SSH_ENOALG	(-4)	/* no algorithm in common */
#define SSH_EIDENT	(-5)	/* a malformed identification line */
#define SSH_EKEX	(-6)	/* the key exchange failed (weak point, sign) */
#define SSH_EAUTH	(-7)	/* too many failed authentication attempts */
#define SSH_ECLOSED	(-8)	/* the connection is closed */
#define SSH_EPEER	(-9)	/* the client disconnected */
#define SSH_EBUSY	(-10)	/* not now: a key exchange or a full output */

/* The sign callback: write the Ed25519 signature of the exchange hash
 * (len bytes) into sig; 0 on success. */
typedef int (*ssh_sign_fn)(void *ctx, const uint8_t *hash, size_t len,
    uint8_t sig[CRYPTO_ED25519_SIG_LEN]);
/* The random callback: fill out with n unpredictable bytes; 0 on success. */
typedef int (*ssh_random_fn)(void *ctx, uint8_t *out, size_t n);

/*
 * The authorize callback: may `user` (ulen bytes, not NUL terminated) log
 * in with the ssh-ed25519 key `pub`? With `signed_data` NULL it is the
 * query form (RFC 4252 7, answered with PK_OK or failure). Otherwise the
 * engine has already verified `sig` over `signed_data` (slen bytes) with
 * that key, and the service may forward both to whoever mints the
 * session. 0 allows; anything else denies, except that the signed form
 * may return SSH_AUTH_LATER: the service asks whoever decides without
 * waiting for the answer, the engine takes no more input meanwhile, and
 * ssh_auth_answer gives the verdict when it comes.
 */
#define SSH_AUTH_LATER	1
typedef int (*ssh_authorize_fn)(void *ctx, const char *user, size_t ulen,
    const uint8_t pub[CRYPTO_ED25519_PUB_LEN], const uint8_t *signed_data,
    size_t slen, const uint8_t sig[CRYPTO_ED25519_SIG_LEN]);

struct ssh_config {
	uint8_t host_pub[CRYPTO_ED25519_PUB_LEN];
	ssh_sign_fn sign;
	ssh_random_fn random;
	ssh_authorize_fn authorize;
	void *ctx;			/* passed to every callback */
	uint64_t rekey_bytes;		/* 0: SSH_REKEY_BYTES */
};

enum ssh_event_type {
	SSH_EV_NONE,
	SSH_EV_AUTH_OK,		/* user, pub: the login the service allowed */
	SSH_EV_PTY,		/* term, cols, rows, width, height */
	SSH_EV_WINDOW_CHANGE,	/* cols, rows, width, height */
	SSH_EV_SHELL,		/* the client asked for its shell */
	SSH_EV_DATA,		/* data, len: bytes for the shell */
	SSH_EV_EOF,		/* the client sends no more data */
	SSH_EV_CLOSE,		/* the channel is closed both ways */
	SSH_EV_DENIED,		/* reason: a refused request, for the audit log */
	SSH_EV_REKEYED,		/* a key exchange after the first completed */
};

/* One event. Pointers stay valid until the next call into the engine. */
struct ssh_event {
	enum ssh_event_type type;
	const uint8_t *data;
	size_t len;
	const char *user;
	size_t ulen;
	const uint8_t *pub;
	char term[SSH_TERM_MAX + 1];
	uint32_t cols, rows, width, height;
	const char *reason;	/* a stable audit reason code */
};

/* wolfCrypt reads ChaCha20 keys and nonces a word at a time: they are
 * kept aligned. */
struct ssh_cipher {
	_Alignas(16) uint8_t main_key[CRYPTO_CHACHA20_KEY_LEN];	/* K_2 */
	_Alignas(16) uint8_t len_key[CRYPTO_CHACHA20_KEY_LEN];	/* K_1 */
};

/* The states, in the order a connection goes through them. */
enum ssh_state {
	SSH_ST_IDENT,		/* reading the client's identification line */
	SSH_ST_KEX,		/* the first key exchange */
	SSH_ST_SERVICE,		/* waiting for ssh-userauth */
	SSH_ST_AUTH,		/* user authentication */
	SSH_ST_OPEN,		/* authenticated: the connection protocol */
	SSH_ST_CLOSED,
};

/* Where a key exchange stands (the first one and every re-key). */
enum ssh_kex_step {
	SSH_KX_NONE,		/* no exchange in progress */
	SSH_KX_SENT,		/* our KEXINIT sent, the client's awaited */
	SSH_KX_ECDH,		/* both KEXINITs seen, ECDH_INIT awaited */
	SSH_KX_NEWKEYS,		/* ECDH_REPLY and NEWKEYS sent, theirs awaited */
};

enum ssh_chan_state {
	SSH_CH_NONE,		/* no channel opened yet */
	SSH_CH_OPEN,
	SSH_CH_CLOSED,		/* closed; no other channel may open */
};

struct ssh_conn {
	struct ssh_config cfg;
	enum ssh_state state;
	enum ssh_kex_step kex;
	int error;			/* the SSH_E* that closed it */

	/* Identification. */
	uint8_t client_id[SSH_ID_MAX];	/* without CR LF */
	size_t client_id_len;
	uint32_t prebanner_lines;

	/* Receiving: the packet in progress, bound SSH_PACKET_MAX. */
	uint8_t in[SSH_PACKET_MAX];
	size_t in_have;			/* bytes of it received */
	size_t in_need;			/* bytes it has in all; 0: unknown */
	uint32_t in_seq;
	bool in_keyed;
	struct ssh_cipher in_cipher, in_next;
	uint64_t in_bytes;		/* since the last key exchange */
	uint32_t in_packets;

	/* Sending: bound SSH_OUT_MAX. */
	uint8_t out[SSH_OUT_MAX];
	size_t out_head, out_len;
	uint32_t out_seq;
	bool out_keyed;
	struct ssh_cipher out_cipher;
	uint64_t out_bytes;
	uint32_t out_packets;

	/* Key exchange. */
	uint8_t kexinit[512];		/* our last KEXINIT payload (I_S) */
	size_t kexinit_len;
	struct crypto_sha256 hash;	/* H, under way */
	bool strict;			/* kex-strict negotiated */
	bool ext_info;			/* the client wants EXT_INFO */
	bool skip_guess;		/* drop a wrongly guessed KEX packet */
	bool first_kex_done;
	uint8_t session_id[CRYPTO_SHA256_LEN];

	/* Authentication. While auth_wait, a signed request the authorize
	 * callback answered SSH_AUTH_LATER waits for ssh_auth_answer; its
	 * user (bound SSH_USER_MAX) and key are kept for the answer. */
	uint32_t auth_failures;
	bool auth_wait;
	uint8_t auth_user[SSH_USER_MAX];
	size_t auth_ulen;
	uint8_t auth_pub[CRYPTO_ED25519_PUB_LEN];

	/* The session channel. */
	enum ssh_chan_state chan;
	uint32_t peer_chan;		/* the client's channel number */
	uint32_t peer_window;		/* bytes we may still send */
	uint32_t peer_max;		/* the client's max packet */
	uint32_t local_window;		/* bytes the client may still send */
	uint32_t local_credit;		/* consumed, not yet re-advertised */
	bool shell_started, pty, eof_sent, close_sent, close_seen;
};

void ssh_init(struct ssh_conn *c, const struct ssh_config *cfg);
/* The identification line this server sends, without CR LF. */
const char *ssh_server_id(void);

/*
 * Feeds the client's bytes. Returns how many of the len bytes were taken
 * (possibly fewer: call again with the rest after handling *ev and
 * draining the output), or a negative SSH_E* when the connection ended;
 * any DISCONNECT to send is then in the output. *ev is SSH_EV_NONE when
 * nothing happened that the service must act on.
 */
int ssh_input(struct ssh_conn *c, const uint8_t *in, size_t len,
    struct ssh_event *ev);

/* The bytes waiting to be sent, and how many of them were sent. */
size_t ssh_output(const struct ssh_conn *c, const uint8_t **p);
void ssh_output_done(struct ssh_conn *c, size_t n);

/*
 * Channel output from the shell: sends as much of data as the client's
 * window, its maximum packet size and the output buffer allow (nothing
 * while a key exchange is under way) and returns how much it took;
 * SSH_ECLOSED when the channel cannot carry data, or the SSH_E* that
 * ended the connection.
 */
int ssh_chan_send(struct ssh_conn *c, const uint8_t *data, size_t len);
/* The service delivered n bytes of SSH_EV_DATA to the shell: the window
 * opens by that much again. */
void ssh_chan_consumed(struct ssh_conn *c, size_t n);
/* The shell ended with status: exit-status, EOF and CLOSE; SSH_EBUSY
 * when that must wait (a key exchange, a full output). */
int ssh_chan_exit(struct ssh_conn *c, uint32_t status);
/* Ends the connection with a DISCONNECT (RFC 4253 11.1 reason). */
void ssh_disconnect(struct ssh_conn *c, uint32_t reason, const char *why);
/*
 * The verdict on the signed request left waiting by SSH_AUTH_LATER:
 * SUCCESS and SSH_EV_AUTH_OK (user pointing into the connection), or a
 * failure counted as any other (SSH_EV_DENIED). 0, or ssh_input's errors
 * (SSH_EPROTO when nothing waits).
 */
int ssh_auth_answer(struct ssh_conn *c, bool allowed, struct ssh_event *ev);

#endif
