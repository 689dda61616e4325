/*
 * lib/term: one TerminalSession's state and methods, driven as a host
 * would drive it: bytes and out-of-band events in, calls received, and
 * the answers and output it gives read back as a client would read them.
 */
#include "term.h"
#include "test.h"

/* What a host saw of one session. */
struct seen {
	uint8_t out[8192];		/* everything written */
	size_t nout;
	int answers;			/* calls answered with a message */
	uint64_t last_id;
	uint8_t msg[8192] __attribute__((aligned(8)));
	size_t nmsg;			/* 0: the last answer was empty */
	int fails;
	enum capos_CapException_Type fail_type;
	int local_ends;
	enum term_line local_how;
	char local[TERM_LINE_MAX + 1];
	bool blocked;
	struct term *chain;	/* a local reader that reads on at once */
};

static void
s_write(void *ctx, const void *p, size_t n)
{
	struct seen *s = ctx;

	if (n > sizeof(s->out) - s->nout)
		n = sizeof(s->out) - s->nout;
	memcpy(s->out + s->nout, p, n);
	s->nout += n;
}

static void
s_answer(void *ctx, uint64_t id, struct capnp_builder *b)
{
	struct seen *s = ctx;

	s->answers++;
	s->last_id = id;
	s->nmsg = 0;
	if (b != NULL) {
		s->nmsg = capnp_builder_finish(b);
		memcpy(s->msg, b->buf, s->nmsg);
	}
}

static void
s_fail(void *ctx, uint64_t id, enum capos_CapException_Type type,
    const char *why)
{
	struct seen *s = ctx;

	(void)why;
	s->fails++;
	s->last_id = id;
	s->fail_type = type;
}

static void
s_local(void *ctx, enum term_line how, const uint8_t *line, size_t len)
{
	struct seen *s = ctx;

	s->local_ends++;
	s->local_how = how;
	memcpy(s->local, line, len);
	s->local[len] = '\0';
	if (s->chain != NULL && how == TERM_LINE_OK)
		CHECK_EQ(term_read_local(s->chain, false), 0);
}

static bool
s_blocked(void *ctx)
{
	return ((struct seen *)ctx)->blocked;
}

static const struct term_ops ops = {
	.write = s_write, .answer = s_answer, .fail = s_fail,
	.local_line = s_local, .blocked = s_blocked,
};

static void
feed(struct term *t, const char *s)
{
	CHECK_EQ(term_input(t, s, strlen(s)), strlen(s));
}

/* Calls readLine(echo) as call `id`. */
static void
read_line(struct term *t, uint64_t id, bool echo)
{
	uint8_t buf[64] __attribute__((aligned(8)));
	struct capos_TerminalSession_readLine_Params_b p;
	struct capnp_builder b;
	struct capnp_msg m;
	struct capnp_struct st;
	size_t n;

	CHECK_EQ(capnp_builder_init(&b, buf, sizeof(buf)), 0);
	CHECK_EQ(capos_TerminalSession_readLine_Params_init_root(&b, &p), 0);
	capos_TerminalSession_readLine_Params_set_echo(&p, echo);
	n = capnp_builder_finish(&b);
	CHECK_EQ(capnp_msg_init(&m, buf, n), 0);
	CHECK_EQ(capnp_msg_root(&m, &st), 0);
	term_call(t, id, capos_TerminalSession_INTERFACE_ID,
	    capos_TerminalSession_readLine_ORDINAL, &st, true);
}

static void
call_plain(struct term *t, uint64_t id, uint16_t method)
{
	term_call(t, id, capos_TerminalSession_INTERFACE_ID, method, NULL,
	    true);
}

static void
write_call(struct term *t, uint64_t id, const void *p, size_t len)
{
	static uint8_t buf[capos_TerminalSession_maxWrite * 2]
	    __attribute__((aligned(8)));
	struct capos_TerminalSession_write_Params_b w;
	struct capnp_builder b;
	struct capnp_msg m;
	struct capnp_struct st;
	size_t n;

	CHECK_EQ(capnp_builder_init(&b, buf, sizeof(buf)), 0);
	CHECK_EQ(capos_TerminalSession_write_Params_init_root(&b, &w), 0);
	CHECK_EQ(capos_TerminalSession_write_Params_set_bytes(&w, p, len), 0);
	n = capnp_builder_finish(&b);
	CHECK_EQ(capnp_msg_init(&m, buf, n), 0);
	CHECK_EQ(capnp_msg_root(&m, &st), 0);
	term_call(t, id, capos_TerminalSession_INTERFACE_ID,
	    capos_TerminalSession_write_ORDINAL, &st, true);
}

