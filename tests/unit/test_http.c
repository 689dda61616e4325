/*
 * lib/proto/http: requests parsed whole and split at every byte, bodies
 * and pipelining, persistence rules, every limit and refusal with its
 * status, and the response writer.
 */
#include <stdlib.h>

#include "http.h"
#include "test.h"

struct run {
	int rc;			/* HTTP_EV_END or -status */
	int heads;		/* requests whose head completed */
	char body[256];
	size_t body_len;
};

/* Feeds s in pieces of chunk bytes through one parser, applying the
 * route (methods, max_body) at each head, until a request ends or is
 * refused. *at says how far it read. */
static struct run
feed(struct http_parser *p, const char *s, size_t n, size_t chunk,
    unsigned methods, uint64_t max_body, size_t *at)
{
	struct run r = { 0 };

	while (*at <= n) {
		size_t k = n - *at < chunk ? n - *at : chunk, used;
		int rc = http_parse(p, (const uint8_t *)s + *at, k, &used);

		*at += used;
		if (rc == HTTP_EV_HEAD) {
			r.heads++;
			rc = http_route(p, methods, max_body);
			if (rc < 0) {
				r.rc = rc;
				return r;
			}
		} else if (rc == HTTP_EV_BODY) {
			if (r.body_len + p->body_len <= sizeof(r.body)) {
				memcpy(r.body + r.body_len, p->body,
				    p->body_len);
				r.body_len += p->body_len;
			}
		} else if (rc == HTTP_EV_END || rc < 0) {
			r.rc = rc;
			return r;
		} else if (*at == n) {
			r.rc = HTTP_EV_MORE;
			return r;
		}
	}
	return r;
}

static int
one(const char *s, unsigned methods, uint64_t max_body)
{
	struct http_parser *p = malloc(sizeof(*p));
	size_t at = 0;
	int rc;

	http_parser_init(p);
	rc = feed(p, s, strlen(s), 4096, methods, max_body, &at).rc;
	free(p);
	return rc;
}

#define ALL (HTTP_GET | HTTP_HEAD | HTTP_POST)

TEST(http_parses_a_request_split_at_every_byte)
{
	static const char req[] =
	    "GET /term?x=1 HTTP/1.1\r\nHost: localhost:8443\r\n"
	    "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
	    "X-Empty:\r\nX-Pad: \t spaced value \t\r\n\r\n";
	struct http_parser *p = malloc(sizeof(*p));

	for (size_t chunk = 1; chunk <= sizeof(req); chunk++) {
		size_t at = 0;
		struct run r;

		http_parser_init(p);
		r = feed(p, req, sizeof(req) - 1, chunk, HTTP_GET, 0, &at);
		CHECK_EQ(r.rc, HTTP_EV_END);
		CHECK_EQ(r.heads, 1);
		CHECK_EQ(at, sizeof(req) - 1);
		CHECK_EQ(p->method == 0, true);	/* reset for the next */
	}
	/* The fields, looked at while the head is complete. */
	http_parser_init(p);
	{
		size_t used, n;
		const char *v;

		CHECK_EQ(http_parse(p, (const uint8_t *)req, sizeof(req) - 1,
		    &used), HTTP_EV_HEAD);
		CHECK_EQ(p->method, HTTP_GET);
		v = http_target(p, &n);
		CHECK(n == 9 && memcmp(v, "/term?x=1", 9) == 0);
		v = http_field(p, "HOST", &n);
		CHECK(v != NULL && n == 14 && memcmp(v, "localhost:8443", 14) == 0);
		v = http_field(p, "x-pad", &n);
		CHECK(v != NULL && n == 12 && memcmp(v, "spaced value", 12) == 0);
		v = http_field(p, "x-empty", &n);
		CHECK(v != NULL && n == 0);
		CHECK(http_field(p, "cookie", &n) == NULL);
		CHECK(p->keep_alive && p->upgrade);
	}
	free(p);
}

