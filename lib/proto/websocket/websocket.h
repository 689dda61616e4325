/*
 * WebSocket (RFC 6455), the server's side: the opening handshake checked
 * against an HTTP request (lib/proto/http), and a frame decoder and
 * writer. Pure: bytes in, events and bytes out (docs/web.md).
 */
#ifndef CAPOS_PROTO_WEBSOCKET_H
#define CAPOS_PROTO_WEBSOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"

#define WS_ACCEPT_LEN		28	/* base64 of a SHA-1 digest */
#define WS_MAX_CONTROL		125	/* RFC 6455 5.5 */
#define WS_MAX_HEADER		14	/* 2 + 8 extended length + 4 mask */

enum ws_opcode {
	WS_OP_CONT = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xa,
};

/* Close codes (RFC 6455 7.4.1) this engine sends. */
#define WS_CLOSE_NORMAL		1000
#define WS_CLOSE_PROTOCOL	1002
#define WS_CLOSE_BAD_DATA	1007	/* text that is not UTF-8 */
#define WS_CLOSE_TOO_BIG	1009

/*
 * Checks that a request whose head is complete opens a WebSocket (RFC
 * 6455 4.2.1): GET, HTTP/1.1, Upgrade: websocket, Connection: upgrade,
 * Sec-WebSocket-Version: 13 and a Sec-WebSocket-Key of 16 bytes in
 * base64. Writes the Sec-WebSocket-Accept value (with its NUL) and
 * returns 0, or returns the HTTP status to refuse with: 400, 405 (not
 * GET), or 426 (another version; the response must then carry
 * "Sec-WebSocket-Version: 13").
 */
int ws_handshake_check(const struct http_parser *req,
    char accept[WS_ACCEPT_LEN + 1]);
/* base64(SHA-1(key || the RFC's GUID)), for a key of klen bytes. */
int ws_accept_value(const char *key, size_t klen,
    char accept[WS_ACCEPT_LEN + 1]);
/* The 101 response head with that accept value; its length or -1. */
int ws_write_handshake(char *out, size_t room, const char *accept);

/* An incremental UTF-8 validator: state 0 is between characters. */
struct ws_utf8 {
	uint8_t need;		/* continuation bytes still expected */
	uint8_t lo, hi;		/* the range the next byte must be in */
};
/* false at the first byte that cannot continue well-formed UTF-8
 * (RFC 3629: no overlongs, surrogates or code points past U+10FFFF). */
bool ws_utf8_feed(struct ws_utf8 *u, const uint8_t *p, size_t n);

enum ws_event_kind {
	WS_EV_MORE = 0,		/* every byte used; feed more */
	WS_EV_DATA,		/* message bytes (data, len); last on the final */
	WS_EV_PING,		/* answer with a pong carrying data, len */
	WS_EV_PONG,
	WS_EV_CLOSE,		/* the peer closed: code, reason in data */
	WS_EV_ERROR,		/* send a close with code, then close */
};

struct ws_event {
	enum ws_event_kind kind;
	enum ws_opcode opcode;	/* DATA: WS_OP_TEXT or WS_OP_BINARY */
	bool last;		/* DATA: the message's final bytes */
	const uint8_t *data;	/* DATA: in the caller's buffer; else ctl */
	size_t len;
	uint16_t code;		/* CLOSE: the peer's (1005 if none); ERROR */
};

enum ws_rx_state {
	WS_RX_HEADER,		/* collecting a frame header in hdr[] */
	WS_RX_PAYLOAD,		/* payload bytes still to come */
	WS_RX_CLOSED,		/* a close was received or the stream failed */
};

/* The receiving side of one connection. */
struct ws_conn {
	enum ws_rx_state state;
	uint64_t max_message;	/* the caller's bound on a message */
	/* The frame header, at most WS_MAX_HEADER bytes. */
	uint8_t hdr[WS_MAX_HEADER];
	uint8_t hdr_len;
	/* The frame being read. */
	bool fin;
	enum ws_opcode op;
	uint8_t mask[4];
	uint64_t left;		/* payload bytes still to come */
	uint64_t off;		/* payload bytes seen (for the mask) */
	/* The data message being read: opcode 0 when none. */
	enum ws_opcode msg_op;
	uint64_t msg_len;
	struct ws_utf8 utf8;
	/* A control frame's payload, at most WS_MAX_CONTROL bytes. */
	uint8_t ctl[WS_MAX_CONTROL];
	uint8_t ctl_len;
};

void ws_conn_init(struct ws_conn *c, uint64_t max_message);
/*
 * Takes bytes from in (n of them, unmasked in place) until an event, with
 * *used saying how many it took. Data arrives in pieces as it comes, each
 * already checked: a text piece is valid UTF-8 so far, and the last piece
 * completes it. After WS_EV_CLOSE or WS_EV_ERROR nothing more is read.
 */
enum ws_event_kind ws_recv(struct ws_conn *c, uint8_t *in, size_t n,
    size_t *used, struct ws_event *ev);

/*
 * A server frame (never masked, RFC 6455 5.1): header and payload into
 * out. Its length, or -1 when room is short, a control frame is not final
 * or carries more than 125 bytes, or the opcode is unknown.
 */
int ws_write_frame(uint8_t *out, size_t room, enum ws_opcode op, bool fin,
    const void *payload, size_t len);
/* A close frame with code and a reason of at most 123 bytes. */
int ws_write_close(uint8_t *out, size_t room, uint16_t code,
    const char *reason);

#endif
