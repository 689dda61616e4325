/*
 * nictest: drives a Nic (the virtio-net driver) the way a network stack
 * would, on QEMU's user network: reads the MAC, asks "who has 10.0.2.2"
 * and waits for QEMU's ARP reply, sends a batch in one transmit, checks
 * that a receive waits for frames and that a second one is refused, and
 * pushes more frames each way than the queues hold, and
 * feeds the driver bad input (oversized, empty and mistyped frames, an
 * empty batch, more than maxBatch frames, a receive of zero frames).
 * It holds only "nic", "console" and "timer"; one deadline bounds every
 * wait, so a silent network fails the test instead of hanging it.
 */
#include <string.h>

#include "net.capnp.h"
#include "check.h"
#include "rt.h"

#define DEADLINE_NS	(10ull * 1000000000ull)
#define MAX_RECEIVES	16
/* Past both queues' 256 entries, so both rings wrap. */
#define WRAP_FRAMES	320
#define ETH_ARP		0x0806
/* A local experimental ethertype: QEMU's user network ignores it. */
#define ETH_TEST	0x88B5
#define ARP_LEN		60	/* an ARP request, padded to Ethernet's minimum */
#define GUEST_IP	0x0a00020f	/* 10.0.2.15 */
#define GATEWAY_IP	0x0a000202	/* 10.0.2.2 */
#define DNS_IP		0x0a000203	/* 10.0.2.3 */

static const uint8_t qemu_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static capos_cap_t nic, timer;
static uint8_t mac[6];
static uint64_t deadline_tag;

static uint8_t params[CAPOS_MAX_PARAMS] __attribute__((aligned(8)));
static uint8_t small[512] __attribute__((aligned(8)));
static uint8_t rx_params[64] __attribute__((aligned(8)));
static uint8_t rx_buf[2][CAPOS_MAX_RESULT] __attribute__((aligned(8)));
static uint8_t timer_params[64] __attribute__((aligned(8)));
static uint8_t timer_buf[128] __attribute__((aligned(8)));
static uint8_t big[capos_Nic_maxFrame + 1];

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

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* A broadcast ARP request "who has ip, tell 10.0.2.15" in f. */
static void
arp_request(uint8_t f[ARP_LEN], uint32_t ip)
{
	memset(f, 0, ARP_LEN);
	memset(f, 0xFF, 6);
	memcpy(f + 6, mac, 6);
	put16(f + 12, ETH_ARP);
	put16(f + 14, 1);		/* Ethernet */
	put16(f + 16, 0x0800);		/* IPv4 */
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, 1);		/* request */
	memcpy(f + 22, mac, 6);
	put32(f + 28, GUEST_IP);
	put32(f + 38, ip);
}

/* A broadcast frame QEMU drops, len bytes (>= 14). */
static void
test_frame(uint8_t *f, uint32_t len)
{
	memset(f, 0x5A, len);
	memset(f, 0xFF, 6);
	memcpy(f + 6, mac, 6);
	put16(f + 12, ETH_TEST);
}

/* Whether f is an ARP reply to us from ip. */
static bool
is_arp_reply(const uint8_t *f, uint32_t len, uint32_t ip)
{
	static const uint8_t hdr[8] = { 0, 1, 8, 0, 6, 4, 0, 2 };

	return len >= 42 && memcmp(f, mac, 6) == 0 &&
	    f[12] == 0x08 && f[13] == 0x06 && memcmp(f + 14, hdr, 8) == 0 &&
	    get32(f + 28) == ip && memcmp(f + 32, mac, 6) == 0 &&
	    get32(f + 38) == GUEST_IP;
}

/* Starts the one Timer.sleep that bounds every wait of the test. */
static int
start_deadline(void)
{
	struct capos_Timer_sleep_Params_b p;
	struct capnp_builder b;
	struct capos_sqe e;
	int rc;

	if (capnp_builder_init(&b, timer_params, sizeof(timer_params)) != 0 ||
	    capos_Timer_sleep_Params_init_root(&b, &p) != 0)
		return CAPOS_E2BIG;
	capos_Timer_sleep_Params_set_ns(&p, DEADLINE_NS);
	rt_prep_call(&e, timer, capos_Timer_INTERFACE_ID,
	    capos_Timer_sleep_ORDINAL, &b, timer_buf, sizeof(timer_buf), NULL,
	    0, 0);
	if ((rc = rt_submit(&e)) == 0)
		deadline_tag = e.user_data;
	return rc;
}

