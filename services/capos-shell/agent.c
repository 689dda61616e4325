/*
 * The agent mode of capos-shell (docs/agent.md). `agent` enters it (the
 * prompt gains "agent"), `agent WORDS` runs one turn. Each line is a turn:
 * the words go to the bundle's LanguageModel with descriptors of the
 * tools the profile's permission map allows (agentpolicy.h); the model
 * answers, through a ModelStream pulled one chunk at a time, with text
 * and tool calls. The shell gates every call (auto runs; consent asks
 * y/N showing the typed call; stepUp asks for the password again through
 * UserSession.stepUp; forbidden and unoffered tools are refused), runs
 * the allowed ones on its own capabilities, records each decision in the
 * audit log (UserSession.recordTool), and gives the outcomes back to the
 * model for its next answer.
 *
 * The model is given text, descriptors and outcomes only: no call to it
 * carries a capability, and capabilities it sends back (other than the
 * stream it was asked for) are released unused.
 *
 * Bounds, per turn: AGENT_ROUNDS_MAX answers of the model, AGENT_CALLS_MAX
 * tool calls run or asked about (more are refused as over the limit),
 * AGENT_OUTPUT_MAX bytes of model text and AGENT_CHUNKS_MAX chunks an
 * answer (past either the answer is cancelled), AGENT_MSGS_MAX messages,
 * results of AGENT_RESULT_MAX bytes, and with a "timer" in the bundle
 * agent_wait_ns (AGENT_WAIT_NS unless the shell's "agentWait=S" says
 * otherwise) of waiting for the model an answer, and agent_turn_ns
 * (AGENT_TURN_NS unless "agentTurn=S" says otherwise) for the whole
 * turn: the model's answers and the tool calls, measured on the bundle's
 * timer, less the time the user spends at consent and step-up prompts
 * (that time is the user's, not the model's). A turn either limit ends is
 * recorded in the audit log (turnTimedOut). Control bytes in the model's
 * text are shown as '?': it cannot drive the terminal.
 *
 * The conversation: in agent mode each turn is sent with the turns before
 * it (the user's words, the model's text, its calls and their outcomes).
 * When a turn begins with more than AGENT_HISTORY_MAX messages of earlier
 * turns, whole turns are dropped, oldest first, until at most that many
 * remain, and the shell says so; the turn itself then has the rest of AGENT_MSGS_MAX.
 * `agent WORDS`, and each entry into the mode, begin a new conversation.
 *
 * Ctrl-C while the model answers cancels the answer (ModelStream.cancel,
 * then the stream is dropped); at a consent or password prompt, or while
 * a tool runs, it cancels that call and the rest of the turn. A call the
 * shell stops waiting for leaves its buffer to the kernel: it is retired
 * (SLOTS_MAX of them), and agent mode ends for good once none is left.
 */
#include <string.h>

#define CAPNP_META
#include "agent.capnp.h"
#include "agentpolicy.h"
#include "auth.capnp.h"
#include "capos.capnp.h"
#include "fmt/fmt.h"
#include "shell.h"
#include "typed.h"

#define AGENT_ROUNDS_MAX	4
#define AGENT_CALLS_MAX		4
#define AGENT_OUTPUT_MAX	4096
#define AGENT_CHUNKS_MAX	64
#define AGENT_MSGS_MAX		capos_LanguageModel_maxMessages
#define AGENT_RESULT_MAX	1024
#define AGENT_WAIT_NS		(30ull * 1000000000ull)
#define AGENT_TURN_NS		(120ull * 1000000000ull)
#define AGENT_HISTORY_MAX	((int)AGENT_MSGS_MAX / 2)
#define AGENT_STEP_UP_TRIES	3
#define ID_MAX			31
#define ARG_VALUE_MAX		(TYPED_VALUE_MAX + 64)
#define SLOTS_MAX		6
#define SLOT_BYTES		16384

enum msg_kind { MSG_USER, MSG_ASSISTANT, MSG_CALL, MSG_RESULT };

/* The values of ToolResult.outcome's union. */
enum outcome {
	OUT_RAN, OUT_FAILED, OUT_DECLINED, OUT_REFUSED, OUT_CANCELLED,
};

struct call_args {
	int n;
	bool malformed;		/* did not fit the bounds above */
	struct {
		char name[TYPED_NAME_MAX + 1];
		char value[ARG_VALUE_MAX + 1];
	} a[TYPED_ARGS_MAX];
};

struct msg {
	enum msg_kind kind;
	char id[ID_MAX + 1];
	char tool[AGENT_TOOL_MAX + 1];
	enum outcome outcome;
	char text[AGENT_RESULT_MAX + 1];
	size_t len;
	/* MSG_CALL: beyond the turn's limit, so never decided; else its
	 * arguments are in calls[] at the message's own index. */
	bool over_limit;
};

/* A buffer a call in flight answers into; retired when abandoned. */
struct slot {
	bool busy, retired;
	uint8_t buf[SLOT_BYTES] __attribute__((aligned(8)));
	struct capos_capdesc caps[CAPOS_MAX_XCAPS];
	struct capos_sqe sqe;
};

static struct agent_map map;
static struct agent_tools tools;
static struct agent_cap caps[BUNDLE_MAX];
static int ncaps;
static capos_cap_t model, timer;
static struct msg msgs[AGENT_MSGS_MAX];
static int nmsgs;
/* The arguments of each MSG_CALL in msgs[], at the same index. */
static struct call_args calls[AGENT_MSGS_MAX];
static int ncalls;		/* this turn's, against AGENT_CALLS_MAX */
static uint64_t agent_wait_ns = AGENT_WAIT_NS;
static uint64_t agent_turn_ns = AGENT_TURN_NS;
/* This turn's start on the bundle's timer, and the time since spent at
 * the user's prompts, which the turn's limit leaves out. */
