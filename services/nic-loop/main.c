/*
 * nic-loop: two Nic exports ("nicA", "nicB") joined back to back, so two
 * netstacks can talk inside one boot without a network card. A frame
 * transmitted on one side is received on the other, in order. Each
 * direction is a bounded queue; a transmit that finds it full takes what
 * fits, and one that can take nothing waits until the other side has
 * received, which pushes back on the sender instead of dropping.
 *
 * With the argument "inject", malformed frames (runts, truncated and
 * inconsistent headers of every layer, oversized frames) are slipped into
 * the live traffic of both sides; the proof line is printed at the end
 * once real traffic kept flowing both ways after the last of them.
 */
#include <string.h>

#include "net.capnp.h"
#include "rt.h"

#define RECV_BUF	(CAPOS_MAX_PARAMS + sizeof(struct capos_recv_hdr))
#define QLEN		256
#define FRAME_MAX	1600	/* room for the injected oversized frame */
/* A malformed frame goes into every INJECT_EVERY-th delivery. */
#define INJECT_EVERY	4
#define INJECT_ROUNDS	3
/* With inject, the receive call of this number on each side is refused. */
#define REFUSE_AT	50

struct frame {
	uint16_t len;
	uint8_t data[FRAME_MAX];
};

struct side {
	const char *name;
	capos_cap_t owner;
	bool armed;
	uint64_t tag;
	uint8_t mac[6];
	uint32_t ip;			/* learnt from its own traffic */
	/* Frames waiting for this side's receive. */
	struct frame q[QLEN];
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
	uint32_t injected;
	uint32_t receives, refused;	/* receive calls; refused (inject) */
	uint64_t after_refusal;		/* frames delivered since */
	uint8_t buf[RECV_BUF] __attribute__((aligned(8)));
	struct capos_capdesc caps[CAPOS_MAX_XCAPS];
};

static struct side sides[2];
static uint8_t reply[CAPOS_MAX_RESULT] __attribute__((aligned(8)));
static uint8_t exc_buf[512] __attribute__((aligned(8)));
static bool inject;

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

/* ---- Answers ---- */

