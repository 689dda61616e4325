/*
 * The chat-completions protocol (openai.h).
 */
#include <string.h>

#include "fmt/fmt.h"
#include "proto/json/json.h"
#include "openai.h"

/* The last c in s, or NULL. */
static char *
last_of(char *s, char c)
{
	char *r = NULL;

	for (; *s != '\0'; s++)
		if (*s == c)
			r = s;
	return r;
}

/* ---- Writing the request ---- */

struct w {
	char *p;
	size_t room, len;
	int bad;
};

static void
put(struct w *w, const char *s)
{
	size_t n = strlen(s);

	if (w->bad || w->len + n >= w->room) {
		w->bad = 1;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void
put_js(struct w *w, const char *s, size_t n)
{
	if (w->bad || json_put_string(w->p, w->room - 1, &w->len, s, n) != 0)
		w->bad = 1;
}

static void
put_text(struct w *w, const struct capnp_text *t)
{
	put_js(w, t->str != NULL ? t->str : "", t->str != NULL ? t->len : 0);
}

/* "cap.method" as a function name: the last dot becomes '-'. */
static void
put_tool_name(struct w *w, const struct capnp_text *t)
{
	char name[OA_NAME_MAX + 1];
	size_t n = t->len < OA_NAME_MAX ? t->len : OA_NAME_MAX;
	char *dot;

	memcpy(name, t->str != NULL ? t->str : "", n);
	name[n] = '\0';
	if ((dot = last_of(name, '.')) != NULL)
		*dot = '-';
	put_js(w, name, n);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A typed-call value as JSON: a quoted string unescaped, a decimal
 * integer or true/false as itself, anything else as a string. */
static void
put_typed_value(struct w *w, const struct capnp_text *v)
{
	const char *s = v->str != NULL ? v->str : "";
	size_t n = v->str != NULL ? v->len : 0, k = 0, i;
	char buf[OA_VALUE_MAX + 1];

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		for (i = 1; i + 1 < n && k < OA_VALUE_MAX; i++) {
			char c = s[i];

			if (c == '\\' && i + 2 < n) {
				c = s[++i];
				if (c == 'n')
					c = '\n';
				else if (c == 't')
					c = '\t';
				else if (c == 'x' && i + 3 < n &&
				    hexval(s[i + 1]) >= 0 &&
				    hexval(s[i + 2]) >= 0) {
					c = (char)(hexval(s[i + 1]) << 4 |
					    hexval(s[i + 2]));
					i += 2;
				}
			}
			buf[k++] = c;
		}
		put_js(w, buf, k);
		return;
	}
	for (i = s[0] == '-' ? 1 : 0; i < n && s[i] >= '0' && s[i] <= '9';
	    i++)
		;
	if ((n > 0 && i == n && s[n - 1] != '-') ||
	    (n == 4 && memcmp(s, "true", 4) == 0) ||
	    (n == 5 && memcmp(s, "false", 5) == 0)) {
		char num[32];

		if (n < sizeof(num)) {
			memcpy(num, s, n);
			num[n] = '\0';
			put(w, num);
			return;
		}
	}
	put_js(w, s, n);
}

static void
put_call(struct w *w, const struct capos_ToolCall_r *tc)
{
	struct capos_ToolArg_r a;
	struct capnp_list l;
	struct capnp_text t, v;
	char args[OA_ARGS_JSON_MAX];
	struct w aw = { args, sizeof(args), 0, 0 };

	put(w, "{\"id\":");
	if (capos_ToolCall_get_id(tc, &t) != 0)
		w->bad = 1;
	put_text(w, &t);
	put(w, ",\"type\":\"function\",\"function\":{\"name\":");
	if (capos_ToolCall_get_tool(tc, &t) != 0)
		w->bad = 1;
	put_tool_name(w, &t);
	put(w, ",\"arguments\":");
	put(&aw, "{");
	if (capos_ToolCall_get_args(tc, &l) != 0)
		w->bad = 1;
	for (uint32_t i = 0; !w->bad && i < l.n; i++) {
		if (capos_ToolArg_at(&l, i, &a) != 0 ||
		    capos_ToolArg_get_name(&a, &t) != 0 ||
		    capos_ToolArg_get_value(&a, &v) != 0) {
			w->bad = 1;
			break;
		}
		if (i > 0)
			put(&aw, ",");
		put_text(&aw, &t);
		put(&aw, ":");
		put_typed_value(&aw, &v);
	}
	put(&aw, "}");
	if (aw.bad)
		w->bad = 1;
	put_js(w, args, aw.len);
	put(w, "}}");
}

static const char *const outcomes[] = {
	"ran", "failed", "declined by the user", "refused", "cancelled",
};

static void
put_result(struct w *w, const struct capos_ToolResult_r *tr)
{
	struct capos_ToolResult_outcome_r o = capos_ToolResult_get_outcome(tr);
	unsigned which = capos_ToolResult_outcome_which(&o);
	struct capnp_text t, d = { 0 };
	char content[OA_TEXT_MAX];
	int n;

	put(w, "{\"role\":\"tool\",\"tool_call_id\":");
	if (capos_ToolResult_get_id(tr, &t) != 0)
		w->bad = 1;
	put_text(w, &t);
	if ((which == capos_ToolResult_outcome_which_ran &&
	    capos_ToolResult_outcome_get_ran(&o, &d) != 0) ||
	    (which == capos_ToolResult_outcome_which_failed &&
	    capos_ToolResult_outcome_get_failed(&o, &d) != 0) ||
	    (which == capos_ToolResult_outcome_which_refused &&
	    capos_ToolResult_outcome_get_refused(&o, &d) != 0))
		w->bad = 1;
	n = fmt_snprintf(content, sizeof(content), "%s%s%.*s",
	    which < 5 ? outcomes[which] : "?", d.len > 0 ? ": " : "",
	    (int)d.len, d.str != NULL ? d.str : "");
	put(w, ",\"content\":");
	put_js(w, content, n > 0 && (size_t)n < sizeof(content) ? (size_t)n :
	    strlen(content));
	put(w, "}");
}

/* A parameter's JSON schema from the descriptor's type text. */
static void
put_param_schema(struct w *w, const struct capnp_text *ty)
{
	const char *s = ty->str != NULL ? ty->str : "";
	size_t n = ty->str != NULL ? ty->len : 0;
	const char *open = memchr(s, '(', n);

	if ((n == 4 && memcmp(s, "Bool", 4) == 0))
		put(w, "{\"type\":\"boolean\"}");
	else if ((n >= 4 && memcmp(s, "UInt", 4) == 0) ||
	    (n >= 3 && memcmp(s, "Int", 3) == 0))
		put(w, "{\"type\":\"integer\"}");
	else if (open != NULL && n > 0 && s[n - 1] == ')') {
		/* "Name (a|b|c)": an enum. */
		const char *p = open + 1, *end = s + n - 1;

		put(w, "{\"type\":\"string\",\"enum\":[");
		while (p < end) {
			const char *bar = memchr(p, '|', (size_t)(end - p));
			const char *e = bar != NULL ? bar : end;

			put_js(w, p, (size_t)(e - p));
			if (bar != NULL)
				put(w, ",");
			p = e + 1;
		}
		put(w, "]}");
	} else {
		put(w, "{\"type\":\"string\",\"description\":");
		put_js(w, s, n);
		put(w, "}");
	}
}

static void
put_tool(struct w *w, const struct capos_ToolDescriptor_r *d)
{
	static const char *const modes[] = {
		"forbidden", "runs at once", "the user is asked first",
		"the user must authenticate again first",
	};
	struct capos_ToolParam_r p;
	struct capnp_list l;
	struct capnp_text t, ty;
	char desc[512];
	unsigned mode = capos_ToolDescriptor_get_mode(d);
	int n;

	put(w, "{\"type\":\"function\",\"function\":{\"name\":");
	if (capos_ToolDescriptor_get_name(d, &t) != 0)
		w->bad = 1;
	put_tool_name(w, &t);
	if (capos_ToolDescriptor_get_description(d, &t) != 0)
		w->bad = 1;
	n = fmt_snprintf(desc, sizeof(desc), "%.*s (%s; %s)", (int)t.len,
	    t.str != NULL ? t.str : "", capos_ToolDescriptor_get_readOnly(d) ?
	    "read-only" : "changes state", mode < 4 ? modes[mode] : "?");
	put(w, ",\"description\":");
	put_js(w, desc, n > 0 && (size_t)n < sizeof(desc) ? (size_t)n :
	    strlen(desc));
	put(w, ",\"parameters\":{\"type\":\"object\",\"properties\":{");
	if (capos_ToolDescriptor_get_params(d, &l) != 0)
		w->bad = 1;
	for (uint32_t i = 0; !w->bad && i < l.n; i++) {
		if (capos_ToolParam_at(&l, i, &p) != 0 ||
		    capos_ToolParam_get_name(&p, &t) != 0 ||
		    capos_ToolParam_get_type(&p, &ty) != 0) {
			w->bad = 1;
			break;
		}
		if (i > 0)
			put(w, ",");
		put_text(w, &t);
		put(w, ":");
		put_param_schema(w, &ty);
	}
	put(w, "}}}}");
}

int
oa_request(const struct capos_CompleteRequest_r *rq, const char *model,
    char *out, size_t room)
{
	struct w w = { out, room, 0, 0 };
	struct capos_Message_r m;
	struct capos_ToolCall_r tc;
	struct capos_ToolResult_r tr;
	struct capos_ToolDescriptor_r d;
	struct capnp_list msgs, tools;
	struct capnp_text t;
	bool in_calls = false;

	if (capos_CompleteRequest_get_messages(rq, &msgs) != 0 ||
	    capos_CompleteRequest_get_tools(rq, &tools) != 0)
		return -1;
	put(&w, "{\"model\":");
	put_js(&w, model, strlen(model));
	put(&w, ",\"stream\":false,\"messages\":[{\"role\":\"system\","
	    "\"content\":\"You are the assistant of a capOS shell. To act, "
	    "call the tools; the shell decides whether each call runs.\"}");
	for (uint32_t i = 0; !w.bad && i < msgs.n; i++) {
		unsigned which;

		if (capos_Message_at(&msgs, i, &m) != 0)
			return -1;
		which = capos_Message_which(&m);
		/* Consecutive calls are one assistant message. */
		if (in_calls && which != capos_Message_which_toolCall) {
			put(&w, "]}");
			in_calls = false;
		}
		switch (which) {
		case capos_Message_which_user:
		case capos_Message_which_assistant:
			if ((which == capos_Message_which_user ?
			    capos_Message_get_user(&m, &t) :
			    capos_Message_get_assistant(&m, &t)) != 0)
				return -1;
			put(&w, which == capos_Message_which_user ?
			    ",{\"role\":\"user\",\"content\":" :
			    ",{\"role\":\"assistant\",\"content\":");
			put_text(&w, &t);
			put(&w, "}");
			break;
		case capos_Message_which_toolCall:
			if (capos_Message_get_toolCall(&m, &tc) != 0)
				return -1;
			put(&w, in_calls ? "," : ",{\"role\":\"assistant\","
			    "\"content\":null,\"tool_calls\":[");
			in_calls = true;
			put_call(&w, &tc);
			break;
		default:
			if (capos_Message_get_toolResult(&m, &tr) != 0)
				return -1;
			put(&w, ",");
			put_result(&w, &tr);
			break;
		}
	}
	if (in_calls)
		put(&w, "]}");
	put(&w, "]");
	if (tools.n > 0) {
		put(&w, ",\"tools\":[");
		for (uint32_t i = 0; !w.bad && i < tools.n; i++) {
			if (capos_ToolDescriptor_at(&tools, i, &d) != 0)
				return -1;
			if (i > 0)
				put(&w, ",");
			put_tool(&w, &d);
		}
		put(&w, "]");
	}
	put(&w, "}");
	if (w.bad)
		return -1;
	out[w.len] = '\0';
	return (int)w.len;
}

/* ---- Framing the response ---- */

static void
errf(char err[OA_ERR_MAX], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(err, OA_ERR_MAX, fmt, ap);
	va_end(ap);
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Whether the header line [p, e) names field (case-insensitive) and, if
 * so, where its value starts. */
static const char *
field(const char *p, const char *e, const char *name)
{
	size_t n = strlen(name);

	if ((size_t)(e - p) <= n || p[n] != ':')
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (lower((uint8_t)p[i]) != name[i])
			return NULL;
	p += n + 1;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

int
oa_http(const char *buf, size_t n, int *status, size_t *body, size_t *blen,
    char err[OA_ERR_MAX])
{
	const char *p = buf, *end = NULL, *line;
	uint64_t len = 0;
	bool have_len = false;

	for (size_t i = 0; i + 3 < n && i < OA_HEAD_MAX; i++)
		if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
			end = buf + i + 2;
			break;
		}
	if (end == NULL) {
		if (n >= OA_HEAD_MAX) {
			errf(err, "the response's header is over %d bytes",
			    OA_HEAD_MAX);
			return -1;
		}
		return 1;
	}
	if (end - p < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ' ||
	    p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' ||
	    p[11] < '0' || p[11] > '9') {
		errf(err, "the response does not start with an HTTP status");
		return -1;
	}
	*status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	while ((line = memchr(p, '\n', (size_t)(end - p))) != NULL &&
	    line + 1 < end) {
		const char *e, *v;

		p = line + 1;
		e = memchr(p, '\r', (size_t)(end - p));
		if (e == NULL)
			e = end;
		if ((v = field(p, e, "transfer-encoding")) != NULL) {
			errf(err, "a chunked response is not supported; the "
			    "server must send Content-Length");
			return -1;
		}
		if ((v = field(p, e, "content-length")) != NULL) {
			if (have_len || v == e) {
				errf(err, "the Content-Length is malformed");
				return -1;
			}
			for (; v < e; v++) {
				if (*v < '0' || *v > '9' || len > OA_RESP_MAX) {
					errf(err, "the Content-Length is "
					    "malformed or too large");
					return -1;
				}
				len = len * 10 + (uint64_t)(*v - '0');
			}
			have_len = true;
		}
	}
	if (!have_len) {
		errf(err, "the response has no Content-Length");
		return -1;
	}
	*body = (size_t)(end + 2 - buf);
	if (len > OA_RESP_MAX - *body) {
		errf(err, "the response is over %d bytes", OA_RESP_MAX);
		return -1;
	}
	*blen = (size_t)len;
	return n >= *body + *blen ? 0 : 1;
}

/* ---- Reading the answer ---- */

static struct json_tok toks[OA_TOKENS];
static struct json_tok atoks[OA_ARGS_MAX * 2 + 8];

/* The parameter type the request's descriptor gives, or "". */
static void
param_type(const struct capos_CompleteRequest_r *rq, const char *tool,
    const char *param, char *out, size_t room)
{
	struct capos_ToolDescriptor_r d;
	struct capos_ToolParam_r p;
	struct capnp_list tools, params;
	struct capnp_text t;

	out[0] = '\0';
	if (capos_CompleteRequest_get_tools(rq, &tools) != 0)
		return;
	for (uint32_t i = 0; i < tools.n; i++) {
		if (capos_ToolDescriptor_at(&tools, i, &d) != 0 ||
		    capos_ToolDescriptor_get_name(&d, &t) != 0 ||
		    t.len != strlen(tool) || memcmp(t.str, tool, t.len) != 0 ||
		    capos_ToolDescriptor_get_params(&d, &params) != 0)
			continue;
		for (uint32_t k = 0; k < params.n; k++) {
			if (capos_ToolParam_at(&params, k, &p) != 0 ||
			    capos_ToolParam_get_name(&p, &t) != 0 ||
			    t.len != strlen(param) ||
			    memcmp(t.str, param, t.len) != 0 ||
			    capos_ToolParam_get_type(&p, &t) != 0)
				continue;
			if (t.len < room) {
				memcpy(out, t.str, t.len);
				out[t.len] = '\0';
			}
			return;
		}
	}
}

static bool
is_name(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
	    *s == '_'))
		return false;
	for (s++; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* A JSON value as a typed-call value into out (OA_VALUE_MAX + 1). */
static int
typed_value(const char *s, const struct json_tok *v, const char *type,
    char *out, char err[OA_ERR_MAX], const char *name)
{
	char str[OA_VALUE_MAX + 1];
	size_t len = 0;
	int n;

	switch (v->type) {
	case JSON_TRUE:
	case JSON_FALSE:
		memcpy(out, v->type == JSON_TRUE ? "true" : "false",
		    v->type == JSON_TRUE ? 5 : 6);
		return 0;
	case JSON_NUMBER:
		if (memchr(s + v->start, '.', v->len) != NULL ||
		    memchr(s + v->start, 'e', v->len) != NULL ||
		    memchr(s + v->start, 'E', v->len) != NULL ||
		    v->len > 24) {
			errf(err, "argument %s is not an integer", name);
			return -1;
		}
		memcpy(out, s + v->start, v->len);
		out[v->len] = '\0';
		return 0;
	case JSON_STRING:
		if ((n = json_string(s, v, str, sizeof(str))) < 0) {
			errf(err, "argument %s is too long or holds \\u0000",
			    name);
			return -1;
		}
		if (strcmp(type, "Text") != 0 && strcmp(type, "Data") != 0 &&
		    is_name(str)) {
			memcpy(out, str, (size_t)n + 1);
			return 0;
		}
		out[len++] = '"';
		for (int i = 0; i < n; i++) {
			uint8_t c = (uint8_t)str[i];
			char e[5];
			int k;

			if (c == '"' || c == '\\')
				k = fmt_snprintf(e, sizeof(e), "\\%c", c);
			else if (c == '\n')
				k = fmt_snprintf(e, sizeof(e), "\\n");
			else if (c < 0x20 || c == 0x7f)
				k = fmt_snprintf(e, sizeof(e), "\\x%02x", c);
			else
				k = fmt_snprintf(e, sizeof(e), "%c", c);
			if (len + (size_t)k + 2 > OA_VALUE_MAX) {
				errf(err, "argument %s is too long", name);
				return -1;
			}
			memcpy(out + len, e, (size_t)k);
			len += (size_t)k;
		}
		out[len++] = '"';
		out[len] = '\0';
		return 0;
	default:
		errf(err, "argument %s is not a number, string or boolean",
		    name);
		return -1;
	}
}

static int
take_call(const char *s, int tc, const struct capos_CompleteRequest_r *rq,
    struct oa_answer *a)
{
	struct oa_call *c = &a->c[a->ncalls];
	char args[OA_ARGS_JSON_MAX + 1], *dash, type[64];
	int fn = json_member(s, toks, tc, "function"), id, name, arg, n, obj;

	id = json_member(s, toks, tc, "id");
	if (fn < 0 || (name = json_member(s, toks, fn, "name")) < 0 ||
	    (arg = json_member(s, toks, fn, "arguments")) < 0 ||
	    json_string(s, &toks[name], c->tool, sizeof(c->tool)) < 0 ||
	    (id >= 0 && json_string(s, &toks[id], c->id, sizeof(c->id)) < 0)) {
		errf(a->err, "a tool call is malformed");
		return -1;
	}
	if (id < 0)
		fmt_snprintf(c->id, sizeof(c->id), "call-%d", a->ncalls + 1);
	if ((dash = last_of(c->tool, '-')) != NULL)
		*dash = '.';
	if (toks[arg].type != JSON_STRING ||
	    (n = json_string(s, &toks[arg], args, sizeof(args))) < 0) {
		errf(a->err, "the arguments of %s are not a string of at most "
		    "%d bytes", c->tool, OA_ARGS_JSON_MAX);
		return -1;
	}
	if (json_parse(args, (size_t)n, atoks, (int)(sizeof(atoks) /
	    sizeof(atoks[0]))) < 0 || atoks[0].type != JSON_OBJECT) {
		errf(a->err, "the arguments of %s are not a JSON object of at "
		    "most %d members", c->tool, OA_ARGS_MAX);
		return -1;
	}
	obj = 1;
	for (uint32_t m = 0; m < atoks[0].size; m++) {
		int v = (int)atoks[obj].next;

		if (m == OA_ARGS_MAX || json_string(args, &atoks[obj],
		    c->a[m].name, sizeof(c->a[m].name)) < 0) {
			errf(a->err, "the arguments of %s are malformed",
			    c->tool);
			return -1;
		}
		param_type(rq, c->tool, c->a[m].name, type, sizeof(type));
		if (typed_value(args, &atoks[v], type, c->a[m].value, a->err,
		    c->a[m].name) != 0)
			return -1;
		c->nargs++;
		obj = (int)atoks[v].next;
	}
	a->ncalls++;
	return 0;
}

int
oa_answer(const char *body, size_t n, const struct capos_CompleteRequest_r
    *rq, struct oa_answer *a)
{
	int root, ch, msg, content, calls;

	memset(a, 0, sizeof(*a));
	if ((root = json_parse(body, n, toks, OA_TOKENS)) < 0) {
		errf(a->err, root == JSON_E_TOKENS ? "the answer has more than "
		    "%d JSON tokens" : "the answer is not JSON", OA_TOKENS);
		return -1;
	}
	if ((ch = json_member(body, toks, 0, "choices")) < 0 ||
	    (ch = json_elem(toks, ch, 0)) < 0 ||
	    (msg = json_member(body, toks, ch, "message")) < 0 ||
	    toks[msg].type != JSON_OBJECT) {
		errf(a->err, "the answer has no choices[0].message");
		return -1;
	}
	content = json_member(body, toks, msg, "content");
	if (content >= 0 && toks[content].type == JSON_STRING) {
		int len = json_string(body, &toks[content], a->text,
		    sizeof(a->text));

		if (len < 0) {
			errf(a->err, "the answer's text is over %d bytes",
			    OA_TEXT_MAX);
			return -1;
		}
		a->len = (size_t)len;
	} else if (content >= 0 && toks[content].type != JSON_NULL) {
		errf(a->err, "the answer's content is not text");
		return -1;
	}
	calls = json_member(body, toks, msg, "tool_calls");
	if (calls >= 0 && toks[calls].type == JSON_ARRAY) {
		if (toks[calls].size > OA_CALLS_MAX) {
			errf(a->err, "the answer has more than %d tool calls",
			    OA_CALLS_MAX);
			return -1;
		}
		for (uint32_t i = 0; i < toks[calls].size; i++)
			if (take_call(body, json_elem(toks, calls, i), rq,
			    a) != 0)
				return -1;
	} else if (calls >= 0 && toks[calls].type != JSON_NULL) {
		errf(a->err, "the answer's tool_calls is not a list");
		return -1;
	}
	return 0;
}
