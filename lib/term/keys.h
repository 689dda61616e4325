/*
 * Keys from terminal bytes: what a VT100-style terminal sends for the
 * keys a shell edits lines with (control characters, and the ESC [ and
 * ESC O sequences of the arrow, Home, End and Delete keys). Pure: the
 * terminal sessions of lib/term feed it bytes, the host unit tests feed
 * it strings.
 *
 * An ESC followed by a byte that starts no known sequence is given as the
 * character ESC alone (the byte after it is decoded on its own), and so
 * is an unknown sequence's ESC: a shell then sees a control byte it
 * refuses, never a key it did not ask for. A CR followed by LF is one
 * Enter.
 */
#ifndef CAPOS_TERM_KEYS_H
#define CAPOS_TERM_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The values of schema/terminal.capnp's TerminalSession.Key. */
enum key_code {
	KEY_CHAR = 0, KEY_ENTER, KEY_BACKSPACE, KEY_UP, KEY_DOWN, KEY_LEFT,
	KEY_RIGHT, KEY_TAB, KEY_INTERRUPT, KEY_EOF, KEY_KILL_LINE,
	KEY_KILL_WORD, KEY_HOME, KEY_END, KEY_DELETE,
};

struct key {
	enum key_code code;
	uint8_t byte;		/* for KEY_CHAR */
};

struct key_decoder {
	bool after_cr;		/* the last Enter was a CR: skip one LF */
};

/*
 * Decodes the key at the start of p[0..n). Returns the bytes it used
 * (the key in *out), 0 when p holds only the start of a sequence (more
 * bytes are needed; with `final` set the start is decoded as it stands),
 * or -1 for a lone LF right after a CR (used: 1 byte, no key).
 */
int key_decode(struct key_decoder *d, const uint8_t *p, size_t n,
    bool final, struct key *out);

#endif
