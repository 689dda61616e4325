/*
 * capos-shell: the capability shell on a TerminalSession (docs/shell.md).
 * Its commands are builtins and typed capability calls; it holds only its
 * terminal, the SessionManager it logs in through, and the bundle the
 * authority broker issued for its session. `caps` lists exactly that.
 *
 * Holds: "terminal" (TerminalSession: all its input and output) and
 * "sessionManager" (SessionManager). Everything else comes in a bundle
 * (UserSession.shellBundle): at start the anonymous session's, after
 * `login` the account's. Started by RestrictedShellLauncher for a
 * gateway instead, it holds "terminal" and a logged-in session's bundle
 * (no sessionManager): it cannot log in again, and logout ends it. It
 * never holds ProcessSpawner: `run` goes through the bundle's "launcher"
 * (ProgramLauncher), which gives the child one capability, its output
 * endpoint, served here. `agent` (agent.c, docs/agent.md) talks to a
 * LanguageModel in the bundle and runs the calls it proposes, gated, on
 * these same capabilities; the model is given none of them.
 *
 * Arguments: "motd=TEXT" (repeatable: the banner's lines), "source=NAME"
 * (the login source auth counts failures by; default "console"),
 * "profile=NAME" (repeatable: the profiles `login` asks the broker for,
 * in order; default operator, then guest), "agentWait=S" (how long the
 * agent mode's model may take over one answer, default 30 s),
 * "agentTurn=S" (how long one agent turn may take, the user's time at
 * its consent and step-up prompts left out, default 120 s).
 *
 * Bounds: lines of LE_MAX bytes (lineedit.h), BUNDLE_MAX capabilities,
 * INPUT_KEYS_MAX keys queued (input.h: typed ahead, or while a program
 * runs; more are dropped), OUT_MAX bytes of one printed result. Bad
 * input gets a message and the shell goes on.
 *
 * The terminal's size: asked for at start (windowSize) and followed by
 * its resize events; the line editor draws long lines for that width,
 * a line being edited is drawn again on a fresh row when the width
 * changes, and `session` shows the size.
 */
#include <string.h>

#define CAPNP_META
#include "agent.capnp.h"
#include "answer.h"
#include "auth.capnp.h"
#include "capos.capnp.h"
#include "fmt/fmt.h"
#include "input.h"
#include "lineedit.h"
#include "rt.h"
#include "shell.h"
#include "shell.capnp.h"
#include "terminal.capnp.h"
#include "text.capnp.h"
#include "typed.h"

#define OUT_MAX		8192
#define MOTD_MAX	8
#define PROFILES_MAX	4

/* Interfaces whose methods `call` knows, by the metadata capnpc-c made. */
static const struct capnp_meta_interface *const known[] = {
	&capos_TerminalSession_meta, &capos_UserSession_meta,
	&capos_AuditLog_meta, &capos_SessionManager_meta,
	&capos_ProgramLauncher_meta, &capos_TextSink_meta,
	&capos_Timer_meta, &capos_Console_meta, &capos_ProcessHandle_meta,
	&capos_LanguageModel_meta, &capos_ModelStream_meta,
	&capos_TimerNotification_meta,
};

static capos_cap_t term, manager;
capos_cap_t session;
struct held bundle[BUNDLE_MAX];
int nbundle;
char account[NAME_MAX + 1];
static char profile[NAME_MAX + 1];
static const char *motd[MOTD_MAX];
static int nmotd;
static const char *profiles[PROFILES_MAX];
static int nprofiles;
static const char *source = "console";
static bool quit;

struct lineedit le;
static struct shell_input input;
/* A readEvents posted and not yet collected (after a `run`). */
static struct capos_sqe ev_sqe;
static bool ev_posted;

static uint8_t pbuf[CAPOS_MAX_PARAMS] __attribute__((aligned(8)));
static uint8_t rbuf[CAPOS_MAX_RESULT] __attribute__((aligned(8)));
static uint8_t evbuf[8192] __attribute__((aligned(8)));
static uint8_t wbuf[16384 + 256] __attribute__((aligned(8)));
static char out[OUT_MAX];

/* ---- Output ---- */

/* Writes text to the terminal ("\n" ends a line: the terminal maps it to
 * what its transport needs). */
void
put(const char *s, size_t n)
{
	struct capos_TerminalSession_write_Params_b p;
	struct capnp_builder b;
	struct rt_result res;
	uint8_t ans[128] __attribute__((aligned(8)));

	while (n > 0) {
		size_t k = n > capos_TerminalSession_maxWrite ?
		    capos_TerminalSession_maxWrite : n;

		if (capnp_builder_init(&b, wbuf, sizeof(wbuf)) != 0 ||
		    capos_TerminalSession_write_Params_init_root(&b, &p) != 0 ||
		    capos_TerminalSession_write_Params_set_bytes(&p, s, k) != 0)
			return;
		(void)rt_call(term, capos_TerminalSession_INTERFACE_ID,
		    capos_TerminalSession_write_ORDINAL, &b, NULL, 0, ans,
		    sizeof(ans), &res);
		s += k;
		n -= k;
	}
}

void
say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* ---- The bundle ---- */

const struct held *
find_cap(const char *name)
{
	for (int i = 0; i < nbundle; i++)
		if (strcmp(bundle[i].name, name) == 0)
			return &bundle[i];
	return NULL;
}

const struct capnp_meta_interface *
iface_meta(uint64_t id)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i]->id == id)
			return known[i];
	return NULL;
}

static void
drop_bundle(void)
{
	for (int i = 0; i < nbundle; i++)
		rt_release(bundle[i].cap);
	nbundle = 0;
	if (session != CAPOS_CAP_NULL)
		rt_release(session);
	session = CAPOS_CAP_NULL;
}

/* Asks the broker for a profile's bundle on session s; 0, 1 when the
 * broker refused (its reason in *why), -1 when the call failed. */
