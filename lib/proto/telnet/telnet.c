/*
 * The Telnet NVT engine (RFC 854, 855): the server end of one connection.
 * The caller feeds it the bytes the peer sent (telnet_input) and gets
 * back data bytes and at most one event per call; it sends what
 * telnet_take_output hands it (the engine's own answers) and what
 * telnet_encode makes of its data. The engine does no I/O and never
 * allocates: all its state is struct telnet.
 *
 * State and bounds (overflow outcome in brackets):
 *   parser state     one of enum telnet_parse; a command, a CR or a
 *                    subnegotiation split across inputs waits there for
 *                    its next byte, whatever the split
 *   held CR          one state, no buffer: a CR at the end of an input
 *                    is decided by the next byte (LF: newline, NUL or
 *                    anything else: a bare CR)
 *   sb[]             TELNET_SB_MAX body bytes of one subnegotiation
 *                    [reported once as TELNET_SB_OVERLONG, the rest of
 *                    the body skipped up to IAC SE: an endless one costs
 *                    nothing and never overflows]
 *   out[]            TELNET_OUT_MAX bytes of answers to send
 *                    [input that could answer is not consumed while
 *                    fewer than TELNET_REPLY_MAX bytes are free, so
 *                    nothing is lost: the caller drains and feeds again]
 *   opt[256]         RFC 1143 state for each option byte, both sides:
 *                    every possible option has its slot, nothing grows
 *   data             written to the caller's buffer, at most cap bytes
 *                    [input stops at a full buffer, unconsumed]
 *   out_cr           one flag of the encoder: a CR went out and its NUL
 *                    (or nothing, before LF) goes with the next data byte
 *
 * Negotiation follows RFC 1143's Q method, so no sequence of peer
 * commands can make the two ends loop: each received command is answered
 * with at most one command, and an answer is sent only when the state
 * changes. The server offers WILL ECHO and WILL SUPPRESS-GO-AHEAD (it
 * echoes and edits lines itself, RFC 857, 858) and asks DO NAWS (RFC
 * 1073). It agrees to nothing else. One departure from RFC 1143: an
 * option the engine does not support is refused once per side and later
 * requests for it are ignored, so a storm of them gets at most 2 x 256
 * refusals over the whole connection instead of one per request.
 *
 * A subnegotiation ended by any command other than SE is reported as
 * unterminated and dropped; the command is then carried out. Data
 * decoding: CR LF and a bare LF give '\n', CR NUL (or CR followed by
 * anything else) gives '\r', NUL alone is the NVT's no-operation and
 * gives nothing, IAC IAC gives 255. The peer going away needs nothing
 * here: the state is the caller's to drop.
 */
#include <string.h>

#include "proto/telnet/telnet.h"

static const uint8_t ayt_answer[] = "[capOS: yes]\r\n";

_Static_assert(sizeof(ayt_answer) - 1 <= TELNET_REPLY_MAX,
    "the AYT answer must fit in the space kept free for an answer");
_Static_assert(3 <= TELNET_REPLY_MAX, "a negotiation answer is 3 bytes");
_Static_assert(TELNET_REPLY_MAX <= TELNET_OUT_MAX, "answers fit the queue");
_Static_assert(TELNET_SB_MAX <= UINT8_MAX, "sb_len is a uint8_t");

/* Room for the largest answer one command can produce. */
static bool
room(const struct telnet *t)
{
	return TELNET_OUT_MAX - t->out_len >= TELNET_REPLY_MAX;
}

/* The caller has checked there is room for three bytes. */
static void
send_cmd(struct telnet *t, uint8_t verb, uint8_t code)
{
	t->out[t->out_len++] = TELNET_IAC;
	t->out[t->out_len++] = verb;
	t->out[t->out_len++] = code;
}

/* What the engine agrees to: it echoes and suppresses go-ahead itself,
 * and takes window sizes and go-ahead suppression from the peer. */
static bool
supported(enum telnet_side side, uint8_t code)
{
	if (side == TELNET_US)
		return code == TELNET_OPT_ECHO || code == TELNET_OPT_SGA;
	return code == TELNET_OPT_SGA || code == TELNET_OPT_NAWS;
}

static unsigned
q_state(const struct telnet *t, enum telnet_side side, uint8_t code)
{
	return side == TELNET_US ? t->opt[code].us : t->opt[code].him;
}

static unsigned
q_bit(const struct telnet *t, enum telnet_side side, uint8_t code)
{
	return side == TELNET_US ? t->opt[code].usq : t->opt[code].himq;
}

/* Sets one side's state and queue bit; if that turns the option on or
 * off (only YES is on), says so in *ev, when there is one. */