/* Submits Nic.receive(max) into rx_buf[slot]; returns its tag or 0. */
static uint64_t
start_receive(uint32_t max, int slot)
{
	struct capos_Nic_receive_Params_b p;
	struct capnp_builder b;
	struct capos_sqe e;

	if (capnp_builder_init(&b, rx_params, sizeof(rx_params)) != 0 ||
	    capos_Nic_receive_Params_init_root(&b, &p) != 0)
		return 0;
	capos_Nic_receive_Params_set_maxFrames(&p, max);
	rt_prep_call(&e, nic, capos_Nic_INTERFACE_ID, capos_Nic_receive_ORDINAL,
	    &b, rx_buf[slot], sizeof(rx_buf[slot]), NULL, 0, 0);
	return rt_submit(&e) == 0 ? e.user_data : 0;
}

/*
 * Waits for the call with tag and reads its result from buf; 0, a
 * transport error, RT_EXCEPTION, or 1 if the deadline came first.
 */
static int
finish(uint64_t tag, void *buf, struct rt_result *res)
{
	uint64_t tags[2] = { tag, deadline_tag };
	struct capos_cqe c;
	int k;

	if (tag == 0)
		return CAPOS_E2BIG;
	if ((k = rt_wait_any(tags, 2, &c)) < 0)
		return k;
	if (k == 1) {
		rt_printf("nictest: the deadline passed\n");
		return 1;
	}
	return rt_result_read(&c, buf, res);
}

static int
transmit(const uint8_t *const *frame, const uint32_t *len, uint32_t n,
    uint32_t *sent, uint32_t *dropped)
{
	struct capos_Nic_transmit_Params_b p;
	struct capos_Nic_transmit_Results_r r;
	struct capnp_builder b;
	struct rt_result res;
	struct capnp_lb lb;
	int rc;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_Nic_transmit_Params_init_root(&b, &p) != 0 ||
	    capos_Nic_transmit_Params_init_frames(&p, n, &lb) != 0)
		return CAPOS_E2BIG;
	for (uint32_t i = 0; i < n; i++)
		if (capnp_lb_set_data(&lb, i, frame[i], len[i]) != 0)
			return CAPOS_E2BIG;
	if ((rc = rt_call(nic, capos_Nic_INTERFACE_ID,
	    capos_Nic_transmit_ORDINAL, &b, NULL, 0, small, sizeof(small),
	    &res)) != 0)
		return rc;
	r.s = res.root;
	*sent = capos_Nic_transmit_Results_get_sent(&r);
	*dropped = capos_Nic_transmit_Results_get_dropped(&r);
	return 0;
}

/* The MAC, MTU and link the driver reports. */
static void
check_info(void)
{
	struct capos_Nic_info_Results_r r;
	struct rt_result res;
	struct capnp_data d;

	expect("info", rt_call(nic, capos_Nic_INTERFACE_ID,
	    capos_Nic_info_ORDINAL, NULL, NULL, 0, small, sizeof(small), &res),
	    0);
	r.s = res.root;
	expect("mac is 6 bytes", capos_Nic_info_Results_get_mac(&r, &d) == 0 &&
	    d.len == 6, 1);
	if (d.len == 6)
		memcpy(mac, d.ptr, 6);
	expect("QEMU's default mac", memcmp(mac, qemu_mac, 6), 0);
	expect("mtu", capos_Nic_info_Results_get_mtu(&r), 1500);
	expect("link up", capos_Nic_info_Results_get_linkUp(&r), 1);
}

/*
 * Receives on slot 0 until an ARP reply from ip arrives, at most
 * MAX_RECEIVES times; 0 once it has.
 */
