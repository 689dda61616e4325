/*
 * model-openai: a LanguageModel (schema/agent.capnp, docs/agent.md) that
 * asks a server speaking the OpenAI-compatible chat-completions protocol
 * (llama.cpp's llama-server, Ollama and vLLM serve it) over plain HTTP/1.1
 * with Content-Length, one connection an answer, no streaming (openai.h).
 * The answer's text and tool calls are then handed out through the
 * ModelStream in chunks.
 *
 * Holds: "model" (the owner of the endpoint it serves: the LanguageModel,
 * and each answer's ModelStream, badged), "server" (a TcpConnectAuthority
 * for the one address and port of the model server, and nothing else of
 * the network), "timer" (the clock of the answer's deadline) and
 * "console" (one line an answer, never a prompt). No
 * call to it carries a capability; one that did is counted, and the
 * proof line at its end says whether any did.
 *
 * Arguments: "model=NAME" (the request's model field, default
 * "default"), "host=NAME" (the Host header, default "model"), "path=P"
 * (default /v1/chat/completions), "idle=S" (the netstack resets the
 * connection once no byte has moved for S seconds, default 60),
 * "deadline=S" (the whole response must have come S seconds after the
 * connection was asked for, default 25: under the shell's 30 s an
 * answer, so a server that sends part of a response and then stalls
 * without closing ends as this service's own clean error).
 *
 * Bounds: STREAMS_MAX answers in progress; openai.h's for what goes out
 * and comes in; chunks of LanguageModel.maxChunk bytes. A server that
 * answers malformed, too much, or not at all gives a `failed` chunk with
 * the reason, never a crash. While it waits for the server, the service
 * answers nobody else: one user at a time.
 */
#include <string.h>

#include "agent.capnp.h"
#include "fmt/fmt.h"
#include "net.capnp.h"
#include "openai.h"
#include "answer.h"
#include "rt.h"
#include "tcp.h"

#define STREAMS_MAX	2
#define CHUNKS_MAX	(OA_TEXT_MAX / capos_LanguageModel_maxChunk + \
	OA_CALLS_MAX + 2)

enum chunk_kind { CH_TEXT, CH_CALL, CH_FAILED, CH_DONE };

struct chunk {
	enum chunk_kind kind;
	const char *text;	/* into the stream's answer */
	size_t len;
	int call;
};

struct stream {
	bool live;
	uint8_t gen;
	int n, next;
	struct chunk c[CHUNKS_MAX];
	struct oa_answer a;
};

static struct stream streams[STREAMS_MAX];
static capos_cap_t owner, server;
static const char *model = "default", *host = "model";
static const char *path = "/v1/chat/completions";
static uint32_t idle_s = 60, deadline_s = 25, answers, calls_with_caps;
static char body[OA_BODY_MAX];
static char wire[OA_BODY_MAX + 512];
static char resp[OA_RESP_MAX + 1];
static uint8_t scratch[TCP_SCRATCH] __attribute__((aligned(8)));

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

static capos_cap_t
mint(uint64_t badge)
{
	return svc_mint(owner, badge, capos_ModelStream_INTERFACE_ID);
}

static void
fail(struct stream *st, const char *why)
{
	fmt_snprintf(st->a.err, sizeof(st->a.err), "%s", why);
	st->c[0].kind = CH_FAILED;
	st->c[0].text = st->a.err;
	st->c[0].len = strlen(st->a.err);
	st->n = 1;
	rt_printf("[model-openai] answer %u failed: %s\n", answers, st->a.err);
}

/*
 * Has the netstack reset the connection by the answer's deadline at the
 * latest: the idle reset, shortened to the time left, fires then if no
 * byte moves, and each byte that moves brings another shortening. false
 * once the deadline has passed.
 */
static bool
bound_wait(capos_cap_t sock, uint64_t deadline)
{
	uint64_t now = rt_now_ns(), ms;

	if (now >= deadline)
		return false;
	ms = (deadline - now + 999999) / 1000000;
	if (ms > (uint64_t)idle_s * 1000)
		ms = (uint64_t)idle_s * 1000;
	(void)tcp_set_idle_timeout(sock, (uint32_t)ms);
	return true;
}

