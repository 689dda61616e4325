/*
 * model-openai's pure parts: the JSON reader (lib/proto/json), the
 * chat-completions request it writes, and what it makes of a server's
 * answers, hostile ones included (docs/agent.md).
 */
#include "agent.capnp.h"
#include "openai.h"
#include "proto/json/json.h"
#include "test.h"

static struct json_tok toks[256];

TEST(json_reads_and_walks_valid_text)
{
	const char *s = " {\"a\": [1, -2.5e3, true, null], \"b\\u00e9\": "
	    "{\"c\": \"x\\ny\\ud83d\\ude00\"}, \"a\": 0} ";
	char out[32];
	int n = json_parse(s, strlen(s), toks, 256), a, b, c, e;

	CHECK(n > 0);
	CHECK_EQ(toks[0].type, JSON_OBJECT);
	CHECK_EQ(toks[0].size, 3);
	/* The last of duplicate keys wins. */
	a = json_member(s, toks, 0, "a");
	CHECK(a > 0 && toks[a].type == JSON_NUMBER && toks[a].len == 1);
	b = json_member(s, toks, 0, "b\xc3\xa9");
	CHECK(b > 0 && toks[b].type == JSON_OBJECT);
	c = json_member(s, toks, b, "c");
	CHECK_EQ(json_string(s, &toks[c], out, sizeof(out)), 7);
	CHECK_STR(out, "x\ny\xf0\x9f\x98\x80");
	CHECK_EQ(json_string(s, &toks[c], out, 7), -1);
	a = json_member(s, toks, 0, "nope");
	CHECK_EQ(a, -1);
	e = json_elem(toks, 2, 1);
	CHECK(e > 0 && toks[e].type == JSON_NUMBER);
	CHECK_EQ(json_elem(toks, 2, 3) > 0, 1);
	CHECK_EQ(toks[json_elem(toks, 2, 3)].type, JSON_NULL);
	CHECK_EQ(json_elem(toks, 2, 4), -1);
}

TEST(json_refuses_malformed_text)
{
	static const char *bad[] = {
		"", " ", "{", "}", "[1,]", "{\"a\":}", "{\"a\" 1}", "{a:1}",
		"[01]", "[1.]", "[.5]", "[1e]", "[-]", "tru", "nul", "\"abc",
		"\"a\\qb\"", "\"a\\u12\"", "\"\\ud800\"", "\"\\udc00x\"",
		"\"tab\there\"", "[1] x", "{\"a\":1,}", "[\"a\" \"b\"]",
	};
	char deep[80];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (json_parse(bad[i], strlen(bad[i]), toks, 256) >= 0)
			test_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
	memset(deep, '[', sizeof(deep));
	CHECK_EQ(json_parse(deep, sizeof(deep), toks, 256), JSON_E_DEPTH);
	CHECK_EQ(json_parse("[1,2,3]", 7, toks, 3), JSON_E_TOKENS);
	/* \u0000 is valid JSON but never decoded into a C string. */
	CHECK(json_parse("\"a\\u0000\"", 9, toks, 256) == 1);
	CHECK_EQ(json_string("\"a\\u0000\"", &toks[0], deep, sizeof(deep)),
	    -1);
}

TEST(json_writes_strings_escaped)
{
	char out[64];
	size_t len = 0;

	CHECK_EQ(json_put_string(out, sizeof(out), &len, "a\"b\\\n\x01", 6),
	    0);
	out[len] = '\0';
	CHECK_STR(out, "\"a\\\"b\\\\\\n\\u0001\"");
	len = 0;
	CHECK_EQ(json_put_string(out, 8, &len, "0123456789", 10), -1);
}

/* A request with a user line, a proposed call, its result, and two
 * tools: launcher.run (program :Text) and audit.read (max :UInt32), plus
 * an enum-taking tool. */
static uint8_t rqbuf[8192] __attribute__((aligned(8)));

