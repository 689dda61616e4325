/*
 * The script of the deterministic language model (docs/agent.md): rules
 * read from model-script's arguments, each "WORDS|STEP|STEP...". A turn
 * whose user text contains WORDS (the first rule that matches) is
 * answered by the rule's steps, in order:
 *   say:TEXT                 a text chunk
 *   call:CAP.METHOD(A=V, ...) a tool call; each V in the shell's typed-call
 *                            syntax, passed through unparsed
 *   stall                    no further chunk: the stream waits until it
 *                            is cancelled (for the Ctrl-C proof)
 * Pure: the host unit tests run it.
 *
 * Bounds: SCRIPT_RULES_MAX rules of SCRIPT_STEPS_MAX steps, words and
 * texts of SCRIPT_TEXT_MAX bytes, SCRIPT_ARGS_MAX arguments a call with
 * names of SCRIPT_NAME_MAX bytes. A rule beyond them is refused whole.
 */
#ifndef MODEL_SCRIPT_H
#define MODEL_SCRIPT_H

#include <stddef.h>

#define SCRIPT_RULES_MAX	16
#define SCRIPT_STEPS_MAX	8
#define SCRIPT_ARGS_MAX		4
#define SCRIPT_TEXT_MAX		255
#define SCRIPT_NAME_MAX		63

enum step_kind { STEP_SAY, STEP_CALL, STEP_STALL };

struct script_arg {
	char name[SCRIPT_NAME_MAX + 1];
	char value[SCRIPT_TEXT_MAX + 1];
};

struct script_step {
	enum step_kind kind;
	char text[SCRIPT_TEXT_MAX + 1];	/* what to say, or the tool */
	int nargs;
	struct script_arg args[SCRIPT_ARGS_MAX];
};

struct script_rule {
	char words[SCRIPT_TEXT_MAX + 1];
	int nsteps;
	struct script_step steps[SCRIPT_STEPS_MAX];
};

struct script {
	int n;
	struct script_rule r[SCRIPT_RULES_MAX];
};

/* Adds one rule; NULL, or why it is refused. */
const char *script_add(struct script *s, const char *arg, size_t len);

/* The first rule whose words the user's text contains, or NULL. */
const struct script_rule *script_match(const struct script *s,
    const char *said, size_t len);

#endif
