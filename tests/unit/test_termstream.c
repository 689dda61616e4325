/*
 * lib/proto/termstream: the session's phases (hello, welcome, open,
 * closed), every message of both sides through the writers and the
 * gateway's reader, credit both ways including a producer much faster
 * than its consumer, pastes in parts, cancel, resize and every malformed,
 * out-of-phase and over-window message, each of which closes the session
 * with the close code it names.
 */
#include "termstream.h"
#include "test.h"

static const uint8_t sid[TS_ID_LEN] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
};

static uint8_t m[TS_MAX_MESSAGE + 64];

/* A session past hello and welcome: the browser granted out_window,
 * the gateway in_window. */
static void
open_session(struct ts_server *s, uint32_t in_window, uint32_t out_window)
{
	struct ts_event ev;
	uint8_t h[64];
	int n;

	CHECK_EQ(ts_server_init(s, sid, in_window), 0);
	n = ts_write_hello(h, sizeof(h), 80, 24, out_window, NULL);
	CHECK_EQ(n, 11);
	CHECK_EQ(ts_server_receive(s, h, (size_t)n, &ev), 0);
	CHECK_EQ(ev.type, TS_EV_HELLO);
	CHECK_EQ(ts_write_welcome(s, h, sizeof(h)), 2 + TS_ID_LEN + 4);
}

/* Sends one message and expects the error err and then a closed session.
 * (open_session leaves m alone, so a test may fill m before it.) */
static void
expect_refused(struct ts_server *s, const uint8_t *msg, size_t len, int err)
{
	struct ts_event ev;
	uint8_t input[2] = { TS_INPUT, 'x' };

	CHECK_EQ(ts_server_receive(s, msg, len, &ev), err);
	CHECK_EQ(s->phase, TS_P_CLOSED);
	CHECK_EQ(ts_server_receive(s, input, sizeof(input), &ev), TS_ECLOSED);
}

TEST(termstream_hello_welcome_and_session_id)
{
	struct ts_server s;
	struct ts_event ev;
	uint8_t resume[TS_ID_LEN];
	int n;

	CHECK_EQ(ts_server_init(&s, sid, 4096), 0);
	for (int i = 0; i < TS_ID_LEN; i++)
		resume[i] = (uint8_t)(0xa0 + i);
	n = ts_write_hello(m, sizeof(m), 132, 43, 65536, resume);
	CHECK_EQ(n, 11 + TS_ID_LEN);
	CHECK_EQ(ts_server_receive(&s, m, (size_t)n, &ev), 0);
	CHECK_EQ(ev.type, TS_EV_HELLO);
	CHECK_EQ(ev.cols, 132);
	CHECK_EQ(ev.rows, 43);
	CHECK(ev.resume);
	CHECK(memcmp(ev.id, resume, TS_ID_LEN) == 0);
	CHECK_EQ(s.out_window, 65536u);
	/* Nothing flows before the welcome. */
	CHECK_EQ(s.in_window, 0u);
	n = ts_write_welcome(&s, m, sizeof(m));
	CHECK_EQ(n, 22);
	CHECK_EQ(m[0], TS_WELCOME);
	CHECK_EQ(m[1], TS_VERSION);
	CHECK(memcmp(m + 2, sid, TS_ID_LEN) == 0);
	CHECK_EQ(m[18] << 24 | m[19] << 16 | m[20] << 8 | m[21], 4096);
	CHECK_EQ(s.in_window, 4096u);
	/* Only once. */
	CHECK_EQ(ts_write_welcome(&s, m, sizeof(m)), TS_ESTATE);
	/* A hello without a session id asks for a new session. */
	CHECK_EQ(ts_server_init(&s, sid, 1), 0);
	n = ts_write_hello(m, sizeof(m), 1, 1, 1, NULL);
	CHECK_EQ(ts_server_receive(&s, m, (size_t)n, &ev), 0);
	CHECK(!ev.resume);
}