static void
make_request(struct capos_CompleteRequest_r *out)
{
	struct capnp_builder b;
	struct capos_CompleteRequest_b rq;
	struct capos_Message_b m;
	struct capos_ToolCall_b tc;
	struct capos_ToolArg_b a;
	struct capos_ToolResult_b tr;
	struct capos_ToolResult_outcome_b o;
	struct capos_ToolDescriptor_b d;
	struct capos_ToolParam_b p;
	struct capnp_lb ml, tl, al, pl;
	/* The reader points into the message: it outlives this call. */
	static struct capnp_msg msg;
	int rc = 0;

	rc |= capnp_builder_init(&b, rqbuf, sizeof(rqbuf));
	rc |= capos_CompleteRequest_init_root(&b, &rq);
	rc |= capos_CompleteRequest_init_messages(&rq, 3, &ml);
	rc |= capos_Message_b_at(&ml, 0, &m);
	rc |= capos_Message_set_user(&m, "start \"hello\"", 13);
	rc |= capos_Message_b_at(&ml, 1, &m);
	rc |= capos_Message_init_toolCall(&m, &tc);
	rc |= capos_ToolCall_set_id(&tc, "c1", 2);
	rc |= capos_ToolCall_set_tool(&tc, "launcher.run", 12);
	rc |= capos_ToolCall_init_args(&tc, 1, &al);
	rc |= capos_ToolArg_b_at(&al, 0, &a);
	rc |= capos_ToolArg_set_name(&a, "program", 7);
	rc |= capos_ToolArg_set_value(&a, "\"he\\\"llo\"", 9);
	rc |= capos_Message_b_at(&ml, 2, &m);
	rc |= capos_Message_init_toolResult(&m, &tr);
	rc |= capos_ToolResult_set_id(&tr, "c1", 2);
	rc |= capos_ToolResult_set_tool(&tr, "launcher.run", 12);
	o = capos_ToolResult_init_outcome(&tr);
	capos_ToolResult_outcome_set_declined(&o);
	rc |= capos_CompleteRequest_init_tools(&rq, 2, &tl);
	rc |= capos_ToolDescriptor_b_at(&tl, 0, &d);
	rc |= capos_ToolDescriptor_set_name(&d, "audit.read", 10);
	rc |= capos_ToolDescriptor_set_description(&d, "AuditLog.read", 13);
	capos_ToolDescriptor_set_readOnly(&d, true);
	capos_ToolDescriptor_set_mode(&d, capos_PermissionMode_stepUp);
	rc |= capos_ToolDescriptor_init_params(&d, 2, &pl);
	rc |= capos_ToolParam_b_at(&pl, 0, &p);
	rc |= capos_ToolParam_set_name(&p, "max", 3);
	rc |= capos_ToolParam_set_type(&p, "UInt32", 6);
	rc |= capos_ToolParam_b_at(&pl, 1, &p);
	rc |= capos_ToolParam_set_name(&p, "level", 5);
	rc |= capos_ToolParam_set_type(&p, "Level (low|high)", 16);
	rc |= capos_ToolDescriptor_b_at(&tl, 1, &d);
	rc |= capos_ToolDescriptor_set_name(&d, "launcher.run", 12);
	rc |= capos_ToolDescriptor_init_params(&d, 1, &pl);
	rc |= capos_ToolParam_b_at(&pl, 0, &p);
	rc |= capos_ToolParam_set_name(&p, "program", 7);
	rc |= capos_ToolParam_set_type(&p, "Text", 4);
	CHECK_EQ(rc, 0);
	CHECK_EQ(capnp_msg_init(&msg, rqbuf, capnp_builder_finish(&b)), 0);
	CHECK_EQ(capnp_msg_root(&msg, &out->s), 0);
}

