/*
 * nic-loop: two Nic exports ("nicA", "nicB") joined back to back, so two
 * netstacks can talk inside one boot without a network card. A frame
 * transmitted on one side is received on the other, in order.
 *
 * Each side has its own frame area, shared from this process's quota
 * (docs/network.md, "The Nic interface and its frame area"): 256 receive
 * slots, then 128 transmit slots, of 2048 bytes. A transmit copies each
 * frame at once from the sender's transmit slot into a free receive slot
 * of the other side's area and gives the transmit slot back in the same
 * answer; the frame then waits in the other side's queue for its receive,
 * which lends the slot until it comes back in a later `done`. The free
 * receive slots bound each direction: a transmit that finds none free
 * takes what fits, and one that can take nothing waits until the other
 * side has given slots back, which pushes back on the sender instead of
 * dropping.
 *
 * With the argument "inject", malformed frames (runts, truncated and
 * inconsistent headers of every layer, oversized frames) are written into
 * free receive slots and slipped into the live traffic of both sides, and
 * receive answers carry malformed entries too (a slot past the area, a
 * transmit slot, one slot twice, a length past the slot). A slot given
 * back that was not lent is counted ("bad done"). The proof line is
 * printed at the end once real traffic kept flowing both ways after the
 * last injection and neither stack gave back a slot it was not lent.
 *
 * With "slots=N" only the first N receive slots of each side are used
 * (the area keeps its geometry), so a burst finds them all lent and the
 * sender's transmit takes what fits and then waits.
 */
#include <string.h>

#include "net.capnp.h"
#include "rt.h"

#define RECV_BUF	(CAPOS_MAX_PARAMS + sizeof(struct capos_recv_hdr))
/* The frame area of each side. */
#define RX_SLOTS	256
#define TX_SLOTS	128
#define SLOT_SIZE	2048
#define HEADROOM	0
#define AREA_SIZE	((RX_SLOTS + TX_SLOTS) * SLOT_SIZE)
#define FRAME_MAX	1600	/* room for the injected oversized frame */
/* A malformed frame goes into every INJECT_EVERY-th delivery, and a
 * malformed entry into every INJECT_EVERY-th, half-way between. */
#define INJECT_EVERY	4
#define INJECT_ROUNDS	3
/* With inject, the receive call of this number on each side is refused. */
#define REFUSE_AT	50

_Static_assert(AREA_SIZE % 4096 == 0, "the area is whole pages");
_Static_assert(HEADROOM + FRAME_MAX <= SLOT_SIZE, "a slot holds any frame");
_Static_assert(HEADROOM + capos_Nic_maxFrame <= SLOT_SIZE, "maxFrame fits");

/* What a receive slot of a side's area holds. */
enum {
	RX_FREE,	/* ours, free */
	RX_QUEUED,	/* ours, holding a frame waiting for the receive */
	RX_LENT,	/* lent to the side's netstack */
	RX_NAMED,	/* named with an impossible length (inject): not lent,
			 * but taken back quietly should it come back */
};

struct entry {
	uint16_t slot;
	uint16_t len;
};

struct side {
	const char *name;
	capos_cap_t owner;
	bool armed;
	uint64_t tag;
	uint8_t mac[6];
	uint32_t ip;			/* learnt from its own traffic */
	/* The frame area: its SharedMemory and where it is mapped here. */
	capos_cap_t mem;
	uint8_t *area;
	uint8_t rx_state[RX_SLOTS];
	uint16_t rx_free[RX_SLOTS];	/* free receive slots, a ring */
	uint32_t free_head, free_count;
	/* Frames waiting for this side's receive, in order. */
	struct entry q[RX_SLOTS];
	uint32_t qhead, qcount;
	bool rx_waiting;
	uint64_t rx_call;
	uint32_t rx_max;
	/* This side's transmit waiting for room on the other side. */
	bool tx_waiting;
	bool gone;		/* its netstack has gone: frames for it drop */
	uint64_t tx_call;
	uint8_t tx_msg[CAPOS_MAX_PARAMS] __attribute__((aligned(8)));
	uint32_t tx_len;
	uint64_t deliveries, forwarded, after_inject;
	uint64_t lost;			/* frames for it after it had gone */
	uint32_t bad_frames, bad_entries;	/* injected (inject) */
	uint32_t tx_dropped;		/* invalid frames it transmitted */
	uint32_t bad_done;		/* slots given back but not lent */
	uint32_t waits;			/* its transmits that waited */
	uint32_t receives, refused;	/* receive calls; refused (inject) */
	uint64_t after_refusal;		/* frames delivered since */
	uint8_t buf[RECV_BUF] __attribute__((aligned(8)));
	struct capos_capdesc caps[CAPOS_MAX_XCAPS];
};

