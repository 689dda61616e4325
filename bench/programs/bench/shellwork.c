/*
 * The shell rows of make bench (docs/benchmarks.md): login_ms and
 * shell_call_us. The bench program plays the terminal: it serves the
 * TerminalSession that the bench system's capos-shell holds ("terminal",
 * this program's export) and types at it, as a person at a terminal
 * would, with the time taken from rdtsc here.
 *
 *   login_ms       from answering the password's readLine (the Enter
 *                  that ends the password) to the write of the logged-in
 *                  prompt "admin@capos> ": auth's scrypt check (N = 4096,
 *                  r = 8, p = 1, the default system's parameters), the
 *                  session, the broker's bundle and the shell's output.
 *                  Each login is followed by an untimed logout.
 *   shell_call_us  from answering readEvents with the line
 *                  "call clock.now()" and its Enter to the write of the
 *                  next prompt: the shell's echo, parsing and checking
 *                  against the schema metadata, the call, and printing
 *                  the result in text form.
 *
 * The shell blocks on its first terminal call until these rows run, so
 * it costs the other rows nothing; auth is made to finish its start-up
 * (the decoy scrypt) before any row is timed (shell_rows_sync).
 *
 * Bounds: one call is served at a time into buf (SVC_RECV_BUF bytes);
 * a write's text is searched and not kept; the shell must ask for input
 * within SERVE_MAX calls of being answered, or the row fails.
 */
#include <string.h>

#include "answer.h"
#include "auth.capnp.h"
#include "shellwork.h"
#include "terminal.capnp.h"

#define SERVE_MAX	256
#define CALL_BATCH	20

static capos_cap_t owner;
static uint8_t buf[SVC_RECV_BUF] __attribute__((aligned(8)));
static uint8_t ans[4096] __attribute__((aligned(8)));
static struct capos_capdesc caps[CAPOS_MAX_XCAPS];

/* The input call the shell is waiting in. */
struct pending {
	uint64_t call_id;
	uint16_t method;	/* readEvents or readLine */
};

static uint64_t
tsc(void)
{
	__asm__ volatile("lfence" ::: "memory");
	return __builtin_ia32_rdtsc();
}

static bool
contains(const uint8_t *p, size_t n, const char *s)
{
	size_t k = strlen(s);

	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(p + i, s, k) == 0)
			return true;
	return false;
}

/*
 * Serves the shell's calls until it asks for input. A write that holds
 * `want` (if not NULL) sets *seen to the time it arrived, and one that
 * holds `also` sets *also_seen. 0 with *rd set, or -1 when the shell
 * went away or never asked.
 */
static int
serve(const char *want, uint64_t *seen, const char *also, bool *also_seen,
    struct pending *rd)
{
	struct capos_TerminalSession_windowSize_Results_b ws;
	struct capnp_builder b;
	struct capos_sqe e;
	struct capos_cqe c;
	struct svc_call call;

	for (int i = 0; i < SERVE_MAX; i++) {
		rt_prep_recv(&e, owner, buf, sizeof(buf), caps);
		if (rt_submit(&e) != 0 || rt_wait(e.user_data, &c) != 0 ||
		    svc_take(&c, buf, &call) != 0)
			return -1;
		for (uint16_t k = 0; k < call.hdr->ncaps &&
		    k < CAPOS_MAX_XCAPS; k++)
			rt_release(caps[k].cap);
		if (call.notice)
			continue;
		switch (call.hdr->method) {
		case capos_TerminalSession_write_ORDINAL: {
			struct capos_TerminalSession_write_Params_r p =
			    { call.params };
			struct capnp_data d;
			uint64_t t = tsc();

			if (capos_TerminalSession_write_Params_get_bytes(&p,
			    &d) == 0) {
				if (want != NULL && contains(d.ptr, d.len, want))
					*seen = t;
				if (also != NULL && contains(d.ptr, d.len, also))
					*also_seen = true;
			}
			(void)svc_answer(owner, call.hdr->call_id, NULL, NULL,
			    0);
			break;
		}
		case capos_TerminalSession_windowSize_ORDINAL:
			if (capnp_builder_init(&b, ans, sizeof(ans)) != 0 ||
			    capos_TerminalSession_windowSize_Results_init_root(
			    &b, &ws) != 0)
				return -1;
			capos_TerminalSession_windowSize_Results_set_columns(&ws,
			    80);
			capos_TerminalSession_windowSize_Results_set_rows(&ws,
			    24);
			(void)svc_answer(owner, call.hdr->call_id, &b, NULL, 0);
			break;
		case capos_TerminalSession_readEvents_ORDINAL:
		case capos_TerminalSession_readLine_ORDINAL:
			rd->call_id = call.hdr->call_id;
			rd->method = call.hdr->method;
			return 0;
		default:
			(void)svc_answer_exception(owner, call.hdr->call_id,
			    capos_CapException_Type_unimplemented,
			    "not served by the bench terminal");
			break;
		}
	}
	return -1;
}

/* Answers a readEvents with the keys of line and an Enter, or (line
 * NULL) with the terminal's closing. */
