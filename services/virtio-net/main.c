/*
 * virtio-net: a driver for one virtio 1.0 network device, serving `Nic`
 * (schema/net.capnp) on its "nic" export. It holds the device's BAR 4,
 * its interrupt and two DMA pools (one private, one the frame area it
 * shares with its client), plus the console, and nothing else.
 *
 * One loop keeps two things in flight: an Interrupt.wait and a RECV on
 * the export. info, buffers and transmit are answered at once; a receive
 * with no frame waiting is kept (one at a time) and answered when an
 * interrupt brings frames or a link change. When no client is left the
 * device is reset, so it stops touching the pools, and the driver exits.
 *
 * Slot numbers from the client are checked against who holds each slot:
 * the device (posted), the client (receive slots lent, transmit slots
 * free), and nothing else.
 */
#include <string.h>

#include "driver.h"

#define RECV_BUF	(sizeof(struct capos_recv_hdr) + CAPOS_MAX_PARAMS)

static struct nic nic;
static capos_cap_t owner, irq, shared;

/* Receive slots lent to the client. */
static bool lent[QMAX];
/* Transmit chains given back and not yet reported in an answer that was
 * delivered: not the device's, and not the client's to offer yet. */
static uint16_t owed[QMAX / 2];
static uint32_t nowed;
static bool owing[QMAX / 2];
/* Slot numbers from the client that named no slot it held. */
static uint64_t bad_slots;
/* The one client the frame area is served to: the process (session) that
 * first asked for it. Anyone else holding "nic" gets info and nothing
 * more, so it cannot give back or send the client's slots. */
static bool bound;
static uint8_t client[16];

static uint8_t recv_buf[RECV_BUF] __attribute__((aligned(8)));
static struct capos_capdesc recv_caps[CAPOS_MAX_XCAPS];
static uint8_t reply_buf[CAPOS_MAX_RESULT] __attribute__((aligned(8)));
static uint8_t exc_buf[512] __attribute__((aligned(8)));
static uint8_t irq_buf[128] __attribute__((aligned(8)));
static uint64_t irq_tag, recv_tag;

/* The one receive waiting for frames; a second is refused. */
static struct {
	bool held;
	uint64_t call_id;
	uint32_t max;
} waiting;
/* The link changed and no receive has reported it yet. */
static bool link_news;

static int
arm_irq(void)
{
	struct capos_sqe e;
	int rc;

	rt_prep_call(&e, irq, capos_Interrupt_INTERFACE_ID,
	    capos_Interrupt_wait_ORDINAL, NULL, irq_buf, sizeof(irq_buf), NULL,
	    0, 0);
	if ((rc = rt_submit(&e)) == 0)
		irq_tag = e.user_data;
	return rc;
}

static int
arm_recv(void)
{
	struct capos_sqe e;
	int rc;

	memset(&e, 0, sizeof(e));
	e.opcode = CAPOS_OP_RECV;
	e.cap = owner;
	e.user_data = rt_next_tag();
	e.result = (uint64_t)(uintptr_t)recv_buf;
	e.result_len = sizeof(recv_buf);
	e.caps = (uint64_t)(uintptr_t)recv_caps;
	e.ncaps_out = CAPOS_MAX_XCAPS;
	if ((rc = rt_submit(&e)) == 0)
		recv_tag = e.user_data;
	return rc;
}

/* RETURNs msg (len bytes) to call_id with ncaps copies of caps; the
 * RETURN's status. */
static int
send_return(uint64_t call_id, uint8_t flags, const void *msg, size_t len,
    struct capos_capdesc *caps, uint16_t ncaps)
{
	struct capos_sqe e;
	struct capos_cqe c;
	int rc;

	rt_prep_return(&e, owner, call_id, msg, len, caps, ncaps);
	e.flags |= flags;
	if ((rc = rt_submit(&e)) != 0 || (rc = rt_wait(e.user_data, &c)) != 0)
		return rc;
	return c.status;
}

static int
answer(uint64_t call_id, struct capnp_builder *b)
{
	return send_return(call_id, 0, reply_buf, capnp_builder_finish(b),
	    NULL, 0);
}