TEST(http_delivers_bodies_and_pipelined_requests_in_order)
{
	static const char two[] =
	    "\r\n\r\nPOST /login HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n"
	    "\r\nhello world"
	    "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
	    "GET / HTTP/1.1\r\n";
	struct http_parser *p = malloc(sizeof(*p));

	for (size_t chunk = 1; chunk <= sizeof(two); chunk += 5) {
		size_t at = 0;
		struct run r;

		http_parser_init(p);
		r = feed(p, two, sizeof(two) - 1, chunk, ALL, 64, &at);
		CHECK_EQ(r.rc, HTTP_EV_END);
		CHECK(r.body_len == 11 && memcmp(r.body, "hello world", 11) == 0);
		r = feed(p, two, sizeof(two) - 1, chunk, ALL, 64, &at);
		CHECK_EQ(r.rc, HTTP_EV_END);
		CHECK_EQ(r.body_len, 0);
		/* Connection: close: the third request is not read. */
		r = feed(p, two, sizeof(two) - 1, chunk, ALL, 64, &at);
		CHECK_EQ(r.rc, -400);
	}
	free(p);
}

TEST(http_persistence_follows_version_and_connection)
{
	static const struct {
		const char *req;
		bool keep;
	} c[] = {
		{ "GET / HTTP/1.1\r\nHost: h\r\n\r\n", true },
		{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n", false },
		{ "GET / HTTP/1.0\r\n\r\n", false },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
		  false },
	};
	struct http_parser *p = malloc(sizeof(*p));

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		size_t used;

		http_parser_init(p);
		CHECK_EQ(http_parse(p, (const uint8_t *)c[i].req,
		    strlen(c[i].req), &used), HTTP_EV_HEAD);
		if (p->keep_alive != c[i].keep)
			test_fail(__FILE__, __LINE__, "case %zu: keep_alive %d",
			    i, p->keep_alive);
	}
	free(p);
}

/* A request with a line of n bytes of target. */
static char *
long_target(size_t n)
{
	char *s = malloc(n + 64);

	strcpy(s, "GET /");
	memset(s + 5, 'a', n - 1);
	strcpy(s + 4 + n, " HTTP/1.1\r\nHost: h\r\n\r\n");
	return s;
}

TEST(http_refuses_a_long_request_line_with_414)
{
	/* "GET " + target + " HTTP/1.1\r\n" = n + 15 bytes. */
	char *ok = long_target(HTTP_MAX_LINE - 15);
	char *big = long_target(HTTP_MAX_LINE - 14);

	CHECK_EQ(one(ok, ALL, 0), HTTP_EV_END);
	CHECK_EQ(one(big, ALL, 0), -414);
	free(ok);
	free(big);
}

TEST(http_refuses_too_many_or_too_large_headers_with_431)
{
	char *s = malloc(HTTP_MAX_HEAD * 2);
	size_t n;

	for (unsigned count = HTTP_MAX_HEADERS - 1; count <= HTTP_MAX_HEADERS;
	    count++) {
		n = (size_t)sprintf(s, "GET / HTTP/1.1\r\nHost: h\r\n");
		for (unsigned i = 0; i < count; i++)
			n += (size_t)sprintf(s + n, "X-%u: v\r\n", i);
		strcpy(s + n, "\r\n");
		CHECK_EQ(one(s, ALL, 0),
		    count + 1 > HTTP_MAX_HEADERS ? -431 : HTTP_EV_END);
	}
	/* One field whose line fills the head exactly, then one byte more. */
	for (size_t extra = 0; extra <= 1; extra++) {
		size_t fixed = strlen("GET / HTTP/1.1\r\nHost: h\r\nX: \r\n\r\n");
		size_t v = HTTP_MAX_HEAD - fixed + extra;

		n = (size_t)sprintf(s, "GET / HTTP/1.1\r\nHost: h\r\nX: ");
		memset(s + n, 'v', v);
		strcpy(s + n + v, "\r\n\r\n");
		CHECK_EQ(one(s, ALL, 0), extra ? -431 : HTTP_EV_END);
	}
	free(s);
}

