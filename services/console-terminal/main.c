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
 * (docs/abi.md, "The console"); this service reads it into the session, at
 * most TERM_PEND_MAX bytes not yet given out as keys or lines, and stops
 * reading while that is full (the kernel's buffer then fills and drops,
 * counted). Dropped bytes are reported on the console, and lost. The
 * session itself (keys, lines, events, one read waiting at a time) is
 * lib/term's; this service is its byte source and its output. The
 * serial line tells no window size, so windowSize answers 80x24 and no
 * resize event is ever given. A lone ESC is taken with the key after it
 * (the terminal cannot tell it from the start of an arrow key's
 * sequence).
 *
 * After close, reads answer `closed`; the service ends when no client
 * capability to it is left.
 */
#include <string.h>

#include "answer.h"
#include "rt.h"
#include "term/term.h"
#include "terminal.capnp.h"

_Static_assert(TERM_PEND_MAX <= capos_ConsoleInput_maxRead,
    "one ConsoleInput.read fills the session's input");

static capos_cap_t owner, input, console;
static struct term term;

static uint8_t recv_buf[SVC_RECV_BUF] __attribute__((aligned(8)));
static uint8_t in_buf[capos_ConsoleInput_maxRead + 256]
    __attribute__((aligned(8)));
static uint8_t in_params[64] __attribute__((aligned(8)));
static uint8_t wbuf[4096 + 256] __attribute__((aligned(8)));

/* Writes bytes to the kernel's console, 4096 at a time. */
static void
out(void *ctx, const void *p, size_t n)
{
	struct capos_Console_write_Params_b w;
	struct capnp_builder b;
	struct rt_result res;
	uint8_t ans[128] __attribute__((aligned(8)));

	(void)ctx;
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

static void
answer(void *ctx, uint64_t call_id, struct capnp_builder *b)
{
	(void)ctx;
	(void)svc_answer(owner, call_id, b, NULL, 0);
}

static void
fail(void *ctx, uint64_t call_id, enum capos_CapException_Type type,
    const char *why)
{
	(void)ctx;
	(void)svc_answer_exception(owner, call_id, type, why);
}

static const struct term_ops console_ops = {
	.write = out,
	.answer = answer,
	.fail = fail,
};

/* Posts a read of ConsoleInput for as much as the session has room for. */
static int
post_input(struct capos_sqe *e)
{
	struct capos_ConsoleInput_read_Params_b rp;
	struct capnp_builder b;
	size_t room = term_room(&term);

	if (room == 0)
		return -1;
	if (capnp_builder_init(&b, in_params, sizeof(in_params)) != 0 ||
	    capos_ConsoleInput_read_Params_init_root(&b, &rp) != 0)
		return -1;
	capos_ConsoleInput_read_Params_set_max(&rp, (uint32_t)room);
	rt_prep_call(e, input, capos_ConsoleInput_INTERFACE_ID,
	    capos_ConsoleInput_read_ORDINAL, &b, in_buf, sizeof(in_buf), NULL,
	    0, 0);
	return rt_submit(e);
}

/* Gives a completed read's bytes to the session; -1 when input failed. */
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
	    d.len > term_room(&term))
		return -1;
	(void)term_input(&term, d.ptr, d.len);
	if ((dropped = capos_ConsoleInput_read_Results_get_overflowed(&r)) != 0)
		rt_printf("\n[terminal] %u typed bytes were lost: input came "
		    "faster than it was read\n", dropped);
	return 0;
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
	term_init(&term, &console_ops, NULL);
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
		if (!c.notice)
			term_call(&term, c.hdr->call_id, c.hdr->interface_id,
			    c.hdr->method, &c.params, rc != RT_BAD_PARAMS);
		/* A read consumed from the session may have made room. */
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
