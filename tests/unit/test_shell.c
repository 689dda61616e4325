/*
 * The shell's pure parts: the console terminal's key decoder, the line
 * editor (and its drawing for the terminal's width), the input events
 * (keys, resize), UTF-8 checking, and typed calls (parse, check against the
 * generated schema metadata, build, print).
 */
#define CAPNP_META
#include "auth.capnp.h"
#include "capos.capnp.h"
#include "input.h"
#include "keys.h"
#include "lineedit.h"
#include "test.h"
#include "typed.h"

static int
decode_all(const char *s, struct key *keys, int max)
{
	struct key_decoder d = { 0 };
	size_t n = strlen(s), i = 0;
	int k = 0;

	while (i < n && k < max) {
		int used = key_decode(&d, (const uint8_t *)s + i, n - i, true,
		    &keys[k]);

		if (used == 0)
			break;
		if (used > 0)
			k++;
		i += used < 0 ? 1 : (size_t)used;
	}
	return k;
}

TEST(shell_keys_decode_controls_and_sequences)
{
	struct key k[16];
	struct key_decoder d = { 0 };
	int n = decode_all("a\x7f\x03\x04\x15\x17\t\x1b[A\x1b[B\x1bOC\x1b[3~"
	    "\r\nz\n", k, 16);

	CHECK_EQ(n, 14);
	CHECK_EQ(k[0].code, KEY_CHAR);
	CHECK_EQ(k[0].byte, 'a');
	CHECK_EQ(k[1].code, KEY_BACKSPACE);
	CHECK_EQ(k[2].code, KEY_INTERRUPT);
	CHECK_EQ(k[3].code, KEY_EOF);
	CHECK_EQ(k[4].code, KEY_KILL_LINE);
	CHECK_EQ(k[5].code, KEY_KILL_WORD);
	CHECK_EQ(k[6].code, KEY_TAB);
	CHECK_EQ(k[7].code, KEY_UP);
	CHECK_EQ(k[8].code, KEY_DOWN);
	CHECK_EQ(k[9].code, KEY_RIGHT);
	CHECK_EQ(k[10].code, KEY_DELETE);
	/* CR LF is one Enter; a later lone LF is one too. */
	CHECK_EQ(k[11].code, KEY_ENTER);
	CHECK_EQ(k[12].code, KEY_CHAR);
	CHECK_EQ(k[13].code, KEY_ENTER);
	/* A sequence cut short waits for more unless told it is final. */
	CHECK_EQ(key_decode(&d, (const uint8_t *)"\x1b[", 2, false, k), 0);
	CHECK_EQ(key_decode(&d, (const uint8_t *)"\x1b", 1, false, k), 0);
	CHECK_EQ(key_decode(&d, (const uint8_t *)"\x1b[", 2, true, k), 1);
	CHECK_EQ(k[0].code, KEY_CHAR);
	CHECK_EQ(k[0].byte, 0x1b);
	/* An unknown sequence gives its ESC alone. */
	CHECK_EQ(key_decode(&d, (const uint8_t *)"\x1b[Z", 3, false, k), 1);
	CHECK_EQ(k[0].byte, 0x1b);
}

static enum le_action
type(struct lineedit *le, const char *s)
{
	enum le_action a = LE_NONE;

	for (; *s != '\0'; s++)
		a = le_key(le, KEY_CHAR, (uint8_t)*s);
	return a;
}

TEST(shell_lineedit_edits)
{
	static struct lineedit le;

	memset(&le, 0, sizeof(le));
	le_reset(&le);
	type(&le, "helo");
	CHECK_EQ(le_key(&le, KEY_BACKSPACE, 0), LE_NONE);
	CHECK_EQ(le.echo_len, 3);
	type(&le, "lo world  ");
	CHECK_STR(le.line, "hello world  ");
	le_key(&le, KEY_KILL_WORD, 0);
	CHECK_STR(le.line, "hello ");
	le_key(&le, KEY_KILL_WORD, 0);
	CHECK_STR(le.line, "");
	type(&le, "x");
	le_key(&le, KEY_KILL_LINE, 0);
	CHECK_EQ(le.len, 0);
	/* Ctrl-D only ends input on an empty line. */
	CHECK_EQ(le_key(&le, KEY_EOF, 0), LE_EOF);
	type(&le, "a");
	CHECK_EQ(le_key(&le, KEY_EOF, 0), LE_NONE);
	CHECK_EQ(le_key(&le, KEY_INTERRUPT, 0), LE_CANCEL);
	CHECK_EQ(le_key(&le, KEY_TAB, 0), LE_COMPLETE);
	CHECK_EQ(le_key(&le, KEY_ENTER, 0), LE_SUBMIT);
	/* A UTF-8 character goes with one backspace. */
	le_reset(&le);
	type(&le, "a\xc3\xa9");
	le_key(&le, KEY_BACKSPACE, 0);
	CHECK_STR(le.line, "a");
}