static int
take_bundle(capos_cap_t s, const char *prof, const char **why)
{
	struct capos_UserSession_shellBundle_Params_b p;
	struct capos_UserSession_BundleResult_r r;
	struct capos_BundleEntry_r e;
	struct capnp_builder b;
	struct capnp_list list;
	struct capnp_text t;
	struct rt_result res;
	uint32_t idx;
	int n = 0;

	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_UserSession_shellBundle_Params_init_root(&b, &p) != 0 ||
	    capos_UserSession_shellBundle_Params_set_profile(&p, prof,
	    strlen(prof)) != 0 ||
	    rt_call(s, capos_UserSession_INTERFACE_ID,
	    capos_UserSession_shellBundle_ORDINAL, &b, NULL, 0, rbuf,
	    sizeof(rbuf), &res) != 0)
		return -1;
	r.s = res.root;
	if (capos_UserSession_BundleResult_which(&r) ==
	    capos_UserSession_BundleResult_which_refused) {
		enum capos_AuthReason why_code =
		    capos_UserSession_BundleResult_get_refused(&r);

		*why = why_code < capos_AuthReason_meta.n ?
		    capos_AuthReason_meta.names[why_code] : "refused";
		return 1;
	}
	if (capos_UserSession_BundleResult_get_entries(&r, &list) != 0)
		return -1;
	for (uint32_t i = 0; i < list.n; i++) {
		if (capos_BundleEntry_at(&list, i, &e) != 0 ||
		    capos_BundleEntry_get_name(&e, &t) != 0 ||
		    capos_BundleEntry_get_cap(&e, &idx) != 0 ||
		    idx >= res.cqe.ncaps)
			continue;
		/* Everything that came is ours to release, kept or not. */
		if (t.len > NAME_MAX || n == BUNDLE_MAX) {
			rt_release(res.caps[idx].cap);
			continue;
		}
		memcpy(bundle[n].name, t.str, t.len);
		bundle[n].name[t.len] = '\0';
		bundle[n].iface = capos_BundleEntry_get_interfaceId(&e);
		bundle[n].cap = res.caps[idx].cap;
		n++;
	}
	nbundle = n;
	memcpy(profile, prof, strlen(prof) + 1);
	return 0;
}

