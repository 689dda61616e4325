/*
 * The shell's line editor (lineedit.h).
 */
#include <string.h>

#include "lineedit.h"

/* The key codes of schema/terminal.capnp's TerminalSession.Key. */
enum {
	K_CHAR = 0, K_ENTER, K_BACKSPACE, K_UP, K_DOWN, K_LEFT, K_RIGHT,
	K_TAB, K_INTERRUPT, K_EOF, K_KILL_LINE, K_KILL_WORD, K_HOME, K_END,
	K_DELETE,
};

static void
echo(struct lineedit *le, const char *s, size_t n)
{
	if (n > LE_ECHO_MAX - le->echo_len)
		n = LE_ECHO_MAX - le->echo_len;
	memcpy(le->echo + le->echo_len, s, n);
	le->echo_len += n;
}

/* Characters (not UTF-8 continuation bytes) in s[0..n). */
static size_t
chars(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += ((uint8_t)s[i] & 0xc0) != 0x80;
	return c;
}

/*
 * Erases n characters on the screen, the cursor standing after the
 * line's end-th character. A character at a row's last column is erased
 * from the start of the next row, where the newline after it left the
 * cursor.
 */
static void
rub(struct lineedit *le, size_t end, size_t n)
{
	/* ESC [ A, ESC [ cols G (five digits at most), ESC [ K. */
	char up[3 + 2 + 5 + 1 + 3];
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		size_t col = le->prompt_cols + end - i;

		if (le->cols == 0 || col % le->cols != 0) {
			echo(le, "\b \b", 3);
			continue;
		}
		if (k == 0) {
			char digits[5];
			int nd = 0;

			memcpy(up, "\x1b[A\x1b[", 5);
			k = 5;
			for (unsigned v = le->cols; v != 0; v /= 10)
				digits[nd++] = (char)('0' + v % 10);
			while (nd > 0)
				up[k++] = digits[--nd];
			memcpy(up + k, "G\x1b[K", 4);
			k += 4;
		}
		echo(le, up, k);
	}
}

/* Whether the line ends with a whole character: ASCII, or a UTF-8
 * sequence with all its bytes (a malformed one counts as whole). */