TEST(termstream_hello_refusals)
{
	struct ts_server s;
	uint8_t h[32];
	int n;

	CHECK_EQ(ts_server_init(&s, sid, 0), TS_EFLOW);
	CHECK_EQ(ts_server_init(&s, sid, TS_MAX_WINDOW + 1), TS_EFLOW);
	n = ts_write_hello(h, sizeof(h), 80, 24, 1000, NULL);
	/* Each field out of range, then every wrong length: version 2. */
	CHECK_EQ(ts_server_init(&s, sid, 10), 0);
	h[1] = 2;
	expect_refused(&s, h, (size_t)n, TS_EVERSION);
	h[1] = TS_VERSION;
	/* cols 0, cols past the bound, rows 0. */
	for (int k = 0; k < 3; k++) {
		uint8_t c[32];

		memcpy(c, h, (size_t)n);
		if (k == 0) {
			c[2] = 0;
			c[3] = 0;
		} else if (k == 1) {
			c[2] = (TS_MAX_COLS + 1) >> 8;
			c[3] = (TS_MAX_COLS + 1) & 0xff;
		} else {
			c[4] = 0;
			c[5] = 0;
		}
		CHECK_EQ(ts_server_init(&s, sid, 10), 0);
		expect_refused(&s, c, (size_t)n, TS_EMALFORMED);
	}
	/* A window of 0, and one past TS_MAX_WINDOW. */
	CHECK_EQ(ts_server_init(&s, sid, 10), 0);
	memset(h + 6, 0, 4);
	expect_refused(&s, h, (size_t)n, TS_EFLOW);
	CHECK_EQ(ts_server_init(&s, sid, 10), 0);
	h[6] = 0;
	h[7] = 0x10;
	h[8] = 0;
	h[9] = 1;
	expect_refused(&s, h, (size_t)n, TS_EFLOW);
	n = ts_write_hello(h, sizeof(h), 80, 24, 1000, NULL);
	/* The resume flag must match the length, and be 0 or 1. */
	CHECK_EQ(ts_server_init(&s, sid, 10), 0);
	h[10] = 1;
	expect_refused(&s, h, (size_t)n, TS_EMALFORMED);
	CHECK_EQ(ts_server_init(&s, sid, 10), 0);
	h[10] = 2;
	expect_refused(&s, h, (size_t)n, TS_EMALFORMED);
	h[10] = 0;
	/* Every length but the two right ones. */
	for (size_t len = 1; len < sizeof(h); len++) {
		if (len == 11 || len == 11 + TS_ID_LEN)
			continue;
		CHECK_EQ(ts_server_init(&s, sid, 10), 0);
		expect_refused(&s, h, len, TS_EMALFORMED);
	}
	/* Anything but hello first, and an empty message. */
	CHECK_EQ(ts_server_init(&s, sid, 10), 0);
	m[0] = TS_CANCEL;
	expect_refused(&s, m, 1, TS_ESTATE);
	CHECK_EQ(ts_server_init(&s, sid, 10), 0);
	expect_refused(&s, m, 0, TS_EMALFORMED);
	/* A second hello. */
	open_session(&s, 10, 10);
	expect_refused(&s, h, (size_t)n, TS_ESTATE);
	/* The writer refuses what the reader would. */
	CHECK_EQ(ts_write_hello(h, sizeof(h), 0, 24, 1, NULL), TS_EMALFORMED);
	CHECK_EQ(ts_write_hello(h, sizeof(h), 80, 24, 0, NULL), TS_EMALFORMED);
	CHECK_EQ(ts_write_hello(h, 10, 80, 24, 1, NULL), TS_EROOM);
}