static int
become_anonymous(void)
{
	struct capos_SessionManager_anonymous_Params_b p;
	struct capos_SessionManager_anonymous_Results_r r;
	struct capnp_builder b;
	struct rt_result res;
	const char *why;
	uint32_t idx;

	drop_bundle();
	account[0] = '\0';
	profile[0] = '\0';
	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_SessionManager_anonymous_Params_init_root(&b, &p) != 0 ||
	    capos_SessionManager_anonymous_Params_set_source(&p, source,
	    strlen(source)) != 0 ||
	    rt_call(manager, capos_SessionManager_INTERFACE_ID,
	    capos_SessionManager_anonymous_ORDINAL, &b, NULL, 0, rbuf,
	    sizeof(rbuf), &res) != 0)
		return -1;
	r.s = res.root;
	if (capos_SessionManager_anonymous_Results_get_session(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return -1;
	session = res.caps[idx].cap;
	return take_bundle(session, "anonymous", &why) < 0 ? -1 : 0;
}

/* ---- Keys ---- */

static void
post_event(void)
{
	rt_prep_call(&ev_sqe, term, capos_TerminalSession_INTERFACE_ID,
	    capos_TerminalSession_readEvents_ORDINAL, NULL, evbuf,
	    sizeof(evbuf), NULL, 0, 0);
	ev_posted = rt_submit(&ev_sqe) == 0;
}

/* Takes a completed readEvents into the input; 0, 1 when the terminal
 * has closed, -1 when it failed. */
static int
take_events(const struct capos_cqe *c)
{
	struct capos_TerminalSession_readEvents_Results_r r;
	struct capnp_list list;
	struct rt_result res;

	if (c->status < 0 || (c->flags & CAPOS_CQE_EXCEPTION) != 0 ||
	    rt_result_read(c, evbuf, &res) != 0)
		return -1;
	r.s = res.root;
	if (capos_TerminalSession_readEvents_Results_get_events(&r,
	    &list) != 0 || input_take(&input, &list) != 0)
		return -1;
	return input.closed ? 1 : 0;
}

/* Whether a key is queued. */
static bool
key_ready(void)
{
	return input.n > 0;
}

/* The next key: 0, or 1 when the window was resized and no key is
 * queued yet, or -1 when the terminal is gone. */
static int
next_key(int *code, uint8_t *byte)
{
	struct capos_cqe c;

	while (input.n == 0 && !input.resized) {
		if (!ev_posted)
			post_event();
		if (!ev_posted || rt_wait(ev_sqe.user_data, &c) != 0)
			return -1;
		ev_posted = false;
		if (take_events(&c) != 0)
			return -1;
	}
	return input_pop(&input, code, byte) ? 0 : 1;
}

/* Asks the terminal its size, for a shell that starts before any resize
 * event; a terminal that cannot tell leaves the width unknown. */
static void
ask_size(void)
{
	struct capos_TerminalSession_windowSize_Results_r r;
	struct rt_result res;

	if (rt_call(term, capos_TerminalSession_INTERFACE_ID,
	    capos_TerminalSession_windowSize_ORDINAL, NULL, NULL, 0, rbuf,
	    sizeof(rbuf), &res) != 0)
		return;
	r.s = res.root;
	input.cols = capos_TerminalSession_windowSize_Results_get_columns(&r);
	input.rows = capos_TerminalSession_windowSize_Results_get_rows(&r);
	le_resize(&le, input.cols, input.rows);
}

/*
 * Waits for the first of n entries to complete, reading keys meanwhile:
 * the index of the one that did (its completion in *c), n when Ctrl-C was
 * typed first (the entries stay pending: the caller forgets them), or -1
 * when the terminal or the ring failed. Other keys wait for the prompt.
 */
int
wait_or_interrupt(const uint64_t *tags, int n, struct capos_cqe *c)
{
	uint64_t all[WAIT_MAX + 1];
	int k;

	if (n > WAIT_MAX)
		return -1;
	for (;;) {
		if (input_interrupt(&input))
			return n;
		if (!ev_posted)
			post_event();
		if (!ev_posted)
			return -1;
		memcpy(all, tags, (size_t)n * sizeof(tags[0]));
		all[n] = ev_sqe.user_data;
		if ((k = rt_wait_any(all, n + 1, c)) < 0)
			return -1;
		if (k < n)
			return k;
		ev_posted = false;
		if (take_events(c) != 0)
			return -1;
	}
}

void
keys_discard(void)
{
	(void)input_discard(&input);
}

/*
 * A short line from keys (a y/N answer, a password again), echoed or not:
 * Backspace and Ctrl-U edit it, Enter ends it. 0 with the line in buf
 * (NUL-terminated), 1 cancelled (Ctrl-C, Ctrl-D), 2 longer than
 * room - 1 bytes (the rest was not kept), -1 when the terminal is gone.
 * Unlike readLine it shares the key stream with wait_or_interrupt, which
 * may have a read pending.
 */
int
read_keys(bool echo, char *buf, size_t room, size_t *len)
{
	bool over = false;
	int code;
	uint8_t byte;

	*len = 0;
	for (;;) {
		if (next_key(&code, &byte) != 0)
			return -1;
		switch (code) {
		case capos_TerminalSession_Key_char:
			if (*len + 1 >= room) {
				over = true;
				break;
			}
			buf[(*len)++] = (char)byte;
			if (echo)
				put((const char *)&byte, 1);
			break;
		case capos_TerminalSession_Key_backspace:
			if (*len > 0) {
				(*len)--;
				if (echo)
					put("\b \b", 3);
			}
			break;
		case capos_TerminalSession_Key_killLine:
			while (echo && *len > 0) {
				(*len)--;
				put("\b \b", 3);
			}
			*len = 0;
			break;
		case capos_TerminalSession_Key_enter:
			put("\n", 1);
			buf[*len] = '\0';
			return over ? 2 : 0;
		case capos_TerminalSession_Key_interrupt:
		case capos_TerminalSession_Key_eof:
			put("^C\n", 3);
			return 1;
		default:
			break;
		}
	}
}

/* ---- Completion ---- */

static const char *const commands[] = {
	"help", "login", "logout", "exit", "caps", "session", "whoami",
	"run", "call", "audit", "shutdown", "agent", "passkey",
};

/* Completes word (the last len bytes of the line) from names; a unique
 * match is followed by suffix (a space after a command). */
static void
complete_from(const char *word, size_t len, const char *const *names,
    int n, const char *prompt, const char *suffix)
{
	const char *first = NULL;
	size_t common = 0;
	int matches = 0;

	for (int i = 0; i < n; i++) {
		if (strncmp(names[i], word, len) != 0)
			continue;
		if (first == NULL) {
			first = names[i];
			common = strlen(first);
		} else {
			size_t k = len;

			while (k < common && names[i][k] == first[k])
				k++;
			common = k;
		}
		matches++;
	}
	if (matches == 0)
		return;
	if (common > len) {
		le_insert(&le, first + len, common - len);
		if (matches == 1)
			le_insert(&le, suffix, strlen(suffix));
		put(le.echo, le.echo_len);
		return;
	}
	put("\n", 1);
	for (int i = 0; i < n; i++)
		if (strncmp(names[i], word, len) == 0)
			say("%s  ", names[i]);
	say("\n%s", prompt);
	le_redraw(&le);
	put(le.echo, le.echo_len);
}

static void
complete(const char *prompt)
{
	const char *names[BUNDLE_MAX + 16];
	const char *sp = NULL, *word, *dot;
	int n = 0;

	for (size_t i = 0; i < le.len; i++)
		if (le.line[i] == ' ')
			sp = &le.line[i];

	le.echo_len = 0;
	if (sp == NULL) {
		complete_from(le.line, le.len, commands,
		    (int)(sizeof(commands) / sizeof(commands[0])), prompt, " ");
		return;
	}
	if (strncmp(le.line, "call ", 5) != 0)
		return;
	word = sp + 1;
	if ((dot = strchr(word, '.')) == NULL) {
		for (int i = 0; i < nbundle; i++)
			names[n++] = bundle[i].name;
		complete_from(word, strlen(word), names, n, prompt, "");
		return;
	}
	{
		char cap[NAME_MAX + 1];
		const struct held *h;
		const struct capnp_meta_interface *m;
		size_t cl = (size_t)(dot - word);

		if (cl > NAME_MAX)
			return;
		memcpy(cap, word, cl);
		cap[cl] = '\0';
		if ((h = find_cap(cap)) == NULL ||
		    (m = iface_meta(h->iface)) == NULL)
			return;
		for (uint16_t i = 0; i < m->nmethods && n < 16; i++)
			names[n++] = m->methods[i].name;
		complete_from(dot + 1, strlen(dot + 1), names, n, prompt, "");
	}
}

/* Bracketed paste (lineedit.h): on while a line is read, off before
 * anything runs. */
#define PASTE_ON	"\x1b[?2004h"
#define PASTE_OFF	"\x1b[?2004l"

/* Reads one edited line into le. 0 submitted, 1 cancelled (Ctrl-C), 2
 * end of input (Ctrl-D on an empty line), -1 terminal gone. */
int
read_command(const char *prompt)
{
	static char echo[OUT_MAX];
	size_t elen = 0;
	int code;
	uint8_t byte;

	le_reset(&le);
	le.prompt_cols = (uint32_t)strlen(prompt);
	say(PASTE_ON "%s", prompt);
	for (;;) {
		enum le_action a;
		int rc;

		/* The echo of a batch of keys goes out in one write, before
		 * waiting for more. */
		if (!key_ready() && elen > 0) {
			put(echo, elen);
			elen = 0;
		}
		if ((rc = next_key(&code, &byte)) < 0)
			return -1;
		if (input.resized) {
			/* Rows drawn for the old width no longer line up:
			 * a line being edited is drawn again on a fresh row. */
			input.resized = false;
			le_resize(&le, input.cols, input.rows);
			put(echo, elen);
			elen = 0;
			if (le.len > 0) {
				le_redraw(&le);
				say("\n%s", prompt);
				put(le.echo, le.echo_len);
			}
		}
		if (rc == 1)
			continue;
		a = le_key(&le, code, byte);
		if (a == LE_COMPLETE) {
			put(echo, elen);
			elen = 0;
			complete(prompt);
		} else if (le.echo_len > 0) {
			if (le.echo_len > sizeof(echo) - elen) {
				put(echo, elen);
				elen = 0;
			}
			memcpy(echo + elen, le.echo, le.echo_len);
			elen += le.echo_len;
		}
		if (a == LE_SUBMIT || a == LE_CANCEL || a == LE_EOF) {
			/* Each of these echoes a newline last (lineedit.c);
			 * the mode's end goes just before it, in the same
			 * write, so what runs next starts a line of its own. */
			static const char off[] = PASTE_OFF "\n";

			elen--;
			if (sizeof(echo) - elen < sizeof(off) - 1) {
				put(echo, elen);
				elen = 0;
			}
			memcpy(echo + elen, off, sizeof(off) - 1);
			put(echo, elen + sizeof(off) - 1);
			return a == LE_SUBMIT ? 0 : a == LE_CANCEL ? 1 : 2;
		}
	}
}

/* ---- Commands ---- */

static void
cmd_help(void)
{
	say("Commands:\n"
	    "  login                 log in (username, then a hidden "
	    "password)\n"
	    "  logout, exit          end the session (Ctrl-D on an empty "
	    "line too)\n"
	    "  whoami                the account logged in\n"
	    "  session               this session, as the broker sees it\n"
	    "  caps                  the capabilities this shell holds\n"
	    "  call CAP.METHOD(ARG=VALUE, ...)\n"
	    "                        call a method of a capability held\n"
	    "  run PROGRAM [ARGS]    start a program through the launcher\n"
	    "  audit [raw]           the audit log (operators); raw: as "
	    "Cap'n Proto\n"
	    "                        messages for capnp decode (base64)\n"
	    "  agent [PROMPT]        talk to the session's language model; "
	    "it proposes\n"
	    "                        calls, the shell decides (docs/agent.md)\n"
	    "  passkey link          a one-time link that adds a passkey for "
	    "this account\n"
	    "                        from a browser (docs/shell.md)\n"
	    "  shutdown              halt the machine (operators)\n"
	    "Keys: Backspace, Ctrl-U, Ctrl-W, Up/Down (history), Tab "
	    "(complete), Ctrl-C.\n");
}

static const char *
iface_name(uint64_t id)
{
	const struct capnp_meta_interface *m = iface_meta(id);

	return m != NULL ? m->name : "?";
}

static void
cmd_caps(void)
{
	say("terminal  TerminalSession  (the shell's own)\n");
	if (manager != CAPOS_CAP_NULL)
		say("sessionManager  SessionManager  (the shell's own)\n");
	for (int i = 0; i < nbundle; i++)
		say("%s  %s  (%s bundle)\n", bundle[i].name,
		    iface_name(bundle[i].iface), profile);
}

/* Prints the result of a call in text form. */
static void
print_result(const struct capnp_meta_struct *st, struct rt_result *res)
{
	typed_print(st, &res->root, out, sizeof(out));
	say("%s\n", out);
	/* Capabilities a result carried are not kept. */
	for (uint16_t i = 0; i < res->cqe.ncaps && i < CAPOS_MAX_XCAPS; i++)
		rt_release(res->caps[i].cap);
}

static void
cmd_session(void)
{
	struct rt_result res;
	int rc = rt_call(session, capos_UserSession_INTERFACE_ID,
	    capos_UserSession_info_ORDINAL, NULL, NULL, 0, rbuf, sizeof(rbuf),
	    &res);

	if (rc != 0) {
		say("session: %s %s\n", rt_strerror(rc),
		    rt_exception_reason(&res));
		return;
	}
	print_result(&capos_SessionInfo_meta, &res);
	if (input.cols != 0)
		say("terminal: %u columns, %u rows\n", input.cols,
		    input.rows);
	else
		say("terminal: size unknown\n");
}

static void
cmd_call(const char *line, size_t len)
{
	struct typed_call c;
	char err[TYPED_ERR_MAX];
	const struct held *h;
	const struct capnp_meta_interface *m;
	const struct capnp_meta_method *meth;
	struct capnp_builder b;
	struct rt_result res;
	capos_cap_t cap;
	uint64_t iface;
	int rc;

	if (typed_parse(line, len, &c, err) != 0) {
		say("call: %s\n", err);
		return;
	}
	if (strcmp(c.cap, "terminal") == 0) {
		cap = term;
		iface = capos_TerminalSession_INTERFACE_ID;
	} else if ((h = find_cap(c.cap)) != NULL) {
		cap = h->cap;
		iface = h->iface;
	} else {
		say("call: this shell holds no capability named %s (see caps)"
		    "\n", c.cap);
		return;
	}
	if ((m = iface_meta(iface)) == NULL) {
		say("call: %s has an interface this shell has no schema for\n",
		    c.cap);
		return;
	}
	if ((meth = typed_method(m, c.method)) == NULL) {
		say("call: %s (%s) has no method %s\n", c.cap, m->name,
		    c.method);
		return;
	}
	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    typed_build(meth, &c, &b, err) != 0) {
		say("call: %s\n", err);
		return;
	}
	rc = rt_call(cap, iface, meth->ordinal, &b, NULL, 0, rbuf,
	    sizeof(rbuf), &res);
	if (rc != 0) {
		say("call: %s.%s failed: %s %s\n", c.cap, c.method,
		    rt_strerror(rc), rt_exception_reason(&res));
		return;
	}
	print_result(meth->results, &res);
}

