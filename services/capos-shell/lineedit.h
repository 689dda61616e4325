/*
 * The shell's line editor: keys in (as TerminalSession gives them), the
 * bytes to echo and a finished line out. Pure, so the host unit tests
 * drive it key by key.
 *
 * Keys: printable bytes (and UTF-8 sequences) insert at the end;
 * Backspace removes the last character (a whole UTF-8 sequence); Ctrl-U
 * clears the line; Ctrl-W removes the last word and the spaces after it;
 * Up and Down walk the history; Tab asks the caller to complete;
 * Enter submits; Ctrl-C abandons the line; Ctrl-D on an empty line is
 * end of input. Other control bytes are not inserted: they are counted,
 * and the submitted line says so, so the shell can refuse it with a
 * message rather than act on half of what was typed.
 *
 * Bounds: LE_MAX bytes a line. Bytes typed beyond it are dropped and
 * counted (`overflow`), and the line is refused when submitted.
 * LE_HISTORY lines of history, the oldest forgotten first; a line is not
 * added twice in a row, and empty lines are never added.
 */
#ifndef SHELL_LINEEDIT_H
#define SHELL_LINEEDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LE_MAX		1024
#define LE_HISTORY	32
#define LE_ECHO_MAX	(2 * LE_MAX + 64)

enum le_action {
	LE_NONE,	/* keep reading keys */
	LE_SUBMIT,	/* line[0..len) is the line */
	LE_CANCEL,	/* Ctrl-C: the line was abandoned */
	LE_EOF,		/* Ctrl-D on an empty line */
	LE_COMPLETE,	/* Tab: the caller completes (le_insert) */
};

struct lineedit {
	char line[LE_MAX + 1];
	size_t len;
	uint32_t overflow;	/* bytes dropped past LE_MAX */
	uint32_t controls;	/* control bytes refused */
	/* History: hist[(hfirst + i) % LE_HISTORY], i < hcount. */
	char hist[LE_HISTORY][LE_MAX + 1];
	uint32_t hfirst, hcount;
	int32_t hpos;		/* browsing: index into history, or -1 */
	/* What to write to the terminal after this key. */
	char echo[LE_ECHO_MAX];
	size_t echo_len;
};

/* Starts a fresh line (history kept). */
void le_reset(struct lineedit *le);
/* One key (codes of keys.h / TerminalSession.Key); what to do next. */
enum le_action le_key(struct lineedit *le, int code, uint8_t byte);
/* Inserts text at the end (completion), echoing it. */
void le_insert(struct lineedit *le, const char *s, size_t n);
/* Adds a submitted line to the history. */
void le_remember(struct lineedit *le, const char *s, size_t n);

/* Whether s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t n);

#endif