/* Whether the echo is exactly want. */
static bool
echoed(const struct lineedit *le, const char *want)
{
	return le->echo_len == strlen(want) &&
	    memcmp(le->echo, want, le->echo_len) == 0;
}

TEST(shell_lineedit_draws_for_the_width)
{
	static struct lineedit le;

	memset(&le, 0, sizeof(le));
	le_reset(&le);
	le_resize(&le, 20, 5);
	le.prompt_cols = 7;			/* "capos> " */
	/* Columns 7..18 hold twelve characters; the thirteenth fills the
	 * row's last column and takes the cursor to the next row. */
	type(&le, "abcdefghijkl");
	CHECK(echoed(&le, "l"));
	le_key(&le, KEY_CHAR, 'm');
	CHECK(echoed(&le, "m\n"));
	le_key(&le, KEY_CHAR, 'n');
	CHECK(echoed(&le, "n"));
	/* Erasing: n is in the second row; m, at the first row's end, is
	 * erased from the start of the second row. */
	le_key(&le, KEY_BACKSPACE, 0);
	CHECK(echoed(&le, "\b \b"));
	le_key(&le, KEY_BACKSPACE, 0);
	CHECK(echoed(&le, "\x1b[A\x1b[20G\x1b[K"));
	le_key(&le, KEY_BACKSPACE, 0);
	CHECK(echoed(&le, "\b \b"));
	CHECK_STR(le.line, "abcdefghijk");
	/* A two-byte character at the row's end: the newline follows its
	 * second byte, never splits it. */
	type(&le, "l");
	le_key(&le, KEY_CHAR, 0xc3);
	CHECK(echoed(&le, "\xc3"));
	le_key(&le, KEY_CHAR, 0xa9);
	CHECK(echoed(&le, "\xa9\n"));
	/* Ctrl-U erases both rows, the wrap included. */
	le_key(&le, KEY_KILL_LINE, 0);
	CHECK(echoed(&le, "\x1b[A\x1b[20G\x1b[K"
	    "\b \b\b \b\b \b\b \b\b \b\b \b\b \b\b \b\b \b\b \b\b \b\b \b"));
	/* Width unknown: no newline is drawn at any length. */
	le_resize(&le, 0, 0);
	type(&le, "abcdefghijklmnopqrstuvwxyz");
	CHECK(memchr(le.echo, '\n', le.echo_len) == NULL);
	/* After a resize, the line is drawn again for the new width; a
	 * width below the floor is taken as the floor. */
	le_resize(&le, 16, 5);
	le_redraw(&le);
	CHECK(echoed(&le, "abcdefghi\njklmnopqrstuvwxy\nz"));
	CHECK_STR(le.line, "abcdefghijklmnopqrstuvwxyz");
	le_resize(&le, 3, 5);
	CHECK_EQ(le.cols, LE_MIN_COLS);
	/* A long line replaced from history still fits the echo. */
	le_resize(&le, LE_MIN_COLS, 5);
	le_reset(&le);
	for (int i = 0; i < LE_MAX; i++)
		le_key(&le, KEY_CHAR, 'x');
	le_remember(&le, le.line, le.len);
	le_key(&le, KEY_KILL_LINE, 0);
	le_key(&le, KEY_UP, 0);
	CHECK_EQ(le.len, LE_MAX);
	CHECK(le.echo_len < LE_ECHO_MAX);
}

/* A readEvents answer holding the events described by spec: 'k' a key
 * (the next byte), 'r' a resize (cols, rows from the arrays), 'z' a
 * resize to zero columns, 'c' closed. */