/* Base64 (RFC 4648 4, padded) of n bytes, written in lines of
 * AUDIT_RAW_COLS characters so a terminal never wraps them. */
#define AUDIT_RAW_COLS	76

static void
put_base64(const uint8_t *p, size_t n)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789+/";
	char line[AUDIT_RAW_COLS + 1];
	size_t k = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t w = (uint32_t)p[i] << 16 |
		    (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
		    (i + 2 < n ? p[i + 2] : 0);

		line[k++] = abc[w >> 18 & 63];
		line[k++] = abc[w >> 12 & 63];
		line[k++] = i + 1 < n ? abc[w >> 6 & 63] : '=';
		line[k++] = i + 2 < n ? abc[w & 63] : '=';
		if (k == AUDIT_RAW_COLS || i + 3 >= n) {
			line[k++] = '\n';
			put(line, k);
			k = 0;
		}
	}
}

/*
 * `audit raw`: each batch the reader gives is copied into a message of its
 * own whose root is an AuditExport, and the stream of them is printed in
 * base64 between two marker lines (docs/auth.md). The copy is the
 * records' own encoding, deep-copied, so a field the schema gains later
 * comes along without a change here.
 */
static int
put_audit_raw(const struct capnp_list *records, uint64_t dropped,
    uint64_t last)
{
	static uint8_t msg[CAPOS_MAX_RESULT] __attribute__((aligned(8)));
	struct capos_AuditExport_b x;
	struct capnp_builder b;

	if (capnp_builder_init(&b, msg, sizeof(msg)) != 0 ||
	    capos_AuditExport_init_root(&b, &x) != 0 ||
	    capos_AuditExport_set_records(&x, records) != 0)
		return -1;
	capos_AuditExport_set_dropped(&x, dropped);
	capos_AuditExport_set_last(&x, last);
	put_base64(msg, capnp_builder_finish(&b));
	return 0;
}

