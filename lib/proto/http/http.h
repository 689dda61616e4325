/*
 * HTTP/1.1 requests (RFC 9112) for capOS's web gateway: a pure parser,
 * bytes in and events out, and a response writer. docs/web.md describes
 * the limits and the status each refusal gives.
 */
#ifndef CAPOS_PROTO_HTTP_H
#define CAPOS_PROTO_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits: the refusal each one gives is in brackets. */
#define HTTP_MAX_LINE		2048	/* request line with CRLF [414] */
#define HTTP_MAX_HEAD		8192	/* whole head with CRLFs [431] */
#define HTTP_MAX_HEADERS	32	/* header fields [431] */

enum http_method {
	HTTP_GET = 1 << 0,
	HTTP_HEAD = 1 << 1,
	HTTP_POST = 1 << 2,
	HTTP_PUT = 1 << 3,
	HTTP_DELETE = 1 << 4,
	HTTP_OPTIONS = 1 << 5,
	HTTP_PATCH = 1 << 6,
};

/* What http_parse returns (a refusal is negative: -status). */
enum http_event {
	HTTP_EV_MORE = 0,	/* every byte used; feed more */
	HTTP_EV_HEAD = 1,	/* the head is complete: call http_route */
	HTTP_EV_BODY = 2,	/* body bytes at body, body_len */
	HTTP_EV_END = 3,	/* the request is complete */
};

/* A header field inside head[]: name and value, the value without its
 * surrounding whitespace. */
struct http_field {
	uint16_t name, name_len;
	uint16_t value, value_len;
};

enum http_state {
	HTTP_S_LINE,		/* reading the request line */
	HTTP_S_FIELDS,		/* reading header lines */
	HTTP_S_ROUTE,		/* head done, waiting for http_route */
	HTTP_S_BODY,		/* Content-Length bytes to deliver */
	HTTP_S_DONE,		/* request complete, HTTP_EV_END not yet told */
	HTTP_S_CLOSED,		/* refused or not persistent: no more input */
};

struct http_parser {
	enum http_state state;
	int status;		/* the refusal, once one happened */
	/* The head, as received: bounded by HTTP_MAX_HEAD [431]. */
	char head[HTTP_MAX_HEAD];
	size_t len;		/* bytes of head[] in use */
	size_t line;		/* where the line being read starts */
	enum http_method method;
	uint16_t target, target_len;
	uint8_t minor;		/* HTTP/1.minor */
	struct http_field field[HTTP_MAX_HEADERS];
	unsigned nfield;
	bool has_length;
	uint64_t content_length;
	bool keep_alive;	/* the connection persists after this one */
	bool upgrade;		/* Connection lists "upgrade" */
	uint64_t body_left;
	const uint8_t *body;	/* HTTP_EV_BODY: the caller's bytes */
	size_t body_len;
};

void http_parser_init(struct http_parser *p);
/*
 * Takes bytes from in (n of them) until an event; *used says how many it
 * took. HTTP_EV_MORE means all were used. A refusal returns -status (400,
 * 411, 414, 431, 501, 505, or 405/413 from http_route) and every later
 * call returns it again: the caller writes that response and closes.
 * After HTTP_EV_END the parser is ready for the next request if
 * keep_alive, and refuses further bytes (400) if not.
 */
int http_parse(struct http_parser *p, const uint8_t *in, size_t n,
    size_t *used);
/*
 * The caller's route policy for the request whose head is complete: the
 * methods it allows (a mask of enum http_method) and the largest body it
 * takes. 0, or -405 / -413 (and the parser refuses from then on).
 */
int http_route(struct http_parser *p, unsigned methods, uint64_t max_body);

/* The value of the first field named name (case-insensitive) and its
 * length, or NULL. */
const char *http_field(const struct http_parser *p, const char *name,
    size_t *len);
/* Whether a comma-separated field value lists token (case-insensitive). */
bool http_list_has(const char *value, size_t len, const char *token);
/* The request target and its length. */
const char *http_target(const struct http_parser *p, size_t *len);

/* The reason phrase of a status this engine writes, or "". */
const char *http_reason(int status);

/* A header field of a response. */
struct http_out_field {
	const char *name, *value;
};

/*
 * Writes a response head: the status line, the fields given, then
 * Content-Length (unless status is 101, 204 or 304) and "Connection:
 * close" when !keep_alive, then the blank line. Returns its length, or
 * -1 when room is short or a name or value holds a CR, LF or NUL (a
 * value must never split the response).
 */
int http_write_head(char *out, size_t room, int status,
    const struct http_out_field *f, size_t nf, uint64_t body_len,
    bool keep_alive);
/* A complete refusal: head and a one-line text body naming the status,
 * always with "Connection: close". Its length, or -1. */
int http_write_error(char *out, size_t room, int status);

#endif