static struct side sides[2];
static uint8_t reply[CAPOS_MAX_RESULT] __attribute__((aligned(8)));
static uint8_t exc_buf[512] __attribute__((aligned(8)));
static bool inject;
static uint32_t usable = RX_SLOTS;	/* receive slots in use (slots=N) */

/* ---- Malformed frames ---- */

enum { BAD_COUNT = 14 };

static uint16_t
csum(const uint8_t *p, uint32_t len, uint32_t sum)
{
	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* An IPv4 header at p for a datagram of total bytes, from the peer. */
static void
ip_header(uint8_t *p, uint16_t total, uint8_t proto, uint32_t src,
    uint32_t dst)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	put16(p + 2, total);
	p[8] = 64;
	p[9] = proto;
	put32(p + 12, src);
	put32(p + 16, dst);
	put16(p + 10, csum(p, 20, 0));
}

/* A TCP segment's checksum over the pseudo-header and len bytes at t. */
static void
tcp_csum(uint8_t *t, uint32_t len, uint32_t src, uint32_t dst)
{
	uint8_t ph[12];

	put32(ph, src);
	put32(ph + 4, dst);
	ph[8] = 0;
	ph[9] = 6;
	put16(ph + 10, (uint16_t)len);
	put16(t + 16, 0);
	{
		uint32_t sum = (uint16_t)~csum(ph, 12, 0);

		put16(t + 16, csum(t, len, sum));
	}
}

/* Builds malformed frame number k for side `to`; returns its length. */
static uint16_t
bad_frame(int k, const struct side *to, uint8_t *f)
{
	uint32_t src = to->ip ^ 0x7f, dst = to->ip;
	uint8_t *ip = f + 14, *t = f + 34;

	memset(f, 0, FRAME_MAX);
	memcpy(f, to->mac, 6);
	memcpy(f + 6, "\x52\x54\x00\xee\xee\xee", 6);
	put16(f + 12, 0x0800);
	switch (k) {
	case 0:				/* runt: half an Ethernet header */
		return 10;
	case 1:				/* ARP type, no ARP header */
		put16(f + 12, 0x0806);
		return 14;
	case 2:				/* ARP with impossible sizes */
		put16(f + 12, 0x0806);
		put16(f + 14, 1);
		put16(f + 16, 0x0800);
		f[18] = 200;
		f[19] = 200;
		put16(f + 20, 1);
		return 42;
	case 3:				/* IPv4 header cut short */
		ip[0] = 0x45;
		return 24;
	case 4:				/* IHL below the minimum */
		ip_header(ip, 40, 6, src, dst);
		ip[0] = 0x43;
		return 54;
	case 5:				/* total length past the frame */
		ip_header(ip, 1400, 6, src, dst);
		return 60;
	case 6:				/* total length inside the header */
		ip_header(ip, 8, 6, src, dst);
		return 60;
	case 7:				/* TCP data offset past the segment */
		ip_header(ip, 40, 6, src, dst);
		put16(t, 40000);
		put16(t + 2, 7);
		t[12] = 15 << 4;
		t[13] = 0x10;
		tcp_csum(t, 20, src, dst);
		return 54;
	case 8:				/* TCP data offset below 5 */
		ip_header(ip, 40, 6, src, dst);
		put16(t, 40000);
		put16(t + 2, 7);
		t[12] = 2 << 4;
		t[13] = 0x10;
		tcp_csum(t, 20, src, dst);
		return 54;
	case 9:				/* options ending in a bare kind byte */
		ip_header(ip, 44, 6, src, dst);
		put16(t, 40001);
		put16(t + 2, 7);
		t[12] = 6 << 4;
		t[13] = 0x10;
		t[20] = 1;
		t[21] = 1;
		t[22] = 1;
		t[23] = 2;
		tcp_csum(t, 24, src, dst);
		return 58;
	case 10:			/* UDP length past the datagram */
		ip_header(ip, 28, 17, src, dst);
		put16(t, 68);
		put16(t + 2, 68);
		put16(t + 4, 900);
		return 60;
	case 11:			/* a fragment at an absurd offset */
		ip_header(ip, 60, 6, src, dst);
		put16(ip + 6, 0x2000 | 0x1fff);
		put16(ip + 10, 0);
		put16(ip + 10, csum(ip, 20, 0));
		return 74;
	case 12:			/* longer than any Ethernet frame */
		memset(f + 14, 0xff, FRAME_MAX - 14);
		return FRAME_MAX;
	default:			/* an empty frame */
		return 0;
	}
}