static uint64_t turn_from_ns, turn_user_ns;
static const char *model_name;
static size_t out_bytes;
static struct slot slots[SLOTS_MAX];
static uint8_t reqbuf[CAPOS_MAX_PARAMS] __attribute__((aligned(8)));
static uint8_t smallbuf[1024] __attribute__((aligned(8)));
static char shown[LE_MAX + 64];
static char exact[LE_MAX + 64];

/* ---- Calls in flight ---- */

static struct slot *
slot_get(void)
{
	for (int i = 0; i < SLOTS_MAX; i++)
		if (!slots[i].busy && !slots[i].retired) {
			slots[i].busy = true;
			return &slots[i];
		}
	return NULL;
}

/* Stops waiting for the slot's call: its answer may still land in the
 * buffer, so the buffer is never used again. */
static void
slot_abandon(struct slot *s)
{
	(void)rt_forget(s->sqe.user_data);
	s->retired = true;
}

/* Capabilities an answer brought that nobody asked for go at once. */
static void
release_caps(const struct rt_result *res, int keep)
{
	for (int i = 0; i < res->cqe.ncaps && i < CAPOS_MAX_XCAPS; i++)
		if (i != keep)
			rt_release(res->caps[i].cap);
}

/*
 * Calls and waits, giving way to Ctrl-C and to the deadline notification
 * (when dl is not NULL and pending). 0 with the answer read into res
 * (which points into the slot's buffer: read it before the next call), 1
 * Ctrl-C, 2 the deadline passed, -1 failed. On 1 or 2 the call is still
 * out: with left it is handed back there (for slot_settle), else its
 * slot is retired.
 */
static int
call_in_slot(capos_cap_t cap, uint64_t iface, uint16_t method,
    struct capnp_builder *b, struct slot *dl, struct rt_result *res,
    struct slot **left)
{
	struct slot *s = slot_get();
	struct capos_cqe c;
	uint64_t tags[2];
	int n = 0, k, rc;

	if (s == NULL)
		return -1;
	rt_prep_call(&s->sqe, cap, iface, method, b, s->buf, sizeof(s->buf),
	    s->caps, 0, CAPOS_MAX_XCAPS);
	if (rt_submit(&s->sqe) != 0) {
		s->busy = false;
		return -1;
	}
	tags[n++] = s->sqe.user_data;
	if (dl != NULL && dl->busy)
		tags[n++] = dl->sqe.user_data;
	k = wait_or_interrupt(tags, n, &c);
	if (k != 0) {
		if (k == 1 && k < n)
			/* The deadline's own completion came: it is done. */
			dl->busy = false;
		if (k < 0 || left == NULL)
			slot_abandon(s);
		else
			*left = s;
		return k == n ? 1 : k == 1 ? 2 : -1;
	}
	memset(res, 0, sizeof(*res));
	rc = rt_result_read(&c, s->buf, res);
	memcpy(res->caps, s->caps, sizeof(res->caps));
	s->busy = false;
	return rc == 0 ? 0 : rc == RT_EXCEPTION ? -2 : -1;
}

/* Waits for the answer of a call left out (one that was cancelled): a
 * second Ctrl-C or the deadline gives it up, and its slot is retired. */
static void
slot_settle(struct slot *s, struct slot *dl)
{
	struct capos_cqe c;
	uint64_t tags[2] = { s->sqe.user_data, 0 };
	int n = 1, k;

	if (dl != NULL && dl->busy)
		tags[n++] = dl->sqe.user_data;
	k = wait_or_interrupt(tags, n, &c);
	if (k == 1 && k < n)
		dl->busy = false;
	if (k != 0) {
		slot_abandon(s);
		return;
	}
	/* A cancelled answer carries nothing to keep. */
	if ((c.flags & CAPOS_CQE_EXCEPTION) == 0 && c.status >= 0)
		for (int i = 0; i < c.ncaps && i < CAPOS_MAX_XCAPS; i++)
			rt_release(s->caps[i].cap);
	s->busy = false;
}

/* A one-shot TimerNotification's `next` in flight, in dl, firing after
 * ns, when the bundle holds a timer; the notification is in *note. */
