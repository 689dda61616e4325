/*
 * console-terminal: the serial console as a TerminalSession
 * (schema/terminal.capnp, docs/shell.md), served on its "terminal"
 * export to the shell.
 *
 * Holds: "terminal" (the endpoint it serves), "console" (the kernel's
 * Console, for output) and "consoleInput" (the kernel's ConsoleInput,
 * what is typed on the serial line). Nothing else; no arguments.
 *
 One loop waits at once on a RECV of the endpoint and on a read of
 * ConsoleInput, so a write is answered while a read waits for typing.
 *
 * Input path: COM1's receive interrupt fills the kernel's 4 KiB buffer
 * (docs/abi.md, "The console"); this service reads it into `pend`, at
 * most PEND_MAX bytes not yet given out as keys or lines, and stops
 * reading while pend is full (the kernel's buffer then fills and drops,
 * counted). Dropped bytes are reported on the console, and lost. One
 * readLine or readEvents waits at a time (a second is refused as
 * overloaded); it is answered when enough has been typed. The serial
 * line tells no window size, so windowSize answers 80x24 and no resize
 * event is ever given. A lone ESC is taken with the key after it (the
 * terminal cannot tell it from the start of an arrow key's sequence).
 *
 * After close, reads answer `closed`; the service ends when no client
 * capability to it is left.
 */
#include <string.h>

#include "answer.h"
#include "keys.h"
#include "rt.h"
#include "terminal.capnp.h"

#define PEND_MAX	capos_ConsoleInput_maxRead
#define LINE_MAX	capos_TerminalSession_maxLine

static capos_cap_t owner, input, console;
static uint8_t pend[PEND_MAX];
static size_t pend_len, pend_off;
static struct key_decoder dec;
static bool closed;

/* The read waiting for typing, if any. */
static struct {
	bool active;
	bool line;		/* readLine (else readEvents) */
	bool echo;
	uint64_t call_id;
	size_t len;
	bool too_long;
	uint8_t buf[LINE_MAX];
} rd;

static uint8_t recv_buf[SVC_RECV_BUF] __attribute__((aligned(8)));
static uint8_t in_buf[PEND_MAX + 256] __attribute__((aligned(8)));
static uint8_t in_params[64] __attribute__((aligned(8)));
static uint8_t wbuf[4096 + 256] __attribute__((aligned(8)));
static uint8_t reply[8192] __attribute__((aligned(8)));

/* Writes bytes to the kernel's console, 4096 at a time. */
static void
out(const void *p, size_t n)
{
	struct capos_Console_write_Params_b w;
	struct capnp_builder b;
	struct rt_result res;
	uint8_t ans[128] __attribute__((aligned(8)));

	while (n > 0) {
		size_t k = n > 4096 ? 4096 : n;

		if (capnp_builder_init(&b, wbuf, sizeof(wbuf)) != 0 ||
		    capos_Console_write_Params_init_root(&b, &w) != 0 ||
		    capos_Console_write_Params_set_bytes(&w, p, k) != 0)
			return;
		(void)rt_call(console, capos_Console_INTERFACE_ID,
		    capos_Console_write_ORDINAL, &b, NULL, 0, ans, sizeof(ans),
		    &res);
		p = (const uint8_t *)p + k;
		n -= k;
	}
}

/* Posts a read of ConsoleInput for as much as pend has room for. */
static int
post_input(struct capos_sqe *e)
{
	struct capos_ConsoleInput_read_Params_b rp;
	struct capnp_builder b;

	memmove(pend, pend + pend_off, pend_len - pend_off);
	pend_len -= pend_off;
	pend_off = 0;
	if (pend_len == PEND_MAX)
		return -1;
	if (capnp_builder_init(&b, in_params, sizeof(in_params)) != 0 ||
	    capos_ConsoleInput_read_Params_init_root(&b, &rp) != 0)
		return -1;
	capos_ConsoleInput_read_Params_set_max(&rp,
	    (uint32_t)(PEND_MAX - pend_len));
	rt_prep_call(e, input, capos_ConsoleInput_INTERFACE_ID,
	    capos_ConsoleInput_read_ORDINAL, &b, in_buf, sizeof(in_buf), NULL,
	    0, 0);
	return rt_submit(e);
}

/* Takes a completed read's bytes into pend; -1 when input failed. */
static int
take_input(const struct capos_cqe *c)
{
	struct capos_ConsoleInput_read_Results_r r;
	struct rt_result res;
	struct capnp_data d;
	uint32_t dropped;

	if (c->status < 0 || (c->flags & CAPOS_CQE_EXCEPTION) != 0 ||
	    rt_result_read(c, in_buf, &res) != 0)
		return -1;
	r.s = res.root;
	if (capos_ConsoleInput_read_Results_get_bytes(&r, &d) != 0 ||
	    d.len > PEND_MAX - pend_len)
		return -1;
	memcpy(pend + pend_len, d.ptr, d.len);
	pend_len += d.len;
	if ((dropped = capos_ConsoleInput_read_Results_get_overflowed(&r)) != 0)
		rt_printf("\n[terminal] %u typed bytes were lost: input came "
		    "faster than it was read\n", dropped);
	return 0;
}