static int
do_return(struct side *s, uint64_t call_id, struct capnp_builder *b)
{
	struct capos_sqe e;
	struct capos_cqe c;
	int rc;

	memset(&e, 0, sizeof(e));
	e.opcode = CAPOS_OP_RETURN;
	e.cap = s->owner;
	e.user_data = rt_next_tag();
	e.call_id = call_id;
	e.params_len = (uint32_t)capnp_builder_finish(b);
	e.params = (uint64_t)(uintptr_t)b->buf;
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

/* ---- Receive: frames queued for s ---- */

static bool
injecting(void)
{
	return inject && (sides[0].injected < BAD_COUNT * INJECT_ROUNDS ||
	    sides[1].injected < BAD_COUNT * INJECT_ROUNDS);
}

static void
deliver(struct side *s)
{
	static uint8_t bad[FRAME_MAX];
	struct capos_Nic_receive_Results_b r;
	struct capnp_builder b;
	struct capnp_lb lb;
	uint32_t n = s->qcount, i = 0, extra = 0;

	if (!s->rx_waiting || n == 0)
		return;
	if (n > s->rx_max)
		n = s->rx_max;
	/* A malformed frame rides along once the peer's address is known. */
	if (inject && s->injected < BAD_COUNT * INJECT_ROUNDS && s->ip != 0 &&
	    s->deliveries % INJECT_EVERY == 0 && s->rx_max > 1) {
		extra = 1;
		if (n + extra > s->rx_max)
			n = s->rx_max - extra;
	}
	if (capnp_builder_init(&b, reply, sizeof(reply)) != 0 ||
	    capos_Nic_receive_Results_init_root(&b, &r) != 0 ||
	    capos_Nic_receive_Results_init_frames(&r, n + extra, &lb) != 0)
		return;
	capos_Nic_receive_Results_set_linkUp(&r, true);
	if (extra) {
		uint16_t len = bad_frame((int)(s->injected % BAD_COUNT), s, bad);

		if (capnp_lb_set_data(&lb, i++, bad, len) != 0)
			return;
		s->injected++;
	}
	for (uint32_t k = 0; k < n; k++) {
		struct frame *f = &s->q[(s->qhead + k) % QLEN];

		if (capnp_lb_set_data(&lb, i++, f->data, f->len) != 0)
			return;
	}
	s->qhead = (s->qhead + n) % QLEN;
	s->qcount -= n;
	s->deliveries++;
	s->forwarded += n;
	if (!injecting())
		s->after_inject += n;
	if (s->refused > 0)
		s->after_refusal += n;
	s->rx_waiting = false;
	(void)do_return(s, s->rx_call, &b);
}

/* ---- Transmit: frames from s for the other side ---- */

/* Takes what fits of the transmit message msg; returns the frames taken
 * (including those dropped for length), or -1 if malformed. */
static int
take(struct side *s, const uint8_t *msg, uint32_t len, uint32_t *dropped)
{
	struct side *to = other(s);
	struct capos_Nic_transmit_Params_r p;
	struct capnp_msg m;
	struct capnp_list frames;
	uint32_t taken = 0;

	*dropped = 0;
	if (capnp_msg_init(&m, msg, len) != 0 ||
	    capnp_msg_root(&m, &p.s) != 0 ||
	    capos_Nic_transmit_Params_get_frames(&p, &frames) != 0 ||
	    frames.n > capos_Nic_maxBatch)
		return -1;
	/* All of it is checked before any frame is queued: a malformed
	 * message takes nothing, so a retry cannot queue a frame twice. */
	for (uint32_t i = 0; i < frames.n; i++) {
		struct capnp_data d;

		if (capnp_list_data(&frames, i, &d) != 0)
			return -1;
	}
	for (uint32_t i = 0; i < frames.n; i++) {
		struct capnp_data d;
		struct frame *f;

		if (capnp_list_data(&frames, i, &d) != 0)
			break;		/* cannot happen: checked above */
		/* Nobody receives for a side that has gone: drop. */
		if (d.len > capos_Nic_maxFrame || d.len == 0 || to->gone) {
			(*dropped)++;
			taken++;
			continue;
		}
		if (to->qcount == QLEN)
			break;
		/* Learn the sender's address from its IPv4 traffic. */
		if (d.len >= 34 && d.ptr[12] == 0x08 && d.ptr[13] == 0x00)
			s->ip = (uint32_t)d.ptr[26] << 24 |
			    (uint32_t)d.ptr[27] << 16 |
			    (uint32_t)d.ptr[28] << 8 | d.ptr[29];
		f = &to->q[(to->qhead + to->qcount++) % QLEN];
		f->len = (uint16_t)d.len;
		memcpy(f->data, d.ptr, d.len);
		taken++;
	}
	return (int)taken;
}

static void
answer_tx(struct side *s, uint64_t call_id, uint32_t sent, uint32_t dropped)
{
	struct capos_Nic_transmit_Results_b r;
	struct capnp_builder b;

	if (capnp_builder_init(&b, reply, sizeof(reply)) != 0 ||
	    capos_Nic_transmit_Results_init_root(&b, &r) != 0) {
		do_exception(s, call_id, capos_CapException_Type_failed,
		    "cannot build the answer");
		return;
	}
	capos_Nic_transmit_Results_set_sent(&r, sent);
	capos_Nic_transmit_Results_set_dropped(&r, dropped);
	(void)do_return(s, call_id, &b);
}

static void
retry_tx(struct side *s)
{
	uint32_t dropped;
	int n;

	if (!s->tx_waiting || (other(s)->qcount == QLEN && !other(s)->gone))
		return;
	s->tx_waiting = false;
	n = take(s, s->tx_msg, s->tx_len, &dropped);
	answer_tx(s, s->tx_call, n < 0 ? 0 : (uint32_t)n, dropped);
}

/* ---- Calls ---- */

static void
handle(struct side *s, const struct capos_cqe *c)
{
	const struct capos_recv_hdr *h = (const void *)s->buf;
	const uint8_t *msg = s->buf + sizeof(*h);
	struct capnp_builder b;
	uint32_t dropped;
	int n;

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
		(void)do_return(s, h->call_id, &b);
		return;
	}
	case capos_Nic_transmit_ORDINAL:
		if (s->tx_waiting) {
			do_exception(s, h->call_id,
			    capos_CapException_Type_overloaded,
			    "a transmit is waiting");
			return;
		}
		n = take(s, msg, h->params_len, &dropped);
		if (n < 0) {
			do_exception(s, h->call_id,
			    capos_CapException_Type_failed, "malformed frames");
		} else if (n == 0 && dropped == 0 && other(s)->qcount == QLEN) {
			/* Nothing fits: wait for room (the message is
			 * copied, since the receive buffer is reused). */
			memcpy(s->tx_msg, msg, h->params_len);
			s->tx_len = h->params_len;
			s->tx_call = h->call_id;
			s->tx_waiting = true;
		} else {
			answer_tx(s, h->call_id, (uint32_t)n, dropped);
		}
		return;
	case capos_Nic_receive_ORDINAL: {
		struct capos_Nic_receive_Params_r p;
		struct capnp_msg m;

		if (s->rx_waiting) {
			do_exception(s, h->call_id,
			    capos_CapException_Type_overloaded,
			    "a receive is waiting");
			return;
		}
		/* With inject, one receive per side is refused, as a busy
		 * or restarting driver might: the stack must ask again. */
		if (inject && ++s->receives == REFUSE_AT) {
			do_exception(s, h->call_id,
			    capos_CapException_Type_overloaded,
			    "refused once (inject)");
			s->refused++;
			return;
		}
		p.s = (struct capnp_struct){ 0 };
		if (h->params_len > 0 && (capnp_msg_init(&m, msg,
		    h->params_len) != 0 || capnp_msg_root(&m, &p.s) != 0)) {
			do_exception(s, h->call_id,
			    capos_CapException_Type_failed, "malformed params");
			return;
		}
		s->rx_max = capos_Nic_receive_Params_get_maxFrames(&p);
		if (s->rx_max == 0 || s->rx_max > capos_Nic_maxBatch)
			s->rx_max = capos_Nic_maxBatch;
		s->rx_call = h->call_id;
		s->rx_waiting = true;
		return;
	}
	}
	do_exception(s, h->call_id, capos_CapException_Type_unimplemented,
	    "no such method");
}

