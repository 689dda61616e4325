/*
 * One TerminalSession's state and methods (term.h).
 */
#include <string.h>

#include "term.h"

/*
 * Answers are built here before ops->answer copies them out. One buffer
 * serves every session of the process: term.h requires one thread.
 * 8 KiB holds the largest answer, maxEvents events or a maxLine line.
 */
static uint8_t reply[8192] __attribute__((aligned(8)));

static const uint8_t ctrl_c = 0x03;

void
term_init(struct term *t, const struct term_ops *ops, void *ctx)
{
	memset(t, 0, sizeof(*t));
	t->ops = ops;
	t->ctx = ctx;
	t->columns = 80;
	t->rows = 24;
}

static void
out(struct term *t, const void *p, size_t n)
{
	if (!t->closed)
		t->ops->write(t->ctx, p, n);
}

/* The next buffered key; false when more typing is needed. */
static bool
next_key(struct term *t, struct key *k)
{
	for (;;) {
		int used = key_decode(&t->dec, t->pend + t->pend_off,
		    t->pend_len - t->pend_off, false, k);

		if (used == 0)
			return false;
		t->pend_off += used > 0 ? (size_t)used : 1;
		if (used > 0)
			return true;
	}
}

static void
end_read(struct term *t)
{
	memset(&t->rd, 0, sizeof(t->rd));
}

/*
 * Ends the waiting readLine as `how` (the line itself for TERM_LINE_OK).
 * The read is over before a local reader hears of it, so its callback
 * may start the next read at once.
 */
static void
answer_line(struct term *t, enum term_line how)
{
	struct capos_TerminalSession_LineResult_b r;
	struct capnp_builder b;
	uint8_t line[TERM_LINE_MAX];
	size_t len = t->rd.len;
	int rc = 0;

	if (t->rd.local) {
		memcpy(line, t->rd.buf, len);
		end_read(t);
		if (t->ops->local_line != NULL)
			t->ops->local_line(t->ctx, how, line, len);
		/* The line may be a password: it does not stay. */
		memset(line, 0, sizeof(line));
		return;
	}
	if (capnp_builder_init(&b, reply, sizeof(reply)) != 0 ||
	    capos_TerminalSession_LineResult_init_root(&b, &r) != 0) {
		end_read(t);
		return;
	}
	switch (how) {
	case TERM_LINE_OK:
		rc = capos_TerminalSession_LineResult_set_line(&r, t->rd.buf,
		    t->rd.len);
		break;
	case TERM_LINE_INTERRUPTED:
		capos_TerminalSession_LineResult_set_interrupted(&r);
		break;
	case TERM_LINE_EOF:
		capos_TerminalSession_LineResult_set_eof(&r);
		break;
	case TERM_LINE_TOO_LONG:
		capos_TerminalSession_LineResult_set_tooLong(&r);
		break;
	case TERM_LINE_CLOSED:
		capos_TerminalSession_LineResult_set_closed(&r);
		break;
	}
	if (rc == 0)
		t->ops->answer(t->ctx, t->rd.call_id, &b);
	/* The line may be a password: neither copy stays. */
	end_read(t);
	memset(reply, 0, sizeof(reply));
}

/* Feeds buffered keys to the waiting readLine until it is answered (which
 * ends it) or the keys run out. */
static void
line_step(struct term *t)
{
	struct key k;

	while (next_key(t, &k)) {
		switch (k.code) {
		case KEY_ENTER:
			out(t, "\n", 1);
			answer_line(t, t->rd.too_long ? TERM_LINE_TOO_LONG :
			    TERM_LINE_OK);
			return;
		case KEY_INTERRUPT:
			out(t, "^C\n", 3);
			answer_line(t, TERM_LINE_INTERRUPTED);
			return;
		case KEY_EOF:
			if (t->rd.len != 0 || t->rd.too_long)
				break;
			out(t, "\n", 1);
			answer_line(t, TERM_LINE_EOF);
			return;
		case KEY_BACKSPACE:
			if (t->rd.len > 0) {
				t->rd.len--;
				if (t->rd.echo)
					out(t, "\b \b", 3);
			}
			break;
		case KEY_KILL_LINE:
			while (t->rd.echo && t->rd.len > 0 && t->rd.len--)
				out(t, "\b \b", 3);
			t->rd.len = 0;
			t->rd.too_long = false;
			break;
		case KEY_CHAR:
			/* Control bytes are not part of a line. */
			if (k.byte < 0x20 || k.byte == 0x7f)
				break;
			if (t->rd.len == TERM_LINE_MAX) {
				t->rd.too_long = true;
				break;
			}
			t->rd.buf[t->rd.len++] = k.byte;
			if (t->rd.echo)
				out(t, &k.byte, 1);
			break;
		default:
			break;
		}
	}
}