/* The last answer as a LineResult: its union tag, the line in `line`. */
static int
line_result(struct seen *s, char *line, size_t room)
{
	struct capos_TerminalSession_LineResult_r r;
	struct capnp_msg m;
	struct capnp_data d;

	line[0] = '\0';
	if (s->nmsg == 0 || capnp_msg_init(&m, s->msg, s->nmsg) != 0 ||
	    capnp_msg_root(&m, &r.s) != 0)
		return -1;
	if (capos_TerminalSession_LineResult_which(&r) ==
	    capos_TerminalSession_LineResult_which_line) {
		if (capos_TerminalSession_LineResult_get_line(&r, &d) != 0 ||
		    d.len >= room)
			return -1;
		memcpy(line, d.ptr, d.len);
		line[d.len] = '\0';
	}
	return (int)capos_TerminalSession_LineResult_which(&r);
}

/* The last answer as readEvents results, into ev (at most max). */
static int
events(struct seen *s, struct capos_TerminalSession_Event_r *ev, int max)
{
	struct capos_TerminalSession_readEvents_Results_r r;
	struct capnp_msg m;
	struct capnp_list l;
	int n;

	if (s->nmsg == 0 || capnp_msg_init(&m, s->msg, s->nmsg) != 0 ||
	    capnp_msg_root(&m, &r.s) != 0 ||
	    capos_TerminalSession_readEvents_Results_get_events(&r, &l) != 0)
		return -1;
	for (n = 0; n < (int)l.n && n < max; n++)
		if (capos_TerminalSession_Event_at(&l, (uint32_t)n, &ev[n]) != 0)
			return -1;
	return n;
}

static int
key_of(const struct capos_TerminalSession_Event_r *ev, uint8_t *byte)
{
	struct capos_TerminalSession_Event_key_r k;

	if (capos_TerminalSession_Event_which(ev) !=
	    capos_TerminalSession_Event_which_key)
		return -1;
	k = capos_TerminalSession_Event_get_key(ev);
	*byte = capos_TerminalSession_Event_key_get_byte(&k);
	return (int)capos_TerminalSession_Event_key_get_key(&k);
}

TEST(term_read_line_edits_and_echoes)
{
	static struct term t;
	static struct seen s;
	char line[64];

	term_init(&t, &ops, &s);
	read_line(&t, 7, true);
	CHECK_EQ(s.answers, 0);
	feed(&t, "ab\x7f" "c");
	CHECK_EQ(s.answers, 0);
	feed(&t, "\x01\x1b[Dd\r\n");
	CHECK_EQ(s.answers, 1);
	CHECK_EQ(s.last_id, 7);
	CHECK_EQ(line_result(&s, line, sizeof(line)),
	    capos_TerminalSession_LineResult_which_line);
	CHECK_STR(line, "acd");
	CHECK_EQ(s.nout, 8);
	CHECK(memcmp(s.out, "ab\b \bcd\n", 8) == 0);
	/* The LF of CR LF was not left behind as a second Enter. */
	read_line(&t, 8, true);
	CHECK_EQ(s.answers, 1);
	feed(&t, "\x15" "x\x15y\r");
	CHECK_EQ(line_result(&s, line, sizeof(line)),
	    capos_TerminalSession_LineResult_which_line);
	CHECK_STR(line, "y");
}

TEST(term_hidden_line_echoes_nothing_and_is_wiped)
{
	static struct term t;
	static struct seen s;
	char line[64];

	term_init(&t, &ops, &s);
	read_line(&t, 1, false);
	feed(&t, "secret\x7fT\r");
	CHECK_EQ(line_result(&s, line, sizeof(line)),
	    capos_TerminalSession_LineResult_which_line);
	CHECK_STR(line, "secreT");
	CHECK_EQ(s.nout, 1);
	CHECK_EQ(s.out[0], '\n');
	for (size_t i = 0; i < sizeof(t.rd.buf); i++)
		if (t.rd.buf[i] != 0) {
			CHECK(!"the line stayed in the session");
			break;
		}
	/* Nor do the typed bytes stay in the input buffer behind it. */
	for (size_t i = 0; i < sizeof(t.pend); i++)
		if (t.pend[i] != 0) {
			CHECK(!"the typed bytes stayed in the input buffer");
			break;
		}
}