static int
arm(struct side *s)
{
	struct capos_sqe e;
	int rc;

	memset(&e, 0, sizeof(e));
	e.opcode = CAPOS_OP_RECV;
	e.cap = s->owner;
	e.user_data = rt_next_tag();
	e.result = (uint64_t)(uintptr_t)s->buf;
	e.result_len = sizeof(s->buf);
	e.caps = (uint64_t)(uintptr_t)s->caps;
	e.ncaps_out = CAPOS_MAX_XCAPS;
	if ((rc = rt_submit(&e)) != 0)
		return rc;
	s->tag = e.user_data;
	s->armed = true;
	return 0;
}

static void
release_caps(struct side *s, const struct capos_cqe *c)
{
	for (uint32_t i = 0; i < c->ncaps && i < CAPOS_MAX_XCAPS; i++) {
		struct capos_sqe e;
		struct capos_cqe rc;

		memset(&e, 0, sizeof(e));
		e.opcode = CAPOS_OP_RELEASE;
		e.cap = s->caps[i].cap;
		e.user_data = rt_next_tag();
		if (rt_submit(&e) == 0)
			(void)rt_wait(e.user_data, &rc);
	}
}

int
main(void)
{
	static const char *names[2] = { "nicA", "nicB" };

	for (int i = 0; i < rt_argc(); i++)
		if (strcmp(rt_argv(i), "inject") == 0)
			inject = true;
	for (int i = 0; i < 2; i++) {
		struct side *s = &sides[i];

		s->name = names[i];
		s->owner = rt_cap(names[i], capos_Endpoint_INTERFACE_ID);
		memcpy(s->mac, "\x52\x54\x00\x00\x00\x01", 6);
		s->mac[5] = (uint8_t)(i + 1);
		if (s->owner == CAPOS_CAP_NULL || arm(s) != 0) {
			rt_printf("nic-loop: no \"%s\" export\n", names[i]);
			return 1;
		}
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
			/* That side's netstack has gone: a transmit waiting
			 * for its queue to drain would wait for ever. */
			who[k]->gone = true;
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
	    (unsigned long long)sides[1].forwarded, sides[0].injected,
	    sides[1].injected);
	if (inject)
		rt_printf("nic-loop: refused %u receive(s) of A, %u of B, "
		    "then delivered %llu and %llu frames\n", sides[0].refused,
		    sides[1].refused,
		    (unsigned long long)sides[0].after_refusal,
		    (unsigned long long)sides[1].after_refusal);
	if (inject && !injecting() && sides[0].after_inject > 100 &&
	    sides[1].after_inject > 100)
		rt_printf("[proof] nic-malformed ok injected=%u frames-after="
		    "%llu\n", sides[0].injected + sides[1].injected,
		    (unsigned long long)(sides[0].after_inject +
		    sides[1].after_inject));
	return 0;
}