/* Malformed entries of a receive answer (inject). */
enum {
	ENTRY_PAST_AREA,	/* a slot past the end of the area */
	ENTRY_TX_SLOT,		/* a transmit slot */
	ENTRY_TWICE,		/* the slot of the entry before it, again */
	ENTRY_TOO_LONG,		/* a length past the end of the slot */
	ENTRY_COUNT
};

static uint32_t
injected(const struct side *s)
{
	return s->bad_frames + s->bad_entries;
}

/* ---- Answers ---- */

static int
do_return(struct side *s, uint64_t call_id, struct capnp_builder *b,
    struct capos_capdesc *caps, uint16_t ncaps)
{
	struct capos_sqe e;
	struct capos_cqe c;
	int rc;

	rt_prep_return(&e, s->owner, call_id, b->buf, capnp_builder_finish(b),
	    caps, ncaps);
	if ((rc = rt_submit(&e)) != 0 || (rc = rt_wait(e.user_data, &c)) != 0)
		return rc;
	return c.status;
}

static void
do_exception(struct side *s, uint64_t call_id,
    enum capos_CapException_Type type, const char *why)
{
	struct capos_CapException_b ex;
	struct capnp_builder b;
	struct capos_sqe e;
	struct capos_cqe c;

	if (capnp_builder_init(&b, exc_buf, sizeof(exc_buf)) != 0 ||
	    capos_CapException_init_root(&b, &ex) != 0 ||
	    capos_CapException_set_reason(&ex, why, strlen(why)) != 0)
		return;
	capos_CapException_set_type(&ex, type);
	memset(&e, 0, sizeof(e));
	e.opcode = CAPOS_OP_RETURN;
	e.flags = CAPOS_SQE_EXCEPTION;
	e.cap = s->owner;
	e.user_data = rt_next_tag();
	e.call_id = call_id;
	e.params_len = (uint32_t)capnp_builder_finish(&b);
	e.params = (uint64_t)(uintptr_t)exc_buf;
	if (rt_submit(&e) == 0)
		(void)rt_wait(e.user_data, &c);
}

static struct side *
other(struct side *s)
{
	return s == &sides[0] ? &sides[1] : &sides[0];
}

/* ---- Receive slots ---- */

static uint8_t *
slot_at(const struct side *s, uint32_t slot)
{
	return s->area + (size_t)slot * SLOT_SIZE + HEADROOM;
}

static uint16_t
slot_take(struct side *s)
{
	uint16_t slot = s->rx_free[s->free_head];

	s->free_head = (s->free_head + 1) % RX_SLOTS;
	s->free_count--;
	return slot;
}

static void
slot_free(struct side *s, uint16_t slot)
{
	s->rx_state[slot] = RX_FREE;
	s->rx_free[(s->free_head + s->free_count++) % RX_SLOTS] = slot;
}

/* ---- Receive: frames queued for s ---- */

static bool
injecting(void)
{
	for (int i = 0; i < 2; i++)
		if (inject && (sides[i].bad_frames < BAD_COUNT * INJECT_ROUNDS ||
		    sides[i].bad_entries < ENTRY_COUNT * INJECT_ROUNDS))
			return true;
	return false;
}

/* A malformed entry of kind k (round r) for an answer whose real entries
 * are real[0 .. nreal-1]; false if it cannot be made now. */
