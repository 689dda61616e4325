/*
 * The terminal stream protocol (docs/web.md, "Terminal stream"): a
 * browser terminal and the web gateway exchange one message per WebSocket
 * binary message: keystrokes, pastes, resizes, a cancel and a close from
 * the browser; the session's identity, the shell's output and closes
 * from the gateway; credit both ways, so that neither side may send more
 * data than the other has room for.
 *
 * Message = one type byte, then its body; integers are big-endian.
 *
 *   browser -> gateway
 *     0x01 hello   version(1) cols(2) rows(2) window(4) resume(1) [id(16)]
 *     0x02 input   data (1..TS_MAX_DATA)
 *     0x03 paste   flags(1) data (0..TS_MAX_DATA); flags: 1 first, 2 last
 *     0x04 resize  cols(2) rows(2)
 *     0x05 cancel  (empty)
 *     0x06 credit  bytes(4)
 *     0x07 close   code(2) reason (0..TS_MAX_REASON bytes)
 *     0x08 enrol   (empty): asks to enrol a passkey for the login
 *     0x09 enrolled  cdlen(2) clientDataJSON(1..TS_MAX_CLIENT_DATA)
 *                  attestationObject(1..TS_MAX_ATTESTATION)
 *   gateway -> browser
 *     0x81 welcome version(1) id(16) window(4)
 *     0x82 output  data (1..TS_MAX_DATA)
 *     0x86 credit  bytes(4)
 *     0x87 close   code(2) reason (0..TS_MAX_REASON bytes)
 *     0x88 enrol options  challenge(32) handle(16) rpidlen(1) rpid
 *                  namelen(1) name
 *     0x89 enrol result   reason(2): schema/auth.capnp's AuthReason
 *
 * Enrolment carries no data bytes and spends no window; one may be open
 * at a time (an enrol while one is open, or an answer with none open, is
 * TS_ESTATE). What the gateway does with it is its own (docs/web.md).
 *
 * Flow control: each side grants the other a window of data bytes (the
 * data of input, paste and output messages; nothing else counts). hello
 * and welcome carry the first grants; credit messages add to them as the
 * receiver frees room. A sender never sends data beyond what it was
 * granted (the engine holds output back), and a peer that does is cut
 * off (TS_EFLOW). No window may exceed TS_MAX_WINDOW, so a grant cannot
 * overflow and the bytes in flight toward either side stay bounded by
 * what that side chose to grant.
 *
 * This engine is the gateway's side: pure code over the caller's buffers,
 * no allocation. One struct ts_server per terminal session; its state is
 * the connection phase, the two windows, the terminal's size and whether
 * a paste is in progress.
 */
#ifndef CAPOS_PROTO_TERMSTREAM_H
#define CAPOS_PROTO_TERMSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TS_VERSION	1
#define TS_ID_LEN	16		/* a session id: 16 random bytes */
#define TS_MAX_DATA	16384		/* data bytes in one message */
#define TS_MAX_REASON	123		/* a close reason, as RFC 6455's */
#define TS_MAX_WINDOW	(1u << 20)	/* the most credit ever outstanding */
#define TS_MAX_COLS	1000
#define TS_MAX_ROWS	1000
/* The longest message either way: output or input with a full data. */
#define TS_MAX_MESSAGE	(2 + TS_MAX_DATA)
/* An enrolment's answer: WebAuthn's bounds (lib/proto/webauthn). */
#define TS_MAX_CLIENT_DATA	1024
#define TS_MAX_ATTESTATION	2048
#define TS_CHALLENGE_LEN	32
#define TS_HANDLE_LEN		16
#define TS_MAX_NAME		127

enum ts_type {
	TS_HELLO = 0x01,
	TS_INPUT = 0x02,
	TS_PASTE = 0x03,
	TS_RESIZE = 0x04,
	TS_CANCEL = 0x05,
	TS_CREDIT = 0x06,
	TS_CLOSE = 0x07,
	TS_ENROL = 0x08,
	TS_ENROLLED = 0x09,
	TS_WELCOME = 0x81,
	TS_OUTPUT = 0x82,
	TS_GRANT = 0x86,	/* the gateway's credit */
	TS_BYE = 0x87,		/* the gateway's close */
	TS_ENROL_OPTIONS = 0x88,
	TS_ENROL_RESULT = 0x89,
};

#define TS_PASTE_FIRST	1
#define TS_PASTE_LAST	2

/*
 * Close codes, in WebSocket's private range (RFC 6455 7.4.2) so that the
 * same number can close the WebSocket too.
 */
#define TS_CLOSE_NORMAL		1000	/* logout, tab closed */
#define TS_CLOSE_EXITED		4000	/* the shell ended */
#define TS_CLOSE_GONE		4001	/* no such session to resume */
#define TS_CLOSE_PROTOCOL	4002	/* a malformed or unexpected message */
#define TS_CLOSE_FLOW		4003	/* data beyond the granted window */
#define TS_CLOSE_IDLE		4004	/* idle timeout */

/* Errors: each names the close code the caller sends before it ends the
 * connection (ts_close_code). */
#define TS_EMALFORMED	(-1)	/* wrong length or field value */
#define TS_ESTATE	(-2)	/* a message its phase does not allow */
#define TS_EFLOW	(-3)	/* data beyond the window, or a window too big */
#define TS_EVERSION	(-4)	/* a hello of another version */
#define TS_ECLOSED	(-5)	/* the stream is closed: nothing is taken */
#define TS_EROOM	(-6)	/* the caller's output buffer is too small */