TEST(termstream_input_spends_the_window_and_grants_restore_it)
{
	struct ts_server s;
	struct ts_event ev;
	int n;

	open_session(&s, 8, 100);
	n = ts_write_data(m, sizeof(m), TS_INPUT, 0, (const uint8_t *)"ls\r", 3);
	CHECK_EQ(n, 4);
	CHECK_EQ(ts_server_receive(&s, m, (size_t)n, &ev), 0);
	CHECK_EQ(ev.type, TS_EV_INPUT);
	CHECK_EQ(ev.len, 3u);
	CHECK(memcmp(ev.data, "ls\r", 3) == 0);
	CHECK(ev.data == m + 1);
	CHECK_EQ(s.in_window, 5u);
	/* Exactly the rest of the window is fine. */
	n = ts_write_data(m, sizeof(m), TS_INPUT, 0,
	    (const uint8_t *)"abcde", 5);
	CHECK_EQ(ts_server_receive(&s, m, (size_t)n, &ev), 0);
	CHECK_EQ(s.in_window, 0u);
	/* The terminal took 3 bytes: a grant of 3. */
	n = ts_write_grant(&s, 3, m, sizeof(m));
	CHECK_EQ(n, 5);
	CHECK_EQ(m[0], TS_GRANT);
	CHECK_EQ(m[4], 3);
	CHECK_EQ(s.in_window, 3u);
	/* One byte past the window cuts the browser off. */
	n = ts_write_data(m, sizeof(m), TS_INPUT, 0,
	    (const uint8_t *)"abcd", 4);
	expect_refused(&s, m, (size_t)n, TS_EFLOW);
	CHECK_EQ(ts_close_code(TS_EFLOW), TS_CLOSE_FLOW);
	/* Grants are bounded too. */
	open_session(&s, TS_MAX_WINDOW, 100);
	CHECK_EQ(ts_write_grant(&s, 1, m, sizeof(m)), TS_EFLOW);
	CHECK_EQ(ts_write_grant(&s, 0, m, sizeof(m)), TS_EFLOW);
	/* Empty input, and data past TS_MAX_DATA in one message. */
	open_session(&s, TS_MAX_WINDOW, 100);
	m[0] = TS_INPUT;
	expect_refused(&s, m, 1, TS_EMALFORMED);
	open_session(&s, TS_MAX_WINDOW, 100);
	memset(m + 1, 'a', TS_MAX_DATA + 1);
	expect_refused(&s, m, TS_MAX_DATA + 2, TS_EMALFORMED);
	open_session(&s, TS_MAX_WINDOW, 100);
	CHECK_EQ(ts_server_receive(&s, m, TS_MAX_DATA + 1, &ev), 0);
	CHECK_EQ(ev.len, (size_t)TS_MAX_DATA);
	/* A message longer than any is refused before its type is read. */
	open_session(&s, TS_MAX_WINDOW, 100);
	expect_refused(&s, m, TS_MAX_MESSAGE + 1, TS_EMALFORMED);
}

/*
 * A shell writing 1 MiB as fast as it can toward a browser that grants
 * 4 KiB at a time and renders slowly: the gateway never holds more than
 * one message of output, never sends past a grant, and every byte
 * arrives once, in order.
 */
TEST(termstream_fast_producer_is_held_to_the_window)
{
	enum { TOTAL = 1 << 20, GRANT = 4096 };
	static uint8_t produced[TOTAL], seen[TOTAL];
	struct ts_server s;
	struct ts_event ev;
	size_t at = 0, got = 0, taken, in_flight = 0, most = 0;
	int n, stalls = 0;

	for (size_t i = 0; i < TOTAL; i++)
		produced[i] = (uint8_t)(i * 7 + (i >> 12));
	open_session(&s, 64, GRANT);
	while (got < TOTAL) {
		n = ts_write_output(&s, produced + at, TOTAL - at, m, sizeof(m),
		    &taken);
		CHECK(n >= 0);
		if (n == 0) {
			/* Held back: the browser renders what it has and
			 * grants what it freed. */
			CHECK_EQ(taken, 0u);
			CHECK_EQ(s.out_window, 0u);
			CHECK_EQ(in_flight, (size_t)GRANT);
			stalls++;
			got += in_flight;
			in_flight = 0;
			n = ts_write_credit(m, sizeof(m), GRANT);
			CHECK_EQ(ts_server_receive(&s, m, (size_t)n, &ev), 0);
			CHECK_EQ(ev.type, TS_EV_CREDIT);
			continue;
		}
		CHECK_EQ(m[0], TS_OUTPUT);
		CHECK_EQ((size_t)n, taken + 1);
		memcpy(seen + at, m + 1, taken);
		at += taken;
		in_flight += taken;
		if (in_flight > most)
			most = in_flight;
		if (at == TOTAL) {
			got += in_flight;
			in_flight = 0;
		}
	}
	CHECK(most <= GRANT);
	CHECK_EQ(stalls, TOTAL / GRANT - 1);
	CHECK(memcmp(produced, seen, TOTAL) == 0);
	/* No output before the welcome, none after a close. */
	CHECK_EQ(ts_server_init(&s, sid, 10), 0);
	CHECK_EQ(ts_write_output(&s, produced, 1, m, sizeof(m), &taken),
	    TS_ESTATE);
	open_session(&s, 10, 10);
	CHECK_EQ(ts_write_close(&s, TS_CLOSE_EXITED, "shell exited", m,
	    sizeof(m)), 3 + 12);
	CHECK_EQ(ts_write_output(&s, produced, 1, m, sizeof(m), &taken),
	    TS_ESTATE);
	/* A small buffer takes what fits. */
	open_session(&s, 10, 100);
	CHECK_EQ(ts_write_output(&s, produced, 50, m, 11, &taken), 11);
	CHECK_EQ(taken, 10u);
	CHECK_EQ(ts_write_output(&s, produced, 50, m, 1, &taken), TS_EROOM);
}

