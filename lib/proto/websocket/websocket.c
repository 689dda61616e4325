/*
 * WebSocket (RFC 6455), the server's side of one connection: the opening
 * handshake, then frames from the client decoded into events.
 *
 * State: HEADER (collecting a frame header) -> PAYLOAD (its payload, in
 * the caller's buffer) -> HEADER ... -> CLOSED once a close frame arrives
 * or the stream breaks a rule. A data message (text or binary) spans one
 * first frame and any continuation frames; control frames (ping, pong,
 * close) may come between them.
 *
 * Buffers and their bounds (overflow outcome in brackets):
 *   a frame header     hdr[WS_MAX_HEADER] = 14 bytes, the largest the
 *                      RFC allows                 [cannot overflow]
 *   control payload    ctl[WS_MAX_CONTROL] = 125 bytes; a control frame
 *                      declaring more is refused  [1002 protocol error]
 *   data payload       never buffered: unmasked in place and handed out
 *                      in pieces                  [none kept]
 *   a message          max_message bytes over all its frames, checked
 *                      against each frame's declared length before any
 *                      of its payload is read     [1009 too big]
 *   UTF-8 state        three bytes across pieces and frames, so a
 *                      character may straddle them [1007 at the first bad
 *                                                  byte or an unfinished
 *                                                  character at the end]
 *
 * Refused with 1002: an unmasked client frame (5.1), reserved bits set
 * (no extension is negotiated), an unknown opcode, a fragmented or long
 * control frame, a 64-bit length with its top bit set or any length not
 * in its shortest form, a continuation with no message open, a new
 * message while one is open, a close payload of one byte or with a code
 * an endpoint may not send. A close reason that is not UTF-8 gives 1007.
 */
#include "websocket.h"

#include <string.h>

#include "crypto.h"

/* RFC 6455 1.3. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

static int
b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* A Sec-WebSocket-Key: base64 of exactly 16 bytes (4.2.1 item 5), which
 * is 22 characters, the last with its four low bits clear, and "==". */
static bool
key_ok(const char *k, size_t n)
{
	if (n != 24 || k[22] != '=' || k[23] != '=')
		return false;
	for (size_t i = 0; i < 22; i++)
		if (b64_value((unsigned char)k[i]) < 0)
			return false;
	return (b64_value((unsigned char)k[21]) & 0xf) == 0;
}

int
ws_accept_value(const char *key, size_t klen, char accept[WS_ACCEPT_LEN + 1])
{
	char buf[64 + sizeof(ws_guid)];
	uint8_t d[CRYPTO_SHA1_LEN];

	if (klen > 64)
		return -1;
	memcpy(buf, key, klen);
	memcpy(buf + klen, ws_guid, sizeof(ws_guid) - 1);
	crypto_sha1(buf, klen + sizeof(ws_guid) - 1, d);
	return crypto_base64(d, sizeof(d), true, accept, WS_ACCEPT_LEN + 1) ==
	    WS_ACCEPT_LEN ? 0 : -1;
}

int
ws_handshake_check(const struct http_parser *req,
    char accept[WS_ACCEPT_LEN + 1])
{
	const char *v;
	size_t n;

	if (req->method != HTTP_GET)
		return 405;
	if (req->minor != 1 || req->has_length)
		return 400;
	v = http_field(req, "upgrade", &n);
	if (v == NULL || !http_list_has(v, n, "websocket") || !req->upgrade)
		return 400;
	v = http_field(req, "sec-websocket-version", &n);
	if (v == NULL || n != 2 || memcmp(v, "13", 2) != 0)
		return 426;
	v = http_field(req, "sec-websocket-key", &n);
	if (v == NULL || !key_ok(v, n))
		return 400;
	return ws_accept_value(v, n, accept) == 0 ? 0 : 400;
}

int
ws_write_handshake(char *out, size_t room, const char *accept)
{
	const struct http_out_field f[] = {
		{ "Upgrade", "websocket" },
		{ "Connection", "Upgrade" },
		{ "Sec-WebSocket-Accept", accept },
	};

	return http_write_head(out, room, 101, f, 3, 0, true);
}

/*
 * RFC 3629 4's table: after a lead byte the first continuation byte has
 * a narrowed range (which excludes overlongs, surrogates and code points
 * past U+10FFFF); the others are 80..BF.
 */