static bool
bad_entry(struct side *s, int k, uint32_t r, const struct entry *real,
    uint32_t nreal, struct entry *out)
{
	static const uint16_t past[] = { RX_SLOTS + TX_SLOTS, 0x8000, 0xffff };
	static const uint16_t tx[] = { RX_SLOTS, RX_SLOTS + TX_SLOTS - 1,
	    RX_SLOTS + 17 };
	static const uint16_t len[] = { SLOT_SIZE - HEADROOM + 1, 0xffff,
	    2 * SLOT_SIZE };

	out->len = 60;
	switch (k) {
	case ENTRY_PAST_AREA:
		out->slot = past[r % 3];
		return true;
	case ENTRY_TX_SLOT:
		out->slot = tx[r % 3];
		return true;
	case ENTRY_TWICE:
		if (nreal == 0)
			return false;
		*out = real[nreal - 1];
		return true;
	default:
		if (s->free_count == 0)
			return false;
		out->slot = slot_take(s);
		out->len = len[r % 3];
		s->rx_state[out->slot] = RX_NAMED;
		return true;
	}
}

static void
deliver(struct side *s)
{
	static uint8_t bad[FRAME_MAX];
	struct capos_Nic_receive_Results_b r;
	struct capnp_builder b;
	struct capnp_lb lb;
	struct entry ent[capos_Nic_maxBatch], fake = { 0, 0 };
	uint32_t n = s->qcount, room = s->rx_max, nent = 0, nreal;
	int kind = -1;
	bool frame = false;

	if (!s->rx_waiting || n == 0)
		return;
	/* A malformed frame rides along once the peer's address is known,
	 * in a free receive slot, lent like any other. */
	if (inject && s->bad_frames < BAD_COUNT * INJECT_ROUNDS && s->ip != 0 &&
	    s->deliveries % INJECT_EVERY == 0 && room > 1 &&
	    s->free_count > 0) {
		uint16_t slot = slot_take(s), len;

		len = bad_frame((int)(s->bad_frames % BAD_COUNT), s, bad);
		memcpy(slot_at(s, slot), bad, len);
		s->rx_state[slot] = RX_LENT;
		ent[nent++] = (struct entry){ slot, len };
		frame = true;
		room--;
	}
	if (inject && s->bad_entries < ENTRY_COUNT * INJECT_ROUNDS &&
	    s->ip != 0 && s->deliveries % INJECT_EVERY == INJECT_EVERY / 2 &&
	    room > 1) {
		kind = (int)(s->bad_entries % ENTRY_COUNT);
		room--;
	}
	if (n > room)
		n = room;
	for (uint32_t k = 0; k < n; k++) {
		struct entry *e = &s->q[(s->qhead + k) % RX_SLOTS];

		s->rx_state[e->slot] = RX_LENT;
		ent[nent++] = *e;
	}
	nreal = nent;
	/* The malformed entry goes first, but a second naming of a slot
	 * after the first: the real one is lent, the copy is not. */
	if (kind >= 0 && !bad_entry(s, kind, s->bad_entries / ENTRY_COUNT,
	    ent, nreal, &fake))
		kind = -1;
	if (capnp_builder_init(&b, reply, sizeof(reply)) != 0 ||
	    capos_Nic_receive_Results_init_root(&b, &r) != 0 ||
	    capos_Nic_receive_Results_init_frames(&r,
	    nent + (kind >= 0), &lb) != 0)
		goto undo;
	capos_Nic_receive_Results_set_linkUp(&r, true);
	for (uint32_t i = 0, at = 0; i < nent + (kind >= 0); i++) {
		struct capos_Nic_Frame_b f;
		const struct entry *e;

		if (kind >= 0 && (kind == ENTRY_TWICE ? i == nent : i == 0))
			e = &fake;
		else
			e = &ent[at++];
		if (capos_Nic_Frame_b_at(&lb, i, &f) != 0)
			goto undo;
		capos_Nic_Frame_set_slot(&f, e->slot);
		capos_Nic_Frame_set_length(&f, e->len);
	}
	s->rx_waiting = false;
	if (do_return(s, s->rx_call, &b, NULL, 0) < 0) {
		/* Not delivered: the slots were never lent, and the frames
		 * are lost, as on a wire nobody listens to. */
		for (uint32_t i = 0; i < nent; i++)
			slot_free(s, ent[i].slot);
		if (kind == ENTRY_TOO_LONG)
			slot_free(s, fake.slot);
		s->qhead = (s->qhead + n) % RX_SLOTS;
		s->qcount -= n;
		return;
	}
	s->qhead = (s->qhead + n) % RX_SLOTS;
	s->qcount -= n;
	s->deliveries++;
	s->forwarded += n;
	s->bad_frames += frame;
	s->bad_entries += kind >= 0;
	if (!injecting())
		s->after_inject += n;
	if (s->refused > 0)
		s->after_refusal += n;
	return;
undo:
	/* Cannot happen (the reply buffer holds any answer): put it all
	 * back as it was, and leave the receive waiting. */
	for (uint32_t i = 0; i < nent; i++)
		s->rx_state[ent[i].slot] = RX_QUEUED;
	if (frame)
		slot_free(s, ent[0].slot);
	if (kind == ENTRY_TOO_LONG)
		slot_free(s, fake.slot);
}

