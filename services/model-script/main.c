/*
 * model-script: a deterministic LanguageModel (schema/agent.capnp,
 * docs/agent.md) for tests and demos. It follows a script from its
 * arguments (script.h): a turn whose user text matches a rule is answered
 * with the rule's text and tool calls; a turn that ends in tool results
 * is answered with one line per result, so the user sees what came back.
 * No weights, network or GPU.
 *
 * Holds: "model" (the owner of the endpoint it serves; clients of it are
 * the LanguageModel, and the ModelStream of each answer, badged) and
 * "console" (what it received, for the tests to read). Nothing else: it
 * says so at start, and every call that reaches it is checked to carry
 * no capability; the proof line at its end says whether that held.
 *
 * Arguments: "rule=WORDS|STEP|STEP..." (repeatable, script.h), "name=X"
 * (the name ModelInfo gives).
 *
 * Bounds: STREAMS_MAX answers in progress (one more is refused as
 * overloaded), CHUNKS_MAX chunks an answer, each text at most
 * LanguageModel.maxChunk bytes (longer ones are cut). A stream whose
 * `next` waits (a `stall` step) keeps that one call until it is
 * cancelled or dropped; it is then answered `cancelled`.
 */
#include <string.h>

#define CAPNP_META
#include "agent.capnp.h"
#include "fmt/fmt.h"
#include "answer.h"
#include "rt.h"
#include "script.h"

#define STREAMS_MAX	4
#define CHUNKS_MAX	(SCRIPT_STEPS_MAX + 1)
#define CHUNK_TEXT_MAX	capos_LanguageModel_maxChunk
#define LOG_MAX		1024

enum chunk_kind { CH_TEXT, CH_CALL, CH_STALL, CH_DONE };

struct chunk {
	enum chunk_kind kind;
	char text[CHUNK_TEXT_MAX + 1];
	const struct script_step *call;
};

struct stream {
	bool live;
	uint8_t gen;
	int n, next;
	struct chunk c[CHUNKS_MAX];
	bool waiting;		/* a `next` is held (a stall) */
	uint64_t waiting_id;
};

static struct script script;
static struct stream streams[STREAMS_MAX];
static const char *name = "model-script";
static capos_cap_t owner;
static uint32_t answers, calls_with_caps;
static char logbuf[LOG_MAX];

static uint64_t
badge_of(int slot)
{
	return 1 + ((uint64_t)streams[slot].gen << 8 | (uint64_t)slot);
}

static struct stream *
stream_of(uint64_t badge)
{
	uint64_t v = badge - 1;
	uint32_t slot = (uint32_t)(v & 0xff);

	if (badge == 0 || slot >= STREAMS_MAX || !streams[slot].live ||
	    streams[slot].gen != (uint8_t)(v >> 8))
		return NULL;
	return &streams[slot];
}

/* A call that brought capabilities is counted: the model is to be given
 * none, ever. rt_serve releases them after the handler. */
static void
check_caps(const struct rt_request *rq)
{
	if (rq->hdr->ncaps != 0)
		calls_with_caps++;
}

static capos_cap_t
mint(uint64_t badge)
{
	return svc_mint(owner, badge, capos_ModelStream_INTERFACE_ID);
}

static void
logf_(size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= sizeof(logbuf) - 1)
		return;
	va_start(ap, fmt);
	n = fmt_vsnprintf(logbuf + *len, sizeof(logbuf) - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n < sizeof(logbuf) - *len ? (size_t)n :
		    sizeof(logbuf) - *len - 1;
}

static void
add_text(struct stream *st, const char *s, size_t len)
{
	struct chunk *c;

	if (st->n == CHUNKS_MAX - 1)
		return;
	c = &st->c[st->n++];
	c->kind = CH_TEXT;
	if (len > CHUNK_TEXT_MAX)
		len = CHUNK_TEXT_MAX;
	memcpy(c->text, s, len);
	c->text[len] = '\0';
}