/* `audit` prints the records in text form; `audit raw` as Cap'n Proto
 * messages for capnp decode. */
static void
cmd_audit(const char *args)
{
	const struct held *h = find_cap("audit");
	struct capos_AuditLog_read_Params_b p;
	struct capos_AuditLog_read_Results_r r;
	struct capos_AuditRecord_r rec;
	struct capnp_builder b;
	struct capnp_list list;
	struct rt_result res;
	uint64_t after = 0;
	bool raw = strcmp(args, "raw") == 0;
	int rc;

	if (!raw && args[0] != '\0') {
		say("audit: the only form is 'audit' or 'audit raw'\n");
		return;
	}
	if (h == NULL || h->iface != capos_AuditLog_INTERFACE_ID) {
		say("audit: this session holds no audit log reader\n");
		return;
	}
	if (raw)
		say("-----BEGIN CAPOS AUDIT-----\n");
	for (;;) {
		if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
		    capos_AuditLog_read_Params_init_root(&b, &p) != 0)
			return;
		capos_AuditLog_read_Params_set_after(&p, after);
		capos_AuditLog_read_Params_set_max(&p, capos_AuditLog_maxRead);
		if ((rc = rt_call(h->cap, capos_AuditLog_INTERFACE_ID,
		    capos_AuditLog_read_ORDINAL, &b, NULL, 0, rbuf,
		    sizeof(rbuf), &res)) != 0) {
			say("audit: %s %s\n", rt_strerror(rc),
			    rt_exception_reason(&res));
			return;
		}
		r.s = res.root;
		if (capos_AuditLog_read_Results_get_records(&r, &list) != 0 ||
		    list.n == 0)
			break;
		if (raw && put_audit_raw(&list,
		    capos_AuditLog_read_Results_get_dropped(&r),
		    capos_AuditLog_read_Results_get_last(&r)) != 0) {
			say("audit: a batch of records does not fit a "
			    "message\n");
			return;
		}
		for (uint32_t i = 0; i < list.n; i++) {
			if (capos_AuditRecord_at(&list, i, &rec) != 0)
				continue;
			after = capos_AuditRecord_get_seq(&rec);
			if (raw)
				continue;
			typed_print(&capos_AuditRecord_meta, &rec.s, out,
			    sizeof(out));
			say("%s\n", out);
		}
	}
	if (raw)
		say("-----END CAPOS AUDIT-----\n");
	say("(%llu records overwritten unread)\n", (unsigned long long)
	    capos_AuditLog_read_Results_get_dropped(&r));
}

void
wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;

	while (n-- > 0)
		*v++ = 0;
}

/* Reads a line with readLine; 0 with text, 1 cancelled, -1 failed. */
static int
read_plain(bool echo, char *buf, size_t room, size_t *len)
{
	struct capos_TerminalSession_readLine_Params_b p;
	struct capos_TerminalSession_LineResult_r r;
	struct capnp_builder b;
	struct capnp_data d;
	struct rt_result res;
	int rc = -1;

	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_TerminalSession_readLine_Params_init_root(&b, &p) != 0)
		return -1;
	capos_TerminalSession_readLine_Params_set_echo(&p, echo);
	if (rt_call(term, capos_TerminalSession_INTERFACE_ID,
	    capos_TerminalSession_readLine_ORDINAL, &b, NULL, 0, rbuf,
	    sizeof(rbuf), &res) != 0)
		return -1;
	r.s = res.root;
	switch (capos_TerminalSession_LineResult_which(&r)) {
	case capos_TerminalSession_LineResult_which_line:
		if (capos_TerminalSession_LineResult_get_line(&r, &d) == 0 &&
		    d.len < room) {
			memcpy(buf, d.ptr, d.len);
			buf[d.len] = '\0';
			*len = d.len;
			rc = 0;
		}
		break;
	case capos_TerminalSession_LineResult_which_interrupted:
	case capos_TerminalSession_LineResult_which_eof:
		rc = 1;
		break;
	default:
		break;
	}
	/* The answer may hold a password: it does not stay in memory. */
	wipe(rbuf, sizeof(rbuf));
	return rc;
}

/* SessionManager.login; the session, or NULL (denied or failed). */
static capos_cap_t
login_call(const char *name, size_t nlen, const char *pw, size_t plen,
    bool *denied)
{
	struct capos_SessionManager_login_Params_b p;
	struct capos_SessionManager_LoginResult_r r;
	struct capnp_builder b;
	struct rt_result res;
	capos_cap_t s = CAPOS_CAP_NULL;
	uint32_t idx;
	int rc;

	*denied = false;
	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_SessionManager_login_Params_init_root(&b, &p) != 0 ||
	    capos_SessionManager_login_Params_set_account(&p, name, nlen) != 0 ||
	    capos_SessionManager_login_Params_set_password(&p, pw, plen) != 0 ||
	    capos_SessionManager_login_Params_set_source(&p, source,
	    strlen(source)) != 0)
		return CAPOS_CAP_NULL;
	rc = rt_call(manager, capos_SessionManager_INTERFACE_ID,
	    capos_SessionManager_login_ORDINAL, &b, NULL, 0, rbuf,
	    sizeof(rbuf), &res);
	/* The request held the password. */
	wipe(pbuf, b.used * 8 + 8);
	if (rc != 0)
		return CAPOS_CAP_NULL;
	r.s = res.root;
	if (capos_SessionManager_LoginResult_which(&r) ==
	    capos_SessionManager_LoginResult_which_denied)
		*denied = true;
	else if (capos_SessionManager_LoginResult_get_session(&r, &idx) == 0 &&
	    idx < res.cqe.ncaps)
		s = res.caps[idx].cap;
	return s;
}

