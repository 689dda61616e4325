/*
 * libFuzzer target for what model-openai reads from a model server
 * (services/model-openai/openai.c on lib/proto/json): the input is a whole
 * HTTP response. It is framed as model-openai frames it, then the body is
 * read as a chat-completions answer against a request offering one tool
 * with an enum and a Text parameter. Every outcome must be an answer
 * within the documented bounds or a refusal with a reason; the JSON
 * reader alone is also run over the whole input, its tokens walked.
 *
 *	make fuzz && build/fuzz/openai_answer -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "openai.h"
#include "proto/json/json.h"

static uint8_t rqbuf[1024] __attribute__((aligned(8)));

/* A request with one tool, t.m(level :Level (a|b), name :Text). */
static int
request(struct capos_CompleteRequest_r *out)
{
	static struct capnp_msg msg;
	struct capnp_builder b;
	struct capos_CompleteRequest_b rq;
	struct capos_ToolDescriptor_b d;
	struct capos_ToolParam_b p;
	struct capnp_lb tl, pl;

	if (capnp_builder_init(&b, rqbuf, sizeof(rqbuf)) != 0 ||
	    capos_CompleteRequest_init_root(&b, &rq) != 0 ||
	    capos_CompleteRequest_init_tools(&rq, 1, &tl) != 0 ||
	    capos_ToolDescriptor_b_at(&tl, 0, &d) != 0 ||
	    capos_ToolDescriptor_set_name(&d, "t.m", 3) != 0 ||
	    capos_ToolDescriptor_init_params(&d, 2, &pl) != 0 ||
	    capos_ToolParam_b_at(&pl, 0, &p) != 0 ||
	    capos_ToolParam_set_name(&p, "level", 5) != 0 ||
	    capos_ToolParam_set_type(&p, "Level (a|b)", 11) != 0 ||
	    capos_ToolParam_b_at(&pl, 1, &p) != 0 ||
	    capos_ToolParam_set_name(&p, "name", 4) != 0 ||
	    capos_ToolParam_set_type(&p, "Text", 4) != 0 ||
	    capnp_msg_init(&msg, rqbuf, capnp_builder_finish(&b)) != 0 ||
	    capnp_msg_root(&msg, &out->s) != 0)
		return -1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json_tok toks[512];
	static struct oa_answer a;
	static char str[256];
	struct capos_CompleteRequest_r rq;
	const char *s = (const char *)data;
	char err[OA_ERR_MAX];
	size_t off, len;
	int status, n;

	if (request(&rq) != 0)
		abort();
	n = json_parse(s, size, toks, 512);
	for (int i = 0; i < n; i++) {
		if (toks[i].start > size || toks[i].len > size - toks[i].start ||
		    toks[i].next <= (uint32_t)i || toks[i].next > (uint32_t)n)
			abort();
		if (toks[i].type == JSON_STRING)
			(void)json_string(s, &toks[i], str, sizeof(str));
	}
	if (oa_http(s, size, &status, &off, &len, err) != 0)
		return 0;
	if (off > size || len > size - off || status < 100 || status > 599)
		abort();
	if (oa_answer(s + off, len, &rq, &a) != 0) {
		if (a.err[0] == '\0')
			abort();
		return 0;
	}
	if (a.len > OA_TEXT_MAX || strlen(a.text) != a.len ||
	    a.ncalls < 0 || a.ncalls > OA_CALLS_MAX)
		abort();
	for (int i = 0; i < a.ncalls; i++) {
		if (a.c[i].nargs < 0 || a.c[i].nargs > OA_ARGS_MAX)
			abort();
		for (int k = 0; k < a.c[i].nargs; k++)
			if (strlen(a.c[i].a[k].value) == 0 ||
			    strlen(a.c[i].a[k].value) > OA_VALUE_MAX)
				abort();
	}
	return 0;
}
