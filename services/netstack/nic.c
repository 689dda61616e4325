/*
 * Frames between lwIP and the Nic, through the frame area the driver
 * shares (docs/network.md, "The Nic interface and its frame area").
 *
 * In: one Nic.receive is kept in flight. Its frames are checked, copied
 * from their slots into pool pbufs and fed to lwIP from the main loop
 * (never from inside an lwIP callback, since lwIP is not reentrant); the
 * slots go back with the next receive.
 *
 * Out: lwIP's linkoutput copies each frame into a free transmit slot and
 * queues it (with no slot free, it keeps a reference to the pbuf until one
 * is); one Nic.transmit at a time offers up to maxBatch queued frames and
 * collects the slots the driver is done with.
 */
#include <string.h>

#include "lwip/etharp.h"
#include "netif/ethernet.h"
#include "netstack.h"

/* Ethernet's minimum frame without the FCS: shorter frames are padded,
 * because lwIP reads whole ARP headers before checking the length. */
#define MIN_FRAME	60
/* The most slots of each kind a driver may offer. */
#define MAX_SLOTS	512
/* Frames lwIP has output while no transmit slot was free. A full queue
 * drops the frame; TCP retransmits it (lwIP does not retransmit a
 * segment whose pbuf the queue still holds). */
#define TXWAIT_LEN	1024
/* What a done list of MAX_SLOTS costs in a message, and the rest. */
#define DONE_BYTES	(MAX_SLOTS * 2 + 64)

static capos_cap_t nic_cap;

/* The frame area. */
static uint8_t *area;
static uint32_t slot_size, headroom, rx_slots, tx_slots;

/* Receive slots the driver has lent us, and those read and not yet
 * given back. */
static bool rx_lent[MAX_SLOTS];
static uint16_t rx_done[MAX_SLOTS];
static uint32_t rx_ndone;

static uint8_t rx_params[DONE_BYTES] __attribute__((aligned(8)));
static uint8_t rx_buf[1024] __attribute__((aligned(8)));
static uint64_t rx_tag;
static bool rx_armed;
/* The last receive failed (or could not be made): ask again at the next
 * tick rather than never, or at once in a loop. rx_failing: it failed,
 * and that was said once. */
static bool rx_retry, rx_failing;

/*
 * Transmit slots, numbered from 0 here (the driver's number is
 * rx_slots + i): free, queued with a frame, or the driver's (offered in
 * the transmit in flight, or taken by it).
 */
enum { TX_FREE, TX_QUEUED, TX_DRIVER };
static uint8_t tx_state[MAX_SLOTS];
static uint16_t tx_free[MAX_SLOTS];
static uint32_t tx_nfree;
static struct { uint16_t slot, len; } txq[MAX_SLOTS];
static uint32_t txq_head, txq_count;
static uint32_t tx_ndriver;		/* slots in TX_DRIVER */
static struct pbuf *txwait[TXWAIT_LEN];
static uint32_t txwait_head, txwait_count;

static uint8_t tx_params[512] __attribute__((aligned(8)));
static uint8_t tx_result[DONE_BYTES] __attribute__((aligned(8)));
static uint64_t tx_tag;
static bool tx_armed;
static uint32_t tx_inflight;	/* queued frames offered by the call */
/* The driver took nothing last time: wait for the next tick, not spin. */
static bool tx_stalled;

_Static_assert(capos_Nic_maxBatch * 8 + 64 <= sizeof(tx_params),
    "a full transmit fits");
_Static_assert(capos_Nic_maxBatch * 8 + 64 <= sizeof(rx_buf),
    "a full receive answer fits");

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

bool
nic_tx_idle(void)
{
	return txq_count == 0 && !tx_armed;
}

static uint8_t *
slot_data(uint32_t slot)
{
	return area + (uint64_t)slot * slot_size + headroom;
}

/* Copies p into a free transmit slot and queues it. */
static void
to_slot(struct pbuf *p)
{
	uint16_t i = tx_free[--tx_nfree];
	uint32_t q = (txq_head + txq_count) % MAX_SLOTS;

	pbuf_copy_partial(p, slot_data(rx_slots + i), p->tot_len, 0);
	tx_state[i] = TX_QUEUED;
	txq[q].slot = i;
	txq[q].len = p->tot_len;
	txq_count++;
}

static err_t
linkoutput(struct netif *nif, struct pbuf *p)
{
	(void)nif;
	if (p->tot_len == 0 || p->tot_len > capos_Nic_maxFrame ||
	    (tx_nfree == 0 && txwait_count == TXWAIT_LEN)) {
		ns_stats.tx_dropped++;
		return ERR_OK;
	}
	/* In order: nothing overtakes a frame waiting for a slot. */
	if (tx_nfree > 0 && txwait_count == 0) {
		to_slot(p);
		return ERR_OK;
	}
	pbuf_ref(p);
	txwait[(txwait_head + txwait_count++) % TXWAIT_LEN] = p;
	return ERR_OK;
}