static bool
char_whole(const struct lineedit *le)
{
	size_t i = le->len, need;
	uint8_t lead;

	while (i > 0 && ((uint8_t)le->line[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0)
		return true;
	lead = (uint8_t)le->line[i - 1];
	need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
	return le->len - (i - 1) >= need;
}

/* After a byte was drawn: a character that filled a row's last column
 * is followed by a newline (see lineedit.h). */
static void
wrap(struct lineedit *le)
{
	if (le->cols != 0 && char_whole(le) &&
	    (le->prompt_cols + chars(le->line, le->len)) % le->cols == 0)
		echo(le, "\n", 1);
}

void
le_reset(struct lineedit *le)
{
	le->len = 0;
	le->line[0] = '\0';
	le->overflow = 0;
	le->controls = 0;
	le->nheld = 0;
	le->pasting = false;
	le->hpos = -1;
	le->echo_len = 0;
}

void
le_insert(struct lineedit *le, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (le->len == LE_MAX) {
			le->overflow++;
			continue;
		}
		le->line[le->len++] = s[i];
		le->line[le->len] = '\0';
		echo(le, &s[i], 1);
		wrap(le);
	}
	le->line[le->len] = '\0';
}

void
le_resize(struct lineedit *le, uint16_t cols, uint16_t rows)
{
	le->cols = cols != 0 && cols < LE_MIN_COLS ? LE_MIN_COLS : cols;
	le->rows = rows;
}

void
le_redraw(struct lineedit *le)
{
	size_t n = le->len;

	le->echo_len = 0;
	le->len = 0;
	for (size_t i = 0; i < n; i++) {
		le->len++;
		echo(le, &le->line[i], 1);
		wrap(le);
	}
}

/* Replaces the whole line (history), redrawing it. */
static void
replace(struct lineedit *le, const char *s)
{
	rub(le, chars(le->line, le->len), chars(le->line, le->len));
	le->len = 0;
	le_insert(le, s, strlen(s));
}

static void
history_walk(struct lineedit *le, int dir)
{
	int32_t pos = le->hpos;

	if (le->hcount == 0)
		return;
	if (dir < 0)
		pos = pos < 0 ? (int32_t)le->hcount - 1 : pos > 0 ? pos - 1 :
		    0;
	else if (pos >= 0)
		pos = pos + 1 < (int32_t)le->hcount ? pos + 1 : -1;
	else
		return;
	le->hpos = pos;
	replace(le, pos < 0 ? "" :
	    le->hist[(le->hfirst + (uint32_t)pos) % LE_HISTORY]);
}

static void
kill_word(struct lineedit *le)
{
	size_t n = le->len;

	while (n > 0 && le->line[n - 1] == ' ')
		n--;
	while (n > 0 && le->line[n - 1] != ' ')
		n--;
	rub(le, chars(le->line, le->len), chars(le->line + n, le->len - n));
	le->len = n;
	le->line[n] = '\0';
}

static void
backspace(struct lineedit *le)
{
	size_t end = chars(le->line, le->len);

	if (le->len == 0)
		return;
	/* A whole UTF-8 sequence goes at once. */
	while (le->len > 1 && ((uint8_t)le->line[le->len - 1] & 0xc0) == 0x80)
		le->len--;
	le->len--;
	le->line[le->len] = '\0';
	rub(le, end, 1);
}

/* A key typed (not pasted). */
static enum le_action
typed_key(struct lineedit *le, int code, uint8_t byte)
{
	switch (code) {
	case K_CHAR:
		if (byte < 0x20 || byte == 0x7f) {
			le->controls++;
			return LE_NONE;
		}
		le_insert(le, (const char *)&byte, 1);
		return LE_NONE;
	case K_ENTER:
		echo(le, "\n", 1);
		return LE_SUBMIT;
	case K_BACKSPACE:
		backspace(le);
		return LE_NONE;
	case K_KILL_LINE:
		rub(le, chars(le->line, le->len), chars(le->line, le->len));
		le->len = 0;
		le->line[0] = '\0';
		le->overflow = 0;
		le->controls = 0;
		return LE_NONE;
	case K_KILL_WORD:
		kill_word(le);
		return LE_NONE;
	case K_UP:
		history_walk(le, -1);
		return LE_NONE;
	case K_DOWN:
		history_walk(le, 1);
		return LE_NONE;
	case K_TAB:
		return LE_COMPLETE;
	case K_INTERRUPT:
		echo(le, "^C\n", 3);
		return LE_CANCEL;
	case K_EOF:
		if (le->len != 0)
			return LE_NONE;
		echo(le, "\n", 1);
		return LE_EOF;
	default:
		/* Left, Right, Home, End, Delete: the cursor stays at the
		 * end of the line in this editor. */
		return LE_NONE;
	}
}

/* A key inside a paste: text is inserted literally, line ends and tabs
 * as spaces, other control keys dropped; Ctrl-C leaves the paste and the
 * line. */
static enum le_action
pasted_key(struct lineedit *le, int code, uint8_t byte)
{
	switch (code) {
	case K_CHAR:
		if (byte >= 0x20 && byte != 0x7f)
			le_insert(le, (const char *)&byte, 1);
		return LE_NONE;
	case K_ENTER:
	case K_TAB:
		le_insert(le, " ", 1);
		return LE_NONE;
	case K_INTERRUPT:
		le->pasting = false;
		echo(le, "^C\n", 3);
		return LE_CANCEL;
	default:
		return LE_NONE;
	}
}

static enum le_action
one_key(struct lineedit *le, int code, uint8_t byte)
{
	return le->pasting ? pasted_key(le, code, byte) :
	    typed_key(le, code, byte);
}

/* Whether the key continues the held bytes toward ESC [ 2 0 0 ~ or
 * ESC [ 2 0 1 ~. */
static bool
bracket_next(const struct lineedit *le, int code, uint8_t byte)
{
	static const char start[LE_BRACKET_LEN + 1] = "\x1b[200~";

	if (code != K_CHAR)
		return false;
	if (le->nheld == 4)
		return byte == '0' || byte == '1';
	return byte == (uint8_t)start[le->nheld];
}

enum le_action
le_key(struct lineedit *le, int code, uint8_t byte)
{
	le->echo_len = 0;
	if (le->nheld > 0 && !bracket_next(le, code, byte)) {
		/* No bracket after all: the held keys count as they came
		 * (character keys, which never end a line). */
		for (size_t i = 0; i < le->nheld; i++)
			(void)one_key(le, K_CHAR, le->held[i]);
		le->nheld = 0;
	}
	if (bracket_next(le, code, byte)) {
		le->held[le->nheld++] = byte;
		if (le->nheld < LE_BRACKET_LEN)
			return LE_NONE;
		/* A whole bracket: a start inside a paste and an end
		 * outside one change nothing. */
		le->nheld = 0;
		le->pasting = le->held[4] == '0';
		return LE_NONE;
	}
	return one_key(le, code, byte);
}

void
le_remember(struct lineedit *le, const char *s, size_t n)
{
	char *slot;

	if (n == 0 || n > LE_MAX)
		return;
	if (le->hcount > 0) {
		const char *last = le->hist[(le->hfirst + le->hcount - 1) %
		    LE_HISTORY];

		if (strlen(last) == n && memcmp(last, s, n) == 0)
			return;
	}
	if (le->hcount == LE_HISTORY) {
		le->hfirst = (le->hfirst + 1) % LE_HISTORY;
		le->hcount--;
	}
	slot = le->hist[(le->hfirst + le->hcount) % LE_HISTORY];
	memcpy(slot, s, n);
	slot[n] = '\0';
	le->hcount++;
}

bool
utf8_valid(const char *str, size_t n)
{
	const uint8_t *s = (const uint8_t *)str;

	for (size_t i = 0; i < n;) {
		uint8_t c = s[i];
		size_t k;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else
			return false;
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 &&
		    cp <= 0xdfff))) || (k == 3 && (cp < 0x10000 ||
		    cp > 0x10ffff)))
			return false;
		i += k + 1;
	}
	return true;
}
