/*
 * Keys from terminal bytes (keys.h).
 */
#include "keys.h"

static int
control(uint8_t c, struct key *out)
{
	switch (c) {
	case '\r':
	case '\n':
		out->code = KEY_ENTER;
		break;
	case 0x7f:
	case 0x08:
		out->code = KEY_BACKSPACE;
		break;
	case '\t':
		out->code = KEY_TAB;
		break;
	case 0x03:
		out->code = KEY_INTERRUPT;
		break;
	case 0x04:
		out->code = KEY_EOF;
		break;
	case 0x15:
		out->code = KEY_KILL_LINE;
		break;
	case 0x17:
		out->code = KEY_KILL_WORD;
		break;
	case 0x01:
		out->code = KEY_HOME;
		break;
	case 0x05:
		out->code = KEY_END;
		break;
	default:
		out->code = KEY_CHAR;
		out->byte = c;
		break;
	}
	return 1;
}

/* The key a final byte of ESC [ or ESC O names, or -1. */
static int
final_key(uint8_t c)
{
	switch (c) {
	case 'A':
		return KEY_UP;
	case 'B':
		return KEY_DOWN;
	case 'C':
		return KEY_RIGHT;
	case 'D':
		return KEY_LEFT;
	case 'H':
		return KEY_HOME;
	case 'F':
		return KEY_END;
	default:
		return -1;
	}
}

/* ESC [ or ESC O at p (n >= 2): the sequence's length, 0 for more. */
static int
sequence(const uint8_t *p, size_t n, bool final, struct key *out)
{
	int k;

	if (n < 3)
		return final ? control(0x1b, out) : 0;
	if ((k = final_key(p[2])) >= 0) {
		out->code = (enum key_code)k;
		return 3;
	}
	/* ESC [ N ~: 1 Home, 3 Delete, 4 End. */
	if (p[1] == '[' && p[2] >= '1' && p[2] <= '4') {
		if (n < 4)
			return final ? control(0x1b, out) : 0;
		if (p[3] == '~' && p[2] != '2') {
			out->code = p[2] == '1' ? KEY_HOME : p[2] == '3' ?
			    KEY_DELETE : KEY_END;
			return 4;
		}
	}
	return control(0x1b, out);
}

int
key_decode(struct key_decoder *d, const uint8_t *p, size_t n, bool final,
    struct key *out)
{
	bool after_cr = d->after_cr;
	int used;

	if (n == 0)
		return 0;
	out->byte = 0;
	d->after_cr = false;
	if (p[0] == '\n' && after_cr)
		return -1;
	if (p[0] != 0x1b)
		used = control(p[0], out);
	else if (n < 2)
		used = final ? control(0x1b, out) : 0;
	else if (p[1] == '[' || p[1] == 'O')
		used = sequence(p, n, final, out);
	else
		used = control(0x1b, out);
	if (used == 0)
		d->after_cr = after_cr;
	else if (p[0] == '\r')
		d->after_cr = true;
	return used;
}
