/*
 * The Telnet NVT engine (lib/proto/telnet): decoding, escaping, RFC 1143
 * negotiation, NAWS, interrupts, AYT and subnegotiation bounds, each fed
 * whole, split at every byte boundary and by hostile peers.
 */
#include <stdlib.h>

#include "proto/telnet/telnet.h"
#include "test.h"

#define IAC	TELNET_IAC

/* Everything the engine produced from one input, in order. */
struct transcript {
	uint8_t data[8192];
	size_t ndata;
	uint8_t out[8192];
	size_t nout;
	struct {
		struct telnet_event ev;
		size_t at;	/* data bytes delivered before it */
	} ev[256];
	size_t nev;
};

static void
drain(struct telnet *t, struct transcript *r)
{
	r->nout += telnet_take_output(t, r->out + r->nout,
	    sizeof(r->out) - r->nout);
}

/*
 * Feeds in[0..len) in chunks of `chunk` bytes with a data buffer of
 * `cap` bytes, handling each result as a gateway would. Fails the test if
 * a call makes no progress.
 */
static void
feed(struct telnet *t, struct transcript *r, const uint8_t *in, size_t len,
    size_t chunk, size_t cap)
{
	uint8_t data[64];
	struct telnet_event ev;
	size_t off = 0, end, used, n;

	while (off < len) {
		end = len - off < chunk ? len : off + chunk;
		while (off < end) {
			used = telnet_input(t, in + off, end - off, data, cap,
			    &n, &ev);
			if (used == 0 && n == 0 && ev.kind == TELNET_EV_NONE &&
			    t->out_len == 0) {
				test_fail(__FILE__, __LINE__, "no progress");
				return;
			}
			if (r->ndata + n <= sizeof(r->data)) {
				memcpy(r->data + r->ndata, data, n);
				r->ndata += n;
			}
			if (ev.kind != TELNET_EV_NONE && r->nev < 256) {
				r->ev[r->nev].ev = ev;
				r->ev[r->nev++].at = r->ndata;
			}
			drain(t, r);
			off += used;
		}
	}
}

static struct transcript *
run(struct telnet *t, const void *in, size_t len)
{
	static struct transcript r;

	memset(&r, 0, sizeof(r));
	feed(t, &r, in, len, len, sizeof(((struct transcript *)0)->data));
	return &r;
}

/* A fresh engine with its opening offers taken and the usual client
 * answers (DO ECHO, DO SGA, WILL NAWS) already fed. */
static void
open_connection(struct telnet *t)
{
	static const uint8_t ans[] = { IAC, TELNET_DO, TELNET_OPT_ECHO, IAC,
		TELNET_DO, TELNET_OPT_SGA, IAC, TELNET_WILL, TELNET_OPT_NAWS };
	uint8_t junk[64];

	telnet_init(t);
	telnet_take_output(t, junk, sizeof(junk));
	run(t, ans, sizeof(ans));
}

static bool
same_event(const struct telnet_event *a, const struct telnet_event *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case TELNET_EV_WINDOW_SIZE:
	case TELNET_EV_RESIZE:
		return a->size.width == b->size.width &&
		    a->size.height == b->size.height;
	case TELNET_EV_INTERRUPT:
	case TELNET_EV_ERASE:
		return a->cmd == b->cmd;
	case TELNET_EV_OPTION:
		return a->option.code == b->option.code &&
		    a->option.side == b->option.side &&
		    a->option.on == b->option.on;
	case TELNET_EV_SB_DISCARDED:
		return a->sb.code == b->sb.code && a->sb.reason == b->sb.reason;
	default:
		return true;
	}
}

static bool
same_transcript(const struct transcript *a, const struct transcript *b)
{
	if (a->ndata != b->ndata || memcmp(a->data, b->data, a->ndata) != 0 ||
	    a->nout != b->nout || memcmp(a->out, b->out, a->nout) != 0 ||
	    a->nev != b->nev)
		return false;
	for (size_t i = 0; i < a->nev; i++)
		if (a->ev[i].at != b->ev[i].at ||
		    !same_event(&a->ev[i].ev, &b->ev[i].ev))
			return false;
	return true;
}

#define CHECK_BYTES(got, n, ...)                                          \
	do {                                                              \
		static const uint8_t want_[] = { __VA_ARGS__ };           \
		CHECK_EQ((n), sizeof(want_));                             \
		if ((n) == sizeof(want_))                                 \
			CHECK(memcmp((got), want_, sizeof(want_)) == 0);  \
	} while (0)