TEST(termstream_credit_refusals)
{
	struct ts_server s;
	int n;

	/* Zero credit, a wrong length, and credit past TS_MAX_WINDOW. */
	open_session(&s, 10, 10);
	m[0] = TS_CREDIT;
	memset(m + 1, 0, 4);
	expect_refused(&s, m, 5, TS_EMALFORMED);
	open_session(&s, 10, 10);
	expect_refused(&s, m, 4, TS_EMALFORMED);
	open_session(&s, 10, 10);
	n = ts_write_credit(m, sizeof(m), TS_MAX_WINDOW - 10 + 1);
	expect_refused(&s, m, (size_t)n, TS_EFLOW);
	open_session(&s, 10, 10);
	n = ts_write_credit(m, sizeof(m), TS_MAX_WINDOW - 10);
	{
		struct ts_event ev;

		CHECK_EQ(ts_server_receive(&s, m, (size_t)n, &ev), 0);
		CHECK_EQ(s.out_window, (uint32_t)TS_MAX_WINDOW);
	}
	/* 0xffffffff must not wrap the window. */
	open_session(&s, 10, 10);
	m[0] = TS_CREDIT;
	memset(m + 1, 0xff, 4);
	expect_refused(&s, m, 5, TS_EFLOW);
	CHECK_EQ(ts_write_credit(m, sizeof(m), 0), TS_EMALFORMED);
}