bool
ws_utf8_feed(struct ws_utf8 *u, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (u->need > 0) {
			if (c < u->lo || c > u->hi)
				return false;
			u->need--;
			u->lo = 0x80;
			u->hi = 0xbf;
			continue;
		}
		if (c < 0x80)
			continue;
		u->lo = 0x80;
		u->hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf) {
			u->need = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			u->need = 2;
			if (c == 0xe0)
				u->lo = 0xa0;
			else if (c == 0xed)
				u->hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			u->need = 3;
			if (c == 0xf0)
				u->lo = 0x90;
			else if (c == 0xf4)
				u->hi = 0x8f;
		} else {
			return false;
		}
	}
	return true;
}

void
ws_conn_init(struct ws_conn *c, uint64_t max_message)
{
	memset(c, 0, sizeof(*c));
	c->state = WS_RX_HEADER;
	c->max_message = max_message;
}

static enum ws_event_kind
fail(struct ws_conn *c, struct ws_event *ev, uint16_t code)
{
	c->state = WS_RX_CLOSED;
	ev->kind = WS_EV_ERROR;
	ev->code = code;
	return WS_EV_ERROR;
}

/* How many header bytes the header begun in hdr[] needs in all. */
static size_t
header_need(const struct ws_conn *c)
{
	size_t n = 2 + 4;

	if (c->hdr_len < 2)
		return 2;
	if ((c->hdr[1] & 0x7f) == 126)
		n += 2;
	else if ((c->hdr[1] & 0x7f) == 127)
		n += 8;
	return n;
}

/* The header is complete: check it and start the payload. */
static int
header_done(struct ws_conn *c)
{
	uint8_t b0 = c->hdr[0], b1 = c->hdr[1];
	uint64_t len = b1 & 0x7f;
	size_t at = 2;
	bool control;

	if ((b0 & 0x70) != 0 || (b1 & 0x80) == 0)
		return WS_CLOSE_PROTOCOL;
	c->fin = (b0 & 0x80) != 0;
	c->op = (enum ws_opcode)(b0 & 0x0f);
	if (len == 126) {
		len = (uint64_t)c->hdr[2] << 8 | c->hdr[3];
		at = 4;
		if (len < 126)
			return WS_CLOSE_PROTOCOL;
	} else if (len == 127) {
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | c->hdr[2 + i];
		at = 10;
		if (len >> 63 != 0 || len <= 0xffff)
			return WS_CLOSE_PROTOCOL;
	}
	memcpy(c->mask, c->hdr + at, 4);
	control = (c->op & 0x8) != 0;
	switch (c->op) {
	case WS_OP_CLOSE:
	case WS_OP_PING:
	case WS_OP_PONG:
		if (!c->fin || len > WS_MAX_CONTROL)
			return WS_CLOSE_PROTOCOL;
		break;
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		if (c->msg_op != 0)
			return WS_CLOSE_PROTOCOL;
		c->msg_op = c->op;
		c->msg_len = 0;
		memset(&c->utf8, 0, sizeof(c->utf8));
		break;
	case WS_OP_CONT:
		if (c->msg_op == 0)
			return WS_CLOSE_PROTOCOL;
		break;
	default:
		return WS_CLOSE_PROTOCOL;
	}
	if (!control) {
		if (len > c->max_message - c->msg_len)
			return WS_CLOSE_TOO_BIG;
		c->msg_len += len;
	}
	c->left = len;
	c->off = 0;
	c->ctl_len = 0;
	c->state = WS_RX_PAYLOAD;
	return 0;
}

/* RFC 6455 7.4.1 and 7.4.2: the codes a close frame may carry. */
static bool
close_code_ok(uint16_t code)
{
	if (code >= 3000 && code <= 4999)
		return true;
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011);
}

/* A control frame's payload is complete in ctl[]. */
static enum ws_event_kind
control_done(struct ws_conn *c, struct ws_event *ev)
{
	struct ws_utf8 u = { 0 };

	ev->data = c->ctl;
	ev->len = c->ctl_len;
	c->state = WS_RX_HEADER;
	c->hdr_len = 0;
	if (c->op == WS_OP_PING)
		return ev->kind = WS_EV_PING;
	if (c->op == WS_OP_PONG)
		return ev->kind = WS_EV_PONG;
	ev->code = 1005;	/* no status code present (7.1.5) */
	if (c->ctl_len == 1)
		return fail(c, ev, WS_CLOSE_PROTOCOL);
	if (c->ctl_len >= 2) {
		ev->code = (uint16_t)(c->ctl[0] << 8 | c->ctl[1]);
		if (!close_code_ok(ev->code))
			return fail(c, ev, WS_CLOSE_PROTOCOL);
		ev->data = c->ctl + 2;
		ev->len = c->ctl_len - 2U;
		if (!ws_utf8_feed(&u, ev->data, ev->len) || u.need != 0)
			return fail(c, ev, WS_CLOSE_BAD_DATA);
	}
	c->state = WS_RX_CLOSED;
	return ev->kind = WS_EV_CLOSE;
}