static void
q_set(struct telnet *t, enum telnet_side side, uint8_t code, unsigned s,
    unsigned q, struct telnet_event *ev)
{
	bool was = q_state(t, side, code) == TELNET_Q_YES;

	if (side == TELNET_US) {
		t->opt[code].us = s;
		t->opt[code].usq = q;
	} else {
		t->opt[code].him = s;
		t->opt[code].himq = q;
	}
	if (ev != NULL && was != (s == TELNET_Q_YES)) {
		ev->kind = TELNET_EV_OPTION;
		ev->option.code = code;
		ev->option.side = side;
		ev->option.on = s == TELNET_Q_YES;
	}
}

/* Refuses an unsupported option, the first time only. */
static void
refuse(struct telnet *t, enum telnet_side side, uint8_t code, uint8_t nak)
{
	struct telnet_opt *o = &t->opt[code];

	if (side == TELNET_US ? o->us_refused : o->him_refused)
		return;
	if (side == TELNET_US)
		o->us_refused = 1;
	else
		o->him_refused = 1;
	send_cmd(t, nak, code);
}

/*
 * A received WILL, WONT, DO or DONT, by RFC 1143 section 7. WILL/WONT
 * speak of the peer's side (him), DO/DONT of ours (us). The caller has
 * checked room().
 */
static void
negotiate(struct telnet *t, uint8_t verb, uint8_t code,
    struct telnet_event *ev)
{
	enum telnet_side side = verb == TELNET_WILL || verb == TELNET_WONT ?
	    TELNET_HIM : TELNET_US;
	bool yes = verb == TELNET_WILL || verb == TELNET_DO;
	uint8_t ack = side == TELNET_HIM ? TELNET_DO : TELNET_WILL;
	uint8_t nak = side == TELNET_HIM ? TELNET_DONT : TELNET_WONT;
	unsigned q = q_bit(t, side, code);

	switch (q_state(t, side, code)) {
	case TELNET_Q_NO:
		if (!yes)
			break;
		if (supported(side, code)) {
			q_set(t, side, code, TELNET_Q_YES, 0, ev);
			send_cmd(t, ack, code);
		} else {
			refuse(t, side, code, nak);
		}
		break;
	case TELNET_Q_YES:
		if (!yes) {
			q_set(t, side, code, TELNET_Q_NO, 0, ev);
			send_cmd(t, nak, code);
		}
		break;
	case TELNET_Q_WANTNO:
		/* Our refusal answered by an offer is the peer's error;
		 * with the queue bit set we wanted it back on anyway. */
		if (yes)
			q_set(t, side, code, q ? TELNET_Q_YES : TELNET_Q_NO, 0, ev);
		else if (q) {
			q_set(t, side, code, TELNET_Q_WANTYES, 0, ev);
			send_cmd(t, ack, code);
		} else
			q_set(t, side, code, TELNET_Q_NO, 0, ev);
		break;
	case TELNET_Q_WANTYES:
		if (yes && q) {
			q_set(t, side, code, TELNET_Q_WANTNO, 0, ev);
			send_cmd(t, nak, code);
		} else
			q_set(t, side, code, yes ? TELNET_Q_YES : TELNET_Q_NO,
			    0, ev);
		break;
	}
}

/*
 * Asks for one side of an option to be turned on or off, by RFC 1143
 * section 7: a request made while the opposite one is still unanswered
 * is queued (the queue bit), never sent twice.
 */
int
telnet_ask(struct telnet *t, enum telnet_side side, uint8_t code, bool on)
{
	uint8_t ask = side == TELNET_HIM ? (on ? TELNET_DO : TELNET_DONT) :
	    (on ? TELNET_WILL : TELNET_WONT);
	unsigned q = q_bit(t, side, code);

	if (on && !supported(side, code))
		return TELNET_EREFUSED;
	if (TELNET_OUT_MAX - t->out_len < 3)
		return TELNET_ENOSPACE;
	switch (q_state(t, side, code)) {
	case TELNET_Q_NO:
		if (!on)
			return TELNET_EALREADY;
		q_set(t, side, code, TELNET_Q_WANTYES, 0, NULL);
		send_cmd(t, ask, code);
		return 0;
	case TELNET_Q_YES:
		if (on)
			return TELNET_EALREADY;
		q_set(t, side, code, TELNET_Q_WANTNO, 0, NULL);
		send_cmd(t, ask, code);
		return 0;
	case TELNET_Q_WANTNO:
		/* On: queue it (once). Off: cancel a queued on. */
		if (on == (q != 0))
			return TELNET_EALREADY;
		q_set(t, side, code, TELNET_Q_WANTNO, on, NULL);
		return 0;
	default:
		/* WANTYES. Off: queue it (once). On: cancel a queued off. */
		if (on != (q != 0))
			return TELNET_EALREADY;
		q_set(t, side, code, TELNET_Q_WANTYES, !on, NULL);
		return 0;
	}
}

