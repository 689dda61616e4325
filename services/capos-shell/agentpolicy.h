/*
 * The agent shell's decisions, pure (docs/agent.md): which tools a
 * language model is told about, how a proposed call is gated, and the
 * typed call a proposal becomes. The host unit tests run it on the
 * generated schema metadata; agent.c does the ring I/O around it.
 *
 * A tool is CAPABILITY.METHOD for a capability the shell holds in its
 * bundle and a method of that capability's interface. The permission map
 * (the broker's data for the session's profile) gives each tool a mode;
 * a tool it does not name, and every forbidden one, is neither described
 * nor run. The map and the descriptors are the only inputs: the model's
 * own words about a tool decide nothing.
 *
 * Bounds: AGENT_MAP_MAX map entries, AGENT_TOOLS_MAX tools described
 * (methods beyond are left undescribed, so they are refused), tool names
 * of AGENT_TOOL_MAX bytes.
 */
#ifndef SHELL_AGENTPOLICY_H
#define SHELL_AGENTPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meta.h"
#include "typed.h"

#define AGENT_MAP_MAX	16
#define AGENT_TOOLS_MAX	32
#define AGENT_TOOL_MAX	63

/* The values of schema/agent.capnp's PermissionMode. */
enum agent_mode {
	AGENT_FORBIDDEN = 0, AGENT_AUTO = 1, AGENT_CONSENT = 2,
	AGENT_STEP_UP = 3,
};

struct agent_map {
	int n;
	struct {
		char tool[AGENT_TOOL_MAX + 1];
		enum agent_mode mode;
	} e[AGENT_MAP_MAX];
};

/* A capability the shell holds, as the policy sees it. */
struct agent_cap {
	const char *name;
	const struct capnp_meta_interface *iface;	/* NULL: unknown */
};

struct agent_tool {
	char name[AGENT_TOOL_MAX + 1];
	int cap;				/* index into the caps given */
	const struct capnp_meta_method *method;
	enum agent_mode mode;
};

struct agent_tools {
	int n;
	struct agent_tool t[AGENT_TOOLS_MAX];
};

/* What becomes of a proposed call before anyone is asked. */
enum agent_gate {
	GATE_RUN,		/* auto */
	GATE_CONSENT,		/* ask y/N */
	GATE_STEP_UP,		/* authenticate again */
	GATE_FORBIDDEN,		/* the map forbids it */
	GATE_NOT_OFFERED,	/* outside the map, or no such tool held */
};

/* Adds an entry; 0, or -1 when the map is full, the name is too long, or
 * the mode is not one of PermissionMode's. */
int agent_map_add(struct agent_map *m, const char *tool, size_t len,
    unsigned mode);

/* The tools to describe: every method of every capability whose map
 * mode is auto, consent or stepUp. A capability with an unknown interface
 * offers nothing. */
void agent_tools_build(const struct agent_map *m, const struct agent_cap
    *caps, int ncaps, struct agent_tools *out);

/* Gates a proposal naming tool (len bytes, not trusted); *out is the
 * described tool when the answer is RUN, CONSENT or STEP_UP. */
enum agent_gate agent_gate(const struct agent_map *m,
    const struct agent_tools *tools, const char *tool, size_t len,
    const struct agent_tool **out);

/* Writes "CAP.METHOD(NAME=VALUE, ...)" into out (room bytes); with
 * redact, the value of an argument the schema marks secret is written
 * as <secret>. Returns the length, or -1 when it does not fit. */
struct agent_arg {
	const char *name, *value;
	size_t nlen, vlen;
};
int agent_call_text(const struct agent_tool *t, const struct agent_arg
    *args, int nargs, int redact, char *out, size_t room);

/* The proposal as the call that runs: its exact text parsed into tc, and
 * its shown text (secrets redacted) into shown. The parsed call must
 * hold exactly the arguments the proposal named, in order, so a value
 * cannot carry further arguments of its own: under a secret parameter
 * those would run without the person asked for consent seeing them.
 * 0, or -1 with why in err. */
int agent_call_parse(const struct agent_tool *t, const struct agent_arg
    *args, int nargs, char *shown, size_t shown_room, char *exact,
    size_t exact_room, struct typed_call *tc, char err[TYPED_ERR_MAX]);

/*
 * Model text for the terminal, chunk by chunk: bytes that would drive it
 * become '?'. Those are the C0 controls but newline, DEL, and the C1
 * controls (U+0080 to U+009F, which a terminal reading UTF-8 obeys as
 * CSI, OSC and the rest), whether sent as UTF-8 or as single bytes
 * (stray continuation bytes and bytes UTF-8 never holds). A UTF-8
 * sequence may be split between chunks: the state carries it over, and
 * only a held 0xC2 is delayed, so out needs at most len + 1 bytes.
 * Returns the bytes written into out.
 */
struct agent_tty_state {
	uint8_t need;		/* continuation bytes still due */
	uint8_t lo, hi;		/* the next continuation byte's range */
	bool held_c2;		/* a 0xC2 lead not yet written */
	size_t replaced;	/* bytes or sequences written as '?' */
};
/* The state before a text's first chunk. */
void agent_tty_start(struct agent_tty_state *st);
size_t agent_tty_filter(struct agent_tty_state *st, const char *in,
    size_t len, char *out);
/* True when the whole text needs no replacing and ends no sequence
 * short: no control byte of either kind, and valid UTF-8 as far as
 * the filter reads it. */
bool agent_tty_clean(const char *s, size_t len);

/* The descriptor's description: "Interface.method(NAME :Type, ...) ->
 * Results", NUL-terminated in out (cut to room). */
void agent_describe(const struct agent_tool *t, const struct agent_cap
    *caps, char *out, size_t room);

/* A parameter's type for a descriptor ("UInt32", "Text", "AuthStrength
 * (none|password|...)"), NUL-terminated in out (cut to room). */
void agent_param_type(const struct capnp_meta_field *f, char *out,
    size_t room);

#endif