static void
events(const char *spec, const uint16_t *cols, const uint16_t *rows,
    uint8_t *buf, size_t room, struct capnp_msg *m, struct capnp_list *out)
{
	struct capos_TerminalSession_readEvents_Results_b rb;
	struct capos_TerminalSession_readEvents_Results_r rr;
	struct capos_TerminalSession_Event_b e;
	struct capos_TerminalSession_Event_key_b kb;
	struct capos_TerminalSession_Event_resize_b zb;
	struct capnp_builder b;
	struct capnp_lb l;
	uint32_t n = 0, ri = 0;

	for (const char *p = spec; *p != '\0'; p++, n++)
		if (*p == 'k')
			p++;		/* the key's byte */
	CHECK_EQ(capnp_builder_init(&b, buf, room), 0);
	CHECK_EQ(capos_TerminalSession_readEvents_Results_init_root(&b, &rb),
	    0);
	CHECK_EQ(capos_TerminalSession_readEvents_Results_init_events(&rb, n,
	    &l), 0);
	for (uint32_t i = 0; *spec != '\0'; i++, spec++) {
		CHECK_EQ(capos_TerminalSession_Event_b_at(&l, i, &e), 0);
		switch (*spec) {
		case 'k':
			kb = capos_TerminalSession_Event_init_key(&e);
			spec++;
			capos_TerminalSession_Event_key_set_key(&kb, *spec == 3 ?
			    capos_TerminalSession_Key_interrupt :
			    capos_TerminalSession_Key_char);
			capos_TerminalSession_Event_key_set_byte(&kb,
			    (uint8_t)*spec);
			break;
		case 'r':
		case 'z':
			zb = capos_TerminalSession_Event_init_resize(&e);
			capos_TerminalSession_Event_resize_set_columns(&zb,
			    *spec == 'z' ? 0 : cols[ri]);
			capos_TerminalSession_Event_resize_set_rows(&zb,
			    *spec == 'z' ? 9 : rows[ri]);
			ri += *spec == 'r';
			break;
		default:
			capos_TerminalSession_Event_set_closed(&e);
			break;
		}
	}
	CHECK_EQ(capnp_msg_init(m, buf, capnp_builder_finish(&b)), 0);
	CHECK_EQ(capos_TerminalSession_readEvents_Results_read_root(m, &rr), 0);
	CHECK_EQ(capos_TerminalSession_readEvents_Results_get_events(&rr, out),
	    0);
}

TEST(shell_input_takes_keys_and_resizes)
{
	static uint8_t buf[16384] __attribute__((aligned(8)));
	static struct shell_input in;
	static const uint16_t cols[] = { 100, 132 }, rows[] = { 30, 43 };
	struct capnp_list list;
	struct capnp_msg m;
	int code;
	uint8_t byte;

	memset(&in, 0, sizeof(in));
	events("kakbrzrk\003kd", cols, rows, buf, sizeof(buf), &m, &list);
	CHECK_EQ(list.n, 7);
	CHECK_EQ(input_take(&in, &list), 0);
	/* Keys in order; of a burst of resizes the newest counts, and a
	 * resize to zero columns is no size. */
	CHECK_EQ(in.n, 4);
	CHECK(in.resized);
	CHECK_EQ(in.cols, 132);
	CHECK_EQ(in.rows, 43);
	CHECK(!in.closed);
	CHECK(input_pop(&in, &code, &byte));
	CHECK_EQ(byte, 'a');
	/* Ctrl-C takes the keys before it, and leaves those after. */
	CHECK(input_interrupt(&in));
	CHECK_EQ(in.n, 1);
	CHECK(input_pop(&in, &code, &byte));
	CHECK_EQ(byte, 'd');
	CHECK(!input_pop(&in, &code, &byte));
	CHECK(!input_interrupt(&in));
	/* The queue is bounded; what falls off is counted. */
	in.resized = false;
	for (int i = 0; i < INPUT_KEYS_MAX + 3; i++) {
		events("kx", cols, rows, buf, sizeof(buf), &m, &list);
		CHECK_EQ(input_take(&in, &list), 0);
	}
	CHECK_EQ(in.n, INPUT_KEYS_MAX);
	CHECK_EQ(in.dropped, 3);
	CHECK(!in.resized);
	/* Discarding takes every queued key and leaves no byte behind. */
	CHECK_EQ(input_discard(&in), INPUT_KEYS_MAX);
	CHECK_EQ(in.n, 0);
	CHECK_EQ(in.q[0].byte, 0);
	CHECK(!input_pop(&in, &code, &byte));
	events("c", cols, rows, buf, sizeof(buf), &m, &list);
	CHECK_EQ(input_take(&in, &list), 0);
	CHECK(in.closed);
}

