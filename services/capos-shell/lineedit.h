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
 * Width: with the terminal's columns known (le_resize; 0 means unknown),
 * a line longer than a row is drawn so that erasing works across rows. A
 * character that fills a row's last column is followed by a newline, so
 * the cursor is never left in a terminal's pending-wrap state; erasing
 * at the start of a row moves up and erases the last column of the row
 * above (ESC [ A, ESC [ cols G, ESC [ K). Every character counts as one
 * column (wide characters are not told apart). When the columns change
 * mid-line, le_redraw gives the whole line again, to be drawn after the
 * prompt on a fresh row: the rows drawn for the old width no longer
 * match the new one. Widths below LE_MIN_COLS are taken as LE_MIN_COLS.
 *
 * Bracketed paste (docs/shell.md, "Pasting"): the shell asks the terminal
 * for it (ESC [ ? 2004 h) while a line is read, and the terminal then
 * sends a paste between ESC [ 200 ~ and ESC [ 201 ~. Those sequences come
 * as the keys of their bytes (ESC is a character key), which the editor
 * holds back until they match or cannot. Inside a paste the text is
 * inserted literally: a line end (Enter) or Tab is inserted as one space,
 * so a pasted line never runs on its own; every other control key is
 * dropped, except Ctrl-C, which ends the paste and abandons the line:
 * the way out of a paste whose end never comes. A paste's text counts
 * against LE_MAX like typed text, so a paste longer than the line is
 * refused at Enter, and nothing but the line is kept however long it
 * runs. A start inside a paste is dropped, and so is an end outside
 * one. Held sequence bytes that turn out to be
 * no bracket are taken as keys of their own (the ESC as a control key).
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
#define LE_MIN_COLS	16
/* The most one key can echo: replacing a full line with another (history)
 * erases LE_MAX characters (3 bytes each, plus a 14-byte move for each
 * row at LE_MIN_COLS) and draws LE_MAX bytes with a newline a row. */
#define LE_ECHO_MAX	(6 * LE_MAX)

enum le_action {
	LE_NONE,	/* keep reading keys */
	LE_SUBMIT,	/* line[0..len) is the line */
	LE_CANCEL,	/* Ctrl-C: the line was abandoned */
	LE_EOF,		/* Ctrl-D on an empty line */
	LE_COMPLETE,	/* Tab: the caller completes (le_insert) */
};

/* ESC [ 2 0 0 ~ and ESC [ 2 0 1 ~: a paste's start and end. */
#define LE_BRACKET_LEN	6

struct lineedit {
	char line[LE_MAX + 1];
	size_t len;
	uint32_t overflow;	/* bytes dropped past LE_MAX */
	uint32_t controls;	/* control bytes refused */
	/* A bracket's bytes matched so far (held back), and the paste. */
	uint8_t held[LE_BRACKET_LEN];
	size_t nheld;
	bool pasting;
	/* History: hist[(hfirst + i) % LE_HISTORY], i < hcount. */
	char hist[LE_HISTORY][LE_MAX + 1];
	uint32_t hfirst, hcount;
	int32_t hpos;		/* browsing: index into history, or -1 */
	/* The terminal's columns (0: unknown) and rows, and the width of the
	 * prompt the line follows. */
	uint16_t cols, rows;
	uint32_t prompt_cols;
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
/* The terminal's size changed (or became known); 0 columns: unknown. */
void le_resize(struct lineedit *le, uint16_t cols, uint16_t rows);
/* Puts the whole line in echo, as drawn after the prompt at the start of
 * a row (after a resize). */
void le_redraw(struct lineedit *le);
/* Adds a submitted line to the history. */
void le_remember(struct lineedit *le, const char *s, size_t n);

/* Whether s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t n);

#endif