/*
 * One exchange with the server: the request out, the whole response in,
 * by deadline_s after it began. 0 with the body at resp[*off], *len
 * bytes; -1 with why in err.
 */
static int
exchange(size_t blen, size_t *off, size_t *len, char err[OA_ERR_MAX])
{
	capos_cap_t sock = CAPOS_CAP_NULL;
	uint64_t deadline = rt_now_ns() + (uint64_t)deadline_s * 1000000000ull;
	size_t have = 0;
	int n, rc, status = 0;

	n = fmt_snprintf(wire, sizeof(wire), "POST %s HTTP/1.1\r\nHost: %s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %lu\r\n"
	    "Connection: close\r\n\r\n", path, host, (unsigned long)blen);
	if (n <= 0 || (size_t)n + blen > sizeof(wire)) {
		fmt_snprintf(err, OA_ERR_MAX, "the request is too large");
		return -1;
	}
	memcpy(wire + n, body, blen);
	rc = tcp_connect_to(server, &sock, scratch);
	if (rc != capos_ConnectResult_which_socket) {
		fmt_snprintf(err, OA_ERR_MAX, "the model server cannot be "
		    "reached (%s)", rc == capos_ConnectResult_which_refused ?
		    "refused" : rc == capos_ConnectResult_which_unreachable ?
		    "unreachable" : "no connection");
		return -1;
	}
	(void)bound_wait(sock, deadline);
	if (tcp_send_all(sock, (const uint8_t *)wire, (uint32_t)(n + blen),
	    scratch) != 0) {
		fmt_snprintf(err, OA_ERR_MAX, "the request could not be sent");
		tcp_close(sock);
		return -1;
	}
	for (;;) {
		const uint8_t *data;

		rc = oa_http(resp, have, &status, off, len, err);
		if (rc <= 0)
			break;
		if (have == OA_RESP_MAX) {
			fmt_snprintf(err, OA_ERR_MAX, "the response is over %d "
			    "bytes", OA_RESP_MAX);
			rc = -1;
			break;
		}
		n = bound_wait(sock, deadline) ? tcp_recv_some(sock,
		    (uint32_t)(OA_RESP_MAX - have), &data, scratch) : -1;
		if (n < 0 && rt_now_ns() >= deadline) {
			fmt_snprintf(err, OA_ERR_MAX, "no whole response within "
			    "the deadline of %u s (%lu bytes came)", deadline_s,
			    (unsigned long)have);
			rc = -1;
			break;
		}
		if (n <= 0) {
			fmt_snprintf(err, OA_ERR_MAX, n == 0 ? "the response "
			    "was cut off after %lu bytes" : "the connection "
			    "failed after %lu bytes", (unsigned long)have);
			rc = -1;
			break;
		}
		memcpy(resp + have, data, (size_t)n);
		have += (size_t)n;
	}
	tcp_close(sock);
	if (rc == 0 && status != 200) {
		fmt_snprintf(err, OA_ERR_MAX, "the server answered status %d",
		    status);
		return -1;
	}
	return rc;
}

/* Asks the server and lays out the answer's chunks. */
static void
answer(struct stream *st, const struct capos_CompleteRequest_r *rq)
{
	char err[OA_ERR_MAX];
	size_t off, len, k = 0;
	int blen;

	st->n = 0;
	st->next = 0;
	if ((blen = oa_request(rq, model, body, sizeof(body))) < 0) {
		fail(st, "the conversation does not fit in a request");
		return;
	}
	if (exchange((size_t)blen, &off, &len, err) != 0) {
		fail(st, err);
		return;
	}
	if (oa_answer(resp + off, len, rq, &st->a) != 0) {
		fmt_snprintf(err, sizeof(err), "%s", st->a.err);
		fail(st, err);
		return;
	}
	while (k < st->a.len) {
		size_t n = st->a.len - k;

		if (n > capos_LanguageModel_maxChunk)
			n = capos_LanguageModel_maxChunk;
		st->c[st->n].kind = CH_TEXT;
		st->c[st->n].text = st->a.text + k;
		st->c[st->n++].len = n;
		k += n;
	}
	for (int i = 0; i < st->a.ncalls; i++) {
		st->c[st->n].kind = CH_CALL;
		st->c[st->n++].call = i;
	}
	st->c[st->n++].kind = CH_DONE;
	rt_debug("[model-openai] answer %u: %lu bytes of text, %d tool "
	    "calls\n", answers, (unsigned long)st->a.len, st->a.ncalls);
}