TEST(http_applies_the_routes_body_limit_with_413_and_methods_with_405)
{
	CHECK_EQ(one("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n"
	    "\r\n0123456789", ALL, 10), HTTP_EV_END);
	CHECK_EQ(one("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n"
	    "\r\n01234567890", ALL, 10), -413);
	CHECK_EQ(one("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: "
	    "99999999999999999999999999\r\n\r\n", ALL, 10), -413);
	CHECK_EQ(one("POST / HTTP/1.1\r\nHost: h\r\n\r\n", HTTP_GET, 10), -405);
	CHECK_EQ(one("DELETE / HTTP/1.1\r\nHost: h\r\n\r\n", ALL, 0), -405);
}

TEST(http_refuses_malformed_requests_with_the_right_status)
{
	static const struct {
		const char *req;
		int rc;
	} c[] = {
		{ "BREW / HTTP/1.1\r\nHost: h\r\n\r\n", -501 },
		{ "GET / HTTP/2.0\r\nHost: h\r\n\r\n", -505 },
		{ "GET / HTTP/1.2\r\nHost: h\r\n\r\n", -505 },
		{ "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", -400 },
		{ "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", -400 },
		{ "GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n", -400 },
		{ "GET * HTTP/1.1\r\nHost: h\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\n\r\n", -400 },		/* no Host */
		{ "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\nHost: h\r\n\r\n", -400 },	/* bare LF */
		{ "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\nHost : h\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nX: a\001b\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", -400 },
		{ "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n", -400 },
		{ "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
		  "Content-Length: 2\r\n\r\n", -400 },
		{ "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
		  "\r\n", -411 },
		{ "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
		  "Content-Length: 5\r\n\r\n", -400 },
		{ "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", HTTP_EV_END },
		{ "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
		  "Content-Length: 1\r\n\r\nx", -413 },	/* same twice: ok */
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int rc = one(c[i].req, ALL | HTTP_OPTIONS, 0);

		if (rc != c[i].rc)
			test_fail(__FILE__, __LINE__, "case %zu: %d, want %d",
			    i, rc, c[i].rc);
	}
}

TEST(http_keeps_refusing_after_a_refusal)
{
	struct http_parser *p = malloc(sizeof(*p));
	size_t used;

	http_parser_init(p);
	CHECK_EQ(http_parse(p, (const uint8_t *)"GET / HTTP/9.9\r\n", 16,
	    &used), -505);
	CHECK_EQ(http_parse(p, (const uint8_t *)"GET / HTTP/1.1\r\n", 16,
	    &used), -505);
	CHECK_EQ(used, 0);
	CHECK_EQ(http_route(p, ALL, 0), -505);
	free(p);
}

TEST(http_writes_responses_and_refuses_split_values)
{
	static const struct http_out_field f[] = {
		{ "Content-Type", "text/html" },
		{ "Cache-Control", "no-store" },
	};
	static const struct http_out_field bad[] = {
		{ "Set-Cookie", "a=b\r\nX-Injected: 1" },
	};
	static const struct http_out_field badname[] = {
		{ "Bad Name", "v" },
	};
	static const char want[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html"
	    "\r\nCache-Control: no-store\r\nContent-Length: 42\r\n\r\n";
	static const char err[] = "HTTP/1.1 431 Request Header Fields Too Large"
	    "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 36"
	    "\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large\n";
	char out[256];
	int n;

	n = http_write_head(out, sizeof(out), 200, f, 2, 42, true);
	CHECK_EQ(n, (int)strlen(want));
	CHECK(n > 0 && memcmp(out, want, (size_t)n) == 0);
	/* Exactly the room needed, and one byte less. */
	CHECK_EQ(http_write_head(out, strlen(want), 200, f, 2, 42, true),
	    (int)strlen(want));
	CHECK_EQ(http_write_head(out, strlen(want) - 1, 200, f, 2, 42, true),
	    -1);
	CHECK_EQ(http_write_head(out, sizeof(out), 200, bad, 1, 0, true), -1);
	CHECK_EQ(http_write_head(out, sizeof(out), 200, badname, 1, 0, true),
	    -1);
	n = http_write_error(out, sizeof(out), 431);
	CHECK_EQ(n, (int)strlen(err));
	CHECK(n > 0 && memcmp(out, err, (size_t)n) == 0);
	CHECK_EQ(http_write_error(out, strlen(err) - 1, 431), -1);
	CHECK_EQ(http_write_error(out, sizeof(out), 299), -1);
}