TEST(shell_lineedit_refuses_controls_and_bounds_the_line)
{
	static struct lineedit le;

	memset(&le, 0, sizeof(le));
	le_reset(&le);
	type(&le, "ab\x01\x1b" "c");
	CHECK_STR(le.line, "abc");
	CHECK_EQ(le.controls, 2);
	le_reset(&le);
	for (int i = 0; i < 65536; i++)
		le_key(&le, KEY_CHAR, 'x');
	CHECK_EQ(le.len, LE_MAX);
	CHECK_EQ(le.overflow, 65536 - LE_MAX);
	le_key(&le, KEY_KILL_LINE, 0);
	CHECK_EQ(le.overflow, 0);
}

TEST(shell_lineedit_history)
{
	static struct lineedit le;

	memset(&le, 0, sizeof(le));
	le_reset(&le);
	le_remember(&le, "one", 3);
	le_remember(&le, "two", 3);
	le_remember(&le, "two", 3);
	le_remember(&le, "", 0);
	CHECK_EQ(le.hcount, 2);
	le_key(&le, KEY_UP, 0);
	CHECK_STR(le.line, "two");
	le_key(&le, KEY_UP, 0);
	CHECK_STR(le.line, "one");
	le_key(&le, KEY_UP, 0);
	CHECK_STR(le.line, "one");
	le_key(&le, KEY_DOWN, 0);
	CHECK_STR(le.line, "two");
	le_key(&le, KEY_DOWN, 0);
	CHECK_STR(le.line, "");
	/* The oldest line goes first once the history is full. */
	for (int i = 0; i < LE_HISTORY + 3; i++) {
		char s[16];

		snprintf(s, sizeof(s), "c%d", i);
		le_remember(&le, s, strlen(s));
	}
	CHECK_EQ(le.hcount, LE_HISTORY);
	le_key(&le, KEY_UP, 0);
	for (int i = 1; i < LE_HISTORY + 4; i++)
		le_key(&le, KEY_UP, 0);
	CHECK_STR(le.line, "c3");
}

/*
 * Terminal bytes through the console terminal's key decoder into the line
 * editor, as a shell reads them: the last action that was not LE_NONE
 * (LE_NONE when there was none), and how many lines were submitted.
 */
static enum le_action
feed(struct lineedit *le, const char *s, size_t n, int *submits)
{
	struct key_decoder d = { 0 };
	enum le_action last = LE_NONE;
	size_t i = 0;

	while (i < n) {
		struct key k;
		int used = key_decode(&d, (const uint8_t *)s + i, n - i, true,
		    &k);
		enum le_action a;

		if (used == 0)
			break;
		i += used < 0 ? 1 : (size_t)used;
		if (used < 0)
			continue;
		a = le_key(le, (int)k.code, k.byte);
		if (a == LE_SUBMIT && submits != NULL)
			(*submits)++;
		if (a != LE_NONE)
			last = a;
	}
	return last;
}

#define FEED(le, lit, submits) feed(le, lit, sizeof(lit) - 1, submits)

