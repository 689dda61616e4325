/*
 * The terminal stream protocol's gateway side (termstream.h, docs/web.md,
 * "Terminal stream").
 *
 * State per session: the phase (hello, open, closed), the session id, the
 * terminal's size, two windows and whether a paste is open. Buffers: none
 * of its own; a received message is read in the caller's buffer (at most
 * TS_MAX_MESSAGE bytes: a longer one is malformed), and events point into
 * it. Bounds and their outcomes:
 *   - data in one message: TS_MAX_DATA, more is TS_EMALFORMED;
 *   - data toward the gateway: in_window, more is TS_EFLOW. The gateway
 *     grants only what its terminal took, so what it holds for the
 *     terminal never exceeds the window it granted;
 *   - data toward the browser: out_window; ts_write_output writes no
 *     more and returns 0 when it is empty, so the producer waits;
 *   - either window: TS_MAX_WINDOW, a credit past it is TS_EFLOW;
 *   - a close reason: TS_MAX_REASON bytes;
 *   - cols and rows: 1..TS_MAX_COLS, 1..TS_MAX_ROWS.
 * Every error closes the session: later messages get TS_ECLOSED.
 */
#include <string.h>

#include "termstream.h"

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static bool
size_ok(uint16_t cols, uint16_t rows)
{
	return cols >= 1 && cols <= TS_MAX_COLS && rows >= 1 &&
	    rows <= TS_MAX_ROWS;
}

int
ts_server_init(struct ts_server *s, const uint8_t id[TS_ID_LEN],
    uint32_t in_window)
{
	memset(s, 0, sizeof(*s));
	s->phase = TS_P_CLOSED;
	if (in_window == 0 || in_window > TS_MAX_WINDOW)
		return TS_EFLOW;
	memcpy(s->id, id, TS_ID_LEN);
	s->in_initial = in_window;
	s->phase = TS_P_HELLO;
	return 0;
}

static int
fail(struct ts_server *s, int err)
{
	s->phase = TS_P_CLOSED;
	return err;
}

/* hello: version(1) cols(2) rows(2) window(4) resume(1) [id(16)]. */
static int
take_hello(struct ts_server *s, const uint8_t *b, size_t n,
    struct ts_event *ev)
{
	uint32_t window;

	if (s->phase != TS_P_HELLO)
		return TS_ESTATE;
	if (n != 10 && n != 10 + TS_ID_LEN)
		return TS_EMALFORMED;
	if (b[0] != TS_VERSION)
		return TS_EVERSION;
	ev->cols = get16(b + 1);
	ev->rows = get16(b + 3);
	window = get32(b + 5);
	if (!size_ok(ev->cols, ev->rows) || b[9] > 1 ||
	    (b[9] == 1) != (n == 10 + TS_ID_LEN))
		return TS_EMALFORMED;
	/* A browser that grants nothing could never be sent a byte. */
	if (window == 0 || window > TS_MAX_WINDOW)
		return TS_EFLOW;
	ev->type = TS_EV_HELLO;
	ev->resume = b[9] == 1;
	if (ev->resume)
		memcpy(ev->id, b + 10, TS_ID_LEN);
	s->cols = ev->cols;
	s->rows = ev->rows;
	s->out_window = window;
	s->phase = TS_P_OPEN;
	return 0;
}

/* input: data; paste: flags(1) data. Both spend the browser's window. */
static int
take_data(struct ts_server *s, uint8_t type, const uint8_t *b, size_t n,
    struct ts_event *ev)
{
	if (type == TS_PASTE) {
		if (n < 1 || (b[0] & ~(TS_PASTE_FIRST | TS_PASTE_LAST)) != 0)
			return TS_EMALFORMED;
		ev->first = (b[0] & TS_PASTE_FIRST) != 0;
		ev->last = (b[0] & TS_PASTE_LAST) != 0;
		/* A paste opens with "first" and ends with "last", and input
		 * does not interleave with it. */
		if (ev->first == s->in_paste)
			return TS_ESTATE;
		b++;
		n--;
		ev->type = TS_EV_PASTE;
	} else {
		if (s->in_paste)
			return TS_ESTATE;
		if (n == 0)
			return TS_EMALFORMED;
		ev->type = TS_EV_INPUT;
	}
	if (n > TS_MAX_DATA)
		return TS_EMALFORMED;
	if (n > s->in_window)
		return TS_EFLOW;
	s->in_window -= (uint32_t)n;
	if (type == TS_PASTE)
		s->in_paste = !ev->last;
	ev->data = b;
	ev->len = n;
	return 0;
}