/* The next buffered key; false when more typing is needed. */
static bool
next_key(struct key *k)
{
	for (;;) {
		int used = key_decode(&dec, pend + pend_off, pend_len - pend_off,
		    false, k);

		if (used == 0)
			return false;
		pend_off += used > 0 ? (size_t)used : 1;
		if (used > 0)
			return true;
	}
}

static void
answer_line(void (*set)(struct capos_TerminalSession_LineResult_b *))
{
	struct capos_TerminalSession_LineResult_b r;
	struct capnp_builder b;

	if (capnp_builder_init(&b, reply, sizeof(reply)) != 0 ||
	    capos_TerminalSession_LineResult_init_root(&b, &r) != 0)
		return;
	if (set != NULL)
		set(&r);
	else if (capos_TerminalSession_LineResult_set_line(&r, rd.buf,
	    rd.len) != 0)
		return;
	(void)svc_answer(owner, rd.call_id, &b, NULL, 0);
}

/* Feeds buffered keys to the waiting readLine; true once it is done. */
static bool
line_step(void)
{
	struct key k;

	while (next_key(&k)) {
		switch (k.code) {
		case KEY_ENTER:
			out("\n", 1);
			answer_line(rd.too_long ?
			    capos_TerminalSession_LineResult_set_tooLong : NULL);
			return true;
		case KEY_INTERRUPT:
			out("^C\n", 3);
			answer_line(capos_TerminalSession_LineResult_set_interrupted);
			return true;
		case KEY_EOF:
			if (rd.len != 0 || rd.too_long)
				break;
			out("\n", 1);
			answer_line(capos_TerminalSession_LineResult_set_eof);
			return true;
		case KEY_BACKSPACE:
			if (rd.len > 0) {
				rd.len--;
				if (rd.echo)
					out("\b \b", 3);
			}
			break;
		case KEY_KILL_LINE:
			while (rd.echo && rd.len > 0 && rd.len--)
				out("\b \b", 3);
			rd.len = 0;
			rd.too_long = false;
			break;
		case KEY_CHAR:
			/* Control bytes are not part of a line. */
			if (k.byte < 0x20 || k.byte == 0x7f)
				break;
			if (rd.len == LINE_MAX) {
				rd.too_long = true;
				break;
			}
			rd.buf[rd.len++] = k.byte;
			if (rd.echo)
				out(&k.byte, 1);
			break;
		default:
			break;
		}
	}
	return false;
}

/* Answers the waiting readEvents with every buffered key (at most
 * maxEvents); false when none is buffered yet. */
static bool
event_step(void)
{
	struct capos_TerminalSession_readEvents_Results_b r;
	struct capos_TerminalSession_Event_b ev;
	struct capos_TerminalSession_Event_key_b kg;
	struct key keys[capos_TerminalSession_maxEvents];
	struct capnp_builder b;
	struct capnp_lb list;
	uint32_t n = 0;

	while (n < capos_TerminalSession_maxEvents && next_key(&keys[n]))
		n++;
	if (n == 0)
		return false;
	if (capnp_builder_init(&b, reply, sizeof(reply)) != 0 ||
	    capos_TerminalSession_readEvents_Results_init_root(&b, &r) != 0 ||
	    capos_TerminalSession_readEvents_Results_init_events(&r, n,
	    &list) != 0)
		return true;
	for (uint32_t i = 0; i < n; i++) {
		if (capos_TerminalSession_Event_b_at(&list, i, &ev) != 0)
			return true;
		kg = capos_TerminalSession_Event_init_key(&ev);
		capos_TerminalSession_Event_key_set_key(&kg,
		    (enum capos_TerminalSession_Key)keys[i].code);
		capos_TerminalSession_Event_key_set_byte(&kg, keys[i].byte);
	}
	(void)svc_answer(owner, rd.call_id, &b, NULL, 0);
	return true;
}

/* Answers the waiting read if what is buffered completes it. */
static void
progress(void)
{
	if (rd.active && (rd.line ? line_step() : event_step())) {
		memset(&rd, 0, sizeof(rd));
	}
}

static void
answer_closed(uint64_t call_id, bool line)
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
	(void)svc_answer(owner, call_id, &b, NULL, 0);
}

static void
do_write(const struct svc_call *c)
{
	struct capos_TerminalSession_write_Params_r p = { c->params };
	struct capnp_data d;

	if (capos_TerminalSession_write_Params_get_bytes(&p, &d) != 0 ||
	    d.len > capos_TerminalSession_maxWrite) {
		(void)svc_answer_exception(owner, c->hdr->call_id,
		    capos_CapException_Type_failed,
		    "write: more than maxWrite bytes");
		return;
	}
	if (!closed)
		out(d.ptr, d.len);
	(void)svc_answer(owner, c->hdr->call_id, NULL, NULL, 0);
}