TEST(openai_request_is_json_with_tools_and_the_conversation)
{
	static char body[OA_BODY_MAX];
	struct capos_CompleteRequest_r rq;
	int n, t, msgs, tools, fn, args;
	char text[256];

	make_request(&rq);
	n = oa_request(&rq, "tiny", body, sizeof(body));
	CHECK(n > 0);
	CHECK(json_parse(body, (size_t)n, toks, 256) > 0);
	CHECK_EQ(json_string(body, &toks[json_member(body, toks, 0, "model")],
	    text, sizeof(text)), 4);
	msgs = json_member(body, toks, 0, "messages");
	/* system, user, one assistant message with the call, the result. */
	CHECK_EQ(toks[msgs].size, 4);
	t = json_elem(toks, msgs, 2);
	fn = json_member(body, toks, json_elem(toks, json_member(body, toks, t,
	    "tool_calls"), 0), "function");
	json_string(body, &toks[json_member(body, toks, fn, "name")], text,
	    sizeof(text));
	CHECK_STR(text, "launcher-run");
	args = json_member(body, toks, fn, "arguments");
	json_string(body, &toks[args], text, sizeof(text));
	CHECK_STR(text, "{\"program\":\"he\\\"llo\"}");
	t = json_elem(toks, msgs, 3);
	json_string(body, &toks[json_member(body, toks, t, "content")], text,
	    sizeof(text));
	CHECK_STR(text, "declined by the user");
	tools = json_member(body, toks, 0, "tools");
	CHECK_EQ(toks[tools].size, 2);
	CHECK(strstr(body, "\"name\":\"audit-read\"") != NULL);
	CHECK(strstr(body, "\"max\":{\"type\":\"integer\"}") != NULL);
	CHECK(strstr(body, "\"level\":{\"type\":\"string\",\"enum\":[\"low\","
	    "\"high\"]}") != NULL);
	CHECK(strstr(body, "read-only; the user must authenticate again") !=
	    NULL);
	/* A body that does not fit is refused, not cut. */
	CHECK_EQ(oa_request(&rq, "tiny", body, 200), -1);
}

TEST(openai_http_framing)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: x\r\n"
	    "content-length: 5\r\n\r\nhello";
	char err[OA_ERR_MAX];
	size_t off, len;
	int status;

	CHECK_EQ(oa_http(ok, sizeof(ok) - 1, &status, &off, &len, err), 0);
	CHECK_EQ(status, 200);
	CHECK_EQ(len, 5);
	CHECK(memcmp(ok + off, "hello", 5) == 0);
	CHECK_EQ(oa_http(ok, sizeof(ok) - 3, &status, &off, &len, err), 1);
	CHECK_EQ(oa_http(ok, 20, &status, &off, &len, err), 1);

	static const char *bad[] = {
		"HTTP/1.1 200 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1"
		"\r\n\r\n",
		"SSH-2.0-x\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (oa_http(bad[i], strlen(bad[i]), &status, &off, &len,
		    err) != -1)
			test_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
	{
		static char big[OA_HEAD_MAX + 16];

		memset(big, 'x', sizeof(big));
		memcpy(big, "HTTP/1.1 200 OK\r\n", 17);
		CHECK_EQ(oa_http(big, sizeof(big), &status, &off, &len, err),
		    -1);
	}
}

static int
answer(const char *body, struct oa_answer *a)
{
	struct capos_CompleteRequest_r rq;

	make_request(&rq);
	return oa_answer(body, strlen(body), &rq, a);
}

