/*
 * libFuzzer target for lib/proto/websocket. The first byte picks what is
 * fuzzed: an even byte, the opening handshake (the rest is an HTTP
 * request, checked once its head is complete); an odd one, client frames
 * fed in pieces of (byte >> 1) % 32 + 1 bytes under a message bound set
 * by the second byte. Every event must keep the engine's promises: data
 * inside the piece given, text that is UTF-8 (checked again here with a
 * validator of its own), no message past the bound, close codes a peer
 * may send, a handshake accepted only with a 28-character accept value.
 *
 *	make fuzz && build/fuzz/websocket_frames -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "websocket.h"

static void
handshake(const uint8_t *data, size_t size)
{
	static struct http_parser p;
	char accept[WS_ACCEPT_LEN + 1];
	size_t used;
	int rc;

	http_parser_init(&p);
	if (http_parse(&p, data, size, &used) != HTTP_EV_HEAD)
		return;
	memset(accept, 0, sizeof(accept));
	rc = ws_handshake_check(&p, accept);
	if (rc == 0) {
		char out[256];

		if (strlen(accept) != WS_ACCEPT_LEN ||
		    ws_write_handshake(out, sizeof(out), accept) <= 0)
			abort();
	} else if (rc != 400 && rc != 405 && rc != 426) {
		abort();
	}
}

/* A second opinion on UTF-8: decode each character whole. */
static bool
utf8_whole(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t k;

		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0)
			k = 2, cp = s[i] & 0x1f;
		else if ((s[i] & 0xf0) == 0xe0)
			k = 3, cp = s[i] & 0x0f;
		else if ((s[i] & 0xf8) == 0xf0)
			k = 4, cp = s[i] & 0x07;
		else
			return false;
		if (n - i < k)
			return false;
		for (size_t j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) ||
		    (k == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k;
	}
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[1 << 16], msg[1 << 16];
	struct ws_conn c;
	size_t chunk, at = 0, mlen = 0;
	uint64_t max;

	if (size < 2)
		return 0;
	if ((data[0] & 1) == 0) {
		handshake(data + 1, size - 1);
		return 0;
	}
	chunk = (size_t)(data[0] >> 1) % 32 + 1;
	max = (uint64_t)data[1] * 64;
	size -= 2;
	if (size > sizeof(buf))
		return 0;
	memcpy(buf, data + 2, size);
	ws_conn_init(&c, max);
	while (at < size) {
		size_t k = size - at < chunk ? size - at : chunk, used;
		struct ws_event ev;
		enum ws_event_kind kind = ws_recv(&c, buf + at, k, &used, &ev);

		if (used > k)
			abort();
		switch (kind) {
		case WS_EV_MORE:
			if (used == 0)
				return 0;	/* closed */
			break;
		case WS_EV_DATA:
			if (ev.len > 0 && (ev.data < buf + at ||
			    ev.data + ev.len > buf + at + used))
				abort();
			if (mlen + ev.len > max)
				abort();
			memcpy(msg + mlen, ev.data, ev.len);
			mlen += ev.len;
			if (ev.last) {
				if (ev.opcode == WS_OP_TEXT &&
				    !utf8_whole(msg, mlen))
					abort();
				mlen = 0;
			}
			break;
		case WS_EV_PING:
		case WS_EV_PONG:
			if (ev.len > WS_MAX_CONTROL)
				abort();
			break;
		case WS_EV_CLOSE:
			if ((ev.code != 1005 && (ev.code < 1000 ||
			    ev.code > 4999)) || !utf8_whole(ev.data, ev.len))
				abort();
			return 0;
		case WS_EV_ERROR:
			if (ev.code != WS_CLOSE_PROTOCOL &&
			    ev.code != WS_CLOSE_BAD_DATA &&
			    ev.code != WS_CLOSE_TOO_BIG)
				abort();
			return 0;
		}
		at += used;
	}
	return 0;
}