/* ---- Transmit: frames from s for the other side ---- */

/*
 * Takes frames of the transmit message msg from the front while the
 * other side has free receive slots; returns how many were taken (counting
 * those dropped), or -1 if the message is malformed. The transmit slots
 * given back go in done[], each once; *blocked says a frame was left for
 * want of a free receive slot.
 */
static int
take(struct side *s, const uint8_t *msg, uint32_t len, uint32_t *dropped,
    uint16_t *done, uint32_t *ndone, bool *blocked)
{
	struct side *to = other(s);
	struct capos_Nic_transmit_Params_r p;
	struct capnp_msg m;
	struct capnp_list frames;
	bool seen[TX_SLOTS];
	uint32_t taken = 0, n;

	*dropped = 0;
	*ndone = 0;
	*blocked = false;
	if (capnp_msg_init(&m, msg, len) != 0 ||
	    capnp_msg_root(&m, &p.s) != 0 ||
	    capos_Nic_transmit_Params_get_frames(&p, &frames) != 0)
		return -1;
	n = frames.n < capos_Nic_maxBatch ? frames.n : capos_Nic_maxBatch;
	memset(seen, 0, sizeof(seen));
	for (uint32_t i = 0; i < n; i++) {
		struct capos_Nic_Frame_r f;
		uint32_t slot, flen;
		uint16_t rx;
		uint8_t *d;

		if (capos_Nic_Frame_at(&frames, i, &f) != 0)
			return -1;	/* cannot happen: i < n */
		slot = capos_Nic_Frame_get_slot(&f);
		flen = capos_Nic_Frame_get_length(&f);
		/* Not a transmit slot, or not the caller's any more: dropped,
		 * and not given back. */
		if (slot < RX_SLOTS || slot >= RX_SLOTS + TX_SLOTS ||
		    seen[slot - RX_SLOTS]) {
			(*dropped)++;
			taken++;
			continue;
		}
		if (flen == 0 || flen > capos_Nic_maxFrame) {
			seen[slot - RX_SLOTS] = true;
			done[(*ndone)++] = (uint16_t)slot;
			(*dropped)++;
			taken++;
			continue;
		}
		/* Nobody receives for a side that has gone. */
		if (to->gone) {
			seen[slot - RX_SLOTS] = true;
			done[(*ndone)++] = (uint16_t)slot;
			to->lost++;
			taken++;
			continue;
		}
		if (to->free_count == 0) {
			*blocked = true;
			break;
		}
		/* The one read of the sender's bytes. */
		rx = slot_take(to);
		d = slot_at(to, rx);
		memcpy(d, slot_at(s, slot), flen);
		to->rx_state[rx] = RX_QUEUED;
		to->q[(to->qhead + to->qcount++) % RX_SLOTS] =
		    (struct entry){ rx, (uint16_t)flen };
		seen[slot - RX_SLOTS] = true;
		done[(*ndone)++] = (uint16_t)slot;
		taken++;
		/* Learn the sender's address from its IPv4 traffic. */
		if (flen >= 34 && d[12] == 0x08 && d[13] == 0x00)
			s->ip = (uint32_t)d[26] << 24 | (uint32_t)d[27] << 16 |
			    (uint32_t)d[28] << 8 | d[29];
	}
	s->tx_dropped += *dropped;
	return (int)taken;
}