bool
telnet_enabled(const struct telnet *t, enum telnet_side side, uint8_t code)
{
	return q_state(t, side, code) == TELNET_Q_YES;
}

void
telnet_init(struct telnet *t)
{
	memset(t, 0, sizeof(*t));
	/* Cannot fail: three 3-byte requests in an empty queue. */
	(void)telnet_ask(t, TELNET_US, TELNET_OPT_ECHO, true);
	(void)telnet_ask(t, TELNET_US, TELNET_OPT_SGA, true);
	(void)telnet_ask(t, TELNET_HIM, TELNET_OPT_NAWS, true);
}

static void
sb_report(struct telnet_event *ev, uint8_t code, enum telnet_sb_reason why)
{
	ev->kind = TELNET_EV_SB_DISCARDED;
	ev->sb.code = code;
	ev->sb.reason = why;
}

/* One body byte (a doubled IAC counts once). */
static void
sb_byte(struct telnet *t, uint8_t b, struct telnet_event *ev)
{
	if (t->sb_skip)
		return;
	if (t->sb_len == TELNET_SB_MAX) {
		t->sb_skip = true;
		sb_report(ev, t->sb_opt, TELNET_SB_OVERLONG);
		return;
	}
	t->sb[t->sb_len++] = b;
}

/* IAC SE: the body is complete. Only NAWS has one the engine reads. */
static void
sb_end(struct telnet *t, struct telnet_event *ev)
{
	uint8_t code = t->sb_opt;

	if (t->sb_skip)
		return;
	if (code != TELNET_OPT_NAWS) {
		sb_report(ev, code, telnet_enabled(t, TELNET_HIM, code) ||
		    telnet_enabled(t, TELNET_US, code) ? TELNET_SB_MALFORMED :
		    TELNET_SB_NOT_ENABLED);
		return;
	}
	if (!telnet_enabled(t, TELNET_HIM, code)) {
		sb_report(ev, code, TELNET_SB_NOT_ENABLED);
		return;
	}
	if (t->sb_len != 4) {
		sb_report(ev, code, TELNET_SB_MALFORMED);
		return;
	}
	ev->kind = t->have_size ? TELNET_EV_RESIZE : TELNET_EV_WINDOW_SIZE;
	ev->size.width = (uint16_t)(t->sb[0] << 8 | t->sb[1]);
	ev->size.height = (uint16_t)(t->sb[2] << 8 | t->sb[3]);
	t->have_size = true;
}

/*
 * The byte after an IAC outside a subnegotiation. Returns 1 when it is
 * consumed, -1 when it must wait for room.
 */
static int
command(struct telnet *t, uint8_t b, uint8_t *data, size_t cap, size_t *n,
    struct telnet_event *ev)
{
	switch (b) {
	case TELNET_IAC:
		if (*n == cap)
			return -1;
		data[(*n)++] = TELNET_IAC;
		break;
	case TELNET_WILL:
	case TELNET_WONT:
	case TELNET_DO:
	case TELNET_DONT:
		t->cmd = b;
		t->state = TELNET_P_OPT;
		return 1;
	case TELNET_SB:
		t->state = TELNET_P_SB;
		return 1;
	case TELNET_IP:
	case TELNET_BRK:
		ev->kind = TELNET_EV_INTERRUPT;
		ev->cmd = b;
		break;
	case TELNET_EC:
	case TELNET_EL:
		ev->kind = TELNET_EV_ERASE;
		ev->cmd = b;
		break;
	case TELNET_AO:
		ev->kind = TELNET_EV_ABORT_OUTPUT;
		break;
	case TELNET_AYT:
		if (!room(t))
			return -1;
		memcpy(t->out + t->out_len, ayt_answer, sizeof(ayt_answer) - 1);
		t->out_len += sizeof(ayt_answer) - 1;
		break;
	default:
		/* NOP, DM (the urgent data it marks is the caller's), GA,
		 * an SE outside a subnegotiation, and bytes below 240,
		 * which name no command: nothing to do. */
		break;
	}
	t->state = TELNET_P_DATA;
	return 1;
}

/*
 * One input byte in the current state. Returns 1 when it is consumed,
 * 0 when the state changed and the same byte must be looked at again,
 * -1 when it must wait (data buffer full or too little answer room).
 * At most one event and one data byte come of one call.
 */