static void
deadline_start(struct slot **dl, capos_cap_t *note, uint64_t ns)
{
	struct capos_Timer_notify_Params_b p;
	struct capos_Timer_notify_Results_r r;
	struct capnp_builder b;
	struct rt_result res;
	uint32_t idx;

	*dl = NULL;
	*note = CAPOS_CAP_NULL;
	if (timer == CAPOS_CAP_NULL ||
	    capnp_builder_init(&b, smallbuf, sizeof(smallbuf)) != 0 ||
	    capos_Timer_notify_Params_init_root(&b, &p) != 0)
		return;
	capos_Timer_notify_Params_set_delayNs(&p, ns);
	if (rt_call(timer, capos_Timer_INTERFACE_ID, capos_Timer_notify_ORDINAL,
	    &b, NULL, 0, smallbuf, sizeof(smallbuf), &res) != 0)
		return;
	r.s = res.root;
	if (capos_Timer_notify_Results_get_notification(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return;
	*note = res.caps[idx].cap;
	if ((*dl = slot_get()) == NULL)
		return;
	rt_prep_call(&(*dl)->sqe, *note, capos_TimerNotification_INTERFACE_ID,
	    capos_TimerNotification_next_ORDINAL, NULL, (*dl)->buf,
	    sizeof((*dl)->buf), (*dl)->caps, 0, 0);
	if (rt_submit(&(*dl)->sqe) != 0) {
		(*dl)->busy = false;
		*dl = NULL;
	}
}

/* Cancelling the notification answers its waiting `next` (the kernel's
 * timer does so at once), so the slot is free again after it. */
static void
deadline_stop(struct slot *dl, capos_cap_t note)
{
	struct capos_cqe c;
	struct rt_result res;

	if (note != CAPOS_CAP_NULL) {
		(void)rt_call(note, capos_TimerNotification_INTERFACE_ID,
		    capos_TimerNotification_cancel_ORDINAL, NULL, NULL, 0,
		    smallbuf, sizeof(smallbuf), &res);
		rt_release(note);
	}
	if (dl != NULL && dl->busy) {
		if (rt_wait(dl->sqe.user_data, &c) == 0)
			dl->busy = false;
		else
			slot_abandon(dl);
	}
}

/* ---- The turn's clock ---- */

/* Now on the bundle's timer; 0 without one, or when it does not answer. */
static uint64_t
clock_ns(void)
{
	struct capos_Timer_now_Results_r r;
	struct rt_result res;

	if (timer == CAPOS_CAP_NULL || rt_call(timer, capos_Timer_INTERFACE_ID,
	    capos_Timer_now_ORDINAL, NULL, NULL, 0, smallbuf, sizeof(smallbuf),
	    &res) != 0)
		return 0;
	r.s = res.root;
	return capos_Timer_now_Results_get_ns(&r);
}

/* What is left of the turn's time; UINT64_MAX when there is no clock to
 * keep it by (no timer in the bundle: no time limit at all). */
static uint64_t
turn_left_ns(void)
{
	uint64_t now, used;

	if (timer == CAPOS_CAP_NULL || turn_from_ns == 0 ||
	    (now = clock_ns()) == 0)
		return UINT64_MAX;
	used = now - turn_from_ns - turn_user_ns;
	return used >= agent_turn_ns ? 0 : agent_turn_ns - used;
}

/* ---- The audit ---- */

/* Records a decision; call is the call as shown at the prompt, secret
 * arguments redacted, or "" when it could not be checked against the
 * schema (then nothing says which arguments are secret, so none is
 * recorded). */
static void
record(const char *tool, enum capos_AuthReason reason, const char *call)
{
	struct capos_UserSession_recordTool_Params_b p;
	struct capnp_builder b;
	struct rt_result res;
	size_t len = strlen(tool), clen = strlen(call);

	if (len == 0 || len > capos_UserSession_maxTool) {
		tool = "(malformed name)";
		len = strlen(tool);
	}
	if (capnp_builder_init(&b, smallbuf, sizeof(smallbuf)) != 0 ||
	    capos_UserSession_recordTool_Params_init_root(&b, &p) != 0 ||
	    capos_UserSession_recordTool_Params_set_tool(&p, tool, len) != 0 ||
	    capos_UserSession_recordTool_Params_set_call(&p, call,
	    clen > capos_UserSession_maxCall ? capos_UserSession_maxCall :
	    clen) != 0)
		return;
	capos_UserSession_recordTool_Params_set_reason(&p, reason);
	if (rt_call(session, capos_UserSession_INTERFACE_ID,
	    capos_UserSession_recordTool_ORDINAL, &b, NULL, 0, smallbuf,
	    sizeof(smallbuf), &res) != 0)
		say("agent: the decision on %s could not be recorded\n", tool);
}

/* The turn's time is up: said, and recorded. */
static void
turn_timed_out(void)
{
	say("agent: the turn took more than its limit of %llu s; the turn is "
	    "ended\n", (unsigned long long)(agent_turn_ns / 1000000000ull));
	record(model_name, capos_AuthReason_turnTimedOut, "");
}

/* ---- The conversation ---- */

static struct msg *
add_msg(enum msg_kind kind)
{
	struct msg *m;

	if (nmsgs == AGENT_MSGS_MAX)
		return NULL;
	m = &msgs[nmsgs++];
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	return m;
}

static void
set_text(struct msg *m, const char *s, size_t len)
{
	if (len > AGENT_RESULT_MAX)
		len = AGENT_RESULT_MAX;
	memcpy(m->text, s, len);
	m->text[len] = '\0';
	m->len = len;
}

static int
put_call(struct capos_Message_b *m, const struct msg *c)
{
	struct capos_ToolCall_b tc;
	struct capos_ToolArg_b a;
	const struct call_args *ca = c->over_limit ? NULL : &calls[c - msgs];
	struct capnp_lb l;
	int n = ca != NULL ? ca->n : 0;

	if (capos_Message_init_toolCall(m, &tc) != 0 ||
	    capos_ToolCall_set_id(&tc, c->id, strlen(c->id)) != 0 ||
	    capos_ToolCall_set_tool(&tc, c->tool, strlen(c->tool)) != 0 ||
	    capos_ToolCall_init_args(&tc, (uint32_t)n, &l) != 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (capos_ToolArg_b_at(&l, (uint32_t)i, &a) != 0 ||
		    capos_ToolArg_set_name(&a, ca->a[i].name,
		    strlen(ca->a[i].name)) != 0 ||
		    capos_ToolArg_set_value(&a, ca->a[i].value,
		    strlen(ca->a[i].value)) != 0)
			return -1;
	return 0;
}

static int
put_result(struct capos_Message_b *m, const struct msg *r)
{
	struct capos_ToolResult_b tr;
	struct capos_ToolResult_outcome_b o;

	if (capos_Message_init_toolResult(m, &tr) != 0 ||
	    capos_ToolResult_set_id(&tr, r->id, strlen(r->id)) != 0 ||
	    capos_ToolResult_set_tool(&tr, r->tool, strlen(r->tool)) != 0)
		return -1;
	o = capos_ToolResult_init_outcome(&tr);
	switch (r->outcome) {
	case OUT_RAN:
		return capos_ToolResult_outcome_set_ran(&o, r->text, r->len);
	case OUT_FAILED:
		return capos_ToolResult_outcome_set_failed(&o, r->text, r->len);
	case OUT_REFUSED:
		return capos_ToolResult_outcome_set_refused(&o, r->text,
		    r->len);
	case OUT_DECLINED:
		capos_ToolResult_outcome_set_declined(&o);
		return 0;
	case OUT_CANCELLED:
	default:
		capos_ToolResult_outcome_set_cancelled(&o);
		return 0;
	}
}

static int
put_tool(struct capos_ToolDescriptor_b *d, const struct agent_tool *t)
{
	const struct capnp_meta_struct *p = t->method->params;
	struct capos_ToolParam_b tp;
	struct capnp_lb l;
	char text[256];
	uint16_t n = p != NULL ? p->nfields : 0;

	agent_describe(t, caps, text, sizeof(text));
	if (capos_ToolDescriptor_set_name(d, t->name, strlen(t->name)) != 0 ||
	    capos_ToolDescriptor_set_description(d, text, strlen(text)) != 0 ||
	    capos_ToolDescriptor_init_params(d, n, &l) != 0)
		return -1;
	capos_ToolDescriptor_set_readOnly(d,
	    (t->method->flags & CAPNP_META_READ_ONLY) != 0);
	capos_ToolDescriptor_set_mode(d, (enum capos_PermissionMode)t->mode);
	for (uint16_t i = 0; i < n; i++) {
		const struct capnp_meta_field *f = &p->fields[i];

		agent_param_type(f, text, sizeof(text));
		if (capos_ToolParam_b_at(&l, i, &tp) != 0 ||
		    capos_ToolParam_set_name(&tp, f->name,
		    strlen(f->name)) != 0 ||
		    capos_ToolParam_set_type(&tp, text, strlen(text)) != 0)
			return -1;
		capos_ToolParam_set_secret(&tp,
		    (f->flags & CAPNP_META_SECRET) != 0);
	}
	return 0;
}

/* The whole conversation and the tools, for LanguageModel.complete. */
static int
build_request(struct capnp_builder *b)
{
	struct capos_LanguageModel_complete_Params_b p;
	struct capos_CompleteRequest_b rq;
	struct capos_Message_b m;
	struct capos_ToolDescriptor_b d;
	struct capnp_lb ml, tl;

	if (capnp_builder_init(b, reqbuf, sizeof(reqbuf)) != 0 ||
	    capos_LanguageModel_complete_Params_init_root(b, &p) != 0 ||
	    capos_LanguageModel_complete_Params_init_request(&p, &rq) != 0 ||
	    capos_CompleteRequest_init_messages(&rq, (uint32_t)nmsgs,
	    &ml) != 0 ||
	    capos_CompleteRequest_init_tools(&rq, (uint32_t)tools.n, &tl) != 0)
		return -1;
	for (int i = 0; i < nmsgs; i++) {
		const struct msg *g = &msgs[i];
		int rc;

		if (capos_Message_b_at(&ml, (uint32_t)i, &m) != 0)
			return -1;
		switch (g->kind) {
		case MSG_USER:
			rc = capos_Message_set_user(&m, g->text, g->len);
			break;
		case MSG_ASSISTANT:
			rc = capos_Message_set_assistant(&m, g->text, g->len);
			break;
		case MSG_CALL:
			rc = put_call(&m, g);
			break;
		case MSG_RESULT:
		default:
			rc = put_result(&m, g);
			break;
		}
		if (rc != 0)
			return -1;
	}
	for (int i = 0; i < tools.n; i++)
		if (capos_ToolDescriptor_b_at(&tl, (uint32_t)i, &d) != 0 ||
		    put_tool(&d, &tools.t[i]) != 0)
			return -1;
	return 0;
}

/* ---- The model's answer ---- */

/* Copies text the model chose, within room, NUL-terminated; false when
 * it does not fit, holds a control byte (C0, DEL or C1; a value needing
 * one writes it as \xHH) or is not UTF-8, since the shell shows it on
 * the terminal. */
static bool
take_text(const struct capnp_text *t, char *out, size_t room)
{
	if (t->len >= room || memchr(t->str, '\n', t->len) != NULL ||
	    !agent_tty_clean(t->str, t->len))
		return false;
	memcpy(out, t->str, t->len);
	out[t->len] = '\0';
	return true;
}

/* A proposed call into the conversation; its arguments, if they fit,
 * into calls[]. */
static void
take_call(const struct capos_ModelChunk_r *ch)
{
	struct capos_ToolCall_r tc;
	struct capos_ToolArg_r a;
	struct capnp_list l;
	struct capnp_text id, tool, name, value;
	struct call_args *ca;
	struct msg *m;

	if ((m = add_msg(MSG_CALL)) == NULL)
		return;
	m->over_limit = true;
	if (capos_ModelChunk_get_toolCall(ch, &tc) != 0 ||
	    capos_ToolCall_get_id(&tc, &id) != 0 ||
	    capos_ToolCall_get_tool(&tc, &tool) != 0 ||
	    !take_text(&id, m->id, sizeof(m->id)) ||
	    !take_text(&tool, m->tool, sizeof(m->tool)))
		fmt_snprintf(m->tool, sizeof(m->tool), "(malformed)");
	if (ncalls == AGENT_CALLS_MAX)
		return;
	ncalls++;
	m->over_limit = false;
	ca = &calls[m - msgs];
	memset(ca, 0, sizeof(*ca));
	if (capos_ToolCall_get_args(&tc, &l) != 0 || l.n > TYPED_ARGS_MAX) {
		ca->malformed = true;
		return;
	}
	for (uint32_t i = 0; i < l.n; i++)
		if (capos_ToolArg_at(&l, i, &a) != 0 ||
		    capos_ToolArg_get_name(&a, &name) != 0 ||
		    capos_ToolArg_get_value(&a, &value) != 0 ||
		    !take_text(&name, ca->a[i].name, sizeof(ca->a[i].name)) ||
		    !take_text(&value, ca->a[i].value,
		    sizeof(ca->a[i].value))) {
			ca->malformed = true;
			return;
		}
	ca->n = (int)l.n;
}

/* The terminal filter's state across one answer's chunks. */
static struct agent_tty_state tty;

/* Shows model text: control bytes other than newline, C1 controls and
 * bytes UTF-8 never holds become '?' (agent_tty_filter). len is at most
 * maxChunk. */
static void
show_text(const char *s, size_t len, bool *in_text)
{
	char buf[capos_LanguageModel_maxChunk + 1];

	if (!*in_text) {
		say("model: ");
		*in_text = true;
	}
	put(buf, agent_tty_filter(&tty, s, len, buf));
}

/* Cancels the stream and waits for its answers, giving way to a second
 * Ctrl-C and the deadline. */
static void
cancel_stream(capos_cap_t stream, struct slot *dl)
{
	struct rt_result res;

	if (call_in_slot(stream, capos_ModelStream_INTERFACE_ID,
	    capos_ModelStream_cancel_ORDINAL, NULL, dl, &res, NULL) == 0)
		release_caps(&res, -1);
}

/*
 * One answer of the model: its text shown, its calls added to the
 * conversation. 0 when it ended by itself, 1 when the turn is over
 * (cancelled, failed, over a limit).
 */
static int
model_round(void)
{
	struct capos_LanguageModel_complete_Results_r cr;
	struct capos_ModelChunk_r ch;
	struct capnp_builder b;
	struct rt_result res;
	struct capnp_text t;
	struct slot *dl;
	capos_cap_t note, stream = CAPOS_CAP_NULL;
	struct msg *said = NULL;
	bool in_text = false, by_turn;
	uint64_t wait = agent_wait_ns, left;
	uint32_t idx;
	int rc, chunks = 0, end = 1;

	if ((left = turn_left_ns()) == 0) {
		turn_timed_out();
		return 1;
	}
	/* The answer's wait ends with the turn's time if that comes first. */
	if ((by_turn = left < wait))
		wait = left;
	if (build_request(&b) != 0) {
		say("agent: the conversation does not fit in one request\n");
		return 1;
	}
	agent_tty_start(&tty);
	deadline_start(&dl, &note, wait);
	rc = call_in_slot(model, capos_LanguageModel_INTERFACE_ID,
	    capos_LanguageModel_complete_ORDINAL, &b, dl, &res, NULL);
	if (rc == 0) {
		cr.s = res.root;
		if (capos_LanguageModel_complete_Results_get_stream(&cr,
		    &idx) == 0 && idx < res.cqe.ncaps) {
			stream = res.caps[idx].cap;
			release_caps(&res, (int)idx);
		} else
			release_caps(&res, -1);
	}
	if (stream == CAPOS_CAP_NULL) {
		if (rc == 2 && by_turn)
			turn_timed_out();
		else if (rc == 2) {
			say("agent: the model did not answer within %llu s; the "
			    "turn is ended\n", (unsigned long long)
			    (agent_wait_ns / 1000000000ull));
			record(model_name, capos_AuthReason_turnTimedOut, "");
		} else
			say(rc == 1 ? "^C\nagent: the turn is cancelled\n" :
			    "agent: the model refused the request\n");
		deadline_stop(dl, note);
		return 1;
	}
	for (;;) {
		struct slot *left = NULL;

		rc = call_in_slot(stream, capos_ModelStream_INTERFACE_ID,
		    capos_ModelStream_next_ORDINAL, NULL, dl, &res, &left);
		if (rc == 1 || rc == 2) {
			if (in_text)
				put("\n", 1);
			if (rc == 1)
				say("^C\nagent: the turn is cancelled\n");
			else if (by_turn)
				turn_timed_out();
			else {
				say("agent: the model took more than %llu s "
				    "over its answer; the turn is ended\n",
				    (unsigned long long)
				    (agent_wait_ns / 1000000000ull));
				record(model_name,
				    capos_AuthReason_turnTimedOut, "");
			}
			cancel_stream(stream, dl);
			if (left != NULL)
				slot_settle(left, dl);
			break;
		}
		if (rc != 0) {
			say("%sagent: the model's stream failed\n",
			    in_text ? "\n" : "");
			break;
		}
		release_caps(&res, -1);
		ch.s = res.root;
		if (++chunks > AGENT_CHUNKS_MAX) {
			say("%sagent: the model sent more than %d chunks; the "
			    "turn is ended\n", in_text ? "\n" : "",
			    AGENT_CHUNKS_MAX);
			cancel_stream(stream, dl);
			break;
		}
		switch (capos_ModelChunk_which(&ch)) {
		case capos_ModelChunk_which_text:
			if (capos_ModelChunk_get_text(&ch, &t) != 0)
				t.len = 0;
			if (t.len > capos_LanguageModel_maxChunk)
				t.len = capos_LanguageModel_maxChunk;
			if (out_bytes + t.len > AGENT_OUTPUT_MAX) {
				say("%sagent: the model's output passed %d "
				    "bytes; the turn is ended\n", in_text ?
				    "\n" : "", AGENT_OUTPUT_MAX);
				cancel_stream(stream, dl);
				goto out;
			}
			out_bytes += t.len;
			show_text(t.str, t.len, &in_text);
			if (said == NULL)
				said = add_msg(MSG_ASSISTANT);
			if (said != NULL && said->len + t.len <=
			    AGENT_RESULT_MAX) {
				memcpy(said->text + said->len, t.str, t.len);
				said->len += t.len;
			}
			continue;
		case capos_ModelChunk_which_toolCall:
			if (in_text)
				put("\n", 1);
			in_text = false;
			said = NULL;
			take_call(&ch);
			continue;
		case capos_ModelChunk_which_done:
			end = 0;
			break;
		case capos_ModelChunk_which_failed:
			if (capos_ModelChunk_get_failed(&ch, &t) != 0 ||
			    t.len > 200)
				t.len = 0;
			say("%sagent: the model failed: ", in_text ? "\n" : "");
			/* The reason follows on the same line. */
			in_text = true;
			show_text(t.str, t.len, &in_text);
			break;
		default:
			say("%sagent: the model cancelled its answer\n",
			    in_text ? "\n" : "");
			break;
		}
		if (in_text)
			put("\n", 1);
		break;
	}
out:
	rt_release(stream);
	deadline_stop(dl, note);
	return end;
}

/* ---- Deciding and running one call ---- */

static void
result(const struct msg *c, enum outcome o, const char *text)
{
	struct msg *r = add_msg(MSG_RESULT);

	if (r == NULL)
		return;
	memcpy(r->id, c->id, sizeof(r->id));
	memcpy(r->tool, c->tool, sizeof(r->tool));
	r->outcome = o;
	set_text(r, text, strlen(text));
}

/* The exact call text (and its shown form, secrets redacted); 0, or -1
 * with why in err. */
static int
call_texts(const struct agent_tool *t, const struct call_args *ca,
    struct typed_call *tc, char err[TYPED_ERR_MAX])
{
	struct agent_arg args[TYPED_ARGS_MAX];

	if (ca->malformed) {
		fmt_snprintf(err, TYPED_ERR_MAX, "the arguments are malformed "
		    "or too long");
		return -1;
	}
	for (int i = 0; i < ca->n; i++) {
		args[i].name = ca->a[i].name;
		args[i].nlen = strlen(ca->a[i].name);
		args[i].value = ca->a[i].value;
		args[i].vlen = strlen(ca->a[i].value);
	}
	return agent_call_parse(t, args, ca->n, shown, sizeof(shown), exact,
	    sizeof(exact), tc, err);
}

/* Asks y/N; 1 yes, 0 no (anything but y or yes), -1 cancelled. */
static int
ask_consent(void)
{
	char line[16];
	size_t len = 0;
	int rc;

	/* Keys typed before the call was shown (the rest of a paste among
	 * them) do not answer it. */
	keys_discard();
	say("agent: run %s ? [y/N] ", shown);
	if ((rc = read_keys(true, line, sizeof(line), &len)) != 0)
		return rc == 2 ? 0 : -1;
	return (len == 1 && (line[0] == 'y' || line[0] == 'Y')) ||
	    (len == 3 && memcmp(line, "yes", 3) == 0) ? 1 : 0;
}

/* The password again, through UserSession.stepUp; 1 passed, 0 failed,
 * -1 cancelled. */
static int
ask_step_up(void)
{
	struct capos_UserSession_stepUp_Params_b p;
	struct capos_UserSession_stepUp_Results_r r;
	char pw[capos_SessionManager_maxPassword + 1];
	struct capnp_builder b;
	struct rt_result res;
	size_t plen;
	int rc;

	keys_discard();
	say("agent: %s needs you to authenticate again.\n", shown);
	for (int i = 0; i < AGENT_STEP_UP_TRIES; i++) {
		say("password for %s> ", account);
		plen = 0;
		if ((rc = read_keys(false, pw, sizeof(pw), &plen)) != 0) {
			wipe(pw, sizeof(pw));
			if (rc != 2)
				return -1;
			say("agent: authentication failed\n");
			continue;
		}
		rc = capnp_builder_init(&b, smallbuf, sizeof(smallbuf)) != 0 ||
		    capos_UserSession_stepUp_Params_init_root(&b, &p) != 0 ||
		    capos_UserSession_stepUp_Params_set_password(&p, pw,
		    plen) != 0 ? -1 : rt_call(session,
		    capos_UserSession_INTERFACE_ID,
		    capos_UserSession_stepUp_ORDINAL, &b, NULL, 0, smallbuf,
		    sizeof(smallbuf), &res);
		wipe(pw, sizeof(pw));
		if (rc != 0) {
			wipe(smallbuf, sizeof(smallbuf));
			say("agent: the session could not check it\n");
			return 0;
		}
		r.s = res.root;
		if (capos_UserSession_stepUp_Results_get_reason(&r) ==
		    capos_AuthReason_ok)
			return 1;
		say("agent: authentication failed\n");
	}
	return 0;
}

/* Runs the call on the shell's capability, within what is left of the
 * turn's time; the outcome into the conversation. 1 when Ctrl-C stopped
 * it, 2 when the turn's time ran out. */
static int
run_call(const struct msg *c, const struct agent_tool *t,
    const struct typed_call *tc)
{
	static char text[AGENT_RESULT_MAX + 1];
	const struct held *h = find_cap(caps[t->cap].name);
	struct capnp_builder b;
	struct rt_result res;
	struct slot *dl = NULL;
	capos_cap_t note = CAPOS_CAP_NULL;
	char err[TYPED_ERR_MAX];
	uint64_t left = turn_left_ns();
	int rc;

	if (h == NULL || capnp_builder_init(&b, reqbuf, sizeof(reqbuf)) != 0 ||
	    typed_build(t->method, tc, &b, err) != 0) {
		say("agent: %s: %s\n", shown, h == NULL ? "not held" : err);
		result(c, OUT_FAILED, h == NULL ? "not held" : err);
		return 0;
	}
	if (left == 0) {
		turn_timed_out();
		result(c, OUT_CANCELLED, "the turn's time ran out");
		return 2;
	}
	if (left != UINT64_MAX)
		deadline_start(&dl, &note, left);
	rc = call_in_slot(h->cap, h->iface, t->method->ordinal, &b, dl, &res,
	    NULL);
	deadline_stop(dl, note);
	if (rc == 1 || rc == 2) {
		say("%sagent: %s is no longer waited for\n", rc == 1 ? "^C\n" :
		    "", shown);
		if (rc == 2)
			turn_timed_out();
		result(c, OUT_CANCELLED, rc == 1 ? "" :
		    "the turn's time ran out");
		return rc;
	}
	if (rc != 0) {
		fmt_snprintf(text, sizeof(text), "%s", rc == -2 ?
		    rt_exception_reason(&res) : "the call failed");
		say("agent: %s failed: %s\n", shown, text);
		result(c, OUT_FAILED, text);
		return 0;
	}
	typed_print(t->method->results, &res.root, text, sizeof(text));
	release_caps(&res, -1);
	say("%s\n", text);
	result(c, OUT_RAN, text);
	return 0;
}

/* The user's answer at a consent (step_up false) or step-up prompt; the
 * time it took is left out of the turn's. */
static int
ask_user(bool step_up)
{
	uint64_t from = clock_ns();
	int rc = step_up ? ask_step_up() : ask_consent();

	if (from != 0)
		turn_user_ns += clock_ns() - from;
	return rc;
}

/* Gates one proposed call and runs it if allowed; 1 when Ctrl-C ended
 * the turn, 2 when its time ran out. */
static int
decide(const struct msg *c)
{
	const struct agent_tool *t;
	struct typed_call tc;
	char err[TYPED_ERR_MAX];
	enum agent_gate g;
	int rc;

	if (c->over_limit) {
		say("agent: %s refused: over the turn's limit of %d calls\n",
		    c->tool, AGENT_CALLS_MAX);
		record(c->tool, capos_AuthReason_toolOverLimit, "");
		result(c, OUT_REFUSED, "over the turn's limit of tool calls");
		return 0;
	}
	g = agent_gate(&map, &tools, c->tool, strlen(c->tool), &t);
	if (g == GATE_FORBIDDEN || g == GATE_NOT_OFFERED) {
		say("agent: %s refused: %s\n", c->tool, g == GATE_FORBIDDEN ?
		    "forbidden in this profile" : "not a tool offered to the "
		    "model");
		record(c->tool, g == GATE_FORBIDDEN ?
		    capos_AuthReason_toolForbidden :
		    capos_AuthReason_toolNotOffered, "");
		result(c, OUT_REFUSED, g == GATE_FORBIDDEN ? "forbidden" :
		    "not offered");
		return 0;
	}
	if (call_texts(t, &calls[c - msgs], &tc, err) != 0) {
		say("agent: %s refused: %s\n", c->tool, err);
		record(c->tool, capos_AuthReason_toolMalformed, "");
		result(c, OUT_FAILED, err);
		return 0;
	}
	switch (g) {
	case GATE_RUN:
		say("agent: %s  [auto]\n", shown);
		record(t->name, capos_AuthReason_toolAuto, shown);
		break;
	case GATE_CONSENT:
		if ((rc = ask_user(false)) <= 0) {
			say(rc < 0 ? "agent: cancelled\n" : "agent: declined\n");
			record(t->name, rc < 0 ? capos_AuthReason_toolCancelled :
			    capos_AuthReason_toolDeclined, shown);
			result(c, rc < 0 ? OUT_CANCELLED : OUT_DECLINED, "");
			return rc < 0;
		}
		record(t->name, capos_AuthReason_toolConsented, shown);
		break;
	default:
		if ((rc = ask_user(true)) <= 0) {
			say(rc < 0 ? "agent: cancelled\n" : "agent: not run: "
			    "the step-up failed\n");
			record(t->name, rc < 0 ? capos_AuthReason_toolCancelled :
			    capos_AuthReason_toolStepUpFailed, shown);
			result(c, rc < 0 ? OUT_CANCELLED : OUT_DECLINED, "");
			return rc < 0;
		}
		record(t->name, capos_AuthReason_toolStepUpPassed, shown);
		break;
	}
	return run_call(c, t, &tc);
}

/* ---- Turns ---- */

/* Drops the oldest turns until at most AGENT_HISTORY_MAX messages of
 * earlier turns are left. A turn goes whole, so no outcome is left
 * without its call. */
static void
trim_history(void)
{
	int cut = 0, turns = 0;

	while (nmsgs - cut > AGENT_HISTORY_MAX) {
		do
			cut++;
		while (cut < nmsgs && msgs[cut].kind != MSG_USER);
		turns++;
	}
	if (cut == 0)
		return;
	memmove(msgs, msgs + cut, (size_t)(nmsgs - cut) * sizeof(msgs[0]));
	memmove(calls, calls + cut, (size_t)(nmsgs - cut) * sizeof(calls[0]));
	nmsgs -= cut;
	say("agent: the conversation is over its bound of %d earlier "
	    "messages; its %d oldest %s (%d messages) %s dropped\n",
	    AGENT_HISTORY_MAX, turns, turns == 1 ? "turn" : "turns", cut,
	    turns == 1 ? "is" : "are");
}

static void
turn(const char *words, size_t len)
{
	struct msg *m;

	trim_history();
	ncalls = 0;
	out_bytes = 0;
	turn_from_ns = clock_ns();
	turn_user_ns = 0;
	if ((m = add_msg(MSG_USER)) == NULL)
		return;
	set_text(m, words, len);
	for (int round = 0; round < AGENT_ROUNDS_MAX; round++) {
		int first = nmsgs, proposed = 0;

		if (model_round() != 0) {
			/* Calls of an answer cut short were never decided:
			 * the conversation keeps none without its outcome. */
			for (int i = nmsgs - 1; i >= first; i--)
				if (msgs[i].kind == MSG_CALL) {
					memmove(&msgs[i], &msgs[i + 1],
					    (size_t)(nmsgs - i - 1) *
					    sizeof(msgs[0]));
					memmove(&calls[i], &calls[i + 1],
					    (size_t)(nmsgs - i - 1) *
					    sizeof(calls[0]));
					nmsgs--;
				}
			return;
		}
		for (int i = first; i < nmsgs; i++) {
			int rc;

			if (msgs[i].kind != MSG_CALL)
				continue;
			proposed++;
			if ((rc = decide(&msgs[i])) == 0)
				continue;
			/* Ctrl-C, or the turn's time ran out: the calls after
			 * it are cancelled too. */
			for (int k = i + 1; k < nmsgs; k++)
				if (msgs[k].kind == MSG_CALL) {
					record(msgs[k].tool,
					    capos_AuthReason_toolCancelled, "");
					result(&msgs[k], OUT_CANCELLED, "");
				}
			if (rc == 1)
				say("agent: the turn is cancelled\n");
			return;
		}
		if (proposed == 0)
			return;
	}
	say("agent: the turn reached its limit of %d answers\n",
	    AGENT_ROUNDS_MAX);
}

/* The permission map, the model, and the tools; 0, or -1 said why. */
static int
prepare(void)
{
	struct capos_UserSession_toolPermissions_Results_r r;
	struct capos_ToolPermission_r e;
	struct capnp_list l;
	struct capnp_text t;
	struct rt_result res;

	model = timer = CAPOS_CAP_NULL;
	ncaps = 0;
	map.n = 0;
	for (int i = 0; i < nbundle; i++) {
		if (bundle[i].iface == capos_LanguageModel_INTERFACE_ID) {
			model = bundle[i].cap;
			model_name = bundle[i].name;
		}
		else if (ncaps < BUNDLE_MAX) {
			/* The model is not a tool of itself. */
			caps[ncaps].name = bundle[i].name;
			caps[ncaps++].iface = iface_meta(bundle[i].iface);
		}
		if (bundle[i].iface == capos_Timer_INTERFACE_ID)
			timer = bundle[i].cap;
	}
	if (model == CAPOS_CAP_NULL) {
		say("agent: this session holds no language model\n");
		return -1;
	}
	if (rt_call(session, capos_UserSession_INTERFACE_ID,
	    capos_UserSession_toolPermissions_ORDINAL, NULL, NULL, 0, reqbuf,
	    sizeof(reqbuf), &res) != 0) {
		say("agent: the session gave no permission map\n");
		return -1;
	}
	r.s = res.root;
	if (capos_UserSession_toolPermissions_Results_get_tools(&r, &l) != 0)
		l.n = 0;
	for (uint32_t i = 0; i < l.n; i++)
		if (capos_ToolPermission_at(&l, i, &e) != 0 ||
		    capos_ToolPermission_get_tool(&e, &t) != 0 ||
		    agent_map_add(&map, t.str, t.len,
		    capos_ToolPermission_get_mode(&e)) != 0)
			say("agent: permission %u of the map is unusable\n", i);
	agent_tools_build(&map, caps, ncaps, &tools);
	for (int i = 0; i < SLOTS_MAX; i++)
		if (!slots[i].retired)
			return 0;
	say("agent: too many calls were left unanswered; agent mode is "
	    "closed\n");
	return -1;
}

/* 1 to 3600 seconds, as ns into *ns; -1 when a is not one. */
static int
seconds(const char *a, uint64_t *ns)
{
	uint64_t v = 0;

	for (; *a >= '0' && *a <= '9' && v <= 3600; a++)
		v = v * 10 + (uint64_t)(*a - '0');
	if (*a != '\0' || v == 0 || v > 3600)
		return -1;
	*ns = v * 1000000000ull;
	return 0;
}

int
agent_set_wait(const char *a)
{
	return seconds(a, &agent_wait_ns);
}

int
agent_set_turn(const char *a)
{
	return seconds(a, &agent_turn_ns);
}

void
cmd_agent(char *words)
{
	char prompt[NAME_MAX + 24];
	int rc;

	while (*words == ' ')
		words++;
	if (prepare() != 0)
		return;
	nmsgs = 0;
	if (*words != '\0') {
		turn(words, strlen(words));
		return;
	}
	say("Agent mode: each line goes to the model, with %d tools it may "
	    "propose; 'exit' or Ctrl-D leaves.\n", tools.n);
	fmt_snprintf(prompt, sizeof(prompt), "%s@capos agent> ", account);
	for (;;) {
		rc = read_command(prompt);
		if (rc < 0 || rc == 2)
			return;
		if (rc == 1 || !line_ok())
			continue;
		le_remember(&le, le.line, le.len);
		if (strcmp(le.line, "exit") == 0)
			return;
		if (le.len > 0)
			turn(le.line, le.len);
	}
}
