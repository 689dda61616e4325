/*
 * HTTP/1.1 request parsing (RFC 9112): one request at a time on one
 * connection, bytes in, events out, no I/O and no allocation.
 *
 * State: LINE (request line) -> FIELDS (header lines) -> ROUTE (the caller
 * applies its route's policy with http_route) -> BODY (Content-Length
 * bytes, handed out in place) -> DONE -> LINE again when the connection
 * persists, CLOSED when it does not or when a request was refused.
 *
 * Buffers and their bounds (overflow outcome in brackets):
 *   the request line   HTTP_MAX_LINE bytes with its CRLF      [414]
 *   the whole head     head[HTTP_MAX_HEAD], copied as it comes [431]
 *   header fields      field[HTTP_MAX_HEADERS]               [431]
 *   the body           never buffered: delivered from the caller's input
 *                      in place, at most the route's max_body [413]
 *   Content-Length     digits only, one value                 [400; above
 *                      max_body 413]
 * The head is the only copy: a request split across any number of reads
 * costs the same fixed parser.
 *
 * Refusals: malformed syntax, a missing or repeated Host in HTTP/1.1, a
 * bare CR or LF, whitespace before a field's colon, obsolete line folding,
 * and Content-Length together with Transfer-Encoding give 400. A
 * Transfer-Encoding alone gives 411: bodies must have a declared length,
 * so chunked bodies are refused rather than bounded while they stream. An
 * unknown method gives 501, a version other than 1.0 or 1.1 gives 505, a
 * method the route does not take 405. After a refusal the parser takes no
 * more bytes: the connection is closed after the error response, since
 * the rest of the stream cannot be framed.
 *
 * Persistence (RFC 9112 9.3): HTTP/1.1 persists unless Connection lists
 * "close"; HTTP/1.0 persists only if Connection lists "keep-alive".
 */
#include "http.h"

#include <string.h>

static const struct {
	const char *name;
	enum http_method m;
} methods[] = {
	{ "GET", HTTP_GET }, { "HEAD", HTTP_HEAD }, { "POST", HTTP_POST },
	{ "PUT", HTTP_PUT }, { "DELETE", HTTP_DELETE },
	{ "OPTIONS", HTTP_OPTIONS }, { "PATCH", HTTP_PATCH },
};

void
http_parser_init(struct http_parser *p)
{
	memset(p, 0, sizeof(*p));
	p->state = HTTP_S_LINE;
}

static int
refuse(struct http_parser *p, int status)
{
	p->status = status;
	p->state = HTTP_S_CLOSED;
	return -status;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static bool
same_nocase(const char *a, size_t n, const char *b)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] == '\0' || lower((unsigned char)a[i]) !=
		    lower((unsigned char)b[i]))
			return false;
	return b[i] == '\0';
}

/* RFC 9110 5.6.2: tchar. */
static bool
is_tchar(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

bool
http_list_has(const char *v, size_t len, const char *token)
{
	size_t i = 0;

	while (i < len) {
		size_t s, e;

		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < len && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e > s && same_nocase(v + s, e - s, token))
			return true;
	}
	return false;
}

/* method SP request-target SP HTTP-version, in head[line..line+n). */
static int
request_line(struct http_parser *p, size_t n)
{
	const char *l = p->head + p->line;
	size_t i = 0, s;

	while (i < n && is_tchar((unsigned char)l[i]))
		i++;
	if (i == 0 || i == n || l[i] != ' ')
		return refuse(p, 400);
	p->method = 0;
	for (size_t k = 0; k < sizeof(methods) / sizeof(methods[0]); k++)
		if (strlen(methods[k].name) == i &&
		    memcmp(l, methods[k].name, i) == 0)
			p->method = methods[k].m;
	if (p->method == 0)
		return refuse(p, 501);
	s = ++i;
	while (i < n && l[i] > ' ' && l[i] < 0x7f)
		i++;
	if (i == s || i == n || l[i] != ' ')
		return refuse(p, 400);
	p->target = (uint16_t)(p->line + s);
	p->target_len = (uint16_t)(i - s);
	/* Origin form, or "*" for OPTIONS (RFC 9112 3.2); the absolute and
	 * authority forms are for proxies, which this is not. */
	if (l[s] != '/' && !(p->method == HTTP_OPTIONS && i - s == 1 &&
	    l[s] == '*'))
		return refuse(p, 400);
	i++;
	if (n - i != 8 || memcmp(l + i, "HTTP/", 5) != 0 ||
	    l[i + 5] < '0' || l[i + 5] > '9' || l[i + 6] != '.' ||
	    l[i + 7] < '0' || l[i + 7] > '9')
		return refuse(p, 400);
	if (l[i + 5] != '1' || l[i + 7] > '1')
		return refuse(p, 505);
	p->minor = (uint8_t)(l[i + 7] - '0');
	p->state = HTTP_S_FIELDS;
	return 0;
}