static int
answer_exc(uint64_t call_id, enum capos_CapException_Type type,
    const char *why)
{
	struct capos_CapException_b ex;
	struct capnp_builder b;

	if (capnp_builder_init(&b, exc_buf, sizeof(exc_buf)) != 0 ||
	    capos_CapException_init_root(&b, &ex) != 0 ||
	    capos_CapException_set_reason(&ex, why, strlen(why)) != 0)
		return CAPOS_E2BIG;
	capos_CapException_set_type(&ex, type);
	return send_return(call_id, CAPOS_SQE_EXCEPTION, exc_buf,
	    capnp_builder_finish(&b), NULL, 0);
}

/* No Nic method takes capabilities: drop whatever came with a call. */
static void
release_caps(uint16_t ncaps)
{
	struct capos_sqe e;
	struct capos_cqe c;

	for (uint16_t i = 0; i < ncaps && i < CAPOS_MAX_XCAPS; i++) {
		memset(&e, 0, sizeof(e));
		e.opcode = CAPOS_OP_RELEASE;
		e.cap = recv_caps[i].cap;
		e.user_data = rt_next_tag();
		if (rt_submit(&e) == 0)
			(void)rt_wait(e.user_data, &c);
	}
}

static void
do_info(uint64_t call_id)
{
	struct capos_Nic_info_Results_b r;
	struct capnp_builder b;

	if (capnp_builder_init(&b, reply_buf, sizeof(reply_buf)) != 0 ||
	    capos_Nic_info_Results_init_root(&b, &r) != 0 ||
	    capos_Nic_info_Results_set_mac(&r, nic.mac, sizeof(nic.mac)) != 0) {
		(void)answer_exc(call_id, capos_CapException_Type_failed,
		    "cannot build the answer");
		return;
	}
	capos_Nic_info_Results_set_mtu(&r, 1500);
	capos_Nic_info_Results_set_linkUp(&r, nic.link_up);
	(void)answer(call_id, &b);
}

/* The frame area: a copy of the SharedMemory and its geometry. */
static void
do_buffers(uint64_t call_id)
{
	struct capos_Nic_buffers_Results_b r;
	struct capos_capdesc cd = { .cap = shared, .mode = CAPOS_XFER_COPY };
	struct capnp_builder b;

	if (capnp_builder_init(&b, reply_buf, sizeof(reply_buf)) != 0 ||
	    capos_Nic_buffers_Results_init_root(&b, &r) != 0) {
		(void)answer_exc(call_id, capos_CapException_Type_failed,
		    "cannot build the answer");
		return;
	}
	capos_Nic_buffers_Results_set_memory(&r, 0);
	capos_Nic_buffers_Results_set_slotSize(&r, SLOT_SIZE);
	capos_Nic_buffers_Results_set_headroom(&r, HEADROOM);
	capos_Nic_buffers_Results_set_rxSlots(&r, nic.rx.size);
	capos_Nic_buffers_Results_set_txSlots(&r, nic.ntx);
	(void)send_return(call_id, 0, reply_buf, capnp_builder_finish(&b),
	    &cd, 1);
}

/* Chain k goes back to the client in the next answer. */
static void
owe(uint16_t k)
{
	owing[k] = true;
	owed[nowed++] = k;
}

/*
 * Takes frames from the front of the list (at most maxBatch), each in a
 * transmit slot the client holds, and answers with the slots given back:
 * chains the device finished, discarded frames' slots, and any a lost
 * answer did not report. `sent` counts every frame taken, so the caller
 * can drop that many from its queue; `dropped` those among them that were
 * discarded (a slot not the caller's, a length of 0 or over maxFrame).
 */