static int
type_line(const struct pending *rd, const char *line)
{
	struct capos_TerminalSession_readEvents_Results_b r;
	struct capos_TerminalSession_Event_b ev;
	struct capos_TerminalSession_Event_key_b k;
	struct capnp_builder b;
	struct capnp_lb l;
	uint32_t n = line != NULL ? (uint32_t)strlen(line) + 1 : 1;

	if (rd->method != capos_TerminalSession_readEvents_ORDINAL ||
	    capnp_builder_init(&b, ans, sizeof(ans)) != 0 ||
	    capos_TerminalSession_readEvents_Results_init_root(&b, &r) != 0 ||
	    capos_TerminalSession_readEvents_Results_init_events(&r, n,
	    &l) != 0)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		if (capos_TerminalSession_Event_b_at(&l, i, &ev) != 0)
			return -1;
		if (line == NULL) {
			capos_TerminalSession_Event_set_closed(&ev);
			continue;
		}
		k = capos_TerminalSession_Event_init_key(&ev);
		if (i + 1 == n) {
			capos_TerminalSession_Event_key_set_key(&k,
			    capos_TerminalSession_Key_enter);
			continue;
		}
		capos_TerminalSession_Event_key_set_key(&k,
		    capos_TerminalSession_Key_char);
		capos_TerminalSession_Event_key_set_byte(&k, (uint8_t)line[i]);
	}
	return svc_answer(owner, rd->call_id, &b, NULL, 0) == 0 ? 0 : -1;
}

/* Answers a readLine with text, as if typed and ended with Enter. */
static int
answer_line(const struct pending *rd, const char *text)
{
	struct capos_TerminalSession_LineResult_b r;
	struct capnp_builder b;

	if (rd->method != capos_TerminalSession_readLine_ORDINAL ||
	    capnp_builder_init(&b, ans, sizeof(ans)) != 0 ||
	    capos_TerminalSession_LineResult_init_root(&b, &r) != 0 ||
	    capos_TerminalSession_LineResult_set_line(&r, text,
	    strlen(text)) != 0)
		return -1;
	return svc_answer(owner, rd->call_id, &b, NULL, 0) == 0 ? 0 : -1;
}

/* One login as admin from the prompt; the cycles from the password's
 * Enter to the logged-in prompt, or 0 when it did not log in. */
static uint64_t
login_once(struct pending *rd)
{
	uint64_t t0, t1 = 0;
	bool ok = false;

	if (type_line(rd, "login") != 0 ||
	    serve(NULL, NULL, NULL, NULL, rd) != 0 ||
	    answer_line(rd, SHELLWORK_USER) != 0 ||
	    serve(NULL, NULL, NULL, NULL, rd) != 0)
		return 0;
	t0 = tsc();
	if (answer_line(rd, SHELLWORK_PASSWORD) != 0 ||
	    serve("admin@capos> ", &t1, "Logged in as admin", &ok, rd) != 0 ||
	    !ok || t1 == 0)
		return 0;
	return t1 - t0;
}

static int
logout_once(struct pending *rd)
{
	uint64_t t = 0;

	if (type_line(rd, "logout") != 0 ||
	    serve("capos> ", &t, NULL, NULL, rd) != 0 || t == 0)
		return -1;
	return 0;
}

int
shell_rows_sync(void)
{
	capos_cap_t mgr = rt_cap("sessionManager",
	    capos_SessionManager_INTERFACE_ID);
	struct capos_SessionManager_anonymous_Params_b p;
	struct capos_SessionManager_anonymous_Results_r r;
	struct capnp_builder b;
	struct rt_result res;
	uint32_t idx;

	if (mgr == CAPOS_CAP_NULL)
		return -1;
	/* auth answers once its start-up is done: from here on it is idle. */
	if (capnp_builder_init(&b, ans, sizeof(ans)) != 0 ||
	    capos_SessionManager_anonymous_Params_init_root(&b, &p) != 0 ||
	    capos_SessionManager_anonymous_Params_set_source(&p, "bench",
	    5) != 0 ||
	    rt_call(mgr, capos_SessionManager_INTERFACE_ID,
	    capos_SessionManager_anonymous_ORDINAL, &b, NULL, 0, ans,
	    sizeof(ans), &res) != 0)
		return -1;
	r.s = res.root;
	if (capos_SessionManager_anonymous_Results_get_session(&r, &idx) == 0 &&
	    idx < res.cqe.ncaps)
		rt_release(res.caps[idx].cap);
	rt_release(mgr);
	return 0;
}

int
shell_rows(uint64_t *login, uint64_t *call, int batches)
{
	struct pending rd;
	uint64_t t;
	bool result;

	owner = rt_cap("terminal", capos_Endpoint_INTERFACE_ID);
	if (owner == CAPOS_CAP_NULL)
		return -1;
	/* The banner and the anonymous prompt. */
	t = 0;
	if (serve("capos> ", &t, NULL, NULL, &rd) != 0 || t == 0)
		return -1;
	/* One untimed login, then the timed ones. */
	for (int i = -1; i < batches; i++) {
		if ((t = login_once(&rd)) == 0 || logout_once(&rd) != 0)
			return -1;
		if (i >= 0)
			login[i] = t;
	}
	if (login_once(&rd) == 0)
		return -1;
	for (int i = -1; i < batches; i++) {
		uint64_t t0 = tsc(), t1 = 0;

		for (int k = 0; k < CALL_BATCH; k++) {
			result = false;
			if (type_line(&rd, "call clock.now()") != 0 ||
			    serve("admin@capos> ", &t1, "(ns = ", &result,
			    &rd) != 0 || !result)
				return -1;
		}
		if (i >= 0)
			call[i] = (t1 - t0) / CALL_BATCH;
	}
	/* The terminal closes: the shell ends, and with it its session. */
	(void)type_line(&rd, NULL);
	return CALL_BATCH;
}