/* Says what the model was offered: every tool, with its mode. */
static void
log_tools(const struct capos_CompleteRequest_r *rq)
{
	struct capos_ToolDescriptor_r d;
	struct capnp_list l;
	struct capnp_text t;
	size_t len = 0;

	logf_(&len, "[model-script] answer %u: tools offered:", answers);
	if (capos_CompleteRequest_get_tools(rq, &l) == 0)
		for (uint32_t i = 0; i < l.n; i++) {
			enum capos_PermissionMode m;

			if (capos_ToolDescriptor_at(&l, i, &d) != 0 ||
			    capos_ToolDescriptor_get_name(&d, &t) != 0)
				continue;
			m = capos_ToolDescriptor_get_mode(&d);
			logf_(&len, " %.*s (%s%s)", (int)t.len, t.str,
			    m < capos_PermissionMode_meta.n ?
			    capos_PermissionMode_meta.names[m] : "?",
			    capos_ToolDescriptor_get_readOnly(&d) ?
			    ", read-only" : "");
		}
	rt_debug("%s\n", logbuf);
}

/* Says what conversation the model received: each message in order, a
 * text cut to CONV_TEXT_MAX bytes, a call with its arguments, an outcome
 * by its kind. The line is cut at LOG_MAX, which the tests allow for. */
#define CONV_TEXT_MAX	40
static void
log_conversation(const struct capos_CompleteRequest_r *rq)
{
	static const char *const kinds[] = {
		"ran", "failed", "declined", "refused", "cancelled",
	};
	struct capos_Message_r m;
	struct capos_ToolCall_r tc;
	struct capos_ToolResult_r tr;
	struct capos_ToolResult_outcome_r o;
	struct capos_ToolArg_r a;
	struct capnp_list l, args;
	struct capnp_text t, v;
	size_t len = 0;
	unsigned w;

	logf_(&len, "[model-script] answer %u: received:", answers);
	if (capos_CompleteRequest_get_messages(rq, &l) != 0)
		l.n = 0;
	for (uint32_t i = 0; i < l.n; i++) {
		if (capos_Message_at(&l, i, &m) != 0)
			continue;
		logf_(&len, "%s", i > 0 ? " /" : "");
		switch (capos_Message_which(&m)) {
		case capos_Message_which_user:
		case capos_Message_which_assistant:
			if ((capos_Message_which(&m) == capos_Message_which_user ?
			    capos_Message_get_user(&m, &t) :
			    capos_Message_get_assistant(&m, &t)) != 0)
				t.len = 0;
			logf_(&len, " %s \"%.*s\"", capos_Message_which(&m) ==
			    capos_Message_which_user ? "user" : "assistant",
			    (int)(t.len > CONV_TEXT_MAX ? CONV_TEXT_MAX : t.len),
			    t.str);
			break;
		case capos_Message_which_toolCall:
			if (capos_Message_get_toolCall(&m, &tc) != 0 ||
			    capos_ToolCall_get_tool(&tc, &t) != 0)
				break;
			logf_(&len, " call %.*s(", (int)t.len, t.str);
			if (capos_ToolCall_get_args(&tc, &args) != 0)
				args.n = 0;
			for (uint32_t k = 0; k < args.n; k++)
				if (capos_ToolArg_at(&args, k, &a) == 0 &&
				    capos_ToolArg_get_name(&a, &t) == 0 &&
				    capos_ToolArg_get_value(&a, &v) == 0)
					logf_(&len, "%s%.*s=%.*s", k > 0 ? ", " :
					    "", (int)t.len, t.str, (int)(v.len >
					    CONV_TEXT_MAX ? CONV_TEXT_MAX :
					    v.len), v.str);
			logf_(&len, ")");
			break;
		case capos_Message_which_toolResult:
			if (capos_Message_get_toolResult(&m, &tr) != 0 ||
			    capos_ToolResult_get_tool(&tr, &t) != 0)
				break;
			o = capos_ToolResult_get_outcome(&tr);
			w = capos_ToolResult_outcome_which(&o);
			logf_(&len, " result %.*s %s", (int)t.len, t.str,
			    w < 5 ? kinds[w] : "?");
			break;
		default:
			logf_(&len, " ?");
			break;
		}
	}
	rt_debug("%s\n", logbuf);
}