TEST(telnet_opens_with_will_echo_will_sga_do_naws)
{
	struct telnet t;
	uint8_t out[64];
	size_t n;

	telnet_init(&t);
	n = telnet_take_output(&t, out, sizeof(out));
	CHECK_BYTES(out, n, IAC, TELNET_WILL, TELNET_OPT_ECHO, IAC,
	    TELNET_WILL, TELNET_OPT_SGA, IAC, TELNET_DO, TELNET_OPT_NAWS);
	CHECK(!telnet_enabled(&t, TELNET_US, TELNET_OPT_ECHO));
	CHECK_EQ(t.opt[TELNET_OPT_ECHO].us, TELNET_Q_WANTYES);
	CHECK_EQ(t.opt[TELNET_OPT_NAWS].him, TELNET_Q_WANTYES);
}

TEST(telnet_client_acceptance_enables_options_without_answer)
{
	static const uint8_t in[] = { IAC, TELNET_DO, TELNET_OPT_ECHO, IAC,
		TELNET_DO, TELNET_OPT_SGA, IAC, TELNET_WILL, TELNET_OPT_NAWS };
	struct telnet t;
	struct transcript *r;
	uint8_t junk[64];

	telnet_init(&t);
	telnet_take_output(&t, junk, sizeof(junk));
	r = run(&t, in, sizeof(in));
	CHECK_EQ(r->nout, 0);
	CHECK_EQ(r->nev, 3);
	CHECK_EQ(r->ev[0].ev.kind, TELNET_EV_OPTION);
	CHECK_EQ(r->ev[0].ev.option.code, TELNET_OPT_ECHO);
	CHECK_EQ(r->ev[0].ev.option.side, TELNET_US);
	CHECK(r->ev[0].ev.option.on);
	CHECK_EQ(r->ev[2].ev.option.code, TELNET_OPT_NAWS);
	CHECK_EQ(r->ev[2].ev.option.side, TELNET_HIM);
	CHECK(telnet_enabled(&t, TELNET_US, TELNET_OPT_ECHO));
	CHECK(telnet_enabled(&t, TELNET_US, TELNET_OPT_SGA));
	CHECK(telnet_enabled(&t, TELNET_HIM, TELNET_OPT_NAWS));
}

TEST(telnet_refused_offer_is_not_answered)
{
	static const uint8_t in[] = { IAC, TELNET_DONT, TELNET_OPT_ECHO, IAC,
		TELNET_WONT, TELNET_OPT_NAWS };
	struct telnet t;
	struct transcript *r;
	uint8_t junk[64];

	telnet_init(&t);
	telnet_take_output(&t, junk, sizeof(junk));
	r = run(&t, in, sizeof(in));
	CHECK_EQ(r->nout, 0);
	CHECK_EQ(r->nev, 0);
	CHECK_EQ(t.opt[TELNET_OPT_ECHO].us, TELNET_Q_NO);
	CHECK_EQ(t.opt[TELNET_OPT_NAWS].him, TELNET_Q_NO);
}

TEST(telnet_disabling_enabled_option_is_acknowledged_once)
{
	static const uint8_t off[] = { IAC, TELNET_DONT, TELNET_OPT_ECHO, IAC,
		TELNET_DONT, TELNET_OPT_ECHO };
	static const uint8_t on[] = { IAC, TELNET_DO, TELNET_OPT_ECHO };
	struct telnet t;
	struct transcript *r;

	open_connection(&t);
	r = run(&t, off, sizeof(off));
	CHECK_BYTES(r->out, r->nout, IAC, TELNET_WONT, TELNET_OPT_ECHO);
	CHECK_EQ(r->nev, 1);
	CHECK(!r->ev[0].ev.option.on);
	r = run(&t, on, sizeof(on));
	CHECK_BYTES(r->out, r->nout, IAC, TELNET_WILL, TELNET_OPT_ECHO);
	CHECK(telnet_enabled(&t, TELNET_US, TELNET_OPT_ECHO));
}

