/*
 * lib/proto/websocket: the handshake (RFC 6455 1.3's example and every
 * refusal), frames from RFC 6455 5.7 and frames built here with a mask,
 * fed whole and byte by byte: fragmentation with control frames between,
 * UTF-8 across fragments, the message bound, close codes, and each rule
 * whose breach fails the connection.
 */
#include <stdlib.h>

#include "test.h"
#include "websocket.h"

static const uint8_t mask[4] = { 0x37, 0xfa, 0x21, 0x3d };

/* A client frame: masked, with the shortest length form unless
 * long_form asks for the 64-bit one. */
static size_t
frame(uint8_t *out, uint8_t b0, const void *payload, size_t len)
{
	size_t h = 2;

	out[0] = b0;
	if (len < 126) {
		out[1] = (uint8_t)(0x80 | len);
	} else if (len <= 0xffff) {
		out[1] = 0x80 | 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		h = 4;
	} else {
		out[1] = 0x80 | 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
		h = 10;
	}
	memcpy(out + h, mask, 4);
	for (size_t i = 0; i < len; i++)
		out[h + 4 + i] = ((const uint8_t *)payload)[i] ^ mask[i & 3];
	return h + 4 + len;
}

struct got {
	enum ws_event_kind kinds[16];
	unsigned n;
	uint8_t data[300];	/* message bytes, all pieces */
	size_t len;
	bool last;
	uint16_t code;
	uint8_t ctl[WS_MAX_CONTROL];
	size_t ctl_len;
};

/* Feeds n bytes (a copy: they are unmasked in place) in pieces of chunk
 * bytes and collects the events, DATA pieces joined into one. */
static struct got
recv_all(uint64_t max, const uint8_t *in, size_t n, size_t chunk)
{
	struct ws_conn c;
	struct got g = { 0 };
	uint8_t *buf = malloc(n + 1);
	size_t at = 0;

	memcpy(buf, in, n);
	ws_conn_init(&c, max);
	while (at < n) {
		size_t k = n - at < chunk ? n - at : chunk, used;
		struct ws_event ev;
		enum ws_event_kind kind = ws_recv(&c, buf + at, k, &used, &ev);

		at += used;
		if (kind == WS_EV_MORE) {
			if (used == 0)
				break;
			continue;
		}
		if (kind != WS_EV_DATA || g.n == 0 ||
		    g.kinds[g.n - 1] != WS_EV_DATA || g.last) {
			if (g.n < 16)
				g.kinds[g.n++] = kind;
			if (kind == WS_EV_DATA)
				g.last = false;
		}
		if (kind == WS_EV_DATA) {
			if (g.len + ev.len <= sizeof(g.data))
				memcpy(g.data + g.len, ev.data, ev.len);
			g.len += ev.len;
			g.last = ev.last;
		} else if (kind != WS_EV_ERROR) {
			memcpy(g.ctl, ev.data, ev.len);
			g.ctl_len = ev.len;
		}
		if (kind == WS_EV_CLOSE || kind == WS_EV_ERROR)
			g.code = ev.code;
	}
	free(buf);
	return g;
}