static int
take_open(struct ts_server *s, uint8_t type, const uint8_t *b, size_t n,
    struct ts_event *ev)
{
	uint32_t c;

	switch (type) {
	case TS_INPUT:
	case TS_PASTE:
		return take_data(s, type, b, n, ev);
	case TS_RESIZE:
		if (n != 4)
			return TS_EMALFORMED;
		ev->cols = get16(b);
		ev->rows = get16(b + 2);
		if (!size_ok(ev->cols, ev->rows))
			return TS_EMALFORMED;
		s->cols = ev->cols;
		s->rows = ev->rows;
		ev->type = TS_EV_RESIZE;
		return 0;
	case TS_CANCEL:
		if (n != 0)
			return TS_EMALFORMED;
		/* A cancel ends an open paste: what it held is dropped. */
		s->in_paste = false;
		ev->type = TS_EV_CANCEL;
		return 0;
	case TS_CREDIT:
		if (n != 4 || (c = get32(b)) == 0)
			return TS_EMALFORMED;
		if (c > TS_MAX_WINDOW - s->out_window)
			return TS_EFLOW;
		s->out_window += c;
		ev->type = TS_EV_CREDIT;
		return 0;
	case TS_CLOSE:
		if (n < 2 || n - 2 > TS_MAX_REASON)
			return TS_EMALFORMED;
		ev->type = TS_EV_CLOSE;
		ev->code = get16(b);
		ev->data = b + 2;
		ev->len = n - 2;
		s->phase = TS_P_CLOSED;
		return 0;
	case TS_ENROL:
		if (n != 0)
			return TS_EMALFORMED;
		if (s->in_enrol)
			return TS_ESTATE;
		s->in_enrol = true;
		ev->type = TS_EV_ENROL;
		return 0;
	case TS_ENROLLED:
		if (n < 2)
			return TS_EMALFORMED;
		c = get16(b);
		if (c == 0 || c > TS_MAX_CLIENT_DATA || n - 2 <= c ||
		    n - 2 - c > TS_MAX_ATTESTATION)
			return TS_EMALFORMED;
		if (!s->in_enrol)
			return TS_ESTATE;
		ev->type = TS_EV_ENROLLED;
		ev->data = b + 2;
		ev->len = c;
		ev->data2 = b + 2 + c;
		ev->len2 = n - 2 - c;
		return 0;
	case TS_HELLO:
		return TS_ESTATE;
	default:
		return TS_EMALFORMED;
	}
}

int
ts_server_receive(struct ts_server *s, const uint8_t *msg, size_t len,
    struct ts_event *ev)
{
	int rc;

	memset(ev, 0, sizeof(*ev));
	if (s->phase == TS_P_CLOSED)
		return TS_ECLOSED;
	if (len < 1 || len > TS_MAX_MESSAGE)
		return fail(s, TS_EMALFORMED);
	if (s->phase == TS_P_HELLO)
		rc = msg[0] == TS_HELLO ? take_hello(s, msg + 1, len - 1, ev) :
		    TS_ESTATE;
	else
		rc = take_open(s, msg[0], msg + 1, len - 1, ev);
	if (rc != 0) {
		memset(ev, 0, sizeof(*ev));
		return fail(s, rc);
	}
	return 0;
}