TEST(termstream_paste_in_parts_and_cancel)
{
	static const char text[] = "line one\nline two\n";
	struct ts_server s;
	struct ts_event ev;
	int n;

	open_session(&s, 100, 10);
	n = ts_write_data(m, sizeof(m), TS_PASTE, TS_PASTE_FIRST,
	    (const uint8_t *)text, 9);
	CHECK_EQ(n, 11);
	CHECK_EQ(ts_server_receive(&s, m, (size_t)n, &ev), 0);
	CHECK_EQ(ev.type, TS_EV_PASTE);
	CHECK(ev.first && !ev.last);
	CHECK_EQ(ev.len, 9u);
	CHECK(s.in_paste);
	/* Keystrokes do not interleave with an open paste. */
	{
		struct ts_server t = s;

		n = ts_write_data(m, sizeof(m), TS_INPUT, 0,
		    (const uint8_t *)"x", 1);
		expect_refused(&t, m, (size_t)n, TS_ESTATE);
		/* Nor does a second first part. */
		t = s;
		n = ts_write_data(m, sizeof(m), TS_PASTE, TS_PASTE_FIRST,
		    (const uint8_t *)"x", 1);
		expect_refused(&t, m, (size_t)n, TS_ESTATE);
	}
	n = ts_write_data(m, sizeof(m), TS_PASTE, TS_PASTE_LAST,
	    (const uint8_t *)text + 9, sizeof(text) - 1 - 9);
	CHECK_EQ(ts_server_receive(&s, m, (size_t)n, &ev), 0);
	CHECK(!ev.first && ev.last);
	CHECK(memcmp(ev.data, "line two\n", 9) == 0);
	CHECK(!s.in_paste);
	CHECK_EQ(s.in_window, 100u - 18);
	/* A continuation without a first part. */
	{
		struct ts_server t = s;

		expect_refused(&t, m, (size_t)n, TS_ESTATE);
	}
	/* A whole paste in one message, and an empty last part. */
	n = ts_write_data(m, sizeof(m), TS_PASTE,
	    TS_PASTE_FIRST | TS_PASTE_LAST, (const uint8_t *)"ab", 2);
	CHECK_EQ(ts_server_receive(&s, m, (size_t)n, &ev), 0);
	CHECK(ev.first && ev.last && ev.len == 2);
	n = ts_write_data(m, sizeof(m), TS_PASTE, TS_PASTE_FIRST, NULL, 0);
	CHECK_EQ(ts_server_receive(&s, m, (size_t)n, &ev), 0);
	/* A cancel ends the open paste; input flows again after it. */
	n = ts_write_cancel(m, sizeof(m));
	CHECK_EQ(ts_server_receive(&s, m, (size_t)n, &ev), 0);
	CHECK_EQ(ev.type, TS_EV_CANCEL);
	CHECK(!s.in_paste);
	n = ts_write_data(m, sizeof(m), TS_INPUT, 0, (const uint8_t *)"y", 1);
	CHECK_EQ(ts_server_receive(&s, m, (size_t)n, &ev), 0);
	/* Cancel works with an empty window: it carries no data. */
	open_session(&s, 1, 10);
	n = ts_write_data(m, sizeof(m), TS_INPUT, 0, (const uint8_t *)"z", 1);
	CHECK_EQ(ts_server_receive(&s, m, (size_t)n, &ev), 0);
	CHECK_EQ(s.in_window, 0u);
	n = ts_write_cancel(m, sizeof(m));
	CHECK_EQ(ts_server_receive(&s, m, (size_t)n, &ev), 0);
	CHECK_EQ(ev.type, TS_EV_CANCEL);
	/* Unknown paste flags, an empty paste message, a cancel with a
	 * body, a paste spending past the window. */
	open_session(&s, 10, 10);
	m[0] = TS_PASTE;
	m[1] = 4;
	expect_refused(&s, m, 2, TS_EMALFORMED);
	open_session(&s, 10, 10);
	expect_refused(&s, m, 1, TS_EMALFORMED);
	open_session(&s, 10, 10);
	m[0] = TS_CANCEL;
	expect_refused(&s, m, 2, TS_EMALFORMED);
	open_session(&s, 4, 10);
	n = ts_write_data(m, sizeof(m), TS_PASTE, TS_PASTE_FIRST,
	    (const uint8_t *)"abcde", 5);
	expect_refused(&s, m, (size_t)n, TS_EFLOW);
	CHECK_EQ(ts_write_data(m, sizeof(m), TS_PASTE, 8, NULL, 0),
	    TS_EMALFORMED);
	CHECK_EQ(ts_write_data(m, sizeof(m), TS_INPUT, 0, NULL, 0),
	    TS_EMALFORMED);
	CHECK_EQ(ts_write_data(m, sizeof(m), TS_CANCEL, 0, NULL, 0),
	    TS_EMALFORMED);
}