TEST(ws_accept_matches_rfc6455_section_1_3)
{
	char accept[WS_ACCEPT_LEN + 1];

	CHECK_EQ(ws_accept_value("dGhlIHNhbXBsZSBub25jZQ==", 24, accept), 0);
	CHECK_STR(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static int
handshake(const char *req, char accept[WS_ACCEPT_LEN + 1])
{
	struct http_parser *p = malloc(sizeof(*p));
	size_t used;
	int rc;

	http_parser_init(p);
	rc = http_parse(p, (const uint8_t *)req, strlen(req), &used);
	if (rc == HTTP_EV_HEAD)
		rc = ws_handshake_check(p, accept);
	else
		rc = -1;
	free(p);
	return rc;
}

TEST(ws_handshake_accepts_rfc6455_request_and_refuses_each_missing_part)
{
	static const struct {
		const char *req;
		int rc;
	} c[] = {
		{ "GET /chat HTTP/1.1\r\nHost: server.example.com\r\n"
		  "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		  "Origin: http://example.com\r\n"
		  "Sec-WebSocket-Version: 13\r\n\r\n", 0 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: WebSocket\r\n"
		  "Connection: keep-alive, upgrade\r\nSec-WebSocket-Key: "
		  "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
		  0 },
		{ "POST / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
		  "Connection: Upgrade\r\nSec-WebSocket-Key: "
		  "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
		  405 },
		{ "GET / HTTP/1.0\r\nHost: h\r\nUpgrade: websocket\r\n"
		  "Connection: Upgrade\r\nSec-WebSocket-Key: "
		  "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
		  400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\n"
		  "Connection: Upgrade\r\nSec-WebSocket-Key: "
		  "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
		  400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
		  "Sec-WebSocket-Key: "
		  "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
		  400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
		  "Connection: Upgrade\r\nSec-WebSocket-Key: "
		  "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
		  426 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
		  "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n", 400 },
		/* 15 bytes, 17 bytes, a bad character, nonzero spare bits. */
		{ "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
		  "Connection: Upgrade\r\nSec-WebSocket-Key: "
		  "dGhlIHNhbXBsZSBub25j\r\nSec-WebSocket-Version: 13\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
		  "Connection: Upgrade\r\nSec-WebSocket-Key: "
		  "dGhlIHNhbXBsZSBub25jZQAA\r\nSec-WebSocket-Version: 13\r\n\r\n",
		  400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
		  "Connection: Upgrade\r\nSec-WebSocket-Key: "
		  "dGhlIHNhbXBsZSBub25j*Q==\r\nSec-WebSocket-Version: 13\r\n\r\n",
		  400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
		  "Connection: Upgrade\r\nSec-WebSocket-Key: "
		  "dGhlIHNhbXBsZSBub25jZR==\r\nSec-WebSocket-Version: 13\r\n\r\n",
		  400 },
	};
	char accept[WS_ACCEPT_LEN + 1];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int rc = handshake(c[i].req, accept);

		if (rc != c[i].rc)
			test_fail(__FILE__, __LINE__, "case %zu: %d, want %d",
			    i, rc, c[i].rc);
		else if (rc == 0)
			CHECK_STR(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	}
}

TEST(ws_writes_the_101_response)
{
	static const char want[] = "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
	char out[256];
	int n = ws_write_handshake(out, sizeof(out),
	    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");

	CHECK_EQ(n, (int)strlen(want));
	CHECK(n > 0 && memcmp(out, want, (size_t)n) == 0);
}

TEST(ws_decodes_rfc6455_5_7_masked_examples_at_every_split)
{
	/* "A single-frame masked text message" and "masked Pong". */
	static const uint8_t hello[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
		0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	static const uint8_t pong[] = { 0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d,
		0x7f, 0x9f, 0x4d, 0x51, 0x58 };

	for (size_t chunk = 1; chunk <= sizeof(hello); chunk++) {
		struct got g = recv_all(100, hello, sizeof(hello), chunk);

		CHECK(g.n == 1 && g.kinds[0] == WS_EV_DATA && g.last);
		CHECK(g.len == 5 && memcmp(g.data, "Hello", 5) == 0);
		g = recv_all(100, pong, sizeof(pong), chunk);
		CHECK(g.n == 1 && g.kinds[0] == WS_EV_PONG);
		CHECK(g.ctl_len == 5 && memcmp(g.ctl, "Hello", 5) == 0);
	}
}

TEST(ws_refuses_unmasked_client_frames)
{
	/* RFC 6455 5.7's unmasked "Hello", which only a server may send. */
	static const uint8_t hello[] = { 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c,
		0x6f };
	struct got g = recv_all(100, hello, sizeof(hello), 64);

	CHECK(g.n == 1 && g.kinds[0] == WS_EV_ERROR);
	CHECK_EQ(g.code, WS_CLOSE_PROTOCOL);
}

TEST(ws_joins_fragments_with_control_frames_between)
{
	uint8_t in[256];
	size_t n = 0;

	/* "€uro" split inside the euro sign; a ping between the parts, and
	 * an empty non-final continuation, which carries nothing. */
	n += frame(in + n, WS_OP_TEXT, "\xe2", 1);
	n += frame(in + n, 0x80 | WS_OP_PING, "hi", 2);
	n += frame(in + n, WS_OP_CONT, "", 0);
	n += frame(in + n, WS_OP_CONT, "\x82\xac", 2);
	n += frame(in + n, 0x80 | WS_OP_CONT, "uro", 3);
	for (size_t chunk = 1; chunk <= n; chunk++) {
		struct got g = recv_all(100, in, n, chunk);

		CHECK(g.n == 3 && g.kinds[0] == WS_EV_DATA &&
		    g.kinds[1] == WS_EV_PING && g.kinds[2] == WS_EV_DATA);
		CHECK(g.last && g.len == 6 &&
		    memcmp(g.data, "\xe2\x82\xacuro", 6) == 0);
		CHECK(g.ctl_len == 2 && memcmp(g.ctl, "hi", 2) == 0);
	}
}

TEST(ws_uses_16_and_64_bit_lengths_and_the_message_bound)
{
	static uint8_t payload[70000], in[70100];
	size_t n;
	struct got g;

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)i;
	n = frame(in, 0x80 | WS_OP_BINARY, payload, 256);
	CHECK(in[1] == (0x80 | 126) && in[2] == 1 && in[3] == 0);
	g = recv_all(256, in, n, 100);
	CHECK(g.n == 1 && g.kinds[0] == WS_EV_DATA && g.len == 256 && g.last);
	CHECK(memcmp(g.data, payload, 256) == 0);
	/* One byte over the bound: refused at the header, payload unread. */
	g = recv_all(255, in, 8, 100);
	CHECK(g.n == 1 && g.kinds[0] == WS_EV_ERROR);
	CHECK_EQ(g.code, WS_CLOSE_TOO_BIG);
	n = frame(in, 0x80 | WS_OP_BINARY, payload, 65536);
	CHECK(in[1] == (0x80 | 127) && in[7] == 1 && in[8] == 0);
	g = recv_all(65536, in, n, 4096);
	CHECK(g.kinds[0] == WS_EV_DATA && g.len == 65536 && g.last);
	/* The bound counts a message over all its fragments. */
	n = frame(in, WS_OP_TEXT, "abcdef", 6);
	n += frame(in + n, 0x80 | WS_OP_CONT, "ghijk", 5);
	g = recv_all(11, in, n, 3);
	CHECK(g.last && g.len == 11);
	g = recv_all(10, in, n, 3);
	CHECK(g.n == 2 && g.kinds[1] == WS_EV_ERROR && g.len == 6);
	CHECK_EQ(g.code, WS_CLOSE_TOO_BIG);
}

TEST(ws_validates_utf8_of_text_across_fragments)
{
	static const struct {
		const char *bytes;
		size_t len;
		bool ok;
	} c[] = {
		{ "\xc0\xaf", 2, false },		/* overlong '/' */
		{ "\xe0\x80\xaf", 3, false },		/* overlong */
		{ "\xed\xa0\x80", 3, false },		/* surrogate */
		{ "\xf4\x90\x80\x80", 4, false },	/* past U+10FFFF */
		{ "\xf5\x80\x80\x80", 4, false },
		{ "\x80", 1, false },			/* lone continuation */
		{ "\xe2\x82", 2, false },		/* unfinished at the end */
		{ "\xf0\x9f\x98\x80", 4, true },	/* U+1F600 */
		{ "\xed\x9f\xbf", 3, true },		/* U+D7FF */
		{ "\xf4\x8f\xbf\xbf", 4, true },	/* U+10FFFF */
	};
	uint8_t in[64];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		/* Split after the first byte, across two frames. */
		size_t n = frame(in, WS_OP_TEXT, c[i].bytes, 1);
		struct got g;

		n += frame(in + n, 0x80 | WS_OP_CONT, c[i].bytes + 1,
		    c[i].len - 1);
		g = recv_all(100, in, n, 1);
		if (c[i].ok != (g.kinds[g.n - 1] == WS_EV_DATA && g.last))
			test_fail(__FILE__, __LINE__, "case %zu: ok %d", i,
			    !c[i].ok);
		if (!c[i].ok)
			CHECK_EQ(g.code, WS_CLOSE_BAD_DATA);
		/* Binary messages are not text: anything goes. */
		n = frame(in, 0x80 | WS_OP_BINARY, c[i].bytes, c[i].len);
		g = recv_all(100, in, n, 1);
		CHECK(g.kinds[0] == WS_EV_DATA && g.last);
	}
}

TEST(ws_refuses_frames_that_break_the_rules_with_1002)
{
	static uint8_t big[200];
	uint8_t in[300];
	size_t n;
	struct {
		const char *what;
		size_t n;
	} c[9];
	uint8_t bufs[9][300];
	unsigned k = 0;

#define CASE(what_, expr_) do { \
		n = (expr_); \
		memcpy(bufs[k], in, n); \
		c[k].what = what_; \
		c[k++].n = n; \
	} while (0)
	CASE("RSV1 set", frame(in, 0x80 | 0x40 | WS_OP_TEXT, "a", 1));
	CASE("opcode 3", frame(in, 0x80 | 3, "a", 1));
	CASE("opcode 11", frame(in, 0x80 | 11, "a", 1));
	CASE("ping of 126 bytes", frame(in, 0x80 | WS_OP_PING, big, 126));
	CASE("fragmented ping", frame(in, WS_OP_PING, "a", 1));
	CASE("continuation without a message",
	    frame(in, 0x80 | WS_OP_CONT, "a", 1));
	CASE("text inside a text message", frame(in, WS_OP_TEXT, "a", 1) +
	    frame(in + 7, 0x80 | WS_OP_TEXT, "b", 1));
	/* 5 bytes in the 16-bit form; the 64-bit form with its top bit. */
	in[0] = 0x82; in[1] = 0x80 | 126; in[2] = 0; in[3] = 5;
	memcpy(in + 4, mask, 4);
	CASE("16-bit length below 126", 8 + 5);
	in[0] = 0x82; in[1] = 0x80 | 127;
	memset(in + 2, 0, 8);
	in[2] = 0x80;
	memcpy(in + 10, mask, 4);
	CASE("64-bit length with the top bit", 14);
#undef CASE
	for (unsigned i = 0; i < k; i++) {
		struct got g = recv_all(1000, bufs[i], c[i].n, 1);

		if (g.n == 0 || g.kinds[g.n - 1] != WS_EV_ERROR ||
		    g.code != WS_CLOSE_PROTOCOL)
			test_fail(__FILE__, __LINE__, "%s: not refused with 1002",
			    c[i].what);
	}
}

TEST(ws_reads_close_codes_and_refuses_bad_ones)
{
	static const struct {
		const char *payload;
		size_t len;
		enum ws_event_kind kind;
		uint16_t code;
	} c[] = {
		{ "", 0, WS_EV_CLOSE, 1005 },
		{ "\x03\xe8" "bye", 5, WS_EV_CLOSE, 1000 },
		{ "\x0b\xb8", 2, WS_EV_CLOSE, 3000 },
		{ "\x13\x87", 2, WS_EV_CLOSE, 4999 },
		{ "\x03", 1, WS_EV_ERROR, WS_CLOSE_PROTOCOL },
		{ "\x03\xe7", 2, WS_EV_ERROR, WS_CLOSE_PROTOCOL },	/* 999 */
		{ "\x03\xed", 2, WS_EV_ERROR, WS_CLOSE_PROTOCOL },	/* 1005 */
		{ "\x03\xee", 2, WS_EV_ERROR, WS_CLOSE_PROTOCOL },	/* 1006 */
		{ "\x03\xf7", 2, WS_EV_ERROR, WS_CLOSE_PROTOCOL },	/* 1015 */
		{ "\x13\x88", 2, WS_EV_ERROR, WS_CLOSE_PROTOCOL },	/* 5000 */
		{ "\x03\xe8\xff", 3, WS_EV_ERROR, WS_CLOSE_BAD_DATA },
	};
	uint8_t in[64];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		size_t n = frame(in, 0x80 | WS_OP_CLOSE, c[i].payload,
		    c[i].len);
		struct got g;

		/* Bytes after a close are not read. */
		n += frame(in + n, 0x80 | WS_OP_TEXT, "late", 4);
		g = recv_all(100, in, n, 1);
		if (g.n != 1 || g.kinds[0] != c[i].kind || g.code != c[i].code)
			test_fail(__FILE__, __LINE__, "case %zu: kind %d code %u",
			    i, g.n ? (int)g.kinds[0] : -1, g.code);
	}
}

