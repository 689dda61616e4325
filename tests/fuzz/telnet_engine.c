/*
 * libFuzzer target for the Telnet NVT engine (lib/proto/telnet). The
 * first input byte picks what the rest is (byte % 3):
 *
 *   0  bytes from a peer. They are fed whole with a large data buffer,
 *      then a byte at a time with a one-byte data buffer: the data, the
 *      events (with the data position each came at) and the answers must
 *      be the same both ways, the engine must make progress on every
 *      call, and no bound may be passed.
 *   1  data to send. It is encoded in pieces (the second byte picks the
 *      output room) and decoded by a second engine: what comes out must
 *      be the data with NULs dropped and "\r\n" read as '\n'.
 *   2  a negotiation script: byte pairs (verb, option) are peer commands
 *      or telnet_ask calls. Every command may get at most one answer,
 *      the RFC 1143 states must stay well formed, and a peer that answers
 *      everything must fall silent within a few rounds.
 *
 * Any broken property aborts, so libFuzzer keeps the input.
 *
 *	make fuzz && build/fuzz/telnet_engine -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/telnet/telnet.h"

static void
need(int cond)
{
	if (!cond)
		abort();
}

static void
check_bounds(const struct telnet *t)
{
	need(t->out_len <= TELNET_OUT_MAX);
	need(t->sb_len <= TELNET_SB_MAX);
	need(t->state <= TELNET_P_SB_IAC);
}

/* The queue bit means something only while waiting for an answer. */
static void
check_option(const struct telnet *t, uint8_t code)
{
	const struct telnet_opt *o = &t->opt[code];

	need(o->usq == 0 || o->us >= TELNET_Q_WANTNO);
	need(o->himq == 0 || o->him >= TELNET_Q_WANTNO);
}

static void
check_options(const struct telnet *t)
{
	for (int i = 0; i < 256; i++)
		check_option(t, (uint8_t)i);
}

/* FNV-1a over everything one run produced, stream by stream. */
struct digest {
	uint64_t data, events, out;
	size_t ndata;
};

static void
mix(uint64_t *h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		*h = (*h ^ b[i]) * 0x100000001b3ull;
}

static void
mix_event(struct digest *d, const struct telnet_event *ev)
{
	uint8_t rec[12] = { (uint8_t)ev->kind };

	memcpy(rec + 1, &d->ndata, 4);
	switch (ev->kind) {
	case TELNET_EV_WINDOW_SIZE:
	case TELNET_EV_RESIZE:
		memcpy(rec + 5, &ev->size.width, 2);
		memcpy(rec + 7, &ev->size.height, 2);
		break;
	case TELNET_EV_INTERRUPT:
	case TELNET_EV_ERASE:
		rec[5] = ev->cmd;
		break;
	case TELNET_EV_OPTION:
		rec[5] = ev->option.code;
		rec[6] = (uint8_t)ev->option.side;
		rec[7] = ev->option.on;
		break;
	case TELNET_EV_SB_DISCARDED:
		rec[5] = ev->sb.code;
		rec[6] = (uint8_t)ev->sb.reason;
		break;
	default:
		break;
	}
	mix(&d->events, rec, sizeof(rec));
}

static void
feed(struct telnet *t, struct digest *d, const uint8_t *in, size_t len,
    size_t chunk, size_t cap)
{
	uint8_t data[256], out[TELNET_OUT_MAX];
	struct telnet_event ev;
	size_t off = 0, end, used, n, k;

	*d = (struct digest){ 0xcbf29ce484222325ull, 0xcbf29ce484222325ull,
		0xcbf29ce484222325ull, 0 };
	while (off < len) {
		end = len - off < chunk ? len : off + chunk;
		while (off < end) {
			used = telnet_input(t, in + off, end - off, data, cap,
			    &n, &ev);
			need(used <= end - off && n <= cap);
			check_bounds(t);
			need(used > 0 || n > 0 || ev.kind != TELNET_EV_NONE ||
			    t->out_len > 0);
			mix(&d->data, data, n);
			d->ndata += n;
			if (ev.kind != TELNET_EV_NONE)
				mix_event(d, &ev);
			k = telnet_take_output(t, out, sizeof(out));
			mix(&d->out, out, k);
			off += used;
		}
	}
}