/* name ":" OWS value OWS, in head[line..line+n). */
static int
field_line(struct http_parser *p, size_t n)
{
	const char *l = p->head + p->line;
	size_t i = 0, s, e;
	struct http_field *f;

	if (n > 0 && (l[0] == ' ' || l[0] == '\t'))
		return refuse(p, 400);		/* obs-fold */
	while (i < n && is_tchar((unsigned char)l[i]))
		i++;
	if (i == 0 || i == n || l[i] != ':')
		return refuse(p, 400);
	s = i + 1;
	while (s < n && (l[s] == ' ' || l[s] == '\t'))
		s++;
	e = n;
	while (e > s && (l[e - 1] == ' ' || l[e - 1] == '\t'))
		e--;
	for (size_t k = s; k < e; k++) {
		unsigned char c = (unsigned char)l[k];

		if ((c < ' ' && c != '\t') || c == 0x7f)
			return refuse(p, 400);
	}
	if (p->nfield == HTTP_MAX_HEADERS)
		return refuse(p, 431);
	f = &p->field[p->nfield++];
	f->name = (uint16_t)p->line;
	f->name_len = (uint16_t)i;
	f->value = (uint16_t)(p->line + s);
	f->value_len = (uint16_t)(e - s);
	return 0;
}

static int
content_length(struct http_parser *p, const char *v, size_t n)
{
	uint64_t x = 0;

	if (n == 0)
		return refuse(p, 400);
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return refuse(p, 400);
		/* Anything past 2^60 is beyond every route's limit. */
		if (x > ((uint64_t)1 << 60))
			return refuse(p, 413);
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (p->has_length && x != p->content_length)
		return refuse(p, 400);
	p->has_length = true;
	p->content_length = x;
	return 0;
}

/* The head is complete: the fields that frame the message. */
static int
end_of_head(struct http_parser *p)
{
	unsigned hosts = 0;
	bool te = false, close = false, keep = false;

	for (unsigned i = 0; i < p->nfield; i++) {
		const struct http_field *f = &p->field[i];
		const char *name = p->head + f->name;
		const char *v = p->head + f->value;

		if (same_nocase(name, f->name_len, "host"))
			hosts++;
		else if (same_nocase(name, f->name_len, "transfer-encoding"))
			te = true;
		else if (same_nocase(name, f->name_len, "content-length")) {
			if (content_length(p, v, f->value_len) < 0)
				return -p->status;
		} else if (same_nocase(name, f->name_len, "connection")) {
			close |= http_list_has(v, f->value_len, "close");
			keep |= http_list_has(v, f->value_len, "keep-alive");
			p->upgrade |= http_list_has(v, f->value_len, "upgrade");
		}
	}
	/* RFC 9112 3.2: exactly one Host in HTTP/1.1, at most one in 1.0. */
	if (hosts > 1 || (p->minor == 1 && hosts == 0))
		return refuse(p, 400);
	/* RFC 9112 6.1: both together are a smuggling attempt. */
	if (te && p->has_length)
		return refuse(p, 400);
	if (te)
		return refuse(p, 411);
	p->keep_alive = p->minor == 1 ? !close : keep && !close;
	p->state = HTTP_S_ROUTE;
	return HTTP_EV_HEAD;
}

/* One byte of the head. */
static int
head_byte(struct http_parser *p, uint8_t c)
{
	size_t n;

	if (p->state == HTTP_S_LINE && p->len - p->line >= HTTP_MAX_LINE)
		return refuse(p, 414);
	if (p->len == HTTP_MAX_HEAD)
		return refuse(p, p->state == HTTP_S_LINE ? 414 : 431);
	p->head[p->len++] = (char)c;
	if (c != '\n') {
		/* A CR is only ever the first half of a line's end. */
		if (p->len >= 2 && p->head[p->len - 2] == '\r')
			return refuse(p, 400);
		return 0;
	}
	if (p->len - p->line < 2 || p->head[p->len - 2] != '\r')
		return refuse(p, 400);
	n = p->len - p->line - 2;
	if (p->state == HTTP_S_LINE) {
		/* RFC 9112 2.2: empty lines before a request are ignored;
		 * they are dropped, so they cost no room. */
		if (n == 0) {
			p->len = 0;
			return 0;
		}
		if (request_line(p, n) < 0)
			return -p->status;
	} else if (n == 0) {
		return end_of_head(p);
	} else if (field_line(p, n) < 0) {
		return -p->status;
	}
	p->line = p->len;
	return 0;
}