int
ts_write_welcome(struct ts_server *s, uint8_t *out, size_t room)
{
	if (s->phase != TS_P_OPEN || s->in_initial == 0)
		return TS_ESTATE;
	if (room < 2 + TS_ID_LEN + 4)
		return TS_EROOM;
	out[0] = TS_WELCOME;
	out[1] = TS_VERSION;
	memcpy(out + 2, s->id, TS_ID_LEN);
	put32(out + 2 + TS_ID_LEN, s->in_initial);
	s->in_window = s->in_initial;
	s->in_initial = 0;
	return 2 + TS_ID_LEN + 4;
}

int
ts_write_output(struct ts_server *s, const uint8_t *data, size_t len,
    uint8_t *out, size_t room, size_t *taken)
{
	size_t n = len;

	*taken = 0;
	if (s->phase != TS_P_OPEN || s->in_initial != 0)
		return TS_ESTATE;
	if (n > s->out_window)
		n = s->out_window;
	if (n > TS_MAX_DATA)
		n = TS_MAX_DATA;
	if (n == 0)
		return 0;
	if (room < 2)
		return TS_EROOM;
	if (n > room - 1)
		n = room - 1;
	out[0] = TS_OUTPUT;
	memcpy(out + 1, data, n);
	s->out_window -= (uint32_t)n;
	*taken = n;
	return (int)(1 + n);
}

int
ts_write_grant(struct ts_server *s, uint32_t n, uint8_t *out, size_t room)
{
	if (s->phase != TS_P_OPEN || s->in_initial != 0)
		return TS_ESTATE;
	if (n == 0 || n > TS_MAX_WINDOW - s->in_window)
		return TS_EFLOW;
	if (room < 5)
		return TS_EROOM;
	out[0] = TS_GRANT;
	put32(out + 1, n);
	s->in_window += n;
	return 5;
}

/* close: code(2) reason; a reason longer than TS_MAX_REASON is cut. */
static int
write_close(uint8_t type, uint8_t *out, size_t room, uint16_t code,
    const char *reason)
{
	size_t n = reason != NULL ? strlen(reason) : 0;

	if (n > TS_MAX_REASON)
		n = TS_MAX_REASON;
	if (room < 3 + n)
		return TS_EROOM;
	out[0] = type;
	put16(out + 1, code);
	if (n > 0)
		memcpy(out + 3, reason, n);
	return (int)(3 + n);
}

int
ts_write_close(struct ts_server *s, uint16_t code, const char *reason,
    uint8_t *out, size_t room)
{
	s->phase = TS_P_CLOSED;
	return write_close(TS_BYE, out, room, code, reason);
}

int
ts_write_enrol_options(struct ts_server *s,
    const uint8_t challenge[TS_CHALLENGE_LEN],
    const uint8_t handle[TS_HANDLE_LEN], const char *rp_id,
    const char *name, uint8_t *out, size_t room)
{
	size_t rl = strlen(rp_id), nl = strlen(name), n;

	if (s->phase != TS_P_OPEN || !s->in_enrol)
		return TS_ESTATE;
	if (rl == 0 || rl > TS_MAX_NAME || nl == 0 || nl > TS_MAX_NAME)
		return TS_EMALFORMED;
	n = 1 + TS_CHALLENGE_LEN + TS_HANDLE_LEN + 1 + rl + 1 + nl;
	if (room < n)
		return TS_EROOM;
	out[0] = TS_ENROL_OPTIONS;
	memcpy(out + 1, challenge, TS_CHALLENGE_LEN);
	memcpy(out + 1 + TS_CHALLENGE_LEN, handle, TS_HANDLE_LEN);
	out[1 + TS_CHALLENGE_LEN + TS_HANDLE_LEN] = (uint8_t)rl;
	memcpy(out + 2 + TS_CHALLENGE_LEN + TS_HANDLE_LEN, rp_id, rl);
	out[2 + TS_CHALLENGE_LEN + TS_HANDLE_LEN + rl] = (uint8_t)nl;
	memcpy(out + 3 + TS_CHALLENGE_LEN + TS_HANDLE_LEN + rl, name, nl);
	return (int)n;
}