TEST(shell_lineedit_bracketed_paste)
{
	static struct lineedit le;
	int submits = 0;

	memset(&le, 0, sizeof(le));
	le_reset(&le);
	/* Two pasted lines (CR LF and CR ends) stay one line, not run. */
	CHECK_EQ(FEED(&le, "\x1b[200~whoami\r\ncaps\r\x1b[201~", &submits),
	    LE_NONE);
	CHECK_EQ(submits, 0);
	CHECK_STR(le.line, "whoami caps ");
	CHECK(!le.pasting);
	CHECK_EQ(le.echo_len, 0);
	CHECK_EQ(FEED(&le, "\r", &submits), LE_SUBMIT);
	CHECK_EQ(submits, 1);
	CHECK_EQ(le.controls, 0);
	CHECK_EQ(le.overflow, 0);

	/* The paste's text is echoed as it is inserted. */
	le_reset(&le);
	CHECK_EQ(FEED(&le, "\x1b[200~a", NULL), LE_NONE);
	CHECK(echoed(&le, "a"));

	/* Control keys inside a paste are dropped, not counted against the
	 * line: ^A, DEL, ^D, ^U, ^W, Up, Tab (a space). */
	le_reset(&le);
	CHECK_EQ(FEED(&le, "x\x1b[200~a\x01" "b\x7f" "c\x04\x15\x17\x1b[Ad\te"
	    "\x1b[201~", NULL), LE_NONE);
	CHECK_STR(le.line, "xabcd e");
	CHECK_EQ(le.controls, 0);
	CHECK(!le.pasting);

	/* A start inside a paste is dropped; an end outside one too. */
	le_reset(&le);
	CHECK_EQ(FEED(&le, "\x1b[200~a\x1b[200~b\x1b[201~c\x1b[201~d",
	    &submits), LE_NONE);
	CHECK_STR(le.line, "abcd");
	CHECK(!le.pasting);
	CHECK_EQ(le.controls, 0);
	le_reset(&le);
	CHECK_EQ(FEED(&le, "x\x1b[201~y\x1b[201~\r", &submits), LE_SUBMIT);
	CHECK_STR(le.line, "xy");
	CHECK_EQ(le.controls, 0);
	CHECK_EQ(submits, 2);

	/* ESC inside a paste: dropped, and the bytes after it that start no
	 * bracket are text; an ESC just before the end still ends it. */
	le_reset(&le);
	CHECK_EQ(FEED(&le, "\x1b[200~a\x1b" "b\x1b[2x\x1b[20\r\x1b\x1b[201~",
	    &submits), LE_NONE);
	CHECK_STR(le.line, "ab[2x[20 ");
	CHECK(!le.pasting);
	CHECK_EQ(le.controls, 0);
	CHECK_EQ(submits, 2);

	/* Outside a paste, held bytes that are no bracket count as typed:
	 * ESC refused as a control, the rest inserted (F9 is ESC [ 2 0 ~). */
	le_reset(&le);
	CHECK_EQ(FEED(&le, "ab\x1b[20~c\x1b[200\r", &submits), LE_SUBMIT);
	CHECK_STR(le.line, "ab[20~c[200");
	CHECK_EQ(le.controls, 2);
	CHECK_EQ(submits, 3);

	/* A paste longer than the line: nothing runs however many lines it
	 * holds, the line keeps LE_MAX bytes, and Enter after the paste
	 * submits a line the shell refuses (overflow). */
	le_reset(&le);
	FEED(&le, "\x1b[200~", NULL);
	for (int i = 0; i < 3000; i++)
		CHECK_EQ(FEED(&le, "run hello\r", &submits), LE_NONE);
	CHECK_EQ(submits, 3);
	CHECK_EQ(le.len, LE_MAX);
	CHECK(le.overflow > 0);
	CHECK(le.pasting);
	CHECK_EQ(FEED(&le, "\x1b[201~\r", &submits), LE_SUBMIT);
	CHECK_EQ(submits, 4);
	CHECK(le.overflow > 0);

	/* A paste whose end never comes: Enter is still text, but Ctrl-C
	 * leaves the paste and abandons the line, and the next line is read
	 * as typed. */
	le_reset(&le);
	CHECK_EQ(FEED(&le, "\x1b[200~abc\rdef\r\r", &submits), LE_NONE);
	CHECK_EQ(submits, 4);
	CHECK(le.pasting);
	CHECK_EQ(FEED(&le, "\x03", NULL), LE_CANCEL);
	CHECK(!le.pasting);
	CHECK(echoed(&le, "^C\n"));
	le_reset(&le);
	CHECK_EQ(FEED(&le, "help\r", &submits), LE_SUBMIT);
	CHECK_STR(le.line, "help");
	CHECK_EQ(submits, 5);

	/* A new line starts outside any paste, with nothing held. */
	FEED(&le, "\x1b[200~x\x1b[20", NULL);
	CHECK(le.pasting);
	le_reset(&le);
	CHECK(!le.pasting);
	CHECK_EQ(le.nheld, 0);
	CHECK_EQ(FEED(&le, "0\r", &submits), LE_SUBMIT);
	CHECK_STR(le.line, "0");
}