static void
cmd_login(void)
{
	char name[capos_SessionManager_maxName + 1], pw[capos_SessionManager_maxPassword + 1];
	size_t nlen = 0, plen = 0;
	capos_cap_t s;
	const char *why = "refused";
	bool denied;
	int rc;

	if (account[0] != '\0' || manager == CAPOS_CAP_NULL) {
		say("login: already logged in as %s; logout first\n", account);
		return;
	}
	say("username> ");
	if (read_plain(true, name, sizeof(name), &nlen) != 0 || nlen == 0) {
		say("login: cancelled\n");
		return;
	}
	say("password> ");
	rc = read_plain(false, pw, sizeof(pw), &plen);
	if (rc != 0) {
		wipe(pw, sizeof(pw));
		say("login: cancelled\n");
		return;
	}
	s = login_call(name, nlen, pw, plen, &denied);
	wipe(pw, sizeof(pw));
	if (s == CAPOS_CAP_NULL) {
		say(denied ? "Login incorrect.\n" :
		    "login: the session manager failed\n");
		return;
	}
	for (int i = 0; i < nprofiles; i++) {
		drop_bundle();
		if ((rc = take_bundle(s, profiles[i], &why)) == 0)
			break;
	}
	if (rc != 0) {
		say("login: no shell profile for this account (%s)\n", why);
		rt_release(s);
		become_anonymous();
		return;
	}
	session = s;
	memcpy(account, name, nlen + 1);
	say("Logged in as %s, profile %s. Type 'caps' to see what this "
	    "session holds.\n", account, profile);
}

static void
cmd_logout(void)
{
	struct rt_result res;

	if (account[0] == '\0') {
		say("logout: not logged in\n");
		return;
	}
	(void)rt_call(session, capos_UserSession_INTERFACE_ID,
	    capos_UserSession_logout_ORDINAL, NULL, NULL, 0, rbuf,
	    sizeof(rbuf), &res);
	say("Logged out %s.\n", account);
	if (manager == CAPOS_CAP_NULL) {
		/* A launched shell has no way back to anonymous: it ends. */
		quit = true;
		return;
	}
	if (become_anonymous() != 0)
		say("logout: no anonymous session could be had\n");
}

/* Serves one call of the child's output endpoint. */
static void
serve_output(capos_cap_t owner, const struct svc_call *c, int rc)
{
	struct capos_TextSink_write_Params_r p = { c->params };
	struct capnp_data d;

	if (c->notice)
		return;
	if (rc != 0 || c->hdr->interface_id != capos_TextSink_INTERFACE_ID ||
	    c->hdr->method != capos_TextSink_write_ORDINAL ||
	    capos_TextSink_write_Params_get_bytes(&p, &d) != 0) {
		(void)svc_answer_exception(owner, c->hdr->call_id,
		    capos_CapException_Type_failed, "malformed write");
		return;
	}
	put((const char *)d.ptr, d.len);
	(void)svc_answer(owner, c->hdr->call_id, NULL, NULL, 0);
}

static void
report_exit(const char *prog, const struct capos_cqe *c, uint8_t *buf)
{
	struct capos_ExitStatus_r es;
	struct rt_result res;

	if (rt_result_read(c, buf, &res) != 0) {
		say("run: %s: its end was not reported\n", prog);
		return;
	}
	es.s = res.root;
	switch (capos_ExitStatus_which(&es)) {
	case capos_ExitStatus_which_exited:
		if (capos_ExitStatus_get_exited(&es) != 0)
			say("run: %s exited with status %d\n", prog,
			    capos_ExitStatus_get_exited(&es));
		break;
	case capos_ExitStatus_which_faulted:
		say("run: %s faulted\n", prog);
		break;
	default:
		say("run: %s was killed\n", prog);
		break;
	}
}

/* Ends the child through its handle; 0 once it has ended. */
static int
kill_child(capos_cap_t handle)
{
	uint8_t buf[64] __attribute__((aligned(8)));
	struct rt_result res;

	return rt_call(handle, capos_ProcessHandle_INTERFACE_ID,
	    capos_ProcessHandle_kill_ORDINAL, NULL, NULL, 0, buf, sizeof(buf),
	    &res);
}

/* Runs the child until it ends or Ctrl-C kills it, serving its output. */
static void
supervise(const char *prog, capos_cap_t handle, capos_cap_t owner)
{
	static uint8_t recv_buf[SVC_RECV_BUF] __attribute__((aligned(8)));
	uint8_t status_buf[256] __attribute__((aligned(8)));
	struct capos_capdesc caps[CAPOS_MAX_XCAPS];
	struct capos_sqe we, re;
	struct capos_cqe c;
	struct svc_call call;
	bool receiving, done = false;

	rt_prep_call(&we, handle, capos_ProcessHandle_INTERFACE_ID,
	    capos_ProcessHandle_wait_ORDINAL, NULL, status_buf,
	    sizeof(status_buf), NULL, 0, 0);
	rt_prep_recv(&re, owner, recv_buf, sizeof(recv_buf), caps);
	if (rt_submit(&we) != 0) {
		say("run: cannot wait for %s\n", prog);
		return;
	}
	receiving = rt_submit(&re) == 0;
	while (!done) {
		uint64_t tags[3];
		int n = 0, k, rc;

		if (!ev_posted)
			post_event();
		tags[n++] = we.user_data;
		tags[n++] = ev_sqe.user_data;
		if (receiving)
			tags[n++] = re.user_data;
		if ((k = rt_wait_any(tags, n, &c)) < 0)
			break;
		if (k == 0) {
			report_exit(prog, &c, status_buf);
			done = true;
		} else if (k == 1) {
			ev_posted = false;
			if (take_events(&c) != 0) {
				/* The terminal closed or failed (a remote
				 * client went away): nobody is left to see
				 * the program, and reading again would only
				 * get the same answer. The shell stops
				 * waiting, and ends at its next read. */
				(void)rt_forget(we.user_data);
				done = true;
			} else if (input_interrupt(&input)) {
				say("^C\n");
				if (kill_child(handle) != 0) {
					say("run: %s detached: it could not be "
					    "killed, its output is cut off\n",
					    prog);
					(void)rt_forget(we.user_data);
					done = true;
				}
				/* Otherwise its wait answers killed next. */
			}
		} else {
			rc = svc_take(&c, recv_buf, &call);
			if (rc == CAPOS_EPEER || (rc < 0 &&
			    rc != RT_BAD_PARAMS)) {
				receiving = false;
				continue;
			}
			for (uint16_t i = 0; i < call.hdr->ncaps &&
			    i < CAPOS_MAX_XCAPS; i++)
				rt_release(caps[i].cap);
			serve_output(owner, &call, rc);
			receiving = rt_submit(&re) == 0;
		}
	}
	if (receiving)
		(void)rt_forget(re.user_data);
}