static void
do_transmit(uint64_t call_id, struct capnp_struct *params)
{
	struct capos_Nic_transmit_Params_r p = { *params };
	struct capos_Nic_transmit_Results_b r;
	struct capnp_builder b;
	struct capnp_list frames;
	uint32_t taken = 0, dropped = 0, queued = 0;
	struct capnp_lb lb;
	uint16_t k;

	if (capos_Nic_transmit_Params_get_frames(&p, &frames) != 0) {
		(void)answer_exc(call_id, capos_CapException_Type_failed,
		    "frames is not a list of Frame");
		return;
	}
	while (tx_reclaim(&nic, &k))
		owe(k);
	for (uint32_t i = 0; i < frames.n && i < capos_Nic_maxBatch; i++) {
		struct capos_Nic_Frame_r f;
		uint32_t slot, len;

		taken++;
		if (capos_Nic_Frame_at(&frames, i, &f) != 0) {
			dropped++;
			continue;
		}
		slot = capos_Nic_Frame_get_slot(&f);
		len = capos_Nic_Frame_get_length(&f);
		k = (uint16_t)(slot - nic.rx.size);
		/* Not a transmit slot, or not the caller's now: the device
		 * holds it (sent, or named earlier in the list), or it is
		 * owed (given back in this answer or a lost one). */
		if (slot < nic.rx.size || slot - nic.rx.size >= nic.ntx ||
		    tx_busy(&nic, k) || owing[k]) {
			bad_slots++;
			dropped++;
			continue;
		}
		if (len == 0 || len > capos_Nic_maxFrame) {
			dropped++;
			owe(k);
			continue;
		}
		tx_put(&nic, k, len);
		queued++;
	}
	if (queued > 0)
		vq_kick(&nic.tx);
	nic.tx_dropped += dropped;
	if (capnp_builder_init(&b, reply_buf, sizeof(reply_buf)) != 0 ||
	    capos_Nic_transmit_Results_init_root(&b, &r) != 0 ||
	    capos_Nic_transmit_Results_init_done(&r, nowed, &lb) != 0) {
		(void)answer_exc(call_id, capos_CapException_Type_failed,
		    "cannot build the answer");
		return;
	}
	for (uint32_t i = 0; i < nowed; i++)
		if (capnp_lb_set_prim(&lb, i, nic.rx.size + owed[i]) != 0)
			return;
	capos_Nic_transmit_Results_set_sent(&r, taken);
	capos_Nic_transmit_Results_set_dropped(&r, dropped);
	/* Delivered: the client holds them. Otherwise they stay owed. */
	if (answer(call_id, &b) >= 0) {
		for (uint32_t i = 0; i < nowed; i++)
			owing[owed[i]] = false;
		nowed = 0;
	}
}

/*
 * Answers a receive with up to max waiting frames (at most maxBatch),
 * lending their slots. With none waiting it answers only when `now` is
 * set (an empty batch, with the link state); returns whether it answered.
 */
static bool
fill_receive(uint64_t call_id, uint32_t max, bool now)
{
	struct capos_Nic_receive_Results_b r;
	struct capnp_builder b;
	struct capnp_lb lb;
	uint32_t len[capos_Nic_maxBatch], k = 0;
	uint16_t id[capos_Nic_maxBatch];
	int rc = 0;

	if (max > capos_Nic_maxBatch)
		max = capos_Nic_maxBatch;
	while (k < max && rx_next(&nic, &id[k], &len[k]))
		k++;
	if (k == 0 && !now && !link_news)
		return false;
	if (capnp_builder_init(&b, reply_buf, sizeof(reply_buf)) != 0 ||
	    capos_Nic_receive_Results_init_root(&b, &r) != 0 ||
	    capos_Nic_receive_Results_init_frames(&r, k, &lb) != 0)
		rc = -1;
	for (uint32_t i = 0; i < k && rc == 0; i++) {
		struct capos_Nic_Frame_b f;

		if ((rc = capos_Nic_Frame_b_at(&lb, i, &f)) != 0)
			break;
		capos_Nic_Frame_set_slot(&f, id[i]);
		capos_Nic_Frame_set_length(&f, (uint16_t)len[i]);
	}
	if (rc == 0) {
		capos_Nic_receive_Results_set_linkUp(&r, nic.link_up);
		link_news = false;
		for (uint32_t i = 0; i < k; i++)
			lent[id[i]] = true;
		if (answer(call_id, &b) >= 0)
			return true;
		/* A caller gone, or with too small a result buffer: the
		 * slots come back and their frames are lost. */
	} else {
		(void)answer_exc(call_id, capos_CapException_Type_failed,
		    "cannot build the answer");
	}
	for (uint32_t i = 0; i < k; i++) {
		lent[id[i]] = false;
		rx_post(&nic, id[i]);
	}
	if (k > 0)
		vq_kick(&nic.rx);
	nic.rx_dropped += k;
	return true;
}