static void
answer_tx(struct side *s, uint64_t call_id, uint32_t sent, uint32_t dropped,
    const uint16_t *done, uint32_t ndone)
{
	struct capos_Nic_transmit_Results_b r;
	struct capnp_builder b;
	struct capnp_lb lb;

	if (capnp_builder_init(&b, reply, sizeof(reply)) != 0 ||
	    capos_Nic_transmit_Results_init_root(&b, &r) != 0 ||
	    capos_Nic_transmit_Results_init_done(&r, ndone, &lb) != 0)
		goto fail;
	for (uint32_t i = 0; i < ndone; i++)
		if (capnp_lb_set_prim(&lb, i, done[i]) != 0)
			goto fail;
	capos_Nic_transmit_Results_set_sent(&r, sent);
	capos_Nic_transmit_Results_set_dropped(&r, dropped);
	(void)do_return(s, call_id, &b, NULL, 0);
	return;
fail:
	do_exception(s, call_id, capos_CapException_Type_failed,
	    "cannot build the answer");
}

/* Transmits; a call that can take nothing waits (the message is copied,
 * since the receive buffer is reused). */
static void
transmit(struct side *s, uint64_t call_id, const uint8_t *msg, uint32_t len)
{
	uint16_t done[capos_Nic_maxBatch];
	uint32_t dropped, ndone;
	bool blocked;
	int n;

	n = take(s, msg, len, &dropped, done, &ndone, &blocked);
	if (n < 0) {
		do_exception(s, call_id, capos_CapException_Type_failed,
		    "malformed frames");
	} else if (n == 0 && blocked) {
		if (msg != s->tx_msg) {
			memcpy(s->tx_msg, msg, len);
			s->tx_len = len;
		}
		s->tx_call = call_id;
		s->tx_waiting = true;
		s->waits++;
	} else {
		answer_tx(s, call_id, (uint32_t)n, dropped, done, ndone);
	}
}

static void
retry_tx(struct side *s)
{
	if (!s->tx_waiting ||
	    (other(s)->free_count == 0 && !other(s)->gone))
		return;
	s->tx_waiting = false;
	transmit(s, s->tx_call, s->tx_msg, s->tx_len);
}

/* ---- Calls ---- */

static void
buffers(struct side *s, uint64_t call_id)
{
	struct capos_Nic_buffers_Results_b r;
	struct capos_capdesc cd = { .cap = s->mem, .mode = CAPOS_XFER_COPY };
	struct capnp_builder b;

	if (capnp_builder_init(&b, reply, sizeof(reply)) != 0 ||
	    capos_Nic_buffers_Results_init_root(&b, &r) != 0) {
		do_exception(s, call_id, capos_CapException_Type_failed,
		    "cannot build the answer");
		return;
	}
	capos_Nic_buffers_Results_set_memory(&r, 0);
	capos_Nic_buffers_Results_set_slotSize(&r, SLOT_SIZE);
	capos_Nic_buffers_Results_set_headroom(&r, HEADROOM);
	capos_Nic_buffers_Results_set_rxSlots(&r, RX_SLOTS);
	capos_Nic_buffers_Results_set_txSlots(&r, TX_SLOTS);
	(void)do_return(s, call_id, &b, &cd, 1);
}

static void
receive(struct side *s, uint64_t call_id, const uint8_t *msg, uint32_t len)
{
	struct capos_Nic_receive_Params_r p;
	struct capnp_list done;
	struct capnp_msg m;

	if (s->rx_waiting) {
		do_exception(s, call_id, capos_CapException_Type_overloaded,
		    "a receive is waiting");
		return;
	}
	/* With inject, one receive per side is refused, as a busy or
	 * restarting driver might: the stack must ask again. Like any
	 * failed call it has done nothing, so its `done` slots are still
	 * the stack's to give back. */
	if (inject && ++s->receives == REFUSE_AT) {
		do_exception(s, call_id, capos_CapException_Type_overloaded,
		    "refused once (inject)");
		s->refused++;
		return;
	}
	p.s = (struct capnp_struct){ 0 };
	done.n = 0;
	if (len > 0 && (capnp_msg_init(&m, msg, len) != 0 ||
	    capnp_msg_root(&m, &p.s) != 0)) {
		do_exception(s, call_id, capos_CapException_Type_failed,
		    "malformed params");
		return;
	}
	if (capos_Nic_receive_Params_has_done(&p) &&
	    (capos_Nic_receive_Params_get_done(&p, &done) != 0 ||
	    done.n > RX_SLOTS)) {
		s->bad_done++;
		do_exception(s, call_id, capos_CapException_Type_failed,
		    "malformed done list");
		return;
	}
	/* Slots given back: each must be a receive slot lent to this side
	 * (a second naming in one list finds it free again). */
	for (uint32_t i = 0; i < done.n; i++) {
		uint16_t slot = capnp_list_u16(&done, i);

		if (slot < RX_SLOTS && (s->rx_state[slot] == RX_LENT ||
		    s->rx_state[slot] == RX_NAMED))
			slot_free(s, slot);
		else
			s->bad_done++;
	}
	s->rx_max = capos_Nic_receive_Params_get_maxFrames(&p);
	if (s->rx_max == 0 || s->rx_max > capos_Nic_maxBatch)
		s->rx_max = capos_Nic_maxBatch;
	s->rx_call = call_id;
	s->rx_waiting = true;
}

