/*
 * The shell's input (input.h).
 */
#include <string.h>

#include "input.h"

int
input_take(struct shell_input *in, const struct capnp_list *events)
{
	struct capos_TerminalSession_Event_r ev;
	struct capos_TerminalSession_Event_key_r kg;
	struct capos_TerminalSession_Event_resize_r rg;
	uint16_t cols, rows;

	for (uint32_t i = 0; i < events->n; i++) {
		if (capos_TerminalSession_Event_at(events, i, &ev) != 0)
			return -1;
		switch (capos_TerminalSession_Event_which(&ev)) {
		case capos_TerminalSession_Event_which_key:
			if (in->n == INPUT_KEYS_MAX) {
				in->dropped++;
				break;
			}
			kg = capos_TerminalSession_Event_get_key(&ev);
			in->q[in->n].code =
			    (int)capos_TerminalSession_Event_key_get_key(&kg);
			in->q[in->n++].byte =
			    capos_TerminalSession_Event_key_get_byte(&kg);
			break;
		case capos_TerminalSession_Event_which_resize:
			rg = capos_TerminalSession_Event_get_resize(&ev);
			cols = capos_TerminalSession_Event_resize_get_columns(&rg);
			rows = capos_TerminalSession_Event_resize_get_rows(&rg);
			if (cols == 0 || rows == 0)
				break;
			in->cols = cols;
			in->rows = rows;
			in->resized = true;
			break;
		case capos_TerminalSession_Event_which_closed:
			in->closed = true;
			break;
		default:
			/* A kind of event newer than this shell: skipped. */
			break;
		}
	}
	return 0;
}

bool
input_pop(struct shell_input *in, int *code, uint8_t *byte)
{
	if (in->n == 0)
		return false;
	*code = in->q[0].code;
	*byte = in->q[0].byte;
	memmove(in->q, in->q + 1, (size_t)--in->n * sizeof(in->q[0]));
	/* A key taken leaves no copy behind: it may be part of a password
	 * (the agent's step-up reads one key by key). */
	in->q[in->n].byte = 0;
	return true;
}

bool
input_interrupt(struct shell_input *in)
{
	for (int i = 0; i < in->n; i++)
		if (in->q[i].code == capos_TerminalSession_Key_interrupt) {
			in->n -= i + 1;
			memmove(in->q, in->q + i + 1, (size_t)in->n *
			    sizeof(in->q[0]));
			return true;
		}
	return false;
}

int
input_discard(struct shell_input *in)
{
	int n = in->n;

	memset(in->q, 0, sizeof(in->q));
	in->n = 0;
	return n;
}
