/*
 * Frames between lwIP and the Nic. One Nic.receive is kept in flight; its
 * frames are fed to lwIP from the main loop (never from inside an lwIP
 * callback, since lwIP is not reentrant). lwIP's output is queued as
 * pbuf references and sent in batches by one Nic.transmit at a time.
 */
#include <string.h>

#include "lwip/etharp.h"
#include "netif/ethernet.h"
#include "netstack.h"

/* Ethernet's minimum frame without the FCS: shorter frames are padded,
 * because lwIP reads whole ARP headers before checking the length. */
#define MIN_FRAME	60
/* Frames lwIP has output and the Nic has not taken yet. A full queue
 * drops the frame; TCP retransmits it (lwIP does not retransmit a
 * segment whose pbuf the queue still holds). */
#define TXQ_LEN		1024

static capos_cap_t nic_cap;

static uint8_t rx_params[64] __attribute__((aligned(8)));
static uint8_t rx_buf[CAPOS_MAX_RESULT] __attribute__((aligned(8)));
static uint64_t rx_tag;
static bool rx_armed;
/* The last receive failed (or could not be made): ask again at the next
 * tick rather than never, or at once in a loop. rx_failing: it failed,
 * and that was said once. */
static bool rx_retry, rx_failing;

static uint8_t tx_params[CAPOS_MAX_PARAMS] __attribute__((aligned(8)));
static uint8_t tx_result[128] __attribute__((aligned(8)));
static uint8_t tx_scratch[1536];
static uint64_t tx_tag;
static bool tx_armed;
static uint32_t tx_inflight;	/* frames offered by the call in flight */
/* The driver took nothing last time: wait for the next tick, not spin. */
static bool tx_stalled;

static struct pbuf *txq[TXQ_LEN];
static uint32_t txq_head, txq_count;

bool
nic_rx_armed(uint64_t *tag)
{
	*tag = rx_tag;
	return rx_armed;
}

bool
nic_tx_armed(uint64_t *tag)
{
	*tag = tx_tag;
	return tx_armed;
}

static err_t
linkoutput(struct netif *nif, struct pbuf *p)
{
	(void)nif;
	if (txq_count == TXQ_LEN || p->tot_len > capos_Nic_maxFrame) {
		ns_stats.tx_dropped++;
		return ERR_OK;
	}
	pbuf_ref(p);
	txq[(txq_head + txq_count++) % TXQ_LEN] = p;
	return ERR_OK;
}

err_t
nic_netif_init(struct netif *nif)
{
	nif->name[0] = 'e';
	nif->name[1] = 'n';
	nif->mtu = 1500;
	nif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(nif->hwaddr, ns_mac, ETH_HWADDR_LEN);
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP |
	    NETIF_FLAG_ETHERNET;
	nif->output = etharp_output;
	nif->linkoutput = linkoutput;
	return ERR_OK;
}

static int
arm_rx(void)
{
	struct capos_Nic_receive_Params_b p;
	struct capnp_builder b;
	struct capos_sqe e;
	int rc;

	if (capnp_builder_init(&b, rx_params, sizeof(rx_params)) != 0 ||
	    capos_Nic_receive_Params_init_root(&b, &p) != 0)
		return CAPOS_E2BIG;
	capos_Nic_receive_Params_set_maxFrames(&p, capos_Nic_maxBatch);
	rt_prep_call(&e, nic_cap, capos_Nic_INTERFACE_ID,
	    capos_Nic_receive_ORDINAL, &b, rx_buf, sizeof(rx_buf), NULL, 0, 0);
	if ((rc = rt_submit(&e)) != 0)
		return rc;
	rx_tag = e.user_data;
	rx_armed = true;
	return 0;
}

/* Asks the Nic for its MAC and link state, then starts receiving. */
int
nic_start(capos_cap_t nic)
{
	static uint8_t buf[256] __attribute__((aligned(8)));
	struct capos_Nic_info_Results_r r;
	struct rt_result res;
	struct capnp_data mac;
	int rc;

	nic_cap = nic;
	rc = rt_call(nic, capos_Nic_INTERFACE_ID, capos_Nic_info_ORDINAL, NULL,
	    NULL, 0, buf, sizeof(buf), &res);
	if (rc != 0)
		return rc;
	r.s = res.root;
	if (capos_Nic_info_Results_get_mac(&r, &mac) != 0 || mac.len != 6)
		return CAPOS_EINVAL;
	memcpy(ns_mac, mac.ptr, 6);
	ns_link_up = capos_Nic_info_Results_get_linkUp(&r);
	return arm_rx();
}

/* Hands one frame to lwIP in a pool pbuf, which has room for a whole
 * frame and more, so the byte after the frame that tcp_parseopt may read
 * lies inside the buffer. */