/* One line per trailing tool result: its tool and outcome. */
static void
answer_results(struct stream *st, const struct capnp_list *msgs,
    uint32_t first)
{
	static const char *const kinds[] = {
		"ran", "failed", "declined", "refused", "cancelled",
	};
	struct capos_Message_r m;
	struct capos_ToolResult_r tr;
	struct capos_ToolResult_outcome_r o;
	struct capnp_text tool, detail;
	char line[CHUNK_TEXT_MAX + 1];

	for (uint32_t i = first; i < msgs->n; i++) {
		unsigned w;
		int n;

		if (capos_Message_at(msgs, i, &m) != 0 ||
		    capos_Message_get_toolResult(&m, &tr) != 0 ||
		    capos_ToolResult_get_tool(&tr, &tool) != 0)
			continue;
		o = capos_ToolResult_get_outcome(&tr);
		w = capos_ToolResult_outcome_which(&o);
		if ((w == capos_ToolResult_outcome_which_ran &&
		    capos_ToolResult_outcome_get_ran(&o, &detail) != 0) ||
		    (w == capos_ToolResult_outcome_which_failed &&
		    capos_ToolResult_outcome_get_failed(&o, &detail) != 0) ||
		    (w == capos_ToolResult_outcome_which_refused &&
		    capos_ToolResult_outcome_get_refused(&o, &detail) != 0) ||
		    w > capos_ToolResult_outcome_which_refused ||
		    w == capos_ToolResult_outcome_which_declined) {
			detail.str = "";
			detail.len = 0;
		}
		n = fmt_snprintf(line, sizeof(line), "%s%.*s %s%s%.*s",
		    i > first ? "\n" : "", (int)tool.len, tool.str, w < 5 ? kinds[w] : "?",
		    detail.len > 0 ? ": " : "", (int)detail.len, detail.str);
		if (n > 0)
			add_text(st, line, strlen(line));
		rt_debug("[model-script] answer %u: result %.*s %s\n", answers,
		    (int)tool.len, tool.str, w < 5 ? kinds[w] : "?");
	}
}

/* Fills a stream's chunks from the conversation's last messages. */
static void
plan(struct stream *st, const struct capos_CompleteRequest_r *rq)
{
	const struct script_rule *rule;
	struct capos_Message_r m;
	struct capnp_list msgs;
	struct capnp_text said;
	uint32_t first;

	st->n = 0;
	st->next = 0;
	if (capos_CompleteRequest_get_messages(rq, &msgs) != 0 || msgs.n == 0 ||
	    msgs.n > capos_LanguageModel_maxMessages) {
		add_text(st, "(the conversation was empty or too long)", 40);
		goto done;
	}
	first = msgs.n;
	while (first > 0 && capos_Message_at(&msgs, first - 1, &m) == 0 &&
	    capos_Message_which(&m) == capos_Message_which_toolResult)
		first--;
	if (first < msgs.n) {
		answer_results(st, &msgs, first);
		goto done;
	}
	if (capos_Message_at(&msgs, msgs.n - 1, &m) != 0 ||
	    capos_Message_which(&m) != capos_Message_which_user ||
	    capos_Message_get_user(&m, &said) != 0) {
		add_text(st, "(the conversation ends in nothing to answer)", 44);
		goto done;
	}
	rt_debug("[model-script] answer %u: the user said \"%.*s\"\n", answers,
	    (int)(said.len > 200 ? 200 : said.len), said.str);
	if ((rule = script_match(&script, said.str, said.len)) == NULL) {
		add_text(st, "I have no script for that.", 26);
		goto done;
	}
	for (int i = 0; i < rule->nsteps && st->n < CHUNKS_MAX - 1; i++) {
		const struct script_step *s = &rule->steps[i];
		struct chunk *c = &st->c[st->n++];

		c->call = s;
		if (s->kind == STEP_STALL) {
			c->kind = CH_STALL;
			return;
		}
		if (s->kind == STEP_CALL)
			c->kind = CH_CALL;
		else {
			st->n--;
			add_text(st, s->text, strlen(s->text));
		}
	}
done:
	st->c[st->n++].kind = CH_DONE;
}