TEST(term_line_outcomes_too_long_eof_interrupt)
{
	static struct term t;
	static struct seen s;
	static char big[TERM_LINE_MAX + 2];
	char line[64];

	term_init(&t, &ops, &s);
	memset(big, 'x', TERM_LINE_MAX + 1);
	read_line(&t, 1, false);
	feed(&t, big);
	CHECK_EQ(s.answers, 0);
	feed(&t, "\r");
	CHECK_EQ(line_result(&s, line, sizeof(line)),
	    capos_TerminalSession_LineResult_which_tooLong);
	/* Exactly maxLine bytes is still a line. */
	big[TERM_LINE_MAX] = '\0';
	read_line(&t, 2, false);
	feed(&t, big);
	feed(&t, "\r");
	CHECK_EQ(s.answers, 2);
	CHECK_EQ(line_result(&s, line, 1), -1);	/* a line, too big for us */
	read_line(&t, 3, true);
	feed(&t, "a\x04");
	CHECK_EQ(s.answers, 2);			/* Ctrl-D ends only an empty line */
	feed(&t, "\x15\x04");
	CHECK_EQ(line_result(&s, line, sizeof(line)),
	    capos_TerminalSession_LineResult_which_eof);
	read_line(&t, 4, true);
	feed(&t, "abc\x03");
	CHECK_EQ(line_result(&s, line, sizeof(line)),
	    capos_TerminalSession_LineResult_which_interrupted);
}

TEST(term_out_of_band_interrupt_drops_typed_input)
{
	static struct term t;
	static struct seen s;
	char line[64];

	term_init(&t, &ops, &s);
	feed(&t, "ls\rmore typed ahead\r");
	term_interrupt(&t);
	read_line(&t, 5, true);
	CHECK_EQ(line_result(&s, line, sizeof(line)),
	    capos_TerminalSession_LineResult_which_interrupted);
	/* Nothing typed before the interrupt is left. */
	read_line(&t, 6, true);
	CHECK_EQ(s.answers, 1);
	feed(&t, "ok\r");
	CHECK_EQ(line_result(&s, line, sizeof(line)),
	    capos_TerminalSession_LineResult_which_line);
	CHECK_STR(line, "ok");
}

TEST(term_input_is_bounded_and_room_comes_back_as_keys_are_read)
{
	static struct term t;
	static struct seen s;
	static uint8_t flood[TERM_PEND_MAX + 100];
	struct capos_TerminalSession_Event_r ev[300];
	uint8_t byte;

	term_init(&t, &ops, &s);
	memset(flood, 'z', sizeof(flood));
	CHECK_EQ(term_input(&t, flood, sizeof(flood)), TERM_PEND_MAX);
	CHECK_EQ(term_room(&t), 0);
	CHECK_EQ(term_input(&t, "q", 1), 0);
	call_plain(&t, 1, capos_TerminalSession_readEvents_ORDINAL);
	CHECK_EQ(events(&s, ev, 300), capos_TerminalSession_maxEvents);
	CHECK_EQ(key_of(&ev[0], &byte), capos_TerminalSession_Key_char);
	CHECK_EQ(byte, 'z');
	CHECK_EQ(term_room(&t), capos_TerminalSession_maxEvents);
}