static int
await_arp_reply(uint64_t tag, uint32_t ip)
{
	struct capos_Nic_receive_Results_r r;
	struct capnp_list frames;
	struct capnp_data d;
	struct rt_result res;

	for (int n = 0; n < MAX_RECEIVES; n++) {
		if (tag == 0)
			tag = start_receive(capos_Nic_maxBatch, 0);
		if (finish(tag, rx_buf[0], &res) != 0)
			return -1;
		tag = 0;
		r.s = res.root;
		if (capos_Nic_receive_Results_get_frames(&r, &frames) != 0)
			return -1;
		expect("a receive brings frames", frames.n > 0, 1);
		expect("no more than maxBatch", frames.n <= capos_Nic_maxBatch,
		    1);
		for (uint32_t i = 0; i < frames.n; i++)
			if (capnp_list_data(&frames, i, &d) == 0 &&
			    is_arp_reply(d.ptr, d.len, ip))
				return 0;
	}
	return -1;
}

static void
check_arp(void)
{
	uint8_t f[ARP_LEN];
	const uint8_t *fp[1] = { f };
	uint32_t len[1] = { ARP_LEN }, sent = 0, dropped = 0;

	arp_request(f, GATEWAY_IP);
	expect("ARP request transmit", transmit(fp, len, 1, &sent, &dropped),
	    0);
	expect("ARP request sent", sent, 1);
	expect("nothing dropped", dropped, 0);
	expect("ARP reply from 10.0.2.2", await_arp_reply(0, GATEWAY_IP), 0);
}

/*
 * A receive with nothing to take waits; a second one meanwhile is
 * refused. A batch of ARP requests in one transmit then brings replies,
 * which answer the waiting receive.
 */
static void
check_batch_and_waiting(void)
{
	static uint8_t f[4][ARP_LEN];
	const uint8_t *fp[4];
	uint32_t len[4], sent = 0, dropped = 0;
	struct rt_result res;
	uint64_t waiting, second;

	waiting = start_receive(capos_Nic_maxBatch, 0);
	second = start_receive(capos_Nic_maxBatch, 1);
	expect("second receive refused", finish(second, rx_buf[1], &res),
	    RT_EXCEPTION);
	expect("as overloaded", res.cqe.aux, capos_CapException_Type_overloaded);
	for (int i = 0; i < 4; i++) {
		arp_request(f[i], DNS_IP);
		fp[i] = f[i];
		len[i] = ARP_LEN;
	}
	expect("batch transmit", transmit(fp, len, 4, &sent, &dropped), 0);
	expect("batch sent", sent, 4);
	expect("batch dropped", dropped, 0);
	expect("ARP reply from 10.0.2.3 answers the waiting receive",
	    await_arp_reply(waiting, DNS_IP), 0);
}

/*
 * More frames than either queue has entries, both ways: WRAP_FRAMES ARP
 * requests in batches, re-offering what a full transmit queue did not
 * take, and every reply received.
 */
static void
check_wrap(void)
{
	static uint8_t f[ARP_LEN];
	const uint8_t *fp[capos_Nic_maxBatch];
	uint32_t len[capos_Nic_maxBatch], sent, dropped, total = 0;
	uint32_t replies = 0, n;
	struct capos_Nic_receive_Results_r r;
	struct capnp_list frames;
	struct capnp_data d;
	struct rt_result res;

	arp_request(f, GATEWAY_IP);
	for (uint32_t i = 0; i < capos_Nic_maxBatch; i++) {
		fp[i] = f;
		len[i] = ARP_LEN;
	}
	for (int tries = 0; total < WRAP_FRAMES && tries < 1000; tries++) {
		n = WRAP_FRAMES - total;
		if (n > capos_Nic_maxBatch)
			n = capos_Nic_maxBatch;
		if (transmit(fp, len, n, &sent, &dropped) != 0 || dropped != 0)
			break;
		total += sent;
	}
	expect("every frame of the burst taken", total, WRAP_FRAMES);
	for (int k = 0; replies < total && k < 4 * MAX_RECEIVES; k++) {
		if (finish(start_receive(capos_Nic_maxBatch, 0), rx_buf[0],
		    &res) != 0)
			break;
		r.s = res.root;
		if (capos_Nic_receive_Results_get_frames(&r, &frames) != 0)
			break;
		for (uint32_t i = 0; i < frames.n; i++)
			if (capnp_list_data(&frames, i, &d) == 0 &&
			    is_arp_reply(d.ptr, d.len, GATEWAY_IP))
				replies++;
	}
	expect("every reply of the burst received", replies, total);
}