static int
do_info(void *ctx, struct rt_request *rq)
{
	struct capos_ModelInfo_b r;

	(void)ctx;
	check_caps(rq);
	if (capos_ModelInfo_init_root(&rq->reply, &r) != 0 ||
	    capos_ModelInfo_set_name(&r, name, strlen(name)) != 0 ||
	    capos_ModelInfo_set_provider(&r, "script", 6) != 0)
		return -1;
	capos_ModelInfo_set_maxChunk(&r, CHUNK_TEXT_MAX);
	return 0;
}

static int
do_complete(void *ctx, struct rt_request *rq)
{
	struct capos_LanguageModel_complete_Params_r p = { rq->params };
	struct capos_LanguageModel_complete_Results_b r;
	struct capos_CompleteRequest_r req;
	struct stream *st = NULL;
	capos_cap_t client;
	int slot, idx;

	(void)ctx;
	check_caps(rq);
	if (capos_LanguageModel_complete_Params_get_request(&p, &req) != 0)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "malformed request");
	for (slot = 0; slot < STREAMS_MAX; slot++)
		if (!streams[slot].live) {
			st = &streams[slot];
			break;
		}
	if (st == NULL)
		return rt_reply_exception(rq,
		    capos_CapException_Type_overloaded,
		    "too many answers in progress");
	answers++;
	log_tools(&req);
	log_conversation(&req);
	st->gen++;
	if ((client = mint(badge_of(slot))) == CAPOS_CAP_NULL)
		return rt_reply_exception(rq,
		    capos_CapException_Type_overloaded,
		    "cannot mint the stream");
	if (capos_LanguageModel_complete_Results_init_root(&rq->reply,
	    &r) != 0 || (idx = rt_reply_cap(rq, client,
	    CAPOS_XFER_MOVE)) < 0) {
		rt_release(client);
		return -1;
	}
	capos_LanguageModel_complete_Results_set_stream(&r, (uint32_t)idx);
	st->live = true;
	st->waiting = false;
	plan(st, &req);
	return 0;
}

static int
set_call(struct capos_ModelChunk_b *r, const struct script_step *s, int n)
{
	struct capos_ToolCall_b tc;
	struct capos_ToolArg_b a;
	struct capnp_lb l;
	char id[16];

	fmt_snprintf(id, sizeof(id), "call-%d", n);
	if (capos_ModelChunk_init_toolCall(r, &tc) != 0 ||
	    capos_ToolCall_set_id(&tc, id, strlen(id)) != 0 ||
	    capos_ToolCall_set_tool(&tc, s->text, strlen(s->text)) != 0 ||
	    capos_ToolCall_init_args(&tc, (uint32_t)s->nargs, &l) != 0)
		return -1;
	for (int i = 0; i < s->nargs; i++)
		if (capos_ToolArg_b_at(&l, (uint32_t)i, &a) != 0 ||
		    capos_ToolArg_set_name(&a, s->args[i].name,
		    strlen(s->args[i].name)) != 0 ||
		    capos_ToolArg_set_value(&a, s->args[i].value,
		    strlen(s->args[i].value)) != 0)
			return -1;
	return 0;
}

static int
do_next(void *ctx, struct rt_request *rq)
{
	struct stream *st = stream_of(rq->hdr->badge);
	struct capos_ModelChunk_b r;
	struct chunk *c;

	(void)ctx;
	check_caps(rq);
	if (st == NULL)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "not a stream of this model");
	if (capos_ModelChunk_init_root(&rq->reply, &r) != 0)
		return -1;
	if (st->waiting || st->next >= st->n) {
		capos_ModelChunk_set_done(&r);
		return 0;
	}
	c = &st->c[st->next];
	switch (c->kind) {
	case CH_STALL:
		/* Held until cancel or drop answers it. */
		st->waiting = true;
		st->waiting_id = rq->hdr->call_id;
		rq->deferred = true;
		rt_debug("[model-script] answer %u: stalling until cancelled\n",
		    answers);
		return 0;
	case CH_TEXT:
		st->next++;
		return capos_ModelChunk_set_text(&r, c->text, strlen(c->text));
	case CH_CALL:
		st->next++;
		return set_call(&r, c->call, st->next);
	case CH_DONE:
	default:
		st->next = st->n;
		capos_ModelChunk_set_done(&r);
		return 0;
	}
}

