/*
 * The OpenAI-compatible chat-completions protocol, as model-openai
 * speaks it (docs/agent.md): a LanguageModel request turned into one
 * HTTP/1.1 POST of a JSON body with tool definitions, and the server's
 * answer (bytes from outside) turned back into text and tool calls. Pure:
 * the host unit tests and fuzzers run it.
 *
 * Tool names: a capOS tool is CAPABILITY.METHOD, and the protocol allows
 * only [A-Za-z0-9_-] in a function name, so the dot is sent as the last
 * '-' (method names have none). Arguments: the protocol's JSON object
 * becomes the shell's typed-call values: integers as written, true and
 * false, strings quoted with the typed-call escapes, and a string given
 * for a parameter that is neither Text nor Data (an enum) as a bare name.
 * Anything else (fractions, null, objects, arrays) refuses the answer.
 *
 * Bounds: the request body OA_BODY_MAX bytes; the whole response
 * OA_RESP_MAX (headers OA_HEAD_MAX), OA_TOKENS JSON tokens; text of
 * OA_TEXT_MAX bytes; OA_CALLS_MAX calls of OA_ARGS_MAX arguments, whose
 * JSON is at most OA_ARGS_JSON_MAX bytes and each value OA_VALUE_MAX.
 * Beyond any of them the answer is refused with a reason, never cut.
 */
#ifndef MODEL_OPENAI_H
#define MODEL_OPENAI_H

#include <stddef.h>
#include <stdint.h>

#include "agent.capnp.h"

#define OA_BODY_MAX		49152
#define OA_RESP_MAX		65536
#define OA_HEAD_MAX		8192
#define OA_TOKENS		2048
#define OA_TEXT_MAX		4096
#define OA_CALLS_MAX		4
#define OA_ARGS_MAX		8
#define OA_ARGS_JSON_MAX	4096
#define OA_VALUE_MAX		600
#define OA_NAME_MAX		63
#define OA_ERR_MAX		128

struct oa_call {
	char id[OA_NAME_MAX + 1];
	char tool[OA_NAME_MAX + 1];
	int nargs;
	struct {
		char name[OA_NAME_MAX + 1];
		char value[OA_VALUE_MAX + 1];
	} a[OA_ARGS_MAX];
};

struct oa_answer {
	char text[OA_TEXT_MAX + 1];
	size_t len;
	int ncalls;
	struct oa_call c[OA_CALLS_MAX];
	char err[OA_ERR_MAX];
};

/* The JSON body for the request; its length, or -1 when it does not fit
 * in room bytes or the request is unreadable. */
int oa_request(const struct capos_CompleteRequest_r *rq, const char *model,
    char *out, size_t room);

/* Frames an HTTP/1.1 response in buf[0..n): 0 when it is complete (the
 * status, and the body's offset and length), 1 when more bytes are
 * needed, -1 when it is malformed or unsupported (why in err). */
int oa_http(const char *buf, size_t n, int *status, size_t *body,
    size_t *blen, char err[OA_ERR_MAX]);

/* Reads a chat-completions body into a; 0, or -1 with why in a->err. The
 * request gives the parameters' types. */
int oa_answer(const char *body, size_t n,
    const struct capos_CompleteRequest_r *rq, struct oa_answer *a);

#endif
