/*
 * libFuzzer target for lib/proto/http: a connection's byte stream fed in
 * pieces through one parser, the route's policy applied at each head, as
 * the web gateway will. The first byte sets the piece size, the second
 * the route (allowed methods, body limit); the rest is the stream. Every
 * result must be a documented event or refusal, every body piece must lie
 * inside the piece given, and the body delivered must be no more than the
 * route allowed.
 *
 *	make fuzz && build/fuzz/http_parser -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

static bool
refusal(int rc)
{
	switch (-rc) {
	case 400: case 405: case 411: case 413: case 414: case 431:
	case 501: case 505:
		return true;
	default:
		return false;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_parser p;
	static char out[512];
	size_t chunk, at = 0;
	unsigned methods;
	uint64_t max_body, body = 0;

	if (size < 2)
		return 0;
	chunk = (size_t)data[0] % 64 + 1;
	methods = data[1] & 0x7f;
	max_body = (uint64_t)(data[1] >> 4) * 16;
	data += 2;
	size -= 2;
	http_parser_init(&p);
	while (at <= size) {
		size_t k = size - at < chunk ? size - at : chunk, used;
		int rc = http_parse(&p, data + at, k, &used);

		if (used > k)
			abort();
		if (rc < 0) {
			if (!refusal(rc) || http_write_error(out, sizeof(out),
			    -rc) <= 0)
				abort();
			/* A refusal holds: no more bytes are taken. */
			if (http_parse(&p, data, size, &used) != rc || used != 0)
				abort();
			return 0;
		}
		switch (rc) {
		case HTTP_EV_HEAD:
			if (http_route(&p, methods, max_body) < 0)
				continue;
			body = 0;
			break;
		case HTTP_EV_BODY:
			if (p.body != data + at || p.body_len != used ||
			    p.body_len == 0)
				abort();
			body += p.body_len;
			if (body > max_body || body > p.content_length)
				abort();
			break;
		case HTTP_EV_END:
			if (p.state != HTTP_S_LINE && p.state != HTTP_S_CLOSED)
				abort();
			break;
		case HTTP_EV_MORE:
			if (used != k)
				abort();
			if (k == 0)
				return 0;
			break;
		default:
			abort();
		}
		at += used;
	}
	return 0;
}