TEST(telnet_unknown_options_refused_exactly_once)
{
	/* TERMINAL-TYPE (24) both ways, and the peer offering to echo. */
	static const uint8_t in[] = { IAC, TELNET_WILL, 24, IAC, TELNET_DO,
		24, IAC, TELNET_WILL, TELNET_OPT_ECHO, IAC, TELNET_WILL, 24,
		IAC, TELNET_DO, 24, IAC, TELNET_WILL, TELNET_OPT_ECHO, IAC,
		TELNET_WONT, 24, IAC, TELNET_DONT, 24 };
	struct telnet t;
	struct transcript *r;

	open_connection(&t);
	r = run(&t, in, sizeof(in));
	CHECK_BYTES(r->out, r->nout, IAC, TELNET_DONT, 24, IAC, TELNET_WONT,
	    24, IAC, TELNET_DONT, TELNET_OPT_ECHO);
	CHECK_EQ(r->nev, 0);
	CHECK(!telnet_enabled(&t, TELNET_HIM, 24));
	CHECK(!telnet_enabled(&t, TELNET_HIM, TELNET_OPT_ECHO));
}

/* RFC 1143's queue bit: a request against an unanswered opposite one
 * waits, and goes out when the answer comes. */
TEST(telnet_q_method_queue_bit)
{
	static const uint8_t do_echo[] = { IAC, TELNET_DO, TELNET_OPT_ECHO };
	static const uint8_t dont_echo[] = { IAC, TELNET_DONT,
		TELNET_OPT_ECHO };
	struct telnet t;
	struct transcript *r;
	uint8_t junk[64];

	telnet_init(&t);
	telnet_take_output(&t, junk, sizeof(junk));
	/* WILL ECHO is out; asking it off now queues the off. */
	CHECK_EQ(telnet_ask(&t, TELNET_US, TELNET_OPT_ECHO, false), 0);
	CHECK_EQ(t.out_len, 0);
	CHECK_EQ(telnet_ask(&t, TELNET_US, TELNET_OPT_ECHO, false),
	    TELNET_EALREADY);
	r = run(&t, do_echo, sizeof(do_echo));
	CHECK_BYTES(r->out, r->nout, IAC, TELNET_WONT, TELNET_OPT_ECHO);
	CHECK_EQ(t.opt[TELNET_OPT_ECHO].us, TELNET_Q_WANTNO);
	CHECK_EQ(r->nev, 0);
	/* WANTNO: asking it on again queues the on. */
	CHECK_EQ(telnet_ask(&t, TELNET_US, TELNET_OPT_ECHO, true), 0);
	CHECK_EQ(t.out_len, 0);
	r = run(&t, dont_echo, sizeof(dont_echo));
	CHECK_BYTES(r->out, r->nout, IAC, TELNET_WILL, TELNET_OPT_ECHO);
	CHECK_EQ(t.opt[TELNET_OPT_ECHO].us, TELNET_Q_WANTYES);
	r = run(&t, do_echo, sizeof(do_echo));
	CHECK_EQ(r->nout, 0);
	CHECK(telnet_enabled(&t, TELNET_US, TELNET_OPT_ECHO));
	/* A queued request can be taken back before it goes out. */
	CHECK_EQ(telnet_ask(&t, TELNET_US, TELNET_OPT_ECHO, false), 0);
	CHECK_EQ(telnet_ask(&t, TELNET_US, TELNET_OPT_ECHO, true), 0);
	CHECK_EQ(t.opt[TELNET_OPT_ECHO].usq, 1);
	CHECK_EQ(telnet_ask(&t, TELNET_US, TELNET_OPT_ECHO, false), 0);
	CHECK_EQ(t.opt[TELNET_OPT_ECHO].usq, 0);
	CHECK_EQ(telnet_ask(&t, TELNET_HIM, 24, true), TELNET_EREFUSED);
	CHECK_EQ(telnet_ask(&t, TELNET_HIM, 24, false), TELNET_EALREADY);
}