static void
peer_bytes(const uint8_t *in, size_t len)
{
	struct telnet t;
	struct digest whole, bytewise;

	telnet_init(&t);
	feed(&t, &whole, in, len, len, 256);
	check_options(&t);
	telnet_init(&t);
	feed(&t, &bytewise, in, len, 1, 1);
	check_options(&t);
	need(whole.ndata == bytewise.ndata && whole.data == bytewise.data);
	need(whole.events == bytewise.events);
	need(whole.out == bytewise.out);
}

static void
round_trip(const uint8_t *in, size_t len)
{
	static uint8_t wire[3 * 4096 + 8], got[4096], want[4096];
	struct telnet enc, dec;
	struct telnet_event ev;
	size_t room, off = 0, nw = 0, used, n, ng = 0, nwant = 0;

	if (len < 1 || len - 1 > 4096)
		return;
	room = 3 + in[0] % 8;
	in++;
	len--;
	telnet_init(&enc);
	while (off < len) {
		n = telnet_encode(&enc, in + off, len - off, &used, wire + nw,
		    room);
		need(used > 0 && n <= room);
		nw += n;
		off += used;
	}
	telnet_init(&dec);
	for (off = 0; off < nw; off += used) {
		used = telnet_input(&dec, wire + off, nw - off, got + ng,
		    sizeof(got) - ng, &n, &ev);
		/* Encoded data holds no command but IAC IAC. */
		need(ev.kind == TELNET_EV_NONE);
		need(used > 0);
		ng += n;
	}
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n') {
			want[nwant++] = '\n';
			i++;
		} else if (in[i] == '\r' && i + 1 == len)
			break;	/* held by the decoder, rightly */
		else if (in[i] != 0)
			want[nwant++] = in[i];
	}
	need(ng == nwant && memcmp(got, want, ng) == 0);
}

static const uint8_t verbs[4] = { TELNET_WILL, TELNET_WONT, TELNET_DO,
	TELNET_DONT };

static void
script(const uint8_t *in, size_t len)
{
	struct telnet t;
	static uint8_t wire[4096], back[4096];
	uint8_t cmd[3], data[8];
	struct telnet_event ev;
	size_t n, k, before, ndata;

	telnet_init(&t);
	for (size_t i = 0; i + 1 < len; i += 2) {
		uint8_t v = in[i] % 8, code = in[i + 1];

		telnet_take_output(&t, wire, sizeof(wire));
		if (v < 4) {
			cmd[0] = TELNET_IAC;
			cmd[1] = verbs[v];
			cmd[2] = code;
			before = t.out_len;
			need(telnet_input(&t, cmd, 3, data, sizeof(data), &n,
			    &ev) == 3);
			need(n == 0 && t.out_len - before <= 3);
		} else {
			int rc = telnet_ask(&t, v & 1 ? TELNET_HIM : TELNET_US,
			    code, v & 2);
			need(rc == 0 || rc == TELNET_EALREADY ||
			    rc == TELNET_EREFUSED);
		}
		check_bounds(&t);
		check_option(&t, code);
	}
	/* Now a peer that answers every command, agreeing to all: its
	 * answers go back in, and the engine's answers to those out again,
	 * until the engine has nothing more to say. */
	n = telnet_take_output(&t, wire, sizeof(wire));
	for (int round = 0; n > 0; round++) {
		need(round < 8);
		k = 0;
		for (size_t i = 0; i + 3 <= n; i += 3) {
			back[k++] = TELNET_IAC;
			back[k++] = wire[i + 1] <= TELNET_WONT ? TELNET_DO :
			    TELNET_WILL;
			back[k++] = wire[i + 2];
		}
		n = 0;
		for (size_t off = 0; off < k;) {
			off += telnet_input(&t, back + off, k - off, data,
			    sizeof(data), &ndata, &ev);
			need(ndata == 0);
			n += telnet_take_output(&t, wire + n,
			    sizeof(wire) - n);
		}
		n += telnet_take_output(&t, wire + n, sizeof(wire) - n);
	}
	check_options(&t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		peer_bytes(data + 1, size - 1);
		break;
	case 1:
		round_trip(data + 1, size - 1);
		break;
	default:
		script(data + 1, size - 1);
		break;
	}
	return 0;
}