enum ts_phase {
	TS_P_HELLO,	/* waiting for the browser's hello */
	TS_P_OPEN,	/* welcome sent: data flows */
	TS_P_CLOSED,	/* a close either way, or a violation */
};

enum ts_event_type {
	TS_EV_HELLO,	/* cols, rows; resume and id when reattaching */
	TS_EV_INPUT,	/* data, len: keystrokes for the terminal */
	TS_EV_PASTE,	/* data, len, first, last */
	TS_EV_RESIZE,	/* cols, rows */
	TS_EV_CANCEL,	/* drop undelivered input, interrupt the shell */
	TS_EV_CREDIT,	/* more output may be sent now */
	TS_EV_CLOSE,	/* code, data/len: the browser's reason */
	TS_EV_ENROL,	/* a passkey enrolment is asked for */
	TS_EV_ENROLLED,	/* data/len clientDataJSON, data2/len2 the
			 * attestationObject */
};

struct ts_event {
	enum ts_event_type type;
	const uint8_t *data;	/* points into the message given */
	size_t len;
	const uint8_t *data2;	/* TS_EV_ENROLLED */
	size_t len2;
	uint16_t cols, rows;
	uint16_t code;
	bool first, last;	/* TS_EV_PASTE */
	bool resume;		/* TS_EV_HELLO: id holds the session asked for */
	uint8_t id[TS_ID_LEN];
};

struct ts_server {
	enum ts_phase phase;
	uint8_t id[TS_ID_LEN];
	uint16_t cols, rows;
	uint32_t in_window;	/* data bytes the browser may still send */
	uint32_t out_window;	/* data bytes we may still send */
	uint32_t in_initial;	/* the window welcome grants */
	bool in_paste;		/* a paste's first part came, its last not */
	bool in_enrol;		/* an enrol came, its answer not */
};

/* A session with id (from the gateway's generator) that will grant the
 * browser in_window bytes (1..TS_MAX_WINDOW) with its welcome. */
int ts_server_init(struct ts_server *s, const uint8_t id[TS_ID_LEN],
    uint32_t in_window);

/* Takes one whole message from the browser (a WebSocket message's
 * payload, len bytes). 0 with *ev filled, or an error, after which the
 * session is closed and the caller sends ts_write_close with
 * ts_close_code(err). */
int ts_server_receive(struct ts_server *s, const uint8_t *msg, size_t len,
    struct ts_event *ev);

/* Writes the welcome (once, after TS_EV_HELLO). Its length or an error. */
int ts_write_welcome(struct ts_server *s, uint8_t *out, size_t room);
/*
 * Writes one output message with as much of data (len bytes) as the
 * window, TS_MAX_DATA and room allow: its length, with *taken set to the
 * data bytes it holds; 0 (and *taken 0) when the window is empty or
 * len is 0, in which case the caller keeps its data until TS_EV_CREDIT.
 */
int ts_write_output(struct ts_server *s, const uint8_t *data, size_t len,
    uint8_t *out, size_t room, size_t *taken);
/* Grants the browser n more bytes (the terminal took that much input).
 * The message's length, or TS_EFLOW past TS_MAX_WINDOW. */
int ts_write_grant(struct ts_server *s, uint32_t n, uint8_t *out,
    size_t room);
/* Writes the gateway's close and closes the session. Its length. */
int ts_write_close(struct ts_server *s, uint16_t code, const char *reason,
    uint8_t *out, size_t room);
/* The enrolment's options (after TS_EV_ENROL) and its result (after
 * TS_EV_ENROLLED, or in place of the options when none can be had). The
 * message's length, TS_EMALFORMED for names past TS_MAX_NAME, TS_ESTATE
 * or TS_EROOM. */
int ts_write_enrol_options(struct ts_server *s,
    const uint8_t challenge[TS_CHALLENGE_LEN],
    const uint8_t handle[TS_HANDLE_LEN], const char *rp_id,
    const char *name, uint8_t *out, size_t room);
int ts_write_enrol_result(struct ts_server *s, uint16_t reason,
    uint8_t *out, size_t room);
/* The close code for an error of ts_server_receive. */
uint16_t ts_close_code(int err);

/*
 * The browser's messages, for the browser-side code's reference and the
 * tests. Each returns the message's length, or TS_EMALFORMED for a
 * field out of range, or TS_EROOM.
 */
int ts_write_hello(uint8_t *out, size_t room, uint16_t cols, uint16_t rows,
    uint32_t window, const uint8_t *resume_id);
int ts_write_data(uint8_t *out, size_t room, enum ts_type type,
    uint8_t paste_flags, const uint8_t *data, size_t len);
int ts_write_resize(uint8_t *out, size_t room, uint16_t cols, uint16_t rows);
int ts_write_cancel(uint8_t *out, size_t room);
int ts_write_credit(uint8_t *out, size_t room, uint32_t n);
int ts_write_client_close(uint8_t *out, size_t room, uint16_t code,
    const char *reason);
int ts_write_enrol(uint8_t *out, size_t room);
int ts_write_enrolled(uint8_t *out, size_t room, const uint8_t *cdj,
    size_t cdlen, const uint8_t *ao, size_t aolen);

#endif