TEST(telnet_q_method_peer_errors_settle)
{
	/* DONT answered by WILL (RFC 1143's error rows): settle, no answer. */
	static const uint8_t will_naws[] = { IAC, TELNET_WILL,
		TELNET_OPT_NAWS };
	struct telnet t;
	struct transcript *r;

	open_connection(&t);
	CHECK_EQ(telnet_ask(&t, TELNET_HIM, TELNET_OPT_NAWS, false), 0);
	r = run(&t, will_naws, sizeof(will_naws));
	CHECK_BYTES(r->out, r->nout, IAC, TELNET_DONT, TELNET_OPT_NAWS);
	CHECK_EQ(t.opt[TELNET_OPT_NAWS].him, TELNET_Q_NO);
	/* WANTNO with the queue bit: the same error lands on YES. */
	open_connection(&t);
	CHECK_EQ(telnet_ask(&t, TELNET_HIM, TELNET_OPT_NAWS, false), 0);
	CHECK_EQ(telnet_ask(&t, TELNET_HIM, TELNET_OPT_NAWS, true), 0);
	r = run(&t, will_naws, sizeof(will_naws));
	CHECK_BYTES(r->out, r->nout, IAC, TELNET_DONT, TELNET_OPT_NAWS);
	CHECK(telnet_enabled(&t, TELNET_HIM, TELNET_OPT_NAWS));
	CHECK_EQ(t.opt[TELNET_OPT_NAWS].himq, 0);
}

TEST(telnet_naws_reports_window_size_then_resizes)
{
	static const uint8_t in[] = { IAC, TELNET_SB, TELNET_OPT_NAWS, 0, 80,
		0, 24, IAC, TELNET_SE, IAC, TELNET_SB, TELNET_OPT_NAWS, 0, IAC,
		IAC, IAC, IAC, 0, IAC, TELNET_SE };
	struct telnet t;
	struct transcript *r;

	open_connection(&t);
	r = run(&t, in, sizeof(in));
	CHECK_EQ(r->nev, 2);
	CHECK_EQ(r->ev[0].ev.kind, TELNET_EV_WINDOW_SIZE);
	CHECK_EQ(r->ev[0].ev.size.width, 80);
	CHECK_EQ(r->ev[0].ev.size.height, 24);
	CHECK_EQ(r->ev[1].ev.kind, TELNET_EV_RESIZE);
	CHECK_EQ(r->ev[1].ev.size.width, 0xff);
	CHECK_EQ(r->ev[1].ev.size.height, 0xff00);
	CHECK_EQ(r->ndata, 0);
	CHECK_EQ(r->nout, 0);
}

TEST(telnet_naws_body_doubles_iac)
{
	/* 255 inside a body is doubled (RFC 1073): width 0xffff. */
	static const uint8_t in[] = { IAC, TELNET_SB, TELNET_OPT_NAWS, IAC,
		IAC, IAC, IAC, 0, 50, IAC, TELNET_SE };
	struct telnet t;
	struct transcript *r;

	open_connection(&t);
	r = run(&t, in, sizeof(in));
	CHECK_EQ(r->nev, 1);
	CHECK_EQ(r->ev[0].ev.kind, TELNET_EV_WINDOW_SIZE);
	CHECK_EQ(r->ev[0].ev.size.width, 0xffff);
	CHECK_EQ(r->ev[0].ev.size.height, 50);
}

TEST(telnet_bad_subnegotiations_are_discarded_and_reported)
{
	static const uint8_t short_naws[] = { IAC, TELNET_SB, TELNET_OPT_NAWS,
		0, 80, 0, IAC, TELNET_SE, 'k' };
	static const uint8_t ttype[] = { IAC, TELNET_SB, 24, 0, 'x', 't',
		IAC, TELNET_SE, 'k' };
	static const uint8_t sga[] = { IAC, TELNET_SB, TELNET_OPT_SGA, 1,
		IAC, TELNET_SE };
	struct telnet t;
	struct transcript *r;
	uint8_t junk[64];

	open_connection(&t);
	r = run(&t, short_naws, sizeof(short_naws));
	CHECK_EQ(r->nev, 1);
	CHECK_EQ(r->ev[0].ev.kind, TELNET_EV_SB_DISCARDED);
	CHECK_EQ(r->ev[0].ev.sb.code, TELNET_OPT_NAWS);
	CHECK_EQ(r->ev[0].ev.sb.reason, TELNET_SB_MALFORMED);
	CHECK_BYTES(r->data, r->ndata, 'k');
	r = run(&t, ttype, sizeof(ttype));
	CHECK_EQ(r->nev, 1);
	CHECK_EQ(r->ev[0].ev.sb.reason, TELNET_SB_NOT_ENABLED);
	CHECK_BYTES(r->data, r->ndata, 'k');
	r = run(&t, sga, sizeof(sga));
	CHECK_EQ(r->ev[0].ev.sb.reason, TELNET_SB_MALFORMED);
	/* NAWS before the peer agreed to it. */
	telnet_init(&t);
	telnet_take_output(&t, junk, sizeof(junk));
	r = run(&t, short_naws, sizeof(short_naws));
	CHECK_EQ(r->ev[0].ev.sb.reason, TELNET_SB_NOT_ENABLED);
}