/* Answers the waiting readEvents with the resize owed and every buffered
 * key (at most maxEvents); false when there is nothing to give yet. */
static bool
event_step(struct term *t)
{
	struct capos_TerminalSession_readEvents_Results_b r;
	struct capos_TerminalSession_Event_b ev;
	struct capos_TerminalSession_Event_key_b kg;
	struct capos_TerminalSession_Event_resize_b rg;
	struct key keys[capos_TerminalSession_maxEvents];
	struct capnp_builder b;
	struct capnp_lb list;
	uint32_t n = 0, first = t->resized ? 1 : 0;

	while (first + n < capos_TerminalSession_maxEvents &&
	    next_key(t, &keys[n]))
		n++;
	if (first + n == 0)
		return false;
	if (capnp_builder_init(&b, reply, sizeof(reply)) != 0 ||
	    capos_TerminalSession_readEvents_Results_init_root(&b, &r) != 0 ||
	    capos_TerminalSession_readEvents_Results_init_events(&r,
	    first + n, &list) != 0)
		return true;
	if (first != 0) {
		if (capos_TerminalSession_Event_b_at(&list, 0, &ev) != 0)
			return true;
		rg = capos_TerminalSession_Event_init_resize(&ev);
		capos_TerminalSession_Event_resize_set_columns(&rg, t->columns);
		capos_TerminalSession_Event_resize_set_rows(&rg, t->rows);
		t->resized = false;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (capos_TerminalSession_Event_b_at(&list, first + i,
		    &ev) != 0)
			return true;
		kg = capos_TerminalSession_Event_init_key(&ev);
		capos_TerminalSession_Event_key_set_key(&kg,
		    (enum capos_TerminalSession_Key)keys[i].code);
		capos_TerminalSession_Event_key_set_byte(&kg, keys[i].byte);
	}
	t->ops->answer(t->ctx, t->rd.call_id, &b);
	return true;
}

/* Answers the waiting read if what is buffered completes it, and makes
 * room in pend by moving what is left to its start. The bytes taken do
 * not stay behind it: they may have been a password. */
static void
progress(struct term *t)
{
	size_t left;

	if (t->rd.active && t->rd.line)
		line_step(t);
	else if (t->rd.active && event_step(t))
		end_read(t);
	left = t->pend_len - t->pend_off;
	memmove(t->pend, t->pend + t->pend_off, left);
	memset(t->pend + left, 0, t->pend_len - left);
	t->pend_len = left;
	t->pend_off = 0;
}

size_t
term_room(const struct term *t)
{
	return t->closed ? 0 : TERM_PEND_MAX - t->pend_len;
}

size_t
term_input(struct term *t, const void *p, size_t n)
{
	size_t room = term_room(t);

	if (n > room)
		n = room;
	memcpy(t->pend + t->pend_len, p, n);
	t->pend_len += n;
	progress(t);
	return n;
}

void
term_interrupt(struct term *t)
{
	if (t->closed)
		return;
	memset(t->pend, 0, t->pend_len);
	t->pend_len = t->pend_off = 0;
	memset(&t->dec, 0, sizeof(t->dec));
	(void)term_input(t, &ctrl_c, 1);
}

static uint16_t
clamp(uint16_t v, uint16_t old)
{
	if (v == 0)
		return old;
	return v > TERM_DIM_MAX ? TERM_DIM_MAX : v;
}

void
term_resize(struct term *t, uint16_t columns, uint16_t rows, bool event)
{
	uint16_t c = clamp(columns, t->columns), r = clamp(rows, t->rows);

	if (c == t->columns && r == t->rows)
		return;
	t->columns = c;
	t->rows = r;
	if (event && !t->closed) {
		t->resized = true;
		progress(t);
	}
}

/* Answers a read as closed: a line read with `closed`, an event read
 * with one closed event. */
static void
answer_closed(struct term *t, uint64_t call_id, bool line)
{
	struct capos_TerminalSession_LineResult_b lr;
	struct capos_TerminalSession_readEvents_Results_b er;
	struct capos_TerminalSession_Event_b ev;
	struct capnp_builder b;
	struct capnp_lb list;

	if (capnp_builder_init(&b, reply, sizeof(reply)) != 0)
		return;
	if (line) {
		if (capos_TerminalSession_LineResult_init_root(&b, &lr) != 0)
			return;
		capos_TerminalSession_LineResult_set_closed(&lr);
	} else {
		if (capos_TerminalSession_readEvents_Results_init_root(&b,
		    &er) != 0 ||
		    capos_TerminalSession_readEvents_Results_init_events(&er, 1,
		    &list) != 0 ||
		    capos_TerminalSession_Event_b_at(&list, 0, &ev) != 0)
			return;
		capos_TerminalSession_Event_set_closed(&ev);
	}
	t->ops->answer(t->ctx, call_id, &b);
}