/* Ends a stream; a held `next` is answered empty, which reads as
 * `cancelled`. */
static void
end_stream(struct stream *st, const char *how)
{
	if (st->waiting) {
		(void)rt_return_empty(owner, st->waiting_id);
		rt_debug("[model-script] answer %u: %s while stalled\n", answers,
		    how);
	}
	st->waiting = false;
	st->next = st->n;
}

static int
do_cancel(void *ctx, struct rt_request *rq)
{
	struct capos_ModelStream_cancel_Results_b r;
	struct stream *st = stream_of(rq->hdr->badge);

	(void)ctx;
	check_caps(rq);
	if (st != NULL)
		end_stream(st, "cancelled");
	return capos_ModelStream_cancel_Results_init_root(&rq->reply, &r);
}

static int
do_dropped(void *ctx, struct rt_request *rq)
{
	struct stream *st = stream_of(rq->hdr->badge);

	(void)ctx;
	if (st != NULL) {
		end_stream(st, "dropped");
		st->live = false;
	}
	return 0;
}

static const struct rt_method methods[] = {
	{ capos_LanguageModel_INTERFACE_ID, capos_LanguageModel_info_ORDINAL,
	  do_info },
	{ capos_LanguageModel_INTERFACE_ID,
	  capos_LanguageModel_complete_ORDINAL, do_complete },
	{ capos_ModelStream_INTERFACE_ID, capos_ModelStream_next_ORDINAL,
	  do_next },
	{ capos_ModelStream_INTERFACE_ID, capos_ModelStream_cancel_ORDINAL,
	  do_cancel },
	{ 0, CAPOS_METHOD_DROPPED, do_dropped },
};

/* Says what this process holds; 0 when it is exactly the endpoint it
 * serves and the console. */
static int
report_holdings(void)
{
	const struct capos_start *sb = rt_start();
	size_t len = 0;
	int other = 0;

	logf_(&len, "[model-script] holds:");
	for (uint32_t i = 0; i < sb->ncaps && i < CAPOS_CAPSET_MAX; i++) {
		logf_(&len, " %s", sb->caps[i].name);
		if (strcmp(sb->caps[i].name, "model") != 0 &&
		    strcmp(sb->caps[i].name, "console") != 0)
			other++;
	}
	rt_debug("%s\n", logbuf);
	return other;
}

int
main(void)
{
	int other, rc;

	owner = rt_cap("model", capos_Endpoint_INTERFACE_ID);
	if (owner == CAPOS_CAP_NULL) {
		rt_printf("[model-script] needs its endpoint, \"model\"\n");
		return 1;
	}
	for (int i = 0; i < rt_argc(); i++) {
		const char *a = rt_argv(i), *why = "unknown argument";

		if (strncmp(a, "rule=", 5) == 0)
			why = script_add(&script, a + 5, strlen(a + 5));
		else if (strncmp(a, "name=", 5) == 0 && a[5] != '\0') {
			name = a + 5;
			why = NULL;
		}
		if (why != NULL)
			rt_printf("[model-script] argument %d refused: %s\n", i,
			    why);
	}
	other = report_holdings();
	rt_debug("[model-script] %d rules\n", script.n);
	rc = rt_serve(owner, methods, sizeof(methods) / sizeof(methods[0]),
	    NULL);
	if (rc != CAPOS_EPEER) {
		rt_printf("[model-script] stopped: %s\n", rt_strerror(rc));
		return 1;
	}
	if (other == 0 && calls_with_caps == 0)
		rt_debug("[proof] model-confined ok: the model held only its "
		    "endpoint and the console, and none of the calls of "
		    "its %u answers brought it a capability\n", answers);
	else
		rt_printf("[model-script] NOT confined: %d other "
		    "capabilities held, %u calls brought capabilities\n", other,
		    calls_with_caps);
	return 0;
}
