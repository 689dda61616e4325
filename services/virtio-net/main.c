/*
 * virtio-net: a driver for one virtio 1.0 network device, serving `Nic`
 * (schema/net.capnp) on its "nic" export. It holds the device's BAR 4,
 * its interrupt and a DMA pool, plus the console, and nothing else.
 *
 * One loop keeps two things in flight: an Interrupt.wait and a RECV on
 * the export. info and transmit are answered at once; a receive with no
 * frame waiting is kept (one at a time) and answered when an interrupt
 * brings frames or a link change. When no client is left the device is
 * reset, so it stops touching the pool, and the driver exits.
 */
#include <string.h>

#include "driver.h"

#define RECV_BUF	(sizeof(struct capos_recv_hdr) + CAPOS_MAX_PARAMS)

static struct nic nic;
static capos_cap_t owner, irq;

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

/* RETURNs msg (len bytes) to call_id; the RETURN's status. */
static int
send_return(uint64_t call_id, uint8_t flags, const void *msg, size_t len)
{
	struct capos_sqe e;
	struct capos_cqe c;
	int rc;

	memset(&e, 0, sizeof(e));
	e.opcode = CAPOS_OP_RETURN;
	e.flags = flags;
	e.cap = owner;
	e.user_data = rt_next_tag();
	e.call_id = call_id;
	e.params = (uint64_t)(uintptr_t)msg;
	e.params_len = (uint32_t)len;
	if ((rc = rt_submit(&e)) != 0 || (rc = rt_wait(e.user_data, &c)) != 0)
		return rc;
	return c.status;
}

static int
answer(uint64_t call_id, struct capnp_builder *b)
{
	return send_return(call_id, 0, reply_buf, capnp_builder_finish(b));
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
	    capnp_builder_finish(&b));
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

/*
 * Takes frames from the front of the list while transmit buffers last.
 * `sent` counts every frame taken, so the caller can drop that many from
 * its queue; `dropped` counts those among them that were discarded
 * (empty, longer than maxFrame, or unreadable) instead of sent.
 */
static void
do_transmit(uint64_t call_id, struct capnp_struct *params)
{
	struct capos_Nic_transmit_Params_r p = { *params };
	struct capos_Nic_transmit_Results_b r;
	struct capnp_builder b;
	struct capnp_list frames;
	struct capnp_data d;
	uint32_t taken = 0, dropped = 0, queued = 0;

	if (capos_Nic_transmit_Params_get_frames(&p, &frames) != 0) {
		(void)answer_exc(call_id, capos_CapException_Type_failed,
		    "frames is not a list of Data");
		return;
	}
	tx_reclaim(&nic);
	for (uint32_t i = 0; i < frames.n && i < capos_Nic_maxBatch; i++) {
		if (capnp_list_data(&frames, i, &d) != 0 || d.len == 0 ||
		    d.len > capos_Nic_maxFrame) {
			dropped++;
			taken++;
			continue;
		}
		if (tx_put(&nic, d.ptr, d.len) != 0)
			break;
		taken++;
		queued++;
	}
	if (queued > 0)
		vq_kick(&nic.tx);
	nic.tx_dropped += dropped;
	if (capnp_builder_init(&b, reply_buf, sizeof(reply_buf)) != 0 ||
	    capos_Nic_transmit_Results_init_root(&b, &r) != 0) {
		(void)answer_exc(call_id, capos_CapException_Type_failed,
		    "cannot build the answer");
		return;
	}
	capos_Nic_transmit_Results_set_sent(&r, taken);
	capos_Nic_transmit_Results_set_dropped(&r, dropped);
	(void)answer(call_id, &b);
}

/*
 * Answers a receive with up to max waiting frames (at most maxBatch).
 * With none waiting it answers only when `now` is set (an empty batch,
 * with the link state); returns whether it answered.
 */
static bool
fill_receive(uint64_t call_id, uint32_t max, bool now)
{
	struct capos_Nic_receive_Results_b r;
	struct capnp_builder b;
	struct capnp_lb lb;
	const uint8_t *frame[capos_Nic_maxBatch];
	uint32_t len[capos_Nic_maxBatch], k = 0;
	uint16_t id[capos_Nic_maxBatch];
	int rc = 0;

	if (max > capos_Nic_maxBatch)
		max = capos_Nic_maxBatch;
	while (k < max && rx_next(&nic, &id[k], &frame[k], &len[k]))
		k++;
	if (k == 0 && !now && !link_news)
		return false;
	if (capnp_builder_init(&b, reply_buf, sizeof(reply_buf)) != 0 ||
	    capos_Nic_receive_Results_init_root(&b, &r) != 0 ||
	    capos_Nic_receive_Results_init_frames(&r, k, &lb) != 0)
		rc = -1;
	for (uint32_t i = 0; i < k && rc == 0; i++)
		rc = capnp_lb_set_data(&lb, i, frame[i], len[i]);
	/* The frames are copied out: their buffers go back at once. */
	for (uint32_t i = 0; i < k; i++)
		rx_post(&nic, id[i]);
	if (k > 0)
		vq_kick(&nic.rx);
	if (rc != 0) {
		nic.rx_dropped += k;
		(void)answer_exc(call_id, capos_CapException_Type_failed,
		    "cannot build the answer");
		return true;
	}
	capos_Nic_receive_Results_set_linkUp(&r, nic.link_up);
	link_news = false;
	/* A caller gone, or with too small a result buffer, loses them. */
	if (answer(call_id, &b) < 0)
		nic.rx_dropped += k;
	return true;
}

static void
do_receive(uint64_t call_id, struct capnp_struct *params)
{
	struct capos_Nic_receive_Params_r p = { *params };
	uint32_t max = capos_Nic_receive_Params_get_maxFrames(&p);

	if (waiting.held) {
		(void)answer_exc(call_id, capos_CapException_Type_overloaded,
		    "a receive is already waiting");
		return;
	}
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
	switch (h->method) {
	case capos_Nic_info_ORDINAL:
		do_info(h->call_id);
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
	int rc;

	irq = rt_cap("irq", capos_Interrupt_INTERFACE_ID);
	owner = rt_cap("nic", capos_Endpoint_INTERFACE_ID);
	if (mmio == CAPOS_CAP_NULL || pool == CAPOS_CAP_NULL ||
	    irq == CAPOS_CAP_NULL || owner == CAPOS_CAP_NULL) {
		rt_printf("[virtio-net] needs \"bar4\", \"irq\", \"pool\" and "
		    "the \"nic\" export\n");
		return 2;
	}
	if (nic_init(&nic, mmio, pool) != 0)
		return 1;
	rt_printf("[virtio-net] up: mac %02x:%02x:%02x:%02x:%02x:%02x, "
	    "link %s, %u rx and %u tx entries\n", nic.mac[0], nic.mac[1],
	    nic.mac[2], nic.mac[3], nic.mac[4], nic.mac[5],
	    nic.link_up ? "up" : "down", nic.rx.size, nic.tx.size);
	rc = serve();
	nic_reset(&nic);
	rt_printf("[virtio-net] stopped: rx %llu (dropped %llu), tx %llu "
	    "(dropped %llu), bad device entries %llu\n",
	    (unsigned long long)nic.rx_frames,
	    (unsigned long long)nic.rx_dropped,
	    (unsigned long long)nic.tx_frames,
	    (unsigned long long)nic.tx_dropped,
	    (unsigned long long)nic.bad_entries);
	return rc;
}