static void
check_bad_input(void)
{
	static uint8_t many[capos_Nic_maxBatch + 1][64];
	const uint8_t *fp[capos_Nic_maxBatch + 1];
	uint32_t len[capos_Nic_maxBatch + 1], sent = 0, dropped = 0;
	struct capos_Nic_receive_Results_r r;
	struct capnp_builder b;
	struct capnp_list frames;
	struct rt_result res;
	struct capnp_sb root;
	struct capnp_lb lb;

	/* Oversized and empty frames among good ones. */
	test_frame(many[0], 64);
	test_frame(big, sizeof(big));
	fp[0] = many[0];
	len[0] = 64;
	fp[1] = big;
	len[1] = sizeof(big);
	fp[2] = many[0];
	len[2] = 0;
	fp[3] = many[0];
	len[3] = 64;
	expect("mixed transmit", transmit(fp, len, 4, &sent, &dropped), 0);
	expect("mixed batch all taken", sent, 4);
	expect("oversized and empty frames dropped", dropped, 2);

	expect("empty batch", transmit(fp, len, 0, &sent, &dropped), 0);
	expect("empty batch sends nothing", sent, 0);
	expect("empty batch drops nothing", dropped, 0);

	for (uint32_t i = 0; i <= capos_Nic_maxBatch; i++) {
		test_frame(many[i], 64);
		fp[i] = many[i];
		len[i] = 64;
	}
	expect("oversized batch", transmit(fp, len, capos_Nic_maxBatch + 1,
	    &sent, &dropped), 0);
	expect("at most maxBatch taken", sent, capos_Nic_maxBatch);

	/* frames as a List(UInt32) instead of List(Data). */
	if (capnp_builder_init(&b, params, sizeof(params)) == 0 &&
	    capnp_init_root(&b, 0, 1, &root) == 0 &&
	    capnp_init_list(&root, 0, CAPNP_ELEM_FOUR, 3, &lb) == 0)
		expect("mistyped frames refused", rt_call(nic,
		    capos_Nic_INTERFACE_ID, capos_Nic_transmit_ORDINAL, &b,
		    NULL, 0, small, sizeof(small), &res), RT_EXCEPTION);
	else
		expect("mistyped frames built", 0, 1);

	expect("receive of 0 frames answers at once",
	    finish(start_receive(0, 0), rx_buf[0], &res), 0);
	r.s = res.root;
	expect("with no frames", capos_Nic_receive_Results_get_frames(&r,
	    &frames) == 0 && frames.n == 0, 1);
	expect("and the link up", capos_Nic_receive_Results_get_linkUp(&r), 1);
}

int
main(void)
{
	nic = rt_cap("nic", capos_Nic_INTERFACE_ID);
	timer = rt_cap("timer", capos_Timer_INTERFACE_ID);
	if (nic == CAPOS_CAP_NULL || timer == CAPOS_CAP_NULL) {
		rt_printf("nictest: needs \"nic\" and \"timer\"\n");
		return 2;
	}
	if (start_deadline() != 0) {
		rt_printf("nictest: cannot start the deadline\n");
		return 1;
	}
	check_info();
	check_arp();
	check_batch_and_waiting();
	check_wrap();
	check_bad_input();
	rt_printf("nictest: %d checks, %d failed\n", test_checks, test_failed);
	if (test_failed != 0)
		return 1;
	rt_printf("[proof] virtio-net ok mac=%02x:%02x:%02x:%02x:%02x:%02x "
	    "arp-reply-from=10.0.2.2\n", mac[0], mac[1], mac[2], mac[3],
	    mac[4], mac[5]);
	return 0;
}
