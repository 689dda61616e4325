/*
 * The shell's input: the events TerminalSession.readEvents gives, taken
 * apart. Pure, so the host unit tests feed it messages they build.
 *
 * Keys wait in a queue of INPUT_KEYS_MAX (typed ahead, or while a program
 * runs); keys beyond it are dropped and counted. A resize event sets the
 * window size and raises `resized`, which the shell clears when it has
 * drawn for the new size: a burst of resizes (a window being dragged)
 * leaves only the newest size to draw for. A resize to zero columns or
 * rows is no size and is ignored. `closed` means no more input will come.
 */
#ifndef SHELL_INPUT_H
#define SHELL_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "capnp.h"
#include "terminal.capnp.h"

#define INPUT_KEYS_MAX	((int)capos_TerminalSession_maxEvents)

struct shell_input {
	struct {
		int code;	/* TerminalSession.Key */
		uint8_t byte;
	} q[INPUT_KEYS_MAX];
	int n;
	uint32_t dropped;
	uint16_t cols, rows;
	bool resized;
	bool closed;
};

/* Takes a readEvents answer's list of events; 0, or -1 when malformed. */
int input_take(struct shell_input *in, const struct capnp_list *events);
/* The oldest key queued; false when none is. */
bool input_pop(struct shell_input *in, int *code, uint8_t *byte);
/* Takes the queued keys up to a Ctrl-C, if one is queued; whether it
 * was. Keys after it stay queued. */
bool input_interrupt(struct shell_input *in);
/* Drops every queued key, wiping their bytes; how many there were.
 * Keys typed before a question was shown (type-ahead, or the rest of a
 * paste) must not answer it. */
int input_discard(struct shell_input *in);

#endif