static int
do_info(void *ctx, struct rt_request *rq)
{
	struct capos_ModelInfo_b r;

	(void)ctx;
	calls_with_caps += rq->hdr->ncaps != 0;
	if (capos_ModelInfo_init_root(&rq->reply, &r) != 0 ||
	    capos_ModelInfo_set_name(&r, model, strlen(model)) != 0 ||
	    capos_ModelInfo_set_provider(&r, "openai-compatible", 17) != 0)
		return -1;
	capos_ModelInfo_set_maxChunk(&r, capos_LanguageModel_maxChunk);
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
	calls_with_caps += rq->hdr->ncaps != 0;
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
	st->gen++;
	if ((client = mint(badge_of(slot))) == CAPOS_CAP_NULL)
		return rt_reply_exception(rq,
		    capos_CapException_Type_overloaded,
		    "cannot mint the stream");
	answers++;
	answer(st, &req);
	if (capos_LanguageModel_complete_Results_init_root(&rq->reply,
	    &r) != 0 || (idx = rt_reply_cap(rq, client,
	    CAPOS_XFER_MOVE)) < 0) {
		rt_release(client);
		return -1;
	}
	capos_LanguageModel_complete_Results_set_stream(&r, (uint32_t)idx);
	st->live = true;
	return 0;
}

static int
set_call(struct capos_ModelChunk_b *r, const struct oa_call *c)
{
	struct capos_ToolCall_b tc;
	struct capos_ToolArg_b a;
	struct capnp_lb l;

	if (capos_ModelChunk_init_toolCall(r, &tc) != 0 ||
	    capos_ToolCall_set_id(&tc, c->id, strlen(c->id)) != 0 ||
	    capos_ToolCall_set_tool(&tc, c->tool, strlen(c->tool)) != 0 ||
	    capos_ToolCall_init_args(&tc, (uint32_t)c->nargs, &l) != 0)
		return -1;
	for (int i = 0; i < c->nargs; i++)
		if (capos_ToolArg_b_at(&l, (uint32_t)i, &a) != 0 ||
		    capos_ToolArg_set_name(&a, c->a[i].name,
		    strlen(c->a[i].name)) != 0 ||
		    capos_ToolArg_set_value(&a, c->a[i].value,
		    strlen(c->a[i].value)) != 0)
			return -1;
	return 0;
}

static int
do_next(void *ctx, struct rt_request *rq)
{
	struct stream *st = stream_of(rq->hdr->badge);
	struct capos_ModelChunk_b r;
	const struct chunk *c;

	(void)ctx;
	calls_with_caps += rq->hdr->ncaps != 0;
	if (st == NULL)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "not a stream of this model");
	if (capos_ModelChunk_init_root(&rq->reply, &r) != 0)
		return -1;
	if (st->next >= st->n) {
		capos_ModelChunk_set_done(&r);
		return 0;
	}
	c = &st->c[st->next++];
	switch (c->kind) {
	case CH_TEXT:
		return capos_ModelChunk_set_text(&r, c->text, c->len);
	case CH_CALL:
		return set_call(&r, &st->a.c[c->call]);
	case CH_FAILED:
		st->next = st->n;
		return capos_ModelChunk_set_failed(&r, c->text, c->len);
	case CH_DONE:
	default:
		capos_ModelChunk_set_done(&r);
		return 0;
	}
}