TEST(telnet_endless_subnegotiation_is_reported_once_and_skipped)
{
	static uint8_t in[100000];
	static const uint8_t tail[] = { IAC, TELNET_SE, 'o', 'k' };
	struct telnet t;
	struct transcript *r;

	open_connection(&t);
	in[0] = IAC;
	in[1] = TELNET_SB;
	in[2] = TELNET_OPT_NAWS;
	memset(in + 3, 'A', sizeof(in) - 3);
	r = run(&t, in, sizeof(in));
	CHECK_EQ(r->nev, 1);
	CHECK_EQ(r->ev[0].ev.kind, TELNET_EV_SB_DISCARDED);
	CHECK_EQ(r->ev[0].ev.sb.reason, TELNET_SB_OVERLONG);
	CHECK_EQ(r->ndata, 0);
	CHECK_EQ(t.sb_len, TELNET_SB_MAX);
	r = run(&t, tail, sizeof(tail));
	CHECK_EQ(r->nev, 0);
	CHECK_BYTES(r->data, r->ndata, 'o', 'k');
}

TEST(telnet_subnegotiation_cut_by_command_is_unterminated)
{
	static const uint8_t in[] = { IAC, TELNET_SB, TELNET_OPT_NAWS, 0, 80,
		IAC, TELNET_WILL, 24, 'z' };
	struct telnet t;
	struct transcript *r;

	open_connection(&t);
	r = run(&t, in, sizeof(in));
	CHECK_EQ(r->nev, 1);
	CHECK_EQ(r->ev[0].ev.kind, TELNET_EV_SB_DISCARDED);
	CHECK_EQ(r->ev[0].ev.sb.reason, TELNET_SB_UNTERMINATED);
	/* The command that cut it is still carried out. */
	CHECK_BYTES(r->out, r->nout, IAC, TELNET_DONT, 24);
	CHECK_BYTES(r->data, r->ndata, 'z');
}

TEST(telnet_cr_lf_is_newline_cr_nul_is_bare_cr)
{
	static const uint8_t in[] = "ab\r\ncd\r\0e\rf\ng\0h";
	struct telnet t;
	struct transcript *r;

	open_connection(&t);
	r = run(&t, in, sizeof(in) - 1);
	CHECK_EQ(r->ndata, 12);
	CHECK(memcmp(r->data, "ab\ncd\re\rf\ngh", 12) == 0);
}

TEST(telnet_cr_at_end_of_input_waits_for_next_byte)
{
	struct telnet t;
	struct transcript *r;

	open_connection(&t);
	r = run(&t, "x\r", 2);
	CHECK_BYTES(r->data, r->ndata, 'x');
	CHECK_EQ(t.state, TELNET_P_CR);
	r = run(&t, "\n", 1);
	CHECK_BYTES(r->data, r->ndata, '\n');
	r = run(&t, "\r", 1);
	CHECK_EQ(r->ndata, 0);
	r = run(&t, "\0", 1);
	CHECK_BYTES(r->data, r->ndata, '\r');
	/* CR then IAC IAC: a bare CR, then 255. */
	r = run(&t, "\r", 1);
	r = run(&t, "\xff\xff", 2);
	CHECK_BYTES(r->data, r->ndata, '\r', 0xff);
}

TEST(telnet_iac_iac_is_data_255)
{
	static const uint8_t in[] = { 'a', IAC, IAC, 'b' };
	struct telnet t;
	struct transcript *r;

	open_connection(&t);
	r = run(&t, in, sizeof(in));
	CHECK_BYTES(r->data, r->ndata, 'a', 0xff, 'b');
}

TEST(telnet_iac_at_end_of_input_waits_for_command)
{
	static const uint8_t a[] = { 'a', 'b', IAC };
	static const uint8_t b[] = { TELNET_IP, 'c' };
	struct telnet t;
	struct transcript *r;

	open_connection(&t);
	r = run(&t, a, sizeof(a));
	CHECK_BYTES(r->data, r->ndata, 'a', 'b');
	CHECK_EQ(r->nev, 0);
	r = run(&t, b, sizeof(b));
	CHECK_EQ(r->nev, 1);
	CHECK_EQ(r->ev[0].ev.kind, TELNET_EV_INTERRUPT);
	CHECK_EQ(r->ev[0].at, 0);
	CHECK_BYTES(r->data, r->ndata, 'c');
}