/* Marks the session closed and answers what waits. */
static void
shut(struct term *t)
{
	t->closed = true;
	memset(t->pend, 0, t->pend_len);
	t->pend_len = t->pend_off = 0;
	t->resized = false;
	if (t->rd.active && t->rd.line)
		answer_line(t, TERM_LINE_CLOSED);
	else if (t->rd.active) {
		answer_closed(t, t->rd.call_id, false);
		end_read(t);
	}
	term_drained(t);
}

void
term_hangup(struct term *t)
{
	shut(t);
}

void
term_drained(struct term *t)
{
	if (!t->wr.active)
		return;
	t->wr.active = false;
	t->ops->answer(t->ctx, t->wr.call_id, NULL);
}

bool
term_reading(const struct term *t)
{
	return t->rd.active;
}

int
term_read_local(struct term *t, bool echo)
{
	if (t->rd.active)
		return -1;
	t->rd.active = true;
	t->rd.line = true;
	t->rd.local = true;
	t->rd.echo = echo;
	if (t->closed) {
		answer_line(t, TERM_LINE_CLOSED);
		return 0;
	}
	progress(t);
	return 0;
}

static void
do_write(struct term *t, uint64_t id, const struct capnp_struct *params)
{
	struct capos_TerminalSession_write_Params_r p = { *params };
	struct capnp_data d;

	if (capos_TerminalSession_write_Params_get_bytes(&p, &d) != 0 ||
	    d.len > capos_TerminalSession_maxWrite) {
		t->ops->fail(t->ctx, id, capos_CapException_Type_failed,
		    "write: more than maxWrite bytes");
		return;
	}
	if (t->wr.active) {
		t->ops->fail(t->ctx, id, capos_CapException_Type_overloaded,
		    "a write is already waiting");
		return;
	}
	out(t, d.ptr, d.len);
	if (!t->closed && t->ops->blocked != NULL &&
	    t->ops->blocked(t->ctx)) {
		t->wr.active = true;
		t->wr.call_id = id;
		return;
	}
	t->ops->answer(t->ctx, id, NULL);
}

static void
do_read(struct term *t, uint64_t id, const struct capnp_struct *params,
    bool line)
{
	struct capos_TerminalSession_readLine_Params_r p = { *params };

	if (t->closed) {
		answer_closed(t, id, line);
		return;
	}
	if (t->rd.active) {
		t->ops->fail(t->ctx, id, capos_CapException_Type_overloaded,
		    "a read is already waiting");
		return;
	}
	t->rd.active = true;
	t->rd.line = line;
	t->rd.echo = line && capos_TerminalSession_readLine_Params_get_echo(&p);
	t->rd.call_id = id;
	progress(t);
}

static void
do_window_size(struct term *t, uint64_t id)
{
	struct capos_TerminalSession_windowSize_Results_b r;
	struct capnp_builder b;

	if (capnp_builder_init(&b, reply, sizeof(reply)) != 0 ||
	    capos_TerminalSession_windowSize_Results_init_root(&b, &r) != 0)
		return;
	capos_TerminalSession_windowSize_Results_set_columns(&r, t->columns);
	capos_TerminalSession_windowSize_Results_set_rows(&r, t->rows);
	t->ops->answer(t->ctx, id, &b);
}

void
term_call(struct term *t, uint64_t call_id, uint64_t interface_id,
    uint16_t method, const struct capnp_struct *params, bool params_ok)
{
	static const struct capnp_struct none;

	if (!params_ok ||
	    interface_id != capos_TerminalSession_INTERFACE_ID) {
		t->ops->fail(t->ctx, call_id, capos_CapException_Type_failed,
		    "malformed call");
		return;
	}
	if (params == NULL)
		params = &none;
	switch (method) {
	case capos_TerminalSession_write_ORDINAL:
		do_write(t, call_id, params);
		break;
	case capos_TerminalSession_readLine_ORDINAL:
		do_read(t, call_id, params, true);
		break;
	case capos_TerminalSession_readEvents_ORDINAL:
		do_read(t, call_id, params, false);
		break;
	case capos_TerminalSession_windowSize_ORDINAL:
		do_window_size(t, call_id);
		break;
	case capos_TerminalSession_close_ORDINAL:
		shut(t);
		t->ops->answer(t->ctx, call_id, NULL);
		break;
	default:
		t->ops->fail(t->ctx, call_id,
		    capos_CapException_Type_unimplemented, "no such method");
		break;
	}
}
