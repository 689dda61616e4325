/*
 * What the shell's main loop (main.c) lends the agent mode (agent.c):
 * the terminal's output and input, the bundle, and the session. Both run
 * on the shell's one thread.
 */
#ifndef SHELL_SHELL_H
#define SHELL_SHELL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lineedit.h"
#include "meta.h"
#include "rt.h"

#define NAME_MAX	31
#define BUNDLE_MAX	16
#define WAIT_MAX	4

struct held {
	char name[NAME_MAX + 1];
	uint64_t iface;
	capos_cap_t cap;
};

extern struct held bundle[];
extern int nbundle;
extern capos_cap_t session;		/* the bundle's UserSession */
extern char account[NAME_MAX + 1];	/* "" when anonymous */
extern struct lineedit le;		/* the line read_command read */

void put(const char *s, size_t n);
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wipe(void *p, size_t n);

const struct held *find_cap(const char *name);
/* The metadata of an interface the shell knows, or NULL. */
const struct capnp_meta_interface *iface_meta(uint64_t id);

/* An edited line into le: 0 submitted, 1 Ctrl-C, 2 Ctrl-D on an empty
 * line, -1 the terminal is gone. */
int read_command(const char *prompt);
/* Whether le holds a line fit to act on; says why not. */
bool line_ok(void);
/* A short line from keys, echoed or not: 0 with text (NUL-terminated), 1
 * cancelled (Ctrl-C, Ctrl-D), 2 too long, -1 the terminal is gone. */
int read_keys(bool echo, char *buf, size_t room, size_t *len);
/* Drops the keys queued so far (before a question is shown): they were
 * typed before it and do not answer it. */
void keys_discard(void);
/* Waits for one of n (at most WAIT_MAX) entries or Ctrl-C: the index, n
 * for Ctrl-C, -1 when the terminal or ring failed. */
int wait_or_interrupt(const uint64_t *tags, int n, struct capos_cqe *c);

/* The agent mode (agent.c): `agent` with no words enters it, `agent
 * WORDS` runs one turn. */
void cmd_agent(char *words);
/* Sets how long the model may take over one answer, from the shell's
 * "agentWait=S" argument (1 to 3600 seconds); -1 when it is not one. */
int agent_set_wait(const char *seconds);
/* Sets how long one turn may take, less the user's time at its prompts,
 * from "agentTurn=S" (1 to 3600 seconds); -1 when it is not one. */
int agent_set_turn(const char *seconds);

#endif