static void
unmask(struct ws_conn *c, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] ^= c->mask[(c->off + i) & 3];
	c->off += n;
}

enum ws_event_kind
ws_recv(struct ws_conn *c, uint8_t *in, size_t n, size_t *used,
    struct ws_event *ev)
{
	size_t i = 0;

	memset(ev, 0, sizeof(*ev));
	*used = 0;
	if (c->state == WS_RX_CLOSED)
		return ev->kind = WS_EV_MORE;
	for (;;) {
		if (c->state == WS_RX_HEADER) {
			int code;

			while (i < n && c->hdr_len < header_need(c))
				c->hdr[c->hdr_len++] = in[i++];
			*used = i;
			if (c->hdr_len < header_need(c))
				return ev->kind = WS_EV_MORE;
			code = header_done(c);
			if (code != 0)
				return fail(c, ev, (uint16_t)code);
		}
		/* PAYLOAD */
		if ((c->op & 0x8) != 0) {
			size_t k = n - i < c->left ? n - i : (size_t)c->left;

			memcpy(c->ctl + c->ctl_len, in + i, k);
			unmask(c, c->ctl + c->ctl_len, k);
			c->ctl_len = (uint8_t)(c->ctl_len + k);
			c->left -= k;
			i += k;
			*used = i;
			if (c->left > 0)
				return ev->kind = WS_EV_MORE;
			return control_done(c, ev);
		}
		if (c->left > 0 && i == n)
			return ev->kind = WS_EV_MORE;
		{
			size_t k = n - i < c->left ? n - i : (size_t)c->left;
			bool end = k == c->left;

			unmask(c, in + i, k);
			if (c->msg_op == WS_OP_TEXT &&
			    (!ws_utf8_feed(&c->utf8, in + i, k) ||
			    (end && c->fin && c->utf8.need != 0)))
				return fail(c, ev, WS_CLOSE_BAD_DATA);
			ev->kind = WS_EV_DATA;
			ev->opcode = c->msg_op;
			ev->data = in + i;
			ev->len = k;
			ev->last = end && c->fin;
			c->left -= k;
			i += k;
			*used = i;
			if (end) {
				c->state = WS_RX_HEADER;
				c->hdr_len = 0;
				if (c->fin)
					c->msg_op = 0;
				/* An empty non-final frame tells nothing. */
				if (k == 0 && !ev->last)
					continue;
			}
			return WS_EV_DATA;
		}
	}
}

int
ws_write_frame(uint8_t *out, size_t room, enum ws_opcode op, bool fin,
    const void *payload, size_t len)
{
	size_t h;

	switch (op) {
	case WS_OP_CLOSE:
	case WS_OP_PING:
	case WS_OP_PONG:
		if (!fin || len > WS_MAX_CONTROL)
			return -1;
		break;
	case WS_OP_CONT:
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		break;
	default:
		return -1;
	}
	h = len < 126 ? 2 : len <= 0xffff ? 4 : 10;
	if (room > INT32_MAX || len > room || h > room - len)
		return -1;
	out[0] = (uint8_t)((fin ? 0x80 : 0) | op);
	if (len < 126) {
		out[1] = (uint8_t)len;
	} else if (len <= 0xffff) {
		out[1] = 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
	} else {
		out[1] = 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
	}
	if (len > 0)
		memmove(out + h, payload, len);
	return (int)(h + len);
}

int
ws_write_close(uint8_t *out, size_t room, uint16_t code, const char *reason)
{
	uint8_t p[WS_MAX_CONTROL];
	size_t n = strlen(reason);

	if (n > WS_MAX_CONTROL - 2)
		return -1;
	p[0] = (uint8_t)(code >> 8);
	p[1] = (uint8_t)code;
	memcpy(p + 2, reason, n);
	return ws_write_frame(out, room, WS_OP_CLOSE, true, p, n + 2);
}