TEST(openai_answer_text_and_tool_calls)
{
	static struct oa_answer a;

	CHECK_EQ(answer("{\"choices\":[{\"message\":{\"role\":\"assistant\","
	    "\"content\":\"Hi\",\"tool_calls\":[{\"id\":\"x1\",\"type\":"
	    "\"function\",\"function\":{\"name\":\"audit-read\",\"arguments\":"
	    "\"{\\\"max\\\": 2, \\\"level\\\": \\\"high\\\"}\"}},{\"function\":"
	    "{\"name\":\"launcher-run\",\"arguments\":\"{\\\"program\\\":"
	    "\\\"hi\\\\\\\"x\\\\ny\\\"}\"}}]}}]}", &a), 0);
	CHECK_STR(a.text, "Hi");
	CHECK_EQ(a.ncalls, 2);
	CHECK_STR(a.c[0].id, "x1");
	CHECK_STR(a.c[0].tool, "audit.read");
	CHECK_EQ(a.c[0].nargs, 2);
	CHECK_STR(a.c[0].a[0].value, "2");
	/* An enum's value is a bare name; a Text's stays quoted. */
	CHECK_STR(a.c[0].a[1].value, "high");
	CHECK_STR(a.c[1].id, "call-2");
	CHECK_STR(a.c[1].a[0].value, "\"hi\\\"x\\ny\"");
	CHECK_EQ(answer("{\"choices\":[{\"message\":{\"content\":null}}]}",
	    &a), 0);
	CHECK_EQ(a.len, 0);
}

TEST(openai_hostile_answers_end_as_errors)
{
	static struct oa_answer a;
	static char huge[OA_ARGS_JSON_MAX + 200];
	static const struct { const char *body, *err; } bad[] = {
		{ "{\"choices\":[{\"message\":{\"content\":\"x\"", "not JSON" },
		{ "<html>busy</html>", "not JSON" },
		{ "{\"choices\":[]}", "no choices[0].message" },
		{ "{\"choices\":[{\"message\":{\"content\":7}}]}", "not text" },
		{ "{\"choices\":[{\"message\":{\"tool_calls\":{}}}]}",
		  "not a list" },
		{ "{\"choices\":[{\"message\":{\"tool_calls\":[{\"function\":"
		  "{\"name\":\"a-b\",\"arguments\":\"{nope\"}}]}}]}",
		  "not a JSON object" },
		{ "{\"choices\":[{\"message\":{\"tool_calls\":[{\"function\":"
		  "{\"name\":\"a-b\",\"arguments\":\"{\\\"x\\\":1.5}\"}}]}}]}",
		  "not an integer" },
		{ "{\"choices\":[{\"message\":{\"tool_calls\":[{\"function\":"
		  "{\"name\":\"a-b\",\"arguments\":\"{\\\"x\\\":[1]}\"}}]}}]}",
		  "not a number, string or boolean" },
		{ "{\"choices\":[{\"message\":{\"tool_calls\":[{\"function\":"
		  "{\"name\":\"a-b\"}}]}}]}", "malformed" },
		{ "{\"choices\":[{\"message\":{\"tool_calls\":[1,2,3,4,5]}}]}",
		  "more than 4 tool calls" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (answer(bad[i].body, &a) != -1 ||
		    strstr(a.err, bad[i].err) == NULL)
			test_fail(__FILE__, __LINE__, "%s: %s", bad[i].body,
			    a.err);
	}
	/* Huge arguments: refused with the bound named. */
	{
		size_t k = (size_t)snprintf(huge, sizeof(huge), "{\"choices\":"
		    "[{\"message\":{\"tool_calls\":[{\"function\":{\"name\":"
		    "\"a-b\",\"arguments\":\"{\\\"x\\\":\\\"");

		memset(huge + k, 'A', OA_ARGS_JSON_MAX);
		k += OA_ARGS_JSON_MAX;
		memcpy(huge + k, "\\\"}\"}}]}}]}", 11);
		CHECK_EQ(answer(huge, &a), -1);
		CHECK(strstr(a.err, "at most 4096 bytes") != NULL);
	}
	/* An unknown tool is not the reader's business: it passes, and the
	 * shell refuses it as not offered. */
	CHECK_EQ(answer("{\"choices\":[{\"message\":{\"tool_calls\":[{"
	    "\"function\":{\"name\":\"spawner-spawn\",\"arguments\":\"{}\"}}]"
	    "}}]}", &a), 0);
	CHECK_STR(a.c[0].tool, "spawner.spawn");
}