TEST(telnet_ip_and_brk_are_interrupts_in_order)
{
	static const uint8_t in[] = { 'l', 's', IAC, TELNET_IP, 'x', IAC,
		TELNET_BRK, IAC, TELNET_EC, IAC, TELNET_EL, IAC, TELNET_AO,
		IAC, TELNET_NOP, IAC, TELNET_GA, IAC, TELNET_DM, IAC, 17 };
	struct telnet t;
	struct transcript *r;

	open_connection(&t);
	r = run(&t, in, sizeof(in));
	CHECK_EQ(r->nev, 5);
	CHECK_EQ(r->ev[0].ev.kind, TELNET_EV_INTERRUPT);
	CHECK_EQ(r->ev[0].ev.cmd, TELNET_IP);
	CHECK_EQ(r->ev[0].at, 2);
	CHECK_EQ(r->ev[1].ev.kind, TELNET_EV_INTERRUPT);
	CHECK_EQ(r->ev[1].ev.cmd, TELNET_BRK);
	CHECK_EQ(r->ev[1].at, 3);
	CHECK_EQ(r->ev[2].ev.kind, TELNET_EV_ERASE);
	CHECK_EQ(r->ev[2].ev.cmd, TELNET_EC);
	CHECK_EQ(r->ev[3].ev.cmd, TELNET_EL);
	CHECK_EQ(r->ev[4].ev.kind, TELNET_EV_ABORT_OUTPUT);
	CHECK_BYTES(r->data, r->ndata, 'l', 's', 'x');
	CHECK_EQ(r->nout, 0);
}

TEST(telnet_ayt_is_answered)
{
	static const uint8_t in[] = { IAC, TELNET_AYT };
	struct telnet t;
	struct transcript *r;

	open_connection(&t);
	r = run(&t, in, sizeof(in));
	CHECK_EQ(r->nout, 14);
	CHECK(memcmp(r->out, "[capOS: yes]\r\n", 14) == 0);
}

/* Every answer is kept: a burst of AYTs larger than the answer queue
 * waits unconsumed until the caller drains, and is answered in full. */
TEST(telnet_answer_queue_applies_backpressure)
{
	static uint8_t in[2 * 100];
	struct telnet t;
	uint8_t data[8], out[2048];
	struct telnet_event ev;
	size_t off = 0, used, n, nout = 0;
	int calls = 0;

	open_connection(&t);
	for (size_t i = 0; i < sizeof(in); i += 2) {
		in[i] = IAC;
		in[i + 1] = TELNET_AYT;
	}
	used = telnet_input(&t, in, sizeof(in), data, sizeof(data), &n, &ev);
	CHECK(used < sizeof(in));
	CHECK(t.out_len <= TELNET_OUT_MAX);
	off = used;
	nout = telnet_take_output(&t, out, sizeof(out));
	while (off < sizeof(in) && calls++ < 1000) {
		off += telnet_input(&t, in + off, sizeof(in) - off, data,
		    sizeof(data), &n, &ev);
		CHECK(t.out_len <= TELNET_OUT_MAX);
		nout += telnet_take_output(&t, out + nout, sizeof(out) - nout);
	}
	CHECK_EQ(off, sizeof(in));
	CHECK_EQ(nout, 100 * 14);
}

/* A data buffer of one byte still gets everything, in order. */
TEST(telnet_small_data_buffer_loses_nothing)
{
	static const uint8_t in[] = { 'a', '\r', 'b', IAC, IAC, '\r', '\n',
		'c' };
	struct telnet t, u;
	struct transcript small, *whole;

	open_connection(&t);
	open_connection(&u);
	memset(&small, 0, sizeof(small));
	feed(&t, &small, in, sizeof(in), sizeof(in), 1);
	whole = run(&u, in, sizeof(in));
	CHECK(same_transcript(&small, whole));
	CHECK_BYTES(small.data, small.ndata, 'a', '\r', 'b', 0xff, '\n', 'c');
}

/*
 * A client's whole opening, cut into two pieces at every byte boundary,
 * and fed a byte at a time: every way gives the same data, events (at
 * the same data positions) and answers as feeding it whole.
 */