static int
step(struct telnet *t, uint8_t b, uint8_t *data, size_t cap, size_t *n,
    struct telnet_event *ev)
{
	switch (t->state) {
	case TELNET_P_DATA:
		if (b == TELNET_IAC)
			t->state = TELNET_P_IAC;
		else if (b == '\r')
			t->state = TELNET_P_CR;
		else if (b != 0) {
			if (*n == cap)
				return -1;
			data[(*n)++] = b;
		}
		return 1;
	case TELNET_P_CR:
		if (*n == cap)
			return -1;
		t->state = TELNET_P_DATA;
		if (b == '\n') {
			data[(*n)++] = '\n';
			return 1;
		}
		data[(*n)++] = '\r';
		return b == 0 ? 1 : 0;
	case TELNET_P_IAC:
		return command(t, b, data, cap, n, ev);
	case TELNET_P_OPT:
		if (!room(t))
			return -1;
		negotiate(t, t->cmd, b, ev);
		t->state = TELNET_P_DATA;
		return 1;
	case TELNET_P_SB:
		t->sb_opt = b;
		t->sb_len = 0;
		t->sb_skip = false;
		t->state = TELNET_P_SB_DATA;
		return 1;
	case TELNET_P_SB_DATA:
		if (b == TELNET_IAC)
			t->state = TELNET_P_SB_IAC;
		else
			sb_byte(t, b, ev);
		return 1;
	case TELNET_P_SB_IAC:
		if (b == TELNET_IAC) {
			t->state = TELNET_P_SB_DATA;
			sb_byte(t, b, ev);
			return 1;
		}
		if (b == TELNET_SE) {
			t->state = TELNET_P_DATA;
			sb_end(t, ev);
			return 1;
		}
		/* Any other command ends the body unfinished; the command
		 * itself is carried out on the next look at this byte. */
		t->state = TELNET_P_IAC;
		if (!t->sb_skip)
			sb_report(ev, t->sb_opt, TELNET_SB_UNTERMINATED);
		return 0;
	}
	return -1;
}

/*
 * Consumes input until an event occurs (*ev; TELNET_EV_NONE if none did),
 * writing decoded data bytes to data[0..cap) (*ndata of them, all from
 * before the event). The byte that raised the event is consumed, except
 * for the command that cuts a subnegotiation short: it is carried out on
 * the next call. Stops early,
 * leaving input unconsumed, when data is full or when an answer could
 * not be queued: a caller that handles data and events and drains
 * telnet_take_output between calls always makes progress (cap >= 1).
 * Returns how many input bytes were consumed.
 */
size_t
telnet_input(struct telnet *t, const uint8_t *in, size_t len,
    uint8_t *data, size_t cap, size_t *ndata, struct telnet_event *ev)
{
	size_t i = 0, n = 0;
	int r;

	ev->kind = TELNET_EV_NONE;
	while (i < len && ev->kind == TELNET_EV_NONE) {
		r = step(t, in[i], data, cap, &n, ev);
		if (r < 0)
			break;
		i += (size_t)r;
	}
	*ndata = n;
	return i;
}

/* Moves up to cap bytes of the engine's answers to out, oldest first. */
size_t
telnet_take_output(struct telnet *t, uint8_t *out, size_t cap)
{
	size_t n = t->out_len < cap ? t->out_len : cap;

	memcpy(out, t->out, n);
	memmove(t->out, t->out + n, t->out_len - n);
	t->out_len -= n;
	return n;
}

/*
 * Encodes data for the peer as NVT text: IAC doubled, '\n' sent as CR LF
 * (a "\r\n" already in the data stays CR LF), any other CR as CR NUL.
 * Whether a CR is followed by LF is known only from the next byte, so a
 * CR goes out at once and the NUL (or nothing, for LF) follows with the
 * next byte, even from a later call. A byte is consumed only when all of
 * its encoding fits (at most 3 bytes: out needs 3 * len to take all).
 * Returns the bytes written; *consumed says how many of in were taken.
 */
size_t
telnet_encode(struct telnet *t, const uint8_t *in, size_t len,
    size_t *consumed, uint8_t *out, size_t cap)
{
	size_t i, n = 0, k;
	uint8_t enc[3], b;

	for (i = 0; i < len; i++) {
		b = in[i];
		k = 0;
		if (t->out_cr && b != '\n')
			enc[k++] = 0;
		if (b == TELNET_IAC) {
			enc[k++] = TELNET_IAC;
			enc[k++] = TELNET_IAC;
		} else if (b == '\n') {
			if (!t->out_cr)
				enc[k++] = '\r';
			enc[k++] = '\n';
		} else
			enc[k++] = b;
		if (cap - n < k)
			break;
		memcpy(out + n, enc, k);
		n += k;
		t->out_cr = b == '\r';
	}
	*consumed = i;
	return n;
}