static void
handle(struct side *s, const struct capos_cqe *c)
{
	const struct capos_recv_hdr *h = (const void *)s->buf;
	const uint8_t *msg = s->buf + sizeof(*h);
	struct capnp_builder b;

	/* Too short to hold a header: no call id to answer. */
	if ((uint32_t)c->status < sizeof(*h))
		return;
	if (h->params_len > (uint32_t)c->status - sizeof(*h) ||
	    h->interface_id != capos_Nic_INTERFACE_ID) {
		do_exception(s, h->call_id, capos_CapException_Type_failed,
		    "malformed call");
		return;
	}
	switch (h->method) {
	case capos_Nic_info_ORDINAL: {
		struct capos_Nic_info_Results_b r;

		if (capnp_builder_init(&b, reply, sizeof(reply)) != 0 ||
		    capos_Nic_info_Results_init_root(&b, &r) != 0 ||
		    capos_Nic_info_Results_set_mac(&r, s->mac, 6) != 0) {
			do_exception(s, h->call_id,
			    capos_CapException_Type_failed,
			    "cannot build the answer");
			return;
		}
		capos_Nic_info_Results_set_mtu(&r, 1500);
		capos_Nic_info_Results_set_linkUp(&r, true);
		(void)do_return(s, h->call_id, &b, NULL, 0);
		return;
	}
	case capos_Nic_buffers_ORDINAL:
		buffers(s, h->call_id);
		return;
	case capos_Nic_transmit_ORDINAL:
		if (s->tx_waiting) {
			do_exception(s, h->call_id,
			    capos_CapException_Type_overloaded,
			    "a transmit is waiting");
			return;
		}
		transmit(s, h->call_id, msg, h->params_len);
		return;
	case capos_Nic_receive_ORDINAL:
		receive(s, h->call_id, msg, h->params_len);
		return;
	}
	do_exception(s, h->call_id, capos_CapException_Type_unimplemented,
	    "no such method");
}

static int
arm(struct side *s)
{
	struct capos_sqe e;
	int rc;

	rt_prep_recv(&e, s->owner, s->buf, sizeof(s->buf), s->caps);
	if ((rc = rt_submit(&e)) != 0)
		return rc;
	s->tag = e.user_data;
	s->armed = true;
	return 0;
}

static void
release_caps(struct side *s, const struct capos_cqe *c)
{
	for (uint32_t i = 0; i < c->ncaps && i < CAPOS_MAX_XCAPS; i++)
		(void)rt_release(s->caps[i].cap);
}

/* Makes and maps s's frame area; 0, or -1 having said why. */
static int
make_area(struct side *s)
{
	uint64_t size = 0;
	int rc;

	if ((rc = rt_vm_share(AREA_SIZE, &s->mem)) != 0) {
		rt_printf("nic-loop: %s: cannot share %u bytes (%s)\n",
		    s->name, AREA_SIZE, rc == RT_VM_NOCAP ?
		    "no virtualMemory capability" : rt_strerror(rc));
		return -1;
	}
	if ((rc = rt_shared_map(s->mem, &s->area, &size)) != 0 ||
	    s->area == NULL || size < AREA_SIZE) {
		rt_printf("nic-loop: %s: cannot map the frame area (%s)\n",
		    s->name, rt_strerror(rc));
		return -1;
	}
	for (uint16_t i = 0; i < usable; i++)
		slot_free(s, i);
	return 0;
}