TEST(termstream_resize_close_and_unknown_types)
{
	struct ts_server s;
	struct ts_event ev;
	char reason[TS_MAX_REASON + 10];
	int n;

	open_session(&s, 10, 10);
	n = ts_write_resize(m, sizeof(m), 200, 60);
	CHECK_EQ(n, 5);
	CHECK_EQ(ts_server_receive(&s, m, (size_t)n, &ev), 0);
	CHECK_EQ(ev.type, TS_EV_RESIZE);
	CHECK_EQ(ev.cols, 200);
	CHECK_EQ(ev.rows, 60);
	CHECK_EQ(s.cols, 200);
	CHECK_EQ(s.rows, 60);
	n = ts_write_resize(m, sizeof(m), TS_MAX_COLS, TS_MAX_ROWS);
	CHECK_EQ(ts_server_receive(&s, m, (size_t)n, &ev), 0);
	/* Out of range and wrong lengths. */
	m[1] = 0;
	m[2] = 0;
	expect_refused(&s, m, 5, TS_EMALFORMED);
	CHECK_EQ(s.cols, TS_MAX_COLS);
	open_session(&s, 10, 10);
	n = ts_write_resize(m, sizeof(m), 80, 24);
	expect_refused(&s, m, 4, TS_EMALFORMED);
	CHECK_EQ(ts_write_resize(m, sizeof(m), 80, TS_MAX_ROWS + 1),
	    TS_EMALFORMED);
	/* The browser's close, with its reason. */
	open_session(&s, 10, 10);
	n = ts_write_client_close(m, sizeof(m), TS_CLOSE_NORMAL, "logout");
	CHECK_EQ(n, 9);
	CHECK_EQ(ts_server_receive(&s, m, (size_t)n, &ev), 0);
	CHECK_EQ(ev.type, TS_EV_CLOSE);
	CHECK_EQ(ev.code, TS_CLOSE_NORMAL);
	CHECK(ev.len == 6 && memcmp(ev.data, "logout", 6) == 0);
	CHECK_EQ(s.phase, TS_P_CLOSED);
	CHECK_EQ(ts_server_receive(&s, m, (size_t)n, &ev), TS_ECLOSED);
	/* A reason past TS_MAX_REASON: refused when read, cut when written. */
	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	n = ts_write_client_close(m, sizeof(m), 4000, reason);
	CHECK_EQ(n, 3 + TS_MAX_REASON);
	open_session(&s, 10, 10);
	m[0] = TS_CLOSE;
	memset(m + 3, 'r', TS_MAX_REASON + 1);
	expect_refused(&s, m, 3 + TS_MAX_REASON + 1, TS_EMALFORMED);
	open_session(&s, 10, 10);
	expect_refused(&s, m, 2, TS_EMALFORMED);
	/* The gateway's close. */
	open_session(&s, 10, 10);
	n = ts_write_close(&s, TS_CLOSE_IDLE, "idle", m, sizeof(m));
	CHECK_EQ(n, 7);
	CHECK_EQ(m[0], TS_BYE);
	CHECK_EQ(m[1] << 8 | m[2], TS_CLOSE_IDLE);
	CHECK_EQ(s.phase, TS_P_CLOSED);
	CHECK_EQ(ts_write_close(&s, 1000, "", m, 2), TS_EROOM);
	/* The gateway's own types and unknown ones, from the browser. */
	for (unsigned t = 0; t < 256; t++) {
		if (t >= TS_HELLO && t <= TS_ENROLLED)
			continue;
		open_session(&s, 10, 10);
		m[0] = (uint8_t)t;
		expect_refused(&s, m, 5, TS_EMALFORMED);
	}
	CHECK_EQ(ts_close_code(TS_EMALFORMED), TS_CLOSE_PROTOCOL);
	CHECK_EQ(ts_close_code(TS_ESTATE), TS_CLOSE_PROTOCOL);
	CHECK_EQ(ts_close_code(TS_EVERSION), TS_CLOSE_PROTOCOL);
}