static void
input_frame(const uint8_t *data, uint32_t len)
{
	uint32_t padded = len < MIN_FRAME ? MIN_FRAME : len;
	struct pbuf *p;

	if (len == 0 || len > capos_Nic_maxFrame) {
		ns_stats.rx_bad++;
		return;
	}
	p = pbuf_alloc(PBUF_RAW, (u16_t)padded, PBUF_POOL);
	if (p == NULL) {
		ns_stats.rx_bad++;
		return;
	}
	if (p->next != NULL) {
		/* A pool pbuf always holds a whole frame (lwipopts.h). */
		pbuf_free(p);
		ns_stats.rx_bad++;
		return;
	}
	memcpy(p->payload, data, len);
	memset((uint8_t *)p->payload + len, 0, padded - len);
	ns_stats.rx_frames++;
	if (ns_netif.input(p, &ns_netif) != ERR_OK)
		pbuf_free(p);
}

static void
set_link(bool up)
{
	if (up == ns_link_up)
		return;
	ns_link_up = up;
	if (up)
		netif_set_link_up(&ns_netif);
	else
		netif_set_link_down(&ns_netif);
}

void
nic_rx_done(const struct capos_cqe *c)
{
	struct capos_Nic_receive_Results_r r;
	struct rt_result res;
	struct capnp_list frames;
	int rc;

	rx_armed = false;
	rc = rt_result_read(c, rx_buf, &res);
	if (rc != 0) {
		/* Overloaded, or a driver that is gone or broken: try again
		 * from the tick; a gone driver fails each try cheaply. */
		if (!rx_failing)
			rt_printf("[netstack] %s: Nic.receive failed: %s; "
			    "retrying\n", ns_name, rt_strerror(rc));
		ns_stats.rx_retries++;
		rx_failing = rx_retry = true;
		return;
	}
	rx_failing = false;
	r.s = res.root;
	set_link(capos_Nic_receive_Results_get_linkUp(&r));
	if (capos_Nic_receive_Results_get_frames(&r, &frames) == 0) {
		uint32_t n = frames.n;

		if (n > capos_Nic_maxBatch)
			n = capos_Nic_maxBatch;
		for (uint32_t i = 0; i < n; i++) {
			struct capnp_data d;

			if (capnp_list_data(&frames, i, &d) != 0) {
				ns_stats.rx_bad++;
				continue;
			}
			input_frame(d.ptr, d.len);
		}
	}
	if (arm_rx() != 0)
		rx_retry = true;
}

/* Sends up to maxBatch queued frames, if no transmit is in flight. */
void
nic_flush(void)
{
	struct capos_Nic_transmit_Params_b p;
	struct capnp_builder b;
	struct capnp_lb lb;
	struct capos_sqe e;
	uint32_t n = txq_count;

	if (tx_armed || tx_stalled || n == 0)
		return;
	if (n > capos_Nic_maxBatch)
		n = capos_Nic_maxBatch;
	if (capnp_builder_init(&b, tx_params, sizeof(tx_params)) != 0 ||
	    capos_Nic_transmit_Params_init_root(&b, &p) != 0 ||
	    capos_Nic_transmit_Params_init_frames(&p, n, &lb) != 0)
		return;
	for (uint32_t i = 0; i < n; i++) {
		struct pbuf *q = txq[(txq_head + i) % TXQ_LEN];
		const void *data = q->payload;

		if (q->len != q->tot_len) {
			pbuf_copy_partial(q, tx_scratch, q->tot_len, 0);
			data = tx_scratch;
		}
		if (capnp_lb_set_data(&lb, i, data, q->tot_len) != 0)
			return;
	}
	rt_prep_call(&e, nic_cap, capos_Nic_INTERFACE_ID,
	    capos_Nic_transmit_ORDINAL, &b, tx_result, sizeof(tx_result), NULL,
	    0, 0);
	if (rt_submit(&e) != 0)
		return;
	tx_tag = e.user_data;
	tx_armed = true;
	tx_inflight = n;
	ns_stats.tx_calls++;
}

static void
txq_pop(uint32_t n)
{
	while (n-- > 0 && txq_count > 0) {
		pbuf_free(txq[txq_head]);
		txq[txq_head] = NULL;
		txq_head = (txq_head + 1) % TXQ_LEN;
		txq_count--;
	}
}

void
nic_tx_done(const struct capos_cqe *c)
{
	struct capos_Nic_transmit_Results_r r;
	struct rt_result res;
	uint32_t sent, dropped;

	tx_armed = false;
	if (rt_result_read(c, tx_result, &res) != 0) {
		/* No driver to take them: drop the batch rather than spin. */
		ns_stats.tx_dropped += tx_inflight;
		txq_pop(tx_inflight);
		return;
	}
	r.s = res.root;
	sent = capos_Nic_transmit_Results_get_sent(&r);
	dropped = capos_Nic_transmit_Results_get_dropped(&r);
	if (sent > tx_inflight)
		sent = tx_inflight;
	ns_stats.tx_frames += sent;
	ns_stats.tx_dropped += dropped;
	/* Frames the driver did not take stay queued, in order. */
	txq_pop(sent);
	tx_stalled = sent == 0 && txq_count > 0;
}

void
nic_tick(void)
{
	tx_stalled = false;
	if (rx_retry && !rx_armed && arm_rx() == 0)
		rx_retry = false;
}