TEST(term_events_give_keys_and_the_latest_resize_once)
{
	static struct term t;
	static struct seen s;
	struct capos_TerminalSession_Event_r ev[8];
	struct capos_TerminalSession_Event_resize_r rs;
	uint8_t byte;

	term_init(&t, &ops, &s);
	/* A size that is only set (a first report) raises no event. */
	term_resize(&t, 132, 50, false);
	call_plain(&t, 1, capos_TerminalSession_readEvents_ORDINAL);
	CHECK_EQ(s.answers, 0);
	term_resize(&t, 100, 0, true);
	term_resize(&t, 60000, 40, true);
	CHECK_EQ(s.answers, 1);
	CHECK_EQ(events(&s, ev, 8), 1);
	CHECK_EQ(capos_TerminalSession_Event_which(&ev[0]),
	    capos_TerminalSession_Event_which_resize);
	rs = capos_TerminalSession_Event_get_resize(&ev[0]);
	/* The first change answered the waiting read; 0 kept the rows. */
	CHECK_EQ(capos_TerminalSession_Event_resize_get_columns(&rs), 100);
	CHECK_EQ(capos_TerminalSession_Event_resize_get_rows(&rs), 50);
	call_plain(&t, 2, capos_TerminalSession_readEvents_ORDINAL);
	CHECK_EQ(events(&s, ev, 8), 1);
	rs = capos_TerminalSession_Event_get_resize(&ev[0]);
	CHECK_EQ(capos_TerminalSession_Event_resize_get_columns(&rs),
	    TERM_DIM_MAX);
	CHECK_EQ(capos_TerminalSession_Event_resize_get_rows(&rs), 40);
	feed(&t, "\x1b[Aq\x03");
	call_plain(&t, 3, capos_TerminalSession_readEvents_ORDINAL);
	CHECK_EQ(events(&s, ev, 8), 3);
	CHECK_EQ(key_of(&ev[0], &byte), capos_TerminalSession_Key_up);
	CHECK_EQ(key_of(&ev[1], &byte), capos_TerminalSession_Key_char);
	CHECK_EQ(byte, 'q');
	CHECK_EQ(key_of(&ev[2], &byte), capos_TerminalSession_Key_interrupt);
	call_plain(&t, 4, capos_TerminalSession_windowSize_ORDINAL);
	CHECK_EQ(s.answers, 4);
	CHECK(s.nmsg != 0);
}

TEST(term_one_read_waits_at_a_time)
{
	static struct term t;
	static struct seen s;

	term_init(&t, &ops, &s);
	read_line(&t, 1, true);
	call_plain(&t, 2, capos_TerminalSession_readEvents_ORDINAL);
	CHECK_EQ(s.fails, 1);
	CHECK_EQ(s.last_id, 2);
	CHECK_EQ(s.fail_type, capos_CapException_Type_overloaded);
	CHECK_EQ(term_read_local(&t, true), -1);
	term_call(&t, 3, capos_TerminalSession_INTERFACE_ID, 99, NULL, true);
	CHECK_EQ(s.fail_type, capos_CapException_Type_unimplemented);
	term_call(&t, 4, 12345, 0, NULL, true);
	term_call(&t, 5, capos_TerminalSession_INTERFACE_ID,
	    capos_TerminalSession_write_ORDINAL, NULL, false);
	CHECK_EQ(s.fails, 4);
	CHECK_EQ(s.fail_type, capos_CapException_Type_failed);
	CHECK_EQ(s.answers, 0);
}

TEST(term_hangup_answers_the_waiting_read_and_every_later_one)
{
	static struct term t;
	static struct seen s;
	struct capos_TerminalSession_Event_r ev[4];
	char line[8];

	term_init(&t, &ops, &s);
	feed(&t, "partial");
	call_plain(&t, 1, capos_TerminalSession_readEvents_ORDINAL);
	CHECK_EQ(s.answers, 1);
	call_plain(&t, 2, capos_TerminalSession_readEvents_ORDINAL);
	CHECK_EQ(s.answers, 1);
	term_hangup(&t);
	CHECK_EQ(s.answers, 2);
	CHECK_EQ(s.last_id, 2);
	CHECK_EQ(events(&s, ev, 4), 1);
	CHECK_EQ(capos_TerminalSession_Event_which(&ev[0]),
	    capos_TerminalSession_Event_which_closed);
	CHECK_EQ(term_room(&t), 0);
	CHECK_EQ(term_input(&t, "x", 1), 0);
	call_plain(&t, 3, capos_TerminalSession_readEvents_ORDINAL);
	CHECK_EQ(s.last_id, 3);
	CHECK_EQ(events(&s, ev, 4), 1);
	CHECK_EQ(capos_TerminalSession_Event_which(&ev[0]),
	    capos_TerminalSession_Event_which_closed);
	read_line(&t, 4, true);
	CHECK_EQ(line_result(&s, line, sizeof(line)),
	    capos_TerminalSession_LineResult_which_closed);
	s.nout = 0;
	write_call(&t, 5, "lost", 4);
	CHECK_EQ(s.last_id, 5);
	CHECK_EQ(s.nout, 0);
	/* The shell's own close does the same. */
	static struct term u;
	static struct seen su;

	term_init(&u, &ops, &su);
	read_line(&u, 1, true);
	call_plain(&u, 2, capos_TerminalSession_close_ORDINAL);
	CHECK_EQ(su.answers, 2);
	call_plain(&u, 3, capos_TerminalSession_readEvents_ORDINAL);
	CHECK_EQ(events(&su, ev, 4), 1);
	CHECK_EQ(capos_TerminalSession_Event_which(&ev[0]),
	    capos_TerminalSession_Event_which_closed);
}