TEST(telnet_split_at_every_boundary_gives_same_result)
{
	static const uint8_t in[] = { IAC, TELNET_DO, TELNET_OPT_ECHO, IAC,
		TELNET_DO, TELNET_OPT_SGA, IAC, TELNET_WILL, TELNET_OPT_NAWS,
		IAC, TELNET_WILL, 24, IAC, TELNET_SB, TELNET_OPT_NAWS, 0, 80,
		0, IAC, IAC, IAC, TELNET_SE, 'l', 's', '\r', '\n', 'a', '\r',
		'\0', IAC, TELNET_AYT, IAC, TELNET_IP, 'b', '\r', IAC, IAC,
		IAC, TELNET_SB, 24, 0, IAC, TELNET_WONT, TELNET_OPT_NAWS };
	static struct transcript whole, cut;
	struct telnet t;
	uint8_t junk[64];
	int bad = 0;

	telnet_init(&t);
	telnet_take_output(&t, junk, sizeof(junk));
	memset(&whole, 0, sizeof(whole));
	feed(&t, &whole, in, sizeof(in), sizeof(in), sizeof(whole.data));
	CHECK_EQ(whole.nev, 7);
	CHECK_EQ(whole.ndata, 8);
	for (size_t at = 1; at < sizeof(in); at++) {
		telnet_init(&t);
		telnet_take_output(&t, junk, sizeof(junk));
		memset(&cut, 0, sizeof(cut));
		feed(&t, &cut, in, at, at, sizeof(cut.data));
		feed(&t, &cut, in + at, sizeof(in) - at, sizeof(in),
		    sizeof(cut.data));
		if (!same_transcript(&whole, &cut) && bad++ == 0)
			test_fail(__FILE__, __LINE__, "split at %zu differs",
			    at);
	}
	telnet_init(&t);
	telnet_take_output(&t, junk, sizeof(junk));
	memset(&cut, 0, sizeof(cut));
	feed(&t, &cut, in, sizeof(in), 1, 1);
	CHECK(same_transcript(&whole, &cut));
	CHECK_EQ(bad, 0);
}

/*
 * A naive peer answers every command it gets, state or no state, with
 * its fixed opinion: the kind of peer that loops with an engine that
 * does the same. Returns the answers to out.
 */
static size_t
naive_peer(const uint8_t *in, size_t n, bool agree, uint8_t *out)
{
	size_t k = 0;

	for (size_t i = 0; i + 2 < n; i++) {
		if (in[i] != IAC)
			continue;
		switch (in[i + 1]) {
		case TELNET_WILL:
		case TELNET_WONT:
			out[k++] = IAC;
			out[k++] = agree ? TELNET_DO : TELNET_DONT;
			out[k++] = in[i + 2];
			i += 2;
			break;
		case TELNET_DO:
		case TELNET_DONT:
			out[k++] = IAC;
			out[k++] = agree ? TELNET_WILL : TELNET_WONT;
			out[k++] = in[i + 2];
			i += 2;
			break;
		}
	}
	return k;
}

static int
rounds_to_quiet(bool agree)
{
	static const uint8_t opening[] = { IAC, TELNET_DO, TELNET_OPT_ECHO,
		IAC, TELNET_DO, TELNET_OPT_SGA, IAC, TELNET_WILL,
		TELNET_OPT_NAWS, IAC, TELNET_WILL, 24 };
	static uint8_t wire[4096], back[4096];
	struct telnet t;
	struct transcript *r;
	size_t n;
	int round;

	telnet_init(&t);
	n = telnet_take_output(&t, wire, sizeof(wire));
	/* The server also changes its mind mid-negotiation. */
	telnet_ask(&t, TELNET_US, TELNET_OPT_ECHO, false);
	n += telnet_take_output(&t, wire + n, sizeof(wire) - n);
	for (round = 0; round < 100 && n > 0; round++) {
		size_t k = 0;

		/* The peer makes its own requests at the start, crossing
		 * the server's: each side then sees a request it has just
		 * made itself, which is where answering everything loops. */
		if (round == 0) {
			memcpy(back, opening, sizeof(opening));
			k = sizeof(opening);
		}
		n = k + naive_peer(wire, n, agree, back + k);
		r = run(&t, back, n);
		memcpy(wire, r->out, r->nout);
		n = r->nout;
		if (round == 1)
			telnet_ask(&t, TELNET_US, TELNET_OPT_ECHO, true);
		n += telnet_take_output(&t, wire + n, sizeof(wire) - n);
	}
	return round;
}