int
http_parse(struct http_parser *p, const uint8_t *in, size_t n, size_t *used)
{
	size_t i = 0;
	int rc = HTTP_EV_MORE;

	*used = 0;
	p->body = NULL;
	p->body_len = 0;
	switch (p->state) {
	case HTTP_S_CLOSED:
		if (p->status == 0 && n > 0)
			p->status = 400;
		return p->status != 0 ? -p->status : HTTP_EV_MORE;
	case HTTP_S_ROUTE:
		/* The caller did not apply a route: no body is allowed. */
		if (http_route(p, ~0u, 0) < 0)
			return -p->status;
		break;
	default:
		break;
	}
	if (p->state == HTTP_S_LINE || p->state == HTTP_S_FIELDS) {
		while (i < n && rc == HTTP_EV_MORE)
			rc = head_byte(p, in[i++]);
		*used = i;
		return rc;
	}
	if (p->state == HTTP_S_BODY) {
		size_t k = n < p->body_left ? n : (size_t)p->body_left;

		if (k == 0)
			return HTTP_EV_MORE;
		p->body = in;
		p->body_len = k;
		p->body_left -= k;
		if (p->body_left == 0)
			p->state = HTTP_S_DONE;
		*used = k;
		return HTTP_EV_BODY;
	}
	/* DONE: tell the end, and make ready for the next request. */
	if (p->keep_alive) {
		http_parser_init(p);
	} else {
		p->state = HTTP_S_CLOSED;
		p->status = 0;
	}
	return HTTP_EV_END;
}

int
http_route(struct http_parser *p, unsigned allowed, uint64_t max_body)
{
	if (p->state != HTTP_S_ROUTE)
		return p->state == HTTP_S_CLOSED && p->status ? -p->status : 0;
	if ((p->method & allowed) == 0)
		return refuse(p, 405);
	if (p->has_length && p->content_length > max_body)
		return refuse(p, 413);
	p->body_left = p->has_length ? p->content_length : 0;
	p->state = p->body_left > 0 ? HTTP_S_BODY : HTTP_S_DONE;
	return 0;
}

const char *
http_field(const struct http_parser *p, const char *name, size_t *len)
{
	for (unsigned i = 0; i < p->nfield; i++) {
		const struct http_field *f = &p->field[i];

		if (same_nocase(p->head + f->name, f->name_len, name)) {
			*len = f->value_len;
			return p->head + f->value;
		}
	}
	*len = 0;
	return NULL;
}

const char *
http_target(const struct http_parser *p, size_t *len)
{
	*len = p->target_len;
	return p->head + p->target;
}

const char *
http_reason(int status)
{
	switch (status) {
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 426: return "Upgrade Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "";
	}
}

/* Appends s to out at *at; false when room is short or s holds a byte
 * that would end the line. */
static bool
put(char *out, size_t room, size_t *at, const char *s, bool checked)
{
	size_t n = strlen(s);

	if (checked && strpbrk(s, "\r\n") != NULL)
		return false;
	if (n > room - *at)
		return false;
	memcpy(out + *at, s, n);
	*at += n;
	return true;
}

static void
decimal(uint64_t v, char buf[21])
{
	char t[21];
	size_t n = 0, i = 0;

	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	while (n > 0)
		buf[i++] = t[--n];
	buf[i] = '\0';
}

int
http_write_head(char *out, size_t room, int status,
    const struct http_out_field *f, size_t nf, uint64_t body_len,
    bool keep_alive)
{
	char num[21];
	size_t at = 0;
	bool ok;

	if (status < 100 || status > 599 || room > INT32_MAX)
		return -1;
	decimal((uint64_t)status, num);
	ok = put(out, room, &at, "HTTP/1.1 ", false) &&
	    put(out, room, &at, num, false) && put(out, room, &at, " ", false) &&
	    put(out, room, &at, http_reason(status), false) &&
	    put(out, room, &at, "\r\n", false);
	for (size_t i = 0; ok && i < nf; i++) {
		for (const char *c = f[i].name; *c != '\0'; c++)
			if (!is_tchar((unsigned char)*c))
				return -1;
		ok = f[i].name[0] != '\0' &&
		    put(out, room, &at, f[i].name, true) &&
		    put(out, room, &at, ": ", false) &&
		    put(out, room, &at, f[i].value, true) &&
		    put(out, room, &at, "\r\n", false);
	}
	if (ok && status != 101 && status != 204 && status != 304) {
		decimal(body_len, num);
		ok = put(out, room, &at, "Content-Length: ", false) &&
		    put(out, room, &at, num, false) &&
		    put(out, room, &at, "\r\n", false);
	}
	if (ok && !keep_alive)
		ok = put(out, room, &at, "Connection: close\r\n", false);
	if (!ok || !put(out, room, &at, "\r\n", false))
		return -1;
	return (int)at;
}

int
http_write_error(char *out, size_t room, int status)
{
	static const struct http_out_field f[] = {
		{ "Content-Type", "text/plain; charset=utf-8" },
	};
	char num[21];
	const char *reason = http_reason(status);
	size_t body = 4 + strlen(reason) + 1;
	int n;

	if (reason[0] == '\0')
		return -1;
	n = http_write_head(out, room, status, f, 1, body, false);
	if (n < 0 || room - (size_t)n < body)
		return -1;
	decimal((uint64_t)status, num);
	memcpy(out + n, num, 3);
	out[n + 3] = ' ';
	memcpy(out + n + 4, reason, strlen(reason));
	out[n + body - 1] = '\n';
	return n + (int)body;
}