static void
do_read(const struct svc_call *c, bool line)
{
	struct capos_TerminalSession_readLine_Params_r p = { c->params };

	if (closed) {
		answer_closed(c->hdr->call_id, line);
		return;
	}
	if (rd.active) {
		(void)svc_answer_exception(owner, c->hdr->call_id,
		    capos_CapException_Type_overloaded,
		    "a read is already waiting");
		return;
	}
	rd.active = true;
	rd.line = line;
	rd.echo = line && capos_TerminalSession_readLine_Params_get_echo(&p);
	rd.call_id = c->hdr->call_id;
	progress();
}

static void
do_window_size(const struct svc_call *c)
{
	struct capos_TerminalSession_windowSize_Results_b r;
	struct capnp_builder b;

	if (capnp_builder_init(&b, reply, sizeof(reply)) != 0 ||
	    capos_TerminalSession_windowSize_Results_init_root(&b, &r) != 0)
		return;
	capos_TerminalSession_windowSize_Results_set_columns(&r, 80);
	capos_TerminalSession_windowSize_Results_set_rows(&r, 24);
	(void)svc_answer(owner, c->hdr->call_id, &b, NULL, 0);
}

static void
do_close(const struct svc_call *c)
{
	closed = true;
	if (rd.active) {
		answer_closed(rd.call_id, rd.line);
		memset(&rd, 0, sizeof(rd));
	}
	(void)svc_answer(owner, c->hdr->call_id, NULL, NULL, 0);
}

/* Dispatches one received call; every call is answered, now or when
 * typing completes it. */
static void
dispatch(const struct svc_call *c, int rc)
{
	uint64_t id = c->hdr->call_id;

	if (c->notice)
		return;
	if (rc == RT_BAD_PARAMS || c->hdr->interface_id !=
	    capos_TerminalSession_INTERFACE_ID) {
		(void)svc_answer_exception(owner, id,
		    capos_CapException_Type_failed, "malformed call");
		return;
	}
	switch (c->hdr->method) {
	case capos_TerminalSession_write_ORDINAL:
		do_write(c);
		break;
	case capos_TerminalSession_readLine_ORDINAL:
		do_read(c, true);
		break;
	case capos_TerminalSession_readEvents_ORDINAL:
		do_read(c, false);
		break;
	case capos_TerminalSession_windowSize_ORDINAL:
		do_window_size(c);
		break;
	case capos_TerminalSession_close_ORDINAL:
		do_close(c);
		break;
	default:
		(void)svc_answer_exception(owner, id,
		    capos_CapException_Type_unimplemented, "no such method");
		break;
	}
}

int
main(void)
{
	struct capos_capdesc caps[CAPOS_MAX_XCAPS];
	struct capos_sqe re, ie;
	struct capos_cqe cqe;
	struct svc_call c;
	uint64_t tags[2];
	bool reading;
	int rc;

	owner = rt_cap("terminal", capos_Endpoint_INTERFACE_ID);
	input = rt_cap("consoleInput", capos_ConsoleInput_INTERFACE_ID);
	console = rt_cap("console", capos_Console_INTERFACE_ID);
	if (owner == CAPOS_CAP_NULL || input == CAPOS_CAP_NULL ||
	    console == CAPOS_CAP_NULL) {
		rt_printf("[terminal] needs terminal, console and "
		    "consoleInput\n");
		return 1;
	}
	rt_prep_recv(&re, owner, recv_buf, sizeof(recv_buf), caps);
	if (rt_submit(&re) != 0)
		return 1;
	reading = post_input(&ie) == 0;
	for (;;) {
		int n = 1, k;

		tags[0] = re.user_data;
		if (reading)
			tags[n++] = ie.user_data;
		if ((k = rt_wait_any(tags, n, &cqe)) < 0) {
			rt_printf("[terminal] stopped: %s\n", rt_strerror(k));
			return 1;
		}
		if (k == 1) {
			if (take_input(&cqe) != 0) {
				rt_printf("[terminal] console input failed\n");
				return 1;
			}
			progress();
			reading = post_input(&ie) == 0;
			continue;
		}
		rc = svc_take(&cqe, recv_buf, &c);
		if (rc == CAPOS_EPEER)
			break;
		if (rc < 0 && rc != RT_BAD_PARAMS) {
			rt_printf("[terminal] stopped: %s\n", rt_strerror(rc));
			return 1;
		}
		/* No method takes capabilities: drop any that came. */
		for (uint16_t i = 0; i < c.hdr->ncaps && i < CAPOS_MAX_XCAPS;
		    i++)
			rt_release(caps[i].cap);
		dispatch(&c, rc);
		/* A read consumed from pend may have made room to read. */
		if (!reading)
			reading = post_input(&ie) == 0;
		rt_prep_recv(&re, owner, recv_buf, sizeof(recv_buf), caps);
		if (rt_submit(&re) != 0)
			return 1;
	}
	if (reading)
		(void)rt_forget(ie.user_data);
	return 0;
}