static void
cmd_run(char *args)
{
	const struct held *h = find_cap("launcher");
	struct capos_ProgramLauncher_run_Params_b p;
	struct capos_ProgramLauncher_RunResult_r r;
	struct capos_ProgramLauncher_RunResult_started_r st;
	struct capnp_builder b;
	struct capnp_lb al;
	struct capnp_text t;
	struct rt_result res;
	char *argv[capos_ProgramLauncher_maxArgs + 1];
	uint32_t n = 0, hi, si;
	char *s = args;
	int rc;

	while (*s != '\0') {
		while (*s == ' ')
			*s++ = '\0';
		if (*s == '\0')
			break;
		if (n == capos_ProgramLauncher_maxArgs + 1) {
			say("run: at most %u arguments\n",
			    capos_ProgramLauncher_maxArgs);
			return;
		}
		argv[n++] = s;
		while (*s != '\0' && *s != ' ')
			s++;
	}
	if (n == 0) {
		say("run: which program? (call launcher.programs() lists "
		    "them)\n");
		return;
	}
	if (h == NULL || h->iface != capos_ProgramLauncher_INTERFACE_ID) {
		say("run: this session holds no launcher\n");
		return;
	}
	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_ProgramLauncher_run_Params_init_root(&b, &p) != 0 ||
	    capos_ProgramLauncher_run_Params_set_program(&p, argv[0],
	    strlen(argv[0])) != 0 ||
	    capos_ProgramLauncher_run_Params_init_args(&p, n - 1, &al) != 0)
		return;
	for (uint32_t i = 1; i < n; i++)
		if (capnp_lb_set_text(&al, i - 1, argv[i], strlen(argv[i])) != 0)
			return;
	if ((rc = rt_call(h->cap, capos_ProgramLauncher_INTERFACE_ID,
	    capos_ProgramLauncher_run_ORDINAL, &b, NULL, 0, rbuf, sizeof(rbuf),
	    &res)) != 0) {
		say("run: %s %s\n", rt_strerror(rc), rt_exception_reason(&res));
		return;
	}
	r.s = res.root;
	switch (capos_ProgramLauncher_RunResult_which(&r)) {
	case capos_ProgramLauncher_RunResult_which_started:
		st = capos_ProgramLauncher_RunResult_get_started(&r);
		if (capos_ProgramLauncher_RunResult_started_get_handle(&st,
		    &hi) != 0 ||
		    capos_ProgramLauncher_RunResult_started_get_stdio(&st,
		    &si) != 0 || hi >= res.cqe.ncaps || si >= res.cqe.ncaps) {
			say("run: the launcher's answer is malformed\n");
			return;
		}
		hi = res.caps[hi].cap;
		si = res.caps[si].cap;
		supervise(argv[0], hi, si);
		rt_release(hi);
		rt_release(si);
		return;
	case capos_ProgramLauncher_RunResult_which_notAllowed:
		say("run: %s is not a program this launcher starts\n", argv[0]);
		return;
	default:
		if (capos_ProgramLauncher_RunResult_get_failed(&r, &t) != 0)
			t.str = "?";
		say("run: %s: %s\n", argv[0], t.str);
		return;
	}
}

/* True when every byte is one the terminal shows as itself: an answer's
 * text is written out only then. */
static bool
plain_text(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] > '~')
			return false;
	return true;
}

/*
 * passkey link: a one-time code from auth (UserSession.enrolCode) that
 * enrols a passkey for this account from a browser, printed as the
 * page's URL with the code in its fragment, which the browser never
 * sends to a server (docs/web.md, "Enrolment by code").
 */
static void
cmd_passkey(char *rest)
{
	struct capos_UserSession_enrolCode_Results_r r;
	struct capnp_text code = { 0 }, origin = { 0 };
	struct rt_result res;
	uint32_t secs;
	int rc;

	while (*rest == ' ')
		rest++;
	for (size_t n = strlen(rest); n > 0 && rest[n - 1] == ' '; n--)
		rest[n - 1] = '\0';
	if (strcmp(rest, "link") != 0) {
		say("usage: passkey link\n");
		return;
	}
	if (session == CAPOS_CAP_NULL || account[0] == '\0') {
		say("passkey: log in first\n");
		return;
	}
	rc = rt_call(session, capos_UserSession_INTERFACE_ID,
	    capos_UserSession_enrolCode_ORDINAL, NULL, NULL, 0, rbuf,
	    sizeof(rbuf), &res);
	if (rc != 0) {
		say("passkey: %s %s\n", rt_strerror(rc),
		    rt_exception_reason(&res));
		return;
	}
	r.s = res.root;
	secs = capos_UserSession_enrolCode_Results_get_validSeconds(&r);
	if (capos_UserSession_enrolCode_Results_get_code(&r, &code) != 0 ||
	    capos_UserSession_enrolCode_Results_get_origin(&r, &origin) != 0 ||
	    code.len == 0 || code.len > 64 || origin.len == 0 ||
	    origin.len > 128 || !plain_text(code.str, code.len) ||
	    !plain_text(origin.str, origin.len))
		say("passkey: a bad answer from auth\n");
	else
		say("Open this link in a browser to add a passkey for %s.\n"
		    "It works once, within %u minutes; it is as good as your "
		    "login, so keep it to yourself:\n  %.*s/#enrol=%.*s\n",
		    account, secs / 60, (int)origin.len, origin.str,
		    (int)code.len, code.str);
	wipe(rbuf, sizeof(rbuf));
}

static void
cmd_shutdown(void)
{
	if (strcmp(profile, "operator") != 0) {
		say("shutdown: only an operator session may halt the "
		    "machine\n");
		return;
	}
	(void)rt_call(session, capos_UserSession_INTERFACE_ID,
	    capos_UserSession_logout_ORDINAL, NULL, NULL, 0, rbuf,
	    sizeof(rbuf), &(struct rt_result){ 0 });
	say("Shutting down: every service ends once this shell has gone.\n");
	quit = true;
}