/* Receive slots the client has finished with go back to the device. */
static void
take_back(const struct capnp_list *done)
{
	uint32_t back = 0;

	for (uint32_t i = 0; i < done->n; i++) {
		uint16_t slot = capnp_list_u16(done, i);

		if (slot >= nic.rx.size || !lent[slot]) {
			bad_slots++;
			continue;
		}
		lent[slot] = false;
		rx_post(&nic, slot);
		back++;
	}
	if (back > 0)
		vq_kick(&nic.rx);
}

static void
do_receive(uint64_t call_id, struct capnp_struct *params)
{
	struct capos_Nic_receive_Params_r p = { *params };
	uint32_t max = capos_Nic_receive_Params_get_maxFrames(&p);
	struct capnp_list done;

	/* Refused before `done` is looked at: the client offers it again. */
	if (waiting.held) {
		(void)answer_exc(call_id, capos_CapException_Type_overloaded,
		    "a receive is already waiting");
		return;
	}
	if (capos_Nic_receive_Params_get_done(&p, &done) != 0) {
		(void)answer_exc(call_id, capos_CapException_Type_failed,
		    "done is not a list of slot numbers");
		return;
	}
	take_back(&done);
	/* maxFrames 0 asks for no frames: the link state, at once. */
	if (fill_receive(call_id, max, max == 0))
		return;
	/* Ask for an interrupt, then look again: a frame that arrived
	 * before the request raised none. */
	rx_interrupts(&nic, true);
	if (fill_receive(call_id, max, false)) {
		rx_interrupts(&nic, false);
		return;
	}
	waiting.held = true;
	waiting.call_id = call_id;
	waiting.max = max;
}

/* Whether h's caller may use the frame area; the first caller of
 * buffers becomes the client. */
static bool
area_caller(const struct capos_recv_hdr *h)
{
	if (!bound && h->method == capos_Nic_buffers_ORDINAL) {
		memcpy(client, h->session, sizeof(client));
		bound = true;
	}
	return bound && memcmp(client, h->session, sizeof(client)) == 0;
}

/* Handles one received call; its capabilities are released after. */
static void
dispatch(const struct capos_cqe *c)
{
	const struct capos_recv_hdr *h = (const struct capos_recv_hdr *)recv_buf;
	struct capnp_struct params;
	struct capnp_msg msg;

	if ((size_t)c->status < sizeof(*h) ||
	    h->params_len > (size_t)c->status - sizeof(*h))
		return;
	memset(&params, 0, sizeof(params));
	if (h->params_len > 0 && (capnp_msg_init(&msg, recv_buf + sizeof(*h),
	    h->params_len) != 0 || capnp_msg_root(&msg, &params) != 0)) {
		(void)answer_exc(h->call_id, capos_CapException_Type_failed,
		    "malformed params");
		return;
	}
	if (h->interface_id != capos_Nic_INTERFACE_ID) {
		(void)answer_exc(h->call_id,
		    capos_CapException_Type_unimplemented, "not a Nic call");
		return;
	}
	if (nic.broken && h->method != capos_Nic_info_ORDINAL) {
		(void)answer_exc(h->call_id, capos_CapException_Type_failed,
		    "the device misbehaved and was stopped");
		return;
	}
	if ((h->method == capos_Nic_buffers_ORDINAL ||
	    h->method == capos_Nic_transmit_ORDINAL ||
	    h->method == capos_Nic_receive_ORDINAL) && !area_caller(h)) {
		(void)answer_exc(h->call_id, capos_CapException_Type_failed,
		    bound ? "the frame area is another client's" :
		    "ask for the frame area (buffers) first");
		return;
	}
	switch (h->method) {
	case capos_Nic_info_ORDINAL:
		do_info(h->call_id);
		break;
	case capos_Nic_buffers_ORDINAL:
		do_buffers(h->call_id);
		break;
	case capos_Nic_transmit_ORDINAL:
		do_transmit(h->call_id, &params);
		break;
	case capos_Nic_receive_ORDINAL:
		do_receive(h->call_id, &params);
		break;
	default:
		(void)answer_exc(h->call_id,
		    capos_CapException_Type_unimplemented, "no such method");
		break;
	}
}