int
main(void)
{
	static const char *names[2] = { "nicA", "nicB" };

	for (int i = 0; i < rt_argc(); i++) {
		const char *a = rt_argv(i);

		if (strcmp(a, "inject") == 0) {
			inject = true;
		} else if (strncmp(a, "slots=", 6) == 0) {
			usable = 0;
			for (a += 6; *a >= '0' && *a <= '9' && usable <= RX_SLOTS;
			    a++)
				usable = usable * 10 + (uint32_t)(*a - '0');
			if (*a != '\0' || usable < 8 || usable > RX_SLOTS) {
				rt_printf("nic-loop: slots=N takes 8 to %u\n",
				    RX_SLOTS);
				return 2;
			}
		} else {
			rt_printf("nic-loop: unknown argument \"%s\"\n", a);
			return 2;
		}
	}
	for (int i = 0; i < 2; i++) {
		struct side *s = &sides[i];

		s->name = names[i];
		s->owner = rt_cap(names[i], capos_Endpoint_INTERFACE_ID);
		memcpy(s->mac, "\x52\x54\x00\x00\x00\x01", 6);
		s->mac[5] = (uint8_t)(i + 1);
		if (s->owner == CAPOS_CAP_NULL) {
			rt_printf("nic-loop: no \"%s\" export\n", names[i]);
			return 1;
		}
		if (make_area(s) != 0)
			return 1;
	}
	for (int i = 0; i < 2; i++)
		if (arm(&sides[i]) != 0) {
			rt_printf("nic-loop: cannot receive on \"%s\"\n",
			    names[i]);
			return 1;
		}
	while (sides[0].armed || sides[1].armed) {
		uint64_t tags[2];
		struct side *who[2];
		struct capos_cqe c;
		int n = 0, k;

		for (int i = 0; i < 2; i++)
			if (sides[i].armed)
				tags[n] = sides[i].tag, who[n++] = &sides[i];
		if ((k = rt_wait_any(tags, n, &c)) < 0)
			return 1;
		who[k]->armed = false;
		if (c.status == CAPOS_EPEER || c.status == CAPOS_ECANCELED) {
			/* That side's netstack has gone, and its waiting
			 * calls with it; a transmit waiting for its slots
			 * would wait for ever. */
			who[k]->gone = true;
			who[k]->rx_waiting = false;
			who[k]->tx_waiting = false;
			retry_tx(other(who[k]));
			continue;
		}
		if (c.status >= 0)
			handle(who[k], &c);
		release_caps(who[k], &c);
		(void)arm(who[k]);
		for (int i = 0; i < 2; i++) {
			deliver(&sides[i]);
			retry_tx(&sides[i]);
		}
	}
	rt_printf("nic-loop: forwarded %llu frames to A, %llu to B; "
	    "injected %u malformed into A, %u into B\n",
	    (unsigned long long)sides[0].forwarded,
	    (unsigned long long)sides[1].forwarded, injected(&sides[0]),
	    injected(&sides[1]));
	rt_printf("nic-loop: bad done %u from A, %u from B; dropped %u "
	    "invalid frames from A, %u from B; lost %llu for A, %llu for B "
	    "once gone; transmits waited %u times on A, %u on B\n",
	    sides[0].bad_done, sides[1].bad_done, sides[0].tx_dropped,
	    sides[1].tx_dropped, (unsigned long long)sides[0].lost,
	    (unsigned long long)sides[1].lost, sides[0].waits,
	    sides[1].waits);
	if (inject)
		rt_printf("nic-loop: refused %u receive(s) of A, %u of B, "
		    "then delivered %llu and %llu frames\n", sides[0].refused,
		    sides[1].refused,
		    (unsigned long long)sides[0].after_refusal,
		    (unsigned long long)sides[1].after_refusal);
	if (inject && !injecting() && sides[0].after_inject > 100 &&
	    sides[1].after_inject > 100 && sides[0].bad_done == 0 &&
	    sides[1].bad_done == 0)
		rt_debug("[proof] nic-malformed ok injected=%u bad-done=0 "
		    "frames-after=%llu\n", injected(&sides[0]) +
		    injected(&sides[1]),
		    (unsigned long long)(sides[0].after_inject +
		    sides[1].after_inject));
	return 0;
}