TEST(ws_writes_server_frames_unmasked_in_shortest_form)
{
	static uint8_t payload[70000], out[70100];
	uint8_t small[16];

	/* RFC 6455 5.7: the unmasked "Hello" and a ping. */
	CHECK_EQ(ws_write_frame(out, sizeof(out), WS_OP_TEXT, true, "Hello",
	    5), 7);
	CHECK(memcmp(out, "\x81\x05Hello", 7) == 0);
	CHECK_EQ(ws_write_frame(out, sizeof(out), WS_OP_PING, true, "Hello",
	    5), 7);
	CHECK(memcmp(out, "\x89\x05Hello", 7) == 0);
	CHECK_EQ(ws_write_frame(out, sizeof(out), WS_OP_BINARY, true, payload,
	    256), 260);
	CHECK(memcmp(out, "\x82\x7e\x01\x00", 4) == 0);
	CHECK_EQ(ws_write_frame(out, sizeof(out), WS_OP_BINARY, true, payload,
	    65536), 65546);
	CHECK(memcmp(out, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10) == 0);
	CHECK_EQ(ws_write_frame(out, sizeof(out), WS_OP_PING, true, payload,
	    126), -1);
	CHECK_EQ(ws_write_frame(out, sizeof(out), WS_OP_PONG, false, "a", 1),
	    -1);
	CHECK_EQ(ws_write_frame(out, sizeof(out), (enum ws_opcode)3, true,
	    "a", 1), -1);
	CHECK_EQ(ws_write_frame(small, 6, WS_OP_TEXT, true, "Hello", 5), -1);
	CHECK_EQ(ws_write_close(small, sizeof(small), 1000, "bye"), 7);
	CHECK(memcmp(small, "\x88\x05\x03\xe8" "bye", 7) == 0);
}