/* A broken device will produce no frame: the waiting receive fails now,
 * whichever path found the device broken. */
static void
fail_waiting(void)
{
	if (!waiting.held || !nic.broken)
		return;
	(void)answer_exc(waiting.call_id, capos_CapException_Type_failed,
	    "the device misbehaved and was stopped");
	waiting.held = false;
}

/* After an interrupt: note the link, then serve the waiting receive. */
static void
interrupted(void)
{
	if (nic_link_changed(&nic))
		link_news = true;
	if (!waiting.held)
		return;
	if (nic.broken) {
		fail_waiting();
		return;
	}
	if (fill_receive(waiting.call_id, waiting.max, false)) {
		waiting.held = false;
		rx_interrupts(&nic, false);
	}
}

static int
serve(void)
{
	struct capos_cqe c;
	uint64_t tags[2];
	int k;

	if (arm_irq() != 0 || arm_recv() != 0)
		return 1;
	for (;;) {
		tags[0] = irq_tag;
		tags[1] = recv_tag;
		if ((k = rt_wait_any(tags, 2, &c)) < 0) {
			rt_printf("[virtio-net] ring: %s\n", rt_strerror(k));
			return 1;
		}
		if (k == 0) {
			if (c.status < 0 || (c.flags & CAPOS_CQE_EXCEPTION)) {
				rt_printf("[virtio-net] Interrupt.wait failed\n");
				return 1;
			}
			interrupted();
			if (arm_irq() != 0)
				return 1;
			continue;
		}
		if (c.status == CAPOS_EPEER)
			return 0;
		/* A call that could not be delivered: take the next. */
		if (c.status >= 0) {
			dispatch(&c);
			release_caps(c.ncaps);
			/* A transmit may have found the device broken. */
			fail_waiting();
		} else if (c.status != CAPOS_ERESULT &&
		    c.status != CAPOS_ETRANSFER && c.status != CAPOS_EFAULT) {
			rt_printf("[virtio-net] RECV: %s\n",
			    rt_strerror(c.status));
			return 1;
		}
		if (arm_recv() != 0)
			return 1;
	}
}

int
main(void)
{
	capos_cap_t mmio = rt_cap("bar4", capos_DeviceMmio_INTERFACE_ID);
	capos_cap_t pool = rt_cap("pool", capos_DMAPool_INTERFACE_ID);
	capos_cap_t frames = rt_cap("frames", capos_DMAPool_INTERFACE_ID);
	int rc;

	irq = rt_cap("irq", capos_Interrupt_INTERFACE_ID);
	owner = rt_cap("nic", capos_Endpoint_INTERFACE_ID);
	if (mmio == CAPOS_CAP_NULL || pool == CAPOS_CAP_NULL ||
	    frames == CAPOS_CAP_NULL || irq == CAPOS_CAP_NULL ||
	    owner == CAPOS_CAP_NULL) {
		rt_printf("[virtio-net] needs \"bar4\", \"irq\", \"pool\", "
		    "\"frames\" and the \"nic\" export\n");
		return 2;
	}
	if (nic_init(&nic, mmio, pool, frames) != 0)
		return 1;
	if ((shared = rt_pool_share(frames)) == CAPOS_CAP_NULL) {
		nic_reset(&nic);
		rt_printf("[virtio-net] cannot share the frame area\n");
		return 1;
	}
	rt_debug("[virtio-net] up: mac %02x:%02x:%02x:%02x:%02x:%02x, "
	    "link %s, %u rx and %u tx entries\n", nic.mac[0], nic.mac[1],
	    nic.mac[2], nic.mac[3], nic.mac[4], nic.mac[5],
	    nic.link_up ? "up" : "down", nic.rx.size, nic.tx.size);
	rc = serve();
	nic_reset(&nic);
	rt_debug("[virtio-net] stopped: rx %llu (dropped %llu), tx %llu "
	    "(dropped %llu), bad device entries %llu, bad slots %llu\n",
	    (unsigned long long)nic.rx_frames,
	    (unsigned long long)nic.rx_dropped,
	    (unsigned long long)nic.tx_frames,
	    (unsigned long long)nic.tx_dropped,
	    (unsigned long long)nic.bad_entries,
	    (unsigned long long)bad_slots);
	return rc;
}