TEST(termstream_passkey_enrolment)
{
	static const uint8_t cdj[] = "{\"type\":\"webauthn.create\"}";
	static const uint8_t ao[] = { 0xa3, 1, 2 };
	uint8_t ch[TS_CHALLENGE_LEN], h[TS_HANDLE_LEN], o[256];
	struct ts_server s;
	struct ts_event ev;
	int n;

	memset(ch, 0xc5, sizeof(ch));
	memset(h, 0x4a, sizeof(h));
	open_session(&s, 10, 10);
	/* No options or result before an enrol is asked for. */
	CHECK_EQ(ts_write_enrol_options(&s, ch, h, "localhost", "admin", o,
	    sizeof(o)), TS_ESTATE);
	CHECK_EQ(ts_write_enrol_result(&s, 0, o, sizeof(o)), TS_ESTATE);
	CHECK_EQ(ts_write_enrol(m, sizeof(m)), 1);
	CHECK_EQ(ts_server_receive(&s, m, 1, &ev), 0);
	CHECK_EQ(ev.type, TS_EV_ENROL);
	n = ts_write_enrol_options(&s, ch, h, "localhost", "admin", o,
	    sizeof(o));
	CHECK_EQ(n, 1 + 32 + 16 + 1 + 9 + 1 + 5);
	CHECK_EQ(o[0], TS_ENROL_OPTIONS);
	CHECK_EQ(o[1], 0xc5);
	CHECK_EQ(o[33], 0x4a);
	CHECK_EQ(o[49], 9);
	CHECK_EQ(o[59], 5);
	CHECK_EQ(memcmp(o + 60, "admin", 5), 0);
	CHECK_EQ(ts_write_enrol_options(&s, ch, h, "localhost", "admin", o,
	    40), TS_EROOM);
	n = ts_write_enrolled(m, sizeof(m), cdj, sizeof(cdj) - 1, ao,
	    sizeof(ao));
	CHECK_EQ(n, 3 + (int)(sizeof(cdj) - 1) + 3);
	CHECK_EQ(ts_server_receive(&s, m, (size_t)n, &ev), 0);
	CHECK_EQ(ev.type, TS_EV_ENROLLED);
	CHECK_EQ(ev.len, sizeof(cdj) - 1);
	CHECK_EQ(memcmp(ev.data, cdj, ev.len), 0);
	CHECK_EQ(ev.len2, sizeof(ao));
	CHECK_EQ(memcmp(ev.data2, ao, sizeof(ao)), 0);
	/* Enrolment spends no window: input still has its 10 bytes. */
	CHECK_EQ(s.in_window, 10u);
	CHECK_EQ(ts_write_enrol_result(&s, 26, o, sizeof(o)), 3);
	CHECK_EQ(o[1] << 8 | o[2], 26);
	CHECK_EQ(ts_write_enrol_result(&s, 0, o, sizeof(o)), TS_ESTATE);
	/* The answer with no enrol open. */
	expect_refused(&s, m, (size_t)n, TS_ESTATE);
	/* Two enrols at once. */
	open_session(&s, 10, 10);
	m[0] = TS_ENROL;
	CHECK_EQ(ts_server_receive(&s, m, 1, &ev), 0);
	expect_refused(&s, m, 1, TS_ESTATE);
	/* An enrol with a body; an answer without attestation, with a
	 * client data length past the message or its bound. */
	open_session(&s, 10, 10);
	m[0] = TS_ENROL;
	expect_refused(&s, m, 2, TS_EMALFORMED);
	open_session(&s, 10, 10);
	CHECK_EQ(ts_server_receive(&s, m, 1, &ev), 0);
	n = ts_write_enrolled(m, sizeof(m), cdj, sizeof(cdj) - 1, ao,
	    sizeof(ao));
	expect_refused(&s, m, (size_t)n - sizeof(ao), TS_EMALFORMED);
	open_session(&s, 10, 10);
	m[0] = TS_ENROL;
	CHECK_EQ(ts_server_receive(&s, m, 1, &ev), 0);
	m[0] = TS_ENROLLED;
	m[1] = (TS_MAX_CLIENT_DATA + 1) >> 8;
	m[2] = (TS_MAX_CLIENT_DATA + 1) & 0xff;
	expect_refused(&s, m, 3 + TS_MAX_CLIENT_DATA + 10, TS_EMALFORMED);
	open_session(&s, 10, 10);
	m[0] = TS_ENROL;
	CHECK_EQ(ts_server_receive(&s, m, 1, &ev), 0);
	m[0] = TS_ENROLLED;
	m[1] = 0;
	m[2] = 4;
	expect_refused(&s, m, 3 + 4 + TS_MAX_ATTESTATION + 1, TS_EMALFORMED);
	/* Before the welcome. */
	CHECK_EQ(ts_server_init(&s, sid, 10), 0);
	m[0] = TS_ENROL;
	expect_refused(&s, m, 1, TS_ESTATE);
	CHECK_EQ(ts_write_enrolled(m, sizeof(m), cdj, 0, ao, 3),
	    TS_EMALFORMED);
}