TEST(telnet_naive_peers_cannot_make_a_negotiation_loop)
{
	int agree = rounds_to_quiet(true), refuse = rounds_to_quiet(false);

	CHECK(agree <= 4);
	CHECK(refuse <= 4);
	if (agree > 4 || refuse > 4)
		test_fail(__FILE__, __LINE__, "rounds: agree %d refuse %d",
		    agree, refuse);
}

/* A storm of requests: refusals stay at one per option and side, and a
 * toggled supported option is answered once per change, never more. */
TEST(telnet_option_storm_output_is_bounded)
{
	static uint8_t in[6 * 3 * 1000];
	static struct transcript r;
	struct telnet t;
	size_t k = 0;

	for (int i = 0; i < 1000; i++) {
		static const uint8_t cmds[][2] = { { TELNET_WILL, 24 },
			{ TELNET_DO, 39 }, { TELNET_WILL, TELNET_OPT_ECHO },
			{ TELNET_DO, TELNET_OPT_NAWS },
			{ TELNET_WONT, TELNET_OPT_NAWS },
			{ TELNET_WILL, TELNET_OPT_NAWS } };
		for (size_t c = 0; c < 6; c++) {
			in[k++] = IAC;
			in[k++] = cmds[c][0];
			in[k++] = cmds[c][1];
		}
	}
	open_connection(&t);
	memset(&r, 0, sizeof(r));
	feed(&t, &r, in, sizeof(in), 7, 16);
	/* Four refusals in all, then per round one DONT NAWS and one
	 * DO NAWS for the client's two changes: 12 + 1000 * 6 bytes. */
	CHECK_EQ(r.nout, 12 + 1000 * 6);
	CHECK_BYTES(r.out, 12, IAC, TELNET_DONT, 24, IAC, TELNET_WONT, 39,
	    IAC, TELNET_DONT, TELNET_OPT_ECHO, IAC, TELNET_WONT,
	    TELNET_OPT_NAWS);
	CHECK_BYTES(r.out + 12, 12, IAC, TELNET_DONT, TELNET_OPT_NAWS, IAC,
	    TELNET_DO, TELNET_OPT_NAWS, IAC, TELNET_DONT, TELNET_OPT_NAWS,
	    IAC, TELNET_DO, TELNET_OPT_NAWS);
	CHECK(telnet_enabled(&t, TELNET_HIM, TELNET_OPT_NAWS));
}

TEST(telnet_encode_escapes_iac_and_line_ends)
{
	static const uint8_t in[] = { 'a', 0xff, '\n', '\r', '\n', 'b', '\r',
		'c', '\r' };
	struct telnet t;
	uint8_t out[64];
	size_t used, n;

	telnet_init(&t);
	n = telnet_encode(&t, in, sizeof(in), &used, out, sizeof(out));
	CHECK_EQ(used, sizeof(in));
	CHECK_BYTES(out, n, 'a', IAC, IAC, '\r', '\n', '\r', '\n', 'b', '\r',
	    0, 'c', '\r');
	/* The held decision about the last CR is made by the next call. */
	n = telnet_encode(&t, (const uint8_t *)"\n", 1, &used, out,
	    sizeof(out));
	CHECK_BYTES(out, n, '\n');
	n = telnet_encode(&t, (const uint8_t *)"\rx", 2, &used, out,
	    sizeof(out));
	CHECK_BYTES(out, n, '\r', 0, 'x');
}

TEST(telnet_encode_never_splits_an_escape)
{
	static const uint8_t in[] = { 'a', 0xff, 'b' };
	struct telnet t;
	uint8_t out[8];
	size_t used, n;

	telnet_init(&t);
	n = telnet_encode(&t, in, sizeof(in), &used, out, 2);
	CHECK_EQ(used, 1);
	CHECK_BYTES(out, n, 'a');
	n = telnet_encode(&t, in + 1, 2, &used, out, 2);
	CHECK_EQ(used, 1);
	CHECK_BYTES(out, n, IAC, IAC);
	n = telnet_encode(&t, (const uint8_t *)"\n", 1, &used, out, 1);
	CHECK_EQ(used, 0);
	CHECK_EQ(n, 0);
}