/* Moves waiting frames into the slots that came free. */
static void
fill_slots(void)
{
	while (txwait_count > 0 && tx_nfree > 0) {
		struct pbuf *p = txwait[txwait_head];

		txwait[txwait_head] = NULL;
		txwait_head = (txwait_head + 1) % TXWAIT_LEN;
		txwait_count--;
		to_slot(p);
		pbuf_free(p);
	}
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

/* Asks for frames, giving back the receive slots read since the last. */
static int
arm_rx(void)
{
	struct capos_Nic_receive_Params_b p;
	struct capnp_builder b;
	struct capnp_lb lb;
	struct capos_sqe e;
	int rc;

	if (capnp_builder_init(&b, rx_params, sizeof(rx_params)) != 0 ||
	    capos_Nic_receive_Params_init_root(&b, &p) != 0 ||
	    capos_Nic_receive_Params_init_done(&p, rx_ndone, &lb) != 0)
		return CAPOS_E2BIG;
	capos_Nic_receive_Params_set_maxFrames(&p, capos_Nic_maxBatch);
	for (uint32_t i = 0; i < rx_ndone; i++)
		if (capnp_lb_set_prim(&lb, i, rx_done[i]) != 0)
			return CAPOS_E2BIG;
	rt_prep_call(&e, nic_cap, capos_Nic_INTERFACE_ID,
	    capos_Nic_receive_ORDINAL, &b, rx_buf, sizeof(rx_buf), NULL, 0, 0);
	if ((rc = rt_submit(&e)) != 0)
		return rc;
	rx_tag = e.user_data;
	rx_armed = true;
	return 0;
}

/* Maps the frame area the Nic shares and checks its geometry. */
static int
map_area(void)
{
	static uint8_t buf[256] __attribute__((aligned(8)));
	struct capos_Nic_buffers_Results_r r;
	struct rt_result res;
	uint64_t size = 0;
	uint32_t idx;
	int rc;

	rc = rt_call(nic_cap, capos_Nic_INTERFACE_ID, capos_Nic_buffers_ORDINAL,
	    NULL, NULL, 0, buf, sizeof(buf), &res);
	if (rc != 0)
		return rc;
	r.s = res.root;
	if (capos_Nic_buffers_Results_get_memory(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return CAPOS_EINVAL;
	slot_size = capos_Nic_buffers_Results_get_slotSize(&r);
	headroom = capos_Nic_buffers_Results_get_headroom(&r);
	rx_slots = capos_Nic_buffers_Results_get_rxSlots(&r);
	tx_slots = capos_Nic_buffers_Results_get_txSlots(&r);
	if ((rc = rt_shared_map(res.caps[idx].cap, &area, &size)) != 0)
		return rc;
	if (area == NULL || rx_slots == 0 || rx_slots > MAX_SLOTS ||
	    tx_slots == 0 || tx_slots > MAX_SLOTS || slot_size > 65536 ||
	    headroom > slot_size || slot_size - headroom < capos_Nic_maxFrame ||
	    (uint64_t)(rx_slots + tx_slots) * slot_size > size)
		return CAPOS_EINVAL;
	for (uint32_t i = 0; i < tx_slots; i++)
		tx_free[tx_nfree++] = (uint16_t)(tx_slots - 1 - i);
	return 0;
}

/* Asks the Nic for its MAC, link state and frame area, then starts
 * receiving. */
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
	if ((rc = map_area()) != 0)
		return rc;
	return arm_rx();
}

/* Hands one frame to lwIP in a pool pbuf, which has room for a whole
 * frame and more, so the byte after the frame that tcp_parseopt may read
 * lies inside the buffer. The bytes are copied once, before any look at
 * them: the driver may change the slot at any time. */
static void
input_frame(const uint8_t *data, uint32_t len)
{
	uint32_t padded = len < MIN_FRAME ? MIN_FRAME : len;
	struct pbuf *p;

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

/* One frame the driver lends: its slot must be a receive slot not lent
 * already (else it is not ours to read or give back). */
static void
take_frame(const struct capnp_list *frames, uint32_t i)
{
	struct capos_Nic_Frame_r f;
	uint32_t slot, len;

	if (capos_Nic_Frame_at(frames, i, &f) != 0) {
		ns_stats.rx_bad++;
		return;
	}
	slot = capos_Nic_Frame_get_slot(&f);
	len = capos_Nic_Frame_get_length(&f);
	if (slot >= rx_slots || rx_lent[slot]) {
		ns_stats.bad_slots++;
		return;
	}
	rx_lent[slot] = true;
	rx_done[rx_ndone++] = (uint16_t)slot;
	if (len == 0 || len > capos_Nic_maxFrame) {
		ns_stats.rx_bad++;
		return;
	}
	input_frame(slot_data(slot), len);
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
		 * from the tick (offering the same slots back); a gone driver
		 * fails each try cheaply. */
		if (!rx_failing)
			rt_printf("[%s] Nic.receive failed: %s; "
			    "retrying\n", ns_name, rt_strerror(rc));
		ns_stats.rx_retries++;
		rx_failing = rx_retry = true;
		return;
	}
	rx_failing = false;
	/* The slots offered with that receive are the driver's again. */
	for (uint32_t i = 0; i < rx_ndone; i++)
		rx_lent[rx_done[i]] = false;
	rx_ndone = 0;
	r.s = res.root;
	set_link(capos_Nic_receive_Results_get_linkUp(&r));
	if (capos_Nic_receive_Results_get_frames(&r, &frames) == 0) {
		uint32_t n = frames.n;

		if (n > capos_Nic_maxBatch) {
			ns_stats.bad_slots += n - capos_Nic_maxBatch;
			n = capos_Nic_maxBatch;
		}
		for (uint32_t i = 0; i < n; i++)
			take_frame(&frames, i);
	}
	if (arm_rx() != 0)
		rx_retry = true;
}

/* Offers up to maxBatch queued frames, if no transmit is in flight; with
 * none queued, collects slots when frames wait for them or none is
 * free. */
void
nic_flush(void)
{
	struct capos_Nic_transmit_Params_b p;
	struct capnp_builder b;
	struct capnp_lb lb;
	struct capos_sqe e;
	uint32_t n = txq_count;

	if (tx_armed || tx_stalled || (n == 0 && (tx_ndriver == 0 ||
	    (tx_nfree > 0 && txwait_count == 0))))
		return;
	if (n > capos_Nic_maxBatch)
		n = capos_Nic_maxBatch;
	if (capnp_builder_init(&b, tx_params, sizeof(tx_params)) != 0 ||
	    capos_Nic_transmit_Params_init_root(&b, &p) != 0 ||
	    capos_Nic_transmit_Params_init_frames(&p, n, &lb) != 0)
		return;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t q = (txq_head + i) % MAX_SLOTS;
		struct capos_Nic_Frame_b f;

		if (capos_Nic_Frame_b_at(&lb, i, &f) != 0)
			return;
		capos_Nic_Frame_set_slot(&f,
		    (uint16_t)(rx_slots + txq[q].slot));
		capos_Nic_Frame_set_length(&f, txq[q].len);
	}
	rt_prep_call(&e, nic_cap, capos_Nic_INTERFACE_ID,
	    capos_Nic_transmit_ORDINAL, &b, tx_result, sizeof(tx_result), NULL,
	    0, 0);
	if (rt_submit(&e) != 0)
		return;
	/* Until the answer, every offered slot may be the driver's. */
	for (uint32_t i = 0; i < n; i++)
		tx_state[txq[(txq_head + i) % MAX_SLOTS].slot] = TX_DRIVER;
	tx_ndriver += n;
	tx_tag = e.user_data;
	tx_armed = true;
	tx_inflight = n;
	ns_stats.tx_calls++;
}

/* The first n queued frames were taken (or not: back to the queue). */
static void
txq_settle(uint32_t taken)
{
	for (uint32_t i = 0; i < tx_inflight; i++) {
		uint16_t s = txq[(txq_head + i) % MAX_SLOTS].slot;

		if (i >= taken && tx_state[s] == TX_DRIVER) {
			tx_state[s] = TX_QUEUED;
			tx_ndriver--;
		}
	}
	txq_head = (txq_head + taken) % MAX_SLOTS;
	txq_count -= taken;
}

/* A slot the driver gives back: it must be one it holds. */
static bool
tx_give_back(uint32_t slot)
{
	uint32_t i = slot - rx_slots;

	if (slot < rx_slots || i >= tx_slots || tx_state[i] != TX_DRIVER) {
		ns_stats.bad_slots++;
		return false;
	}
	tx_state[i] = TX_FREE;
	tx_ndriver--;
	tx_free[tx_nfree++] = (uint16_t)i;
	return true;
}

void
nic_tx_done(const struct capos_cqe *c)
{
	struct capos_Nic_transmit_Results_r r;
	struct rt_result res;
	struct capnp_list done;
	uint32_t sent, dropped, back = 0;

	tx_armed = false;
	if (rt_result_read(c, tx_result, &res) != 0) {
		/* Nothing taken; the next tick tries again. */
		txq_settle(0);
		tx_stalled = true;
		return;
	}
	r.s = res.root;
	sent = capos_Nic_transmit_Results_get_sent(&r);
	dropped = capos_Nic_transmit_Results_get_dropped(&r);
	if (sent > tx_inflight)
		sent = tx_inflight;
	if (dropped > sent)
		dropped = sent;
	ns_stats.tx_frames += sent - dropped;
	ns_stats.tx_dropped += dropped;
	/* Frames the driver did not take stay queued, in order. */
	txq_settle(sent);
	if (capos_Nic_transmit_Results_get_done(&r, &done) == 0)
		for (uint32_t i = 0; i < done.n && i < tx_slots; i++)
			back += tx_give_back(capnp_list_u16(&done, i));
	fill_slots();
	/* Neither taken nor given back: the device is busy; ask again at
	 * the next tick rather than at once. */
	tx_stalled = sent == 0 && back == 0;
}

void
nic_tick(void)
{
	tx_stalled = false;
	if (rx_retry && !rx_armed && arm_rx() == 0)
		rx_retry = false;
}