TEST(shell_utf8_validation)
{
	CHECK(utf8_valid("plain", 5));
	CHECK(utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
	CHECK(!utf8_valid("\xc3", 1));			/* cut short */
	CHECK(!utf8_valid("\xc0\xaf", 2));		/* overlong */
	CHECK(!utf8_valid("\xe0\x80\xaf", 3));		/* overlong */
	CHECK(!utf8_valid("\xed\xa0\x80", 3));		/* surrogate */
	CHECK(!utf8_valid("\xf4\x90\x80\x80", 4));	/* past U+10FFFF */
	CHECK(!utf8_valid("\xff", 1));
	CHECK(!utf8_valid("a\x80", 2));
}

TEST(shell_typed_parse)
{
	struct typed_call c;
	char err[TYPED_ERR_MAX];
	const char *ok = "audit.read(after=0x10, max=3)";

	CHECK_EQ(typed_parse(ok, strlen(ok), &c, err), 0);
	CHECK_STR(c.cap, "audit");
	CHECK_STR(c.method, "read");
	CHECK_EQ(c.nargs, 2);
	CHECK_EQ_U64(c.args[0].num, 16);
	ok = " clock.sleep( ns = 5 ) ";
	CHECK_EQ(typed_parse(ok, strlen(ok), &c, err), 0);
	ok = "t.write(bytes=\"a\\\"b\\x41\\n\")";
	CHECK_EQ(typed_parse(ok, strlen(ok), &c, err), 0);
	CHECK_EQ(c.args[0].len, 5);
	CHECK(memcmp(c.args[0].text, "a\"bA\n", 5) == 0);
	ok = "s.info()";
	CHECK_EQ(typed_parse(ok, strlen(ok), &c, err), 0);
	CHECK_EQ(c.nargs, 0);

	static const struct {
		const char *in, *err;
	} bad[] = {
		{ "clock", "expected CAPABILITY.METHOD(ARG=VALUE, ...)" },
		{ "clock.now", "expected ( after clock.now" },
		{ "clock.now(", "expected ) to end the arguments" },
		{ "clock.sleep(ns)", "expected = after ns" },
		{ "clock.sleep(ns=)", "ns: a value is missing" },
		{ "clock.sleep(ns=12ab)", "ns: not a number" },
		{ "clock.sleep(ns=99999999999999999999)",
		  "ns: the number is too large" },
		{ "clock.sleep(ns=1,)", "an argument is missing after ," },
		{ "clock.sleep(ns=1 x=2)", "expected , or ) at column 18" },
		{ "clock.sleep(ns=1, ns=2)", "ns is given twice" },
		{ "clock.sleep(ns=1) more", "unexpected text after )" },
		{ "t.write(bytes=\"open)", "bytes: the string has no closing "
		  "quote" },
		{ "t.write(bytes=\"\\q\")", "bytes: unknown escape \\q" },
		{ "t.write(bytes=[1])", "bytes: a value is a number, a "
		  "\"string\", true, false or a name" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(typed_parse(bad[i].in, strlen(bad[i].in), &c, err),
		    -1);
		CHECK_STR(err, bad[i].err);
	}
}

/* Parses, builds against iface's metadata, and reads the params back. */
static int
build(const struct capnp_meta_interface *iface, const char *line,
    uint8_t *buf, size_t len, struct capnp_msg *m, struct capnp_struct *s,
    char err[TYPED_ERR_MAX])
{
	struct typed_call c;
	struct capnp_builder b;
	const struct capnp_meta_method *meth;

	if (typed_parse(line, strlen(line), &c, err) != 0)
		return -1;
	if ((meth = typed_method(iface, c.method)) == NULL)
		return -2;
	if (capnp_builder_init(&b, buf, len) != 0 ||
	    typed_build(meth, &c, &b, err) != 0)
		return -1;
	if (capnp_msg_init(m, buf, capnp_builder_finish(&b)) != 0 ||
	    capnp_msg_root(m, s) != 0)
		return -3;
	return 0;
}

TEST(shell_typed_build_checks_against_metadata)
{
	static uint8_t buf[4096] __attribute__((aligned(8)));
	char err[TYPED_ERR_MAX];
	struct capnp_msg m;
	struct capnp_struct s;
	struct capos_AuditLog_read_Params_r ap;
	struct capos_UserSession_shellBundle_Params_r bp;
	struct capnp_text t;

	CHECK_EQ(build(&capos_AuditLog_meta, "a.read(after=7, max=3)", buf,
	    sizeof(buf), &m, &s, err), 0);
	ap.s = s;
	CHECK_EQ_U64(capos_AuditLog_read_Params_get_after(&ap), 7);
	CHECK_EQ(capos_AuditLog_read_Params_get_max(&ap), 3);
	CHECK_EQ(build(&capos_UserSession_meta,
	    "s.shellBundle(profile=\"guest\")", buf, sizeof(buf), &m, &s,
	    err), 0);
	bp.s = s;
	CHECK_EQ(capos_UserSession_shellBundle_Params_get_profile(&bp, &t), 0);
	CHECK_STR(t.str, "guest");
	CHECK_EQ(build(&capos_AuditLog_meta, "a.nope()", buf, sizeof(buf), &m,
	    &s, err), -2);

	static const struct {
		const struct capnp_meta_interface *iface;
		const char *in, *err;
	} bad[] = {
		{ &capos_AuditLog_meta, "a.read(max=-1)",
		  "max is UInt32: out of range" },
		{ &capos_AuditLog_meta, "a.read(max=4294967296)",
		  "max is UInt32: out of range" },
		{ &capos_AuditLog_meta, "a.read(max=\"3\")",
		  "max is UInt32: give a number" },
		{ &capos_AuditLog_meta, "a.read(first=1)",
		  "read takes no argument first" },
		{ &capos_UserSession_meta, "s.shellBundle(profile=guest)",
		  "profile is Text: give a \"quoted\" string" },
		{ &capos_UserSession_meta, "s.shellBundle(profile=\"a\\x00\")",
		  "profile is Text: it may not hold \\x00" },
		{ &capos_ConsoleInput_meta, "c.read(max=true)",
		  "max is UInt32: give a number" },
		{ &capos_ProcessSpawner_meta, "p.spawn(grants=1)",
		  "grants is List: not supported in typed calls" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(build(bad[i].iface, bad[i].in, buf, sizeof(buf), &m,
		    &s, err), -1);
		CHECK_STR(err, bad[i].err);
	}
}

TEST(shell_typed_print_text_form)
{
	static uint8_t buf[4096] __attribute__((aligned(8)));
	static const uint8_t id[3] = { 0x0a, 0xff, 0x00 };
	struct capnp_builder b;
	struct capos_SessionInfo_b info;
	struct capos_UserSession_BundleResult_b br;
	struct capnp_msg m;
	struct capnp_struct s;
	char out[512];

	CHECK_EQ(capnp_builder_init(&b, buf, sizeof(buf)), 0);
	CHECK_EQ(capos_SessionInfo_init_root(&b, &info), 0);
	CHECK_EQ(capos_SessionInfo_set_id(&info, id, 3), 0);
	CHECK_EQ(capos_SessionInfo_set_account(&info, "ad\"min", 6), 0);
	capos_SessionInfo_set_principal(&info, 1000);
	capos_SessionInfo_set_strength(&info, capos_AuthStrength_password);
	CHECK_EQ(capnp_msg_init(&m, buf, capnp_builder_finish(&b)), 0);
	CHECK_EQ(capnp_msg_root(&m, &s), 0);
	typed_print(&capos_SessionInfo_meta, &s, out, sizeof(out));
	CHECK_STR(out, "(id = 0x\"0aff00\", serial = 0, principal = 1000, "
	    "account = \"ad\\\"min\", profile = \"\", strength = password, "
	    "source = \"\", createdNs = 0, expiresNs = 0)");
	/* A union prints only its member that is set. */
	CHECK_EQ(capnp_builder_init(&b, buf, sizeof(buf)), 0);
	CHECK_EQ(capos_UserSession_BundleResult_init_root(&b, &br), 0);
	capos_UserSession_BundleResult_set_refused(&br,
	    capos_AuthReason_profileNotAllowed);
	CHECK_EQ(capnp_msg_init(&m, buf, capnp_builder_finish(&b)), 0);
	CHECK_EQ(capnp_msg_root(&m, &s), 0);
	typed_print(&capos_UserSession_BundleResult_meta, &s, out,
	    sizeof(out));
	CHECK_STR(out, "(refused = profileNotAllowed)");
	/* A short buffer ends the text with "...". */
	typed_print(&capos_UserSession_BundleResult_meta, &s, out, 12);
	CHECK_STR(out, "(refused...");
}