TEST(term_write_waits_while_the_transport_is_backed_up)
{
	static struct term t;
	static struct seen s;
	static uint8_t big[capos_TerminalSession_maxWrite + 1];

	term_init(&t, &ops, &s);
	write_call(&t, 1, "hello\n", 6);
	CHECK_EQ(s.answers, 1);
	s.blocked = true;
	write_call(&t, 2, "more", 4);
	CHECK_EQ(s.answers, 1);
	CHECK_EQ(s.nout, 10);			/* taken, not yet answered */
	write_call(&t, 3, "x", 1);
	CHECK_EQ(s.fail_type, capos_CapException_Type_overloaded);
	CHECK_EQ(s.nout, 10);
	s.blocked = false;
	term_drained(&t);
	CHECK_EQ(s.answers, 2);
	CHECK_EQ(s.last_id, 2);
	term_drained(&t);
	CHECK_EQ(s.answers, 2);
	write_call(&t, 4, big, sizeof(big));
	CHECK_EQ(s.fails, 2);
	CHECK_EQ(s.nout, 10);
	/* A hangup answers a write that waits. */
	s.blocked = true;
	write_call(&t, 5, "y", 1);
	CHECK_EQ(s.answers, 2);
	term_hangup(&t);
	CHECK_EQ(s.answers, 3);
	CHECK_EQ(s.last_id, 5);
}

TEST(term_local_read_serves_a_login_prompt)
{
	static struct term t;
	static struct seen s;

	term_init(&t, &ops, &s);
	feed(&t, "adm");
	CHECK_EQ(term_read_local(&t, true), 0);
	CHECK_EQ(s.local_ends, 0);
	feed(&t, "in\rpw");
	CHECK_EQ(s.local_ends, 1);
	CHECK_EQ(s.local_how, TERM_LINE_OK);
	CHECK_STR(s.local, "admin");
	CHECK(term_reading(&t) == false);
	CHECK_EQ(term_read_local(&t, false), 0);
	feed(&t, "d\r");
	CHECK_EQ(s.local_ends, 2);
	CHECK_STR(s.local, "pwd");
	CHECK(memcmp(s.out, "admin\n\n", 7) == 0);
	CHECK_EQ(s.answers, 0);
	CHECK_EQ(term_read_local(&t, false), 0);
	term_hangup(&t);
	CHECK_EQ(s.local_ends, 3);
	CHECK_EQ(s.local_how, TERM_LINE_CLOSED);
}

TEST(term_local_reader_may_start_its_next_read_from_the_callback)
{
	static struct term t;
	static struct seen s;

	term_init(&t, &ops, &s);
	s.chain = &t;
	CHECK_EQ(term_read_local(&t, true), 0);
	/* Name and password typed ahead in one go, as a client sends them. */
	feed(&t, "admin\r\ncapos-dev\r\n");
	CHECK_EQ(s.local_ends, 2);
	CHECK_STR(s.local, "capos-dev");
	CHECK(term_reading(&t));
	feed(&t, "x\n");
	CHECK_EQ(s.local_ends, 3);
	CHECK_STR(s.local, "x");
}

TEST(term_sessions_of_one_host_are_independent)
{
	static struct term a, b;
	static struct seen sa, sb;
	char line[16];

	term_init(&a, &ops, &sa);
	term_init(&b, &ops, &sb);
	read_line(&a, 1, true);
	read_line(&b, 1, true);
	feed(&a, "one");
	feed(&b, "two\r");
	feed(&a, "\r");
	CHECK_EQ(line_result(&sa, line, sizeof(line)),
	    capos_TerminalSession_LineResult_which_line);
	CHECK_STR(line, "one");
	CHECK_EQ(line_result(&sb, line, sizeof(line)),
	    capos_TerminalSession_LineResult_which_line);
	CHECK_STR(line, "two");
	term_hangup(&a);
	call_plain(&b, 2, capos_TerminalSession_windowSize_ORDINAL);
	CHECK_EQ(sb.answers, 2);
	read_line(&b, 3, true);
	CHECK_EQ(sb.answers, 2);
}