static int
do_cancel(void *ctx, struct rt_request *rq)
{
	struct capos_ModelStream_cancel_Results_b r;
	struct stream *st = stream_of(rq->hdr->badge);

	(void)ctx;
	calls_with_caps += rq->hdr->ncaps != 0;
	if (st != NULL)
		st->next = st->n;
	return capos_ModelStream_cancel_Results_init_root(&rq->reply, &r);
}

static int
do_dropped(void *ctx, struct rt_request *rq)
{
	struct stream *st = stream_of(rq->hdr->badge);

	(void)ctx;
	if (st != NULL)
		st->live = false;
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

/* Says what this process holds; the count of anything but its four. */
static int
report_holdings(void)
{
	const struct capos_start *sb = rt_start();
	int other = 0;

	rt_debug("[model-openai] holds:");
	for (uint32_t i = 0; i < sb->ncaps && i < CAPOS_CAPSET_MAX; i++) {
		rt_debug(" %s", sb->caps[i].name);
		if (strcmp(sb->caps[i].name, "model") != 0 &&
		    strcmp(sb->caps[i].name, "server") != 0 &&
		    strcmp(sb->caps[i].name, "timer") != 0 &&
		    strcmp(sb->caps[i].name, "console") != 0)
			other++;
	}
	rt_debug("\n");
	return other;
}

/* A count of seconds from 1 to a day, or 0 when it is not one. */
static uint32_t
seconds(const char *c)
{
	uint32_t v = 0;

	for (; *c >= '0' && *c <= '9' && v < 100000; c++)
		v = v * 10 + (uint32_t)(*c - '0');
	return *c != '\0' || v > 86400 ? 0 : v;
}

static bool
read_args(void)
{
	for (int i = 0; i < rt_argc(); i++) {
		const char *a = rt_argv(i);

		if (strncmp(a, "model=", 6) == 0 && a[6] != '\0')
			model = a + 6;
		else if (strncmp(a, "host=", 5) == 0 && a[5] != '\0')
			host = a + 5;
		else if (strncmp(a, "path=", 5) == 0 && a[5] == '/')
			path = a + 5;
		else if (strncmp(a, "idle=", 5) == 0) {
			if ((idle_s = seconds(a + 5)) == 0)
				goto bad;
		} else if (strncmp(a, "deadline=", 9) == 0) {
			if ((deadline_s = seconds(a + 9)) == 0)
				goto bad;
		} else
			goto bad;
		/* What goes into the request line and header may not
		 * carry spaces or line breaks. */
		for (const char *c = a; *c != '\0'; c++)
			if (*c == ' ' || *c == '\r' || *c == '\n')
				goto bad;
		continue;
bad:
		rt_printf("[model-openai] argument %d refused\n", i);
		return false;
	}
	return true;
}

int
main(void)
{
	int other, rc;

	owner = rt_cap("model", capos_Endpoint_INTERFACE_ID);
	server = rt_cap("server", capos_TcpConnectAuthority_INTERFACE_ID);
	/* Without the timer no deadline could be kept. */
	if (owner == CAPOS_CAP_NULL || server == CAPOS_CAP_NULL ||
	    rt_cap("timer", capos_Timer_INTERFACE_ID) == CAPOS_CAP_NULL) {
		rt_printf("[model-openai] needs \"model\", \"server\" and "
		    "\"timer\"\n");
		return 1;
	}
	if (!read_args())
		return 1;
	other = report_holdings();
	rc = rt_serve(owner, methods, sizeof(methods) / sizeof(methods[0]),
	    NULL);
	if (rc != CAPOS_EPEER) {
		rt_printf("[model-openai] stopped: %s\n", rt_strerror(rc));
		return 1;
	}
	if (other == 0 && calls_with_caps == 0)
		rt_debug("[proof] model-openai-confined ok: it held only its "
		    "endpoint, one server's connect authority, a timer and the "
		    "console, and no call of its %u answers brought it a "
		    "capability\n",
		    answers);
	else
		rt_printf("[model-openai] NOT confined: %d other capabilities "
		    "held, %u calls brought capabilities\n", other,
		    calls_with_caps);
	return 0;
}