int
ts_write_enrol_result(struct ts_server *s, uint16_t reason, uint8_t *out,
    size_t room)
{
	if (s->phase != TS_P_OPEN || !s->in_enrol)
		return TS_ESTATE;
	if (room < 3)
		return TS_EROOM;
	out[0] = TS_ENROL_RESULT;
	put16(out + 1, reason);
	s->in_enrol = false;
	return 3;
}

uint16_t
ts_close_code(int err)
{
	switch (err) {
	case TS_EFLOW:
		return TS_CLOSE_FLOW;
	case TS_ECLOSED:
		return TS_CLOSE_NORMAL;
	default:
		return TS_CLOSE_PROTOCOL;
	}
}

int
ts_write_hello(uint8_t *out, size_t room, uint16_t cols, uint16_t rows,
    uint32_t window, const uint8_t *resume_id)
{
	size_t n = 11 + (resume_id != NULL ? TS_ID_LEN : 0);

	if (!size_ok(cols, rows) || window == 0 || window > TS_MAX_WINDOW)
		return TS_EMALFORMED;
	if (room < n)
		return TS_EROOM;
	out[0] = TS_HELLO;
	out[1] = TS_VERSION;
	put16(out + 2, cols);
	put16(out + 4, rows);
	put32(out + 6, window);
	out[10] = resume_id != NULL;
	if (resume_id != NULL)
		memcpy(out + 11, resume_id, TS_ID_LEN);
	return (int)n;
}

int
ts_write_data(uint8_t *out, size_t room, enum ts_type type,
    uint8_t paste_flags, const uint8_t *data, size_t len)
{
	size_t head = type == TS_PASTE ? 2 : 1;

	if ((type != TS_INPUT && type != TS_PASTE) || len > TS_MAX_DATA ||
	    (type == TS_INPUT && len == 0) ||
	    (paste_flags & ~(TS_PASTE_FIRST | TS_PASTE_LAST)) != 0)
		return TS_EMALFORMED;
	if (room < head + len)
		return TS_EROOM;
	out[0] = (uint8_t)type;
	if (type == TS_PASTE)
		out[1] = paste_flags;
	if (len > 0)
		memcpy(out + head, data, len);
	return (int)(head + len);
}

int
ts_write_resize(uint8_t *out, size_t room, uint16_t cols, uint16_t rows)
{
	if (!size_ok(cols, rows))
		return TS_EMALFORMED;
	if (room < 5)
		return TS_EROOM;
	out[0] = TS_RESIZE;
	put16(out + 1, cols);
	put16(out + 3, rows);
	return 5;
}

int
ts_write_cancel(uint8_t *out, size_t room)
{
	if (room < 1)
		return TS_EROOM;
	out[0] = TS_CANCEL;
	return 1;
}

int
ts_write_credit(uint8_t *out, size_t room, uint32_t n)
{
	if (n == 0 || n > TS_MAX_WINDOW)
		return TS_EMALFORMED;
	if (room < 5)
		return TS_EROOM;
	out[0] = TS_CREDIT;
	put32(out + 1, n);
	return 5;
}

int
ts_write_client_close(uint8_t *out, size_t room, uint16_t code,
    const char *reason)
{
	return write_close(TS_CLOSE, out, room, code, reason);
}

int
ts_write_enrol(uint8_t *out, size_t room)
{
	if (room < 1)
		return TS_EROOM;
	out[0] = TS_ENROL;
	return 1;
}

int
ts_write_enrolled(uint8_t *out, size_t room, const uint8_t *cdj,
    size_t cdlen, const uint8_t *ao, size_t aolen)
{
	if (cdlen == 0 || cdlen > TS_MAX_CLIENT_DATA || aolen == 0 ||
	    aolen > TS_MAX_ATTESTATION)
		return TS_EMALFORMED;
	if (room < 3 + cdlen + aolen)
		return TS_EROOM;
	out[0] = TS_ENROLLED;
	put16(out + 1, (uint16_t)cdlen);
	memcpy(out + 3, cdj, cdlen);
	memcpy(out + 3 + cdlen, ao, aolen);
	return (int)(3 + cdlen + aolen);
}