/* Refuses a line that is not what was typed, or not text. */
bool
line_ok(void)
{
	if (le.overflow > 0) {
		say("error: the line is %lu bytes, longer than %d; it was not "
		    "run\n", (unsigned long)le.len + le.overflow, LE_MAX);
		return false;
	}
	if (le.controls > 0) {
		say("error: the line had %u control character%s, which are not "
		    "accepted; it was not run\n", le.controls,
		    le.controls == 1 ? "" : "s");
		return false;
	}
	if (!utf8_valid(le.line, le.len)) {
		say("error: the line is not valid UTF-8; it was not run\n");
		return false;
	}
	return true;
}

static void
execute(char *line)
{
	char *cmd = line, *rest;

	while (*cmd == ' ')
		cmd++;
	if (*cmd == '\0')
		return;
	rest = cmd;
	while (*rest != '\0' && *rest != ' ')
		rest++;
	if (*rest != '\0')
		*rest++ = '\0';
	if (strcmp(cmd, "help") == 0)
		cmd_help();
	else if (strcmp(cmd, "login") == 0)
		cmd_login();
	else if (strcmp(cmd, "logout") == 0 || strcmp(cmd, "exit") == 0)
		cmd_logout();
	else if (strcmp(cmd, "whoami") == 0)
		say("%s\n", account[0] != '\0' ? account : "(anonymous)");
	else if (strcmp(cmd, "session") == 0)
		cmd_session();
	else if (strcmp(cmd, "caps") == 0)
		cmd_caps();
	else if (strcmp(cmd, "call") == 0)
		cmd_call(rest, strlen(rest));
	else if (strcmp(cmd, "run") == 0)
		cmd_run(rest);
	else if (strcmp(cmd, "audit") == 0)
		cmd_audit(rest);
	else if (strcmp(cmd, "shutdown") == 0)
		cmd_shutdown();
	else if (strcmp(cmd, "agent") == 0)
		cmd_agent(rest);
	else if (strcmp(cmd, "passkey") == 0)
		cmd_passkey(rest);
	else
		say("unknown command: %.40s (type 'help')\n", cmd);
}

/* A shell started by RestrictedShellLauncher: its CapSet, less the
 * terminal, is its session's bundle. 0, or -1 without a live session. */
static int
adopt_bundle(void)
{
	const struct capos_start *sb = rt_start();
	struct capos_SessionInfo_r info;
	struct capnp_text t;
	struct rt_result res;

	session = rt_cap("session", capos_UserSession_INTERFACE_ID);
	if (session == CAPOS_CAP_NULL ||
	    rt_call(session, capos_UserSession_INTERFACE_ID,
	    capos_UserSession_info_ORDINAL, NULL, NULL, 0, rbuf, sizeof(rbuf),
	    &res) != 0)
		return -1;
	info.s = res.root;
	if (capos_SessionInfo_get_account(&info, &t) != 0 || t.len == 0 ||
	    t.len > NAME_MAX)
		return -1;
	memcpy(account, t.str, t.len + 1);
	if (capos_SessionInfo_get_profile(&info, &t) != 0 || t.len > NAME_MAX)
		return -1;
	memcpy(profile, t.str, t.len + 1);
	for (uint32_t i = 0; i < sb->ncaps && i < CAPOS_CAPSET_MAX &&
	    nbundle < BUNDLE_MAX; i++) {
		if (strcmp(sb->caps[i].name, "terminal") == 0)
			continue;
		memcpy(bundle[nbundle].name, sb->caps[i].name,
		    sizeof(bundle[nbundle].name));
		bundle[nbundle].name[NAME_MAX] = '\0';
		bundle[nbundle].iface = sb->caps[i].interface_id;
		bundle[nbundle++].cap = sb->caps[i].cap;
	}
	return 0;
}

static void
read_args(void)
{
	for (int i = 0; i < rt_argc(); i++) {
		const char *a = rt_argv(i);

		if (strncmp(a, "motd=", 5) == 0 && nmotd < MOTD_MAX)
			motd[nmotd++] = a + 5;
		else if (strncmp(a, "agentWait=", 10) == 0) {
			if (agent_set_wait(a + 10) != 0)
				say("capos-shell: %s refused: agentWait is 1 to "
				    "3600 seconds\n", a);
		} else if (strncmp(a, "agentTurn=", 10) == 0) {
			if (agent_set_turn(a + 10) != 0)
				say("capos-shell: %s refused: agentTurn is 1 to "
				    "3600 seconds\n", a);
		} else if (strncmp(a, "source=", 7) == 0 && a[7] != '\0')
			source = a + 7;
		else if (strncmp(a, "profile=", 8) == 0 &&
		    nprofiles < PROFILES_MAX && strlen(a + 8) <= NAME_MAX)
			profiles[nprofiles++] = a + 8;
	}
	if (nprofiles == 0) {
		profiles[nprofiles++] = "operator";
		profiles[nprofiles++] = "guest";
	}
}

int
main(void)
{
	char prompt[NAME_MAX + 16];

	term = rt_cap("terminal", capos_TerminalSession_INTERFACE_ID);
	manager = rt_cap("sessionManager", capos_SessionManager_INTERFACE_ID);
	if (term == CAPOS_CAP_NULL)
		return 1;
	read_args();
	ask_size();
	for (int i = 0; i < nmotd; i++)
		say("%s\n", motd[i]);
	if (manager == CAPOS_CAP_NULL) {
		if (adopt_bundle() != 0) {
			say("capos-shell: no live session to work in\n");
			return 1;
		}
		say("Logged in as %s, profile %s. Type 'caps' to see what this "
		    "session holds.\n", account, profile);
	} else if (become_anonymous() != 0) {
		say("capos-shell: no anonymous session could be had\n");
		return 1;
	}
	while (!quit) {
		int rc;

		fmt_snprintf(prompt, sizeof(prompt), "%s%s> ", account,
		    account[0] != '\0' ? "@capos" : "capos");
		rc = read_command(prompt);
		if (rc < 0)
			break;
		if (rc == 1)
			continue;
		if (rc == 2) {
			if (account[0] != '\0')
				cmd_logout();
			continue;
		}
		if (!line_ok())
			continue;
		le_remember(&le, le.line, le.len);
		execute(le.line);
	}
	drop_bundle();
	return 0;
}
