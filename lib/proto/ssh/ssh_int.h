/*
 * Internal to lib/proto/ssh: message numbers, the wire reader and
 * writer, and the functions the engine's files call in each other.
 */
#ifndef CAPOS_PROTO_SSH_INT_H
#define CAPOS_PROTO_SSH_INT_H

#include "ssh.h"

/* Message numbers (RFC 4250 4.1). */
enum {
	MSG_DISCONNECT = 1, MSG_IGNORE = 2, MSG_UNIMPLEMENTED = 3,
	MSG_DEBUG = 4, MSG_SERVICE_REQUEST = 5, MSG_SERVICE_ACCEPT = 6,
	MSG_EXT_INFO = 7, MSG_KEXINIT = 20, MSG_NEWKEYS = 21,
	MSG_KEX_ECDH_INIT = 30, MSG_KEX_ECDH_REPLY = 31,
	MSG_USERAUTH_REQUEST = 50, MSG_USERAUTH_FAILURE = 51,
	MSG_USERAUTH_SUCCESS = 52, MSG_USERAUTH_PK_OK = 60,
	MSG_GLOBAL_REQUEST = 80, MSG_REQUEST_SUCCESS = 81,
	MSG_REQUEST_FAILURE = 82, MSG_CHANNEL_OPEN = 90,
	MSG_CHANNEL_OPEN_CONFIRMATION = 91, MSG_CHANNEL_OPEN_FAILURE = 92,
	MSG_CHANNEL_WINDOW_ADJUST = 93, MSG_CHANNEL_DATA = 94,
	MSG_CHANNEL_EXTENDED_DATA = 95, MSG_CHANNEL_EOF = 96,
	MSG_CHANNEL_CLOSE = 97, MSG_CHANNEL_REQUEST = 98,
	MSG_CHANNEL_SUCCESS = 99, MSG_CHANNEL_FAILURE = 100,
};

/* DISCONNECT reasons (RFC 4253 11.1). */
enum {
	DISC_PROTOCOL_ERROR = 2, DISC_KEY_EXCHANGE_FAILED = 3,
	DISC_MAC_ERROR = 5, DISC_SERVICE_NOT_AVAILABLE = 7,
	DISC_BY_APPLICATION = 11, DISC_NO_MORE_AUTH_METHODS = 14,
};

/* Reads a message; any read past the end sets bad and yields zeros. */
struct ssh_rd {
	const uint8_t *p;
	size_t n;
	bool bad;
};

uint8_t ssh_rd_u8(struct ssh_rd *r);
uint32_t ssh_rd_u32(struct ssh_rd *r);
/* A string: its bytes stay in the packet; *len is checked against what
 * is left before anything points at it. */
const uint8_t *ssh_rd_str(struct ssh_rd *r, size_t *len);
/* True when s (len bytes) is exactly the NUL-terminated name. */
bool ssh_str_is(const uint8_t *s, size_t len, const char *name);
/* True when the comma-separated name-list contains name. */
bool ssh_list_has(const uint8_t *list, size_t len, const char *name);

/* Writes a message into room bytes; overflow sets bad. */
struct ssh_wr {
	uint8_t *p;
	size_t len, room;
	bool bad;
};

void ssh_wr_u8(struct ssh_wr *w, uint8_t v);
void ssh_wr_u32(struct ssh_wr *w, uint32_t v);
void ssh_wr_bytes(struct ssh_wr *w, const void *p, size_t n);
void ssh_wr_str(struct ssh_wr *w, const void *p, size_t n);
void ssh_wr_cstr(struct ssh_wr *w, const char *s);
/* An unsigned big-endian number of n bytes as an mpint (RFC 4251 5). */
void ssh_wr_mpint(struct ssh_wr *w, const uint8_t *num, size_t n);

void ssh_put_u32(uint8_t *p, uint32_t v);
uint32_t ssh_get_u32(const uint8_t *p);

/* chacha20-poly1305@openssh.com (cipher.c). */
#define SSH_TAG_LEN	CRYPTO_POLY1305_TAG_LEN
#define SSH_CIPHER_KEY_LEN	64
void ssh_cipher_key(struct ssh_cipher *k,
    const uint8_t key[SSH_CIPHER_KEY_LEN]);
void ssh_cipher_length(const struct ssh_cipher *k, uint32_t seq,
    const uint8_t in[4], uint8_t out[4]);
int ssh_cipher_open(const struct ssh_cipher *k, uint32_t seq, uint8_t *pkt,
    size_t len, const uint8_t tag[SSH_TAG_LEN]);
void ssh_cipher_seal(const struct ssh_cipher *k, uint32_t seq, uint8_t *pkt,
    size_t len, uint8_t tag[SSH_TAG_LEN]);

/* Sending a packet (transport.c): begin gives a writer over the output
 * buffer's free room; end pads, encrypts and commits it. */
bool ssh_pkt_begin(struct ssh_conn *c, struct ssh_wr *w);
int ssh_pkt_end(struct ssh_conn *c, struct ssh_wr *w);
/* Ends the connection with err, queueing a DISCONNECT with reason when
 * reason is not 0. Returns err. */
int ssh_fail(struct ssh_conn *c, int err, uint32_t reason, const char *why);
bool ssh_kex_busy(const struct ssh_conn *c);
int ssh_maybe_rekey(struct ssh_conn *c);

/* kex.c */
int ssh_kex_send_init(struct ssh_conn *c);
int ssh_kex_on_kexinit(struct ssh_conn *c, const uint8_t *msg, size_t len);
int ssh_kex_on_ecdh(struct ssh_conn *c, const uint8_t *msg, size_t len);
int ssh_kex_on_newkeys(struct ssh_conn *c, struct ssh_event *ev);

/* auth.c */
int ssh_auth_on_request(struct ssh_conn *c, const uint8_t *msg, size_t len,
    struct ssh_event *ev);

/* channel.c */
int ssh_chan_on_message(struct ssh_conn *c, const uint8_t *msg, size_t len,
    struct ssh_event *ev);
void ssh_chan_flush_credit(struct ssh_conn *c);

#endif
