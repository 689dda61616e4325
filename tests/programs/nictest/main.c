/*
 * nictest: drives a Nic (the virtio-net driver) the way a network stack
 * would, on QEMU's user network: reads the MAC and maps the frame area,
 * asks "who has 10.0.2.2" and waits for QEMU's ARP reply, sends a batch
 * in one transmit, checks that a receive waits for frames and that a
 * second one is refused (without taking the slots it gave back), pushes
 * more frames each way than the queues hold, and feeds the driver bad
 * input: bad lengths, slots that are not the caller's (receive slots,
 * out of range, in flight, twice in one list), bad `done` lists, an empty
 * batch, more than maxBatch frames, a mistyped list, a receive of zero
 * frames. It counts the bad slot numbers it sends; the driver's exit line
 * must count the same (tests/qemu/test_virtio.py).
 * With the argument "intruder" it is a second holder of the Nic instead:
 * info answers, but the frame area and every slot call are refused.
 * It holds only "nic", "console" and "timer"; one deadline bounds every
 * wait, so a silent network fails the test instead of hanging it.
 */
#include <string.h>

#include "net.capnp.h"
#include "check.h"
#include "rt.h"

#define DEADLINE_NS	(10ull * 1000000000ull)
#define MAX_RECEIVES	16
/* Past both queues' 256 entries and the 128 transmit slots, so both
 * rings wrap and slots are reused. */
#define WRAP_FRAMES	320
#define ETH_ARP		0x0806
/* A local experimental ethertype: QEMU's user network ignores it. */
#define ETH_TEST	0x88B5
#define ARP_LEN		60	/* an ARP request, padded to Ethernet's minimum */
#define GUEST_IP	0x0a00020f	/* 10.0.2.15 */
#define GATEWAY_IP	0x0a000202	/* 10.0.2.2 */
#define DNS_IP		0x0a000203	/* 10.0.2.3 */
#define MAX_SLOTS	512

static const uint8_t qemu_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static capos_cap_t nic, timer;
static uint8_t mac[6];
static uint64_t deadline_tag;

static uint8_t params[4096] __attribute__((aligned(8)));
static uint8_t small[4096] __attribute__((aligned(8)));
static uint8_t rx_params[2][2048] __attribute__((aligned(8)));
static uint8_t rx_buf[2][1024] __attribute__((aligned(8)));
static uint8_t timer_params[64] __attribute__((aligned(8)));
static uint8_t timer_buf[128] __attribute__((aligned(8)));

/* The frame area and who holds each slot. */
static uint8_t *area;
static uint32_t slot_size, headroom, rx_slots, tx_slots;
static bool tx_mine[MAX_SLOTS];		/* by transmit slot index */
static bool rx_lent[MAX_SLOTS];
/* Receive slots read and not yet given back. */
static uint16_t rx_done[MAX_SLOTS];
static uint32_t rx_ndone;
/* Bad slot numbers sent to the driver on purpose, and numbers the
 * driver answered that named no slot it could give. */
static uint32_t bad_sent, bad_answers;

struct frame {
	uint16_t slot, len;
};

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

/*
 * Submits Nic.receive(max) into rx_buf[k], giving back the n slots in
 * done; returns its tag or 0.
 */
static uint64_t
start_receive_with(uint32_t max, int k, const uint16_t *done, uint32_t n)
{
	struct capos_Nic_receive_Params_b p;
	struct capnp_builder b;
	struct capnp_lb lb;
	struct capos_sqe e;

	if (capnp_builder_init(&b, rx_params[k], sizeof(rx_params[k])) != 0 ||
	    capos_Nic_receive_Params_init_root(&b, &p) != 0 ||
	    capos_Nic_receive_Params_init_done(&p, n, &lb) != 0)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (capnp_lb_set_prim(&lb, i, done[i]) != 0)
			return 0;
	capos_Nic_receive_Params_set_maxFrames(&p, max);
	rt_prep_call(&e, nic, capos_Nic_INTERFACE_ID, capos_Nic_receive_ORDINAL,
	    &b, rx_buf[k], sizeof(rx_buf[k]), NULL, 0, 0);
	return rt_submit(&e) == 0 ? e.user_data : 0;
}

/* A receive in flight and how many read slots it gives back. */
struct rx_call {
	uint64_t tag;
	uint32_t ndone;
	int k;
};

/* A receive into rx_buf[k] giving back every slot read so far. */
static struct rx_call
start_receive(uint32_t max, int k)
{
	struct rx_call c = { start_receive_with(max, k, rx_done, rx_ndone),
	    rx_ndone, k };

	return c;
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

static uint8_t *
slot_data(uint32_t slot)
{
	return area + (uint64_t)slot * slot_size + headroom;
}

/* A free transmit slot (its number for the driver), or -1. */
static int
take_tx(void)
{
	for (uint32_t i = 0; i < tx_slots; i++) {
		if (tx_mine[i]) {
			tx_mine[i] = false;
			return (int)(rx_slots + i);
		}
	}
	return -1;
}

/* Frees the transmit slots in a done list; each must be one we gave. */
static uint32_t
tx_done(const struct capnp_list *done)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < done->n; i++) {
		uint32_t slot = capnp_list_u16(done, i), t = slot - rx_slots;

		if (slot < rx_slots || t >= tx_slots || tx_mine[t]) {
			bad_answers++;
			continue;
		}
		tx_mine[t] = true;
		n++;
	}
	return n;
}

static uint32_t
tx_free_count(void)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < tx_slots; i++)
		n += tx_mine[i];
	return n;
}

/*
 * Offers n frames (slots already taken from the free set and written);
 * every slot the answer gives back is freed, and *back counts them.
 */
static int
transmit(const struct frame *f, uint32_t n, uint32_t *sent,
    uint32_t *dropped, uint32_t *back)
{
	struct capos_Nic_transmit_Params_b p;
	struct capos_Nic_transmit_Results_r r;
	struct capnp_builder b;
	struct capnp_list done;
	struct rt_result res;
	struct capnp_lb lb;
	int rc;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_Nic_transmit_Params_init_root(&b, &p) != 0 ||
	    capos_Nic_transmit_Params_init_frames(&p, n, &lb) != 0)
		return CAPOS_E2BIG;
	for (uint32_t i = 0; i < n; i++) {
		struct capos_Nic_Frame_b e;

		if (capos_Nic_Frame_b_at(&lb, i, &e) != 0)
			return CAPOS_E2BIG;
		capos_Nic_Frame_set_slot(&e, f[i].slot);
		capos_Nic_Frame_set_length(&e, f[i].len);
	}
	if ((rc = rt_call(nic, capos_Nic_INTERFACE_ID,
	    capos_Nic_transmit_ORDINAL, &b, NULL, 0, small, sizeof(small),
	    &res)) != 0)
		return rc;
	r.s = res.root;
	*sent = capos_Nic_transmit_Results_get_sent(&r);
	*dropped = capos_Nic_transmit_Results_get_dropped(&r);
	*back = 0;
	if (capos_Nic_transmit_Results_get_done(&r, &done) == 0)
		*back = tx_done(&done);
	return 0;
}

/* Collects transmit slots until all are ours again (the device finishes
 * sending on its own time); whether they all came back. */
static bool
collect_tx(void)
{
	uint32_t sent, dropped, back;

	for (int tries = 0; tries < 1000; tries++) {
		if (tx_free_count() == tx_slots)
			return true;
		if (transmit(NULL, 0, &sent, &dropped, &back) != 0)
			return false;
	}
	return tx_free_count() == tx_slots;
}

/* Reads the frames of a receive answer: each must be a receive slot not
 * lent already, with a length of 1 to maxFrame; fn sees the good ones. */
static uint32_t
take_frames(const struct rt_result *res,
    void (*fn)(const uint8_t *, uint32_t, void *), void *ctx)
{
	struct capos_Nic_receive_Results_r r = { res->root };
	struct capnp_list frames;
	uint32_t good = 0;

	if (capos_Nic_receive_Results_get_frames(&r, &frames) != 0)
		return 0;
	expect("no more than maxBatch", frames.n <= capos_Nic_maxBatch, 1);
	for (uint32_t i = 0; i < frames.n; i++) {
		struct capos_Nic_Frame_r e;
		uint32_t slot, len;

		if (capos_Nic_Frame_at(&frames, i, &e) != 0)
			continue;
		slot = capos_Nic_Frame_get_slot(&e);
		len = capos_Nic_Frame_get_length(&e);
		if (slot >= rx_slots || rx_lent[slot] || len == 0 ||
		    len > capos_Nic_maxFrame) {
			bad_answers++;
			continue;
		}
		rx_lent[slot] = true;
		rx_done[rx_ndone++] = (uint16_t)slot;
		fn(slot_data(slot), len, ctx);
		good++;
	}
	return good;
}

/* A receive that was answered took the done slots it was sent with. */
static void
done_given(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		rx_lent[rx_done[i]] = false;
	memmove(rx_done, rx_done + n, (rx_ndone - n) * sizeof(rx_done[0]));
	rx_ndone -= n;
}

/* Waits for a receive; once answered, the slots it gave back are the
 * driver's. 0, or as finish. */
static int
finish_receive(struct rx_call c, struct rt_result *res)
{
	int rc = finish(c.tag, rx_buf[c.k], res);

	if (rc == 0)
		done_given(c.ndone);
	return rc;
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

/* The frame area: a SharedMemory we can map, cut into 256 receive and
 * 128 transmit slots of 2 KiB with the 12-byte header's headroom. */
static int
check_buffers(void)
{
	struct capos_Nic_buffers_Results_r r;
	struct rt_result res;
	capos_cap_t mem;
	uint64_t addr, size = 0;
	uint32_t idx;

	if (rt_call(nic, capos_Nic_INTERFACE_ID, capos_Nic_buffers_ORDINAL,
	    NULL, NULL, 0, small, sizeof(small), &res) != 0) {
		expect("buffers", 0, 1);
		return -1;
	}
	r.s = res.root;
	expect("buffers carries one capability", res.cqe.ncaps, 1);
	if (capos_Nic_buffers_Results_get_memory(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps) {
		expect("buffers names its capability", 0, 1);
		return -1;
	}
	mem = res.caps[idx].cap;
	slot_size = capos_Nic_buffers_Results_get_slotSize(&r);
	headroom = capos_Nic_buffers_Results_get_headroom(&r);
	rx_slots = capos_Nic_buffers_Results_get_rxSlots(&r);
	tx_slots = capos_Nic_buffers_Results_get_txSlots(&r);
	expect("slot size", slot_size, 2048);
	expect("headroom is the virtio-net header", headroom, 12);
	expect("receive slots", rx_slots, 256);
	expect("transmit slots", tx_slots, 128);
	/* The area is plain shared memory: no DMAPool methods on it. */
	expect("the area is no DMAPool", rt_call(mem,
	    capos_DMAPool_INTERFACE_ID, capos_DMAPool_map_ORDINAL, NULL, NULL,
	    0, small, sizeof(small), &res), CAPOS_EIFACE);
	if (rt_shared_map(mem, &area, &size) != 0) {
		expect("the area maps", 0, 1);
		return -1;
	}
	addr = (uint64_t)(uintptr_t)area;
	expect("the area is in the device window",
	    addr >= CAPOS_USER_DEVICE_BASE && addr < CAPOS_USER_DEVICE_END, 1);
	expect("the area holds every slot",
	    size >= (uint64_t)(rx_slots + tx_slots) * slot_size, 1);
	if (rx_slots > MAX_SLOTS || tx_slots > MAX_SLOTS ||
	    size < (uint64_t)(rx_slots + tx_slots) * slot_size ||
	    slot_size < headroom + capos_Nic_maxFrame)
		return -1;
	for (uint32_t i = 0; i < tx_slots; i++)
		tx_mine[i] = true;
	return 0;
}

struct arp_seen {
	uint32_t ip;
	uint32_t replies;
};

static void
count_arp(const uint8_t *f, uint32_t len, void *ctx)
{
	struct arp_seen *a = ctx;
	uint8_t copy[64];

	/* One copy, then the checks: the slot is shared memory. */
	if (len > sizeof(copy))
		return;
	memcpy(copy, f, len);
	if (is_arp_reply(copy, len, a->ip))
		a->replies++;
}

/*
 * Receives until an ARP reply from ip arrives, at most MAX_RECEIVES
 * times, starting with the receive c if it is in flight; 0 once it has.
 */
static int
await_arp_reply(struct rx_call c, uint32_t ip)
{
	struct arp_seen seen = { ip, 0 };
	struct rt_result res;

	for (int n = 0; n < MAX_RECEIVES; n++) {
		if (c.tag == 0)
			c = start_receive(capos_Nic_maxBatch, 0);
		if (finish_receive(c, &res) != 0)
			return -1;
		c.tag = 0;
		expect("a receive brings frames",
		    take_frames(&res, count_arp, &seen) > 0, 1);
		if (seen.replies > 0)
			return 0;
	}
	return -1;
}

/* Takes a free transmit slot and writes an ARP request for ip in it. */
static struct frame
arp_frame(uint32_t ip)
{
	struct frame f = { 0, ARP_LEN };
	int slot = take_tx();

	if (slot < 0) {
		expect("a free transmit slot", 0, 1);
		return f;
	}
	f.slot = (uint16_t)slot;
	arp_request(slot_data(f.slot), ip);
	return f;
}

static void
check_arp(void)
{
	struct frame f = arp_frame(GATEWAY_IP);
	struct rx_call none = { 0, 0, 0 };
	uint32_t sent = 0, dropped = 0, back = 0;

	expect("ARP request transmit", transmit(&f, 1, &sent, &dropped,
	    &back), 0);
	expect("ARP request sent", sent, 1);
	expect("nothing dropped", dropped, 0);
	expect("ARP reply from 10.0.2.2", await_arp_reply(none, GATEWAY_IP),
	    0);
}

/*
 * A receive with nothing to take waits; a second one meanwhile is
 * refused, and the slots it offered are not taken. A batch of ARP
 * requests in one transmit then brings replies, which answer the waiting
 * receive.
 */
static void
check_batch_and_waiting(void)
{
	struct frame g = arp_frame(DNS_IP), f[4];
	struct rx_call none = { 0, 0, 0 }, waiting = { 0, 0, 0 };
	struct rx_call second = { 0, 0, 1 };
	uint32_t sent = 0, dropped = 0, back = 0;
	struct rt_result res;

	/* Hold a received slot... */
	expect("ARP request for 10.0.2.3", transmit(&g, 1, &sent, &dropped,
	    &back), 0);
	expect("a reply to hold", await_arp_reply(none, DNS_IP), 0);
	expect("a slot held", rx_ndone > 0, 1);
	/* ...a receive that gives nothing back waits... */
	waiting.tag = start_receive_with(capos_Nic_maxBatch, 0, NULL, 0);
	/* ...and a second one, offering the held slots, is refused without
	 * taking them: they are given back later, and the driver would
	 * count them as bad slot numbers then. */
	second.tag = start_receive_with(capos_Nic_maxBatch, 1, rx_done,
	    rx_ndone);
	expect("second receive refused", finish(second.tag, rx_buf[1], &res),
	    RT_EXCEPTION);
	expect("as overloaded", res.cqe.aux, capos_CapException_Type_overloaded);
	for (int i = 0; i < 4; i++)
		f[i] = arp_frame(DNS_IP);
	expect("batch transmit", transmit(f, 4, &sent, &dropped, &back), 0);
	expect("batch sent", sent, 4);
	expect("batch dropped", dropped, 0);
	expect("ARP reply from 10.0.2.3 answers the waiting receive",
	    await_arp_reply(waiting, DNS_IP), 0);
}

/*
 * More frames than either queue has entries and than there are transmit
 * slots, both ways: WRAP_FRAMES ARP requests in batches, each slot
 * reused once the driver gives it back, and every reply received (each
 * receive giving back the slots read before).
 */
static void
check_wrap(void)
{
	struct frame f[capos_Nic_maxBatch];
	struct arp_seen seen = { GATEWAY_IP, 0 };
	uint32_t sent, dropped, back, total = 0, n;
	struct rt_result res;

	for (int tries = 0; total < WRAP_FRAMES && tries < 1000; tries++) {
		n = 0;
		while (n < capos_Nic_maxBatch && n < WRAP_FRAMES - total &&
		    tx_free_count() > 0)
			f[n++] = arp_frame(GATEWAY_IP);
		if (transmit(f, n, &sent, &dropped, &back) != 0 ||
		    dropped != 0 || sent != n)
			break;
		total += sent;
	}
	expect("every frame of the burst taken", total, WRAP_FRAMES);
	for (int k = 0; seen.replies < total && k < 4 * MAX_RECEIVES; k++) {
		if (finish_receive(start_receive(capos_Nic_maxBatch, 0),
		    &res) != 0)
			break;
		take_frames(&res, count_arp, &seen);
	}
	expect("every reply of the burst received", seen.replies, total);
	expect("every transmit slot comes back", collect_tx(), 1);
}

/* Bad frames in a transmit: lengths, and slots that are not ours. */
static void
check_bad_transmit(void)
{
	struct frame f[capos_Nic_maxBatch + 1];
	uint32_t sent = 0, dropped = 0, back = 0, before;
	struct rt_result res;
	struct capnp_builder b;
	struct capnp_sb root;
	struct capnp_lb lb;
	int a, c;

	/* An oversized and an empty frame among good ones: the bad ones'
	 * slots come back at once. */
	for (int i = 0; i < 4; i++) {
		f[i].slot = (uint16_t)take_tx();
		test_frame(slot_data(f[i].slot), 64);
		f[i].len = 64;
	}
	f[1].len = capos_Nic_maxFrame + 1;
	f[2].len = 0;
	before = tx_free_count();
	expect("mixed transmit", transmit(f, 4, &sent, &dropped, &back), 0);
	expect("mixed batch all taken", sent, 4);
	expect("oversized and empty frames dropped", dropped, 2);
	expect("their slots given back at once", tx_free_count() >= before + 2,
	    1);
	expect("every transmit slot comes back", collect_tx(), 1);

	/* Slots that are not ours: a receive slot, one past the area, the
	 * largest number, one twice in a list (the second is bad), and one
	 * in flight (offered again before it came back). */
	a = take_tx();
	c = take_tx();
	test_frame(slot_data((uint32_t)a), 64);
	test_frame(slot_data((uint32_t)c), 64);
	f[0] = (struct frame){ 0, 64 };
	f[1] = (struct frame){ (uint16_t)(rx_slots + tx_slots), 64 };
	f[2] = (struct frame){ 0xFFFF, 64 };
	f[3] = (struct frame){ (uint16_t)a, 64 };
	f[4] = (struct frame){ (uint16_t)a, 64 };
	f[5] = (struct frame){ (uint16_t)c, 64 };
	expect("bad slots transmit", transmit(f, 6, &sent, &dropped, &back),
	    0);
	expect("bad slots all taken", sent, 6);
	expect("bad slots dropped", dropped, 4);
	bad_sent += 4;
	/* A bad length gives the slot back in this answer: the same slot
	 * again in the list is no longer ours, whatever its length. */
	expect("every transmit slot comes back", collect_tx(), 1);
	a = take_tx();
	test_frame(slot_data((uint32_t)a), 64);
	f[0] = (struct frame){ (uint16_t)a, 0 };
	f[1] = (struct frame){ (uint16_t)a, 64 };
	before = tx_free_count();
	expect("a slot given back, then offered again", transmit(f, 2, &sent,
	    &dropped, &back), 0);
	expect("both frames dropped", dropped, 2);
	expect("the slot given back once", back, 1);
	expect("and it is free", tx_free_count(), (int64_t)before + 1);
	bad_sent += 1;
	c = take_tx();
	test_frame(slot_data((uint32_t)c), 64);
	f[0] = (struct frame){ (uint16_t)c, 64 };
	expect("a slot sent", transmit(f, 1, &sent, &dropped, &back), 0);
	expect("a slot in flight offered again", transmit(f, 1, &sent,
	    &dropped, &back), 0);
	expect("in flight: dropped", dropped, 1);
	bad_sent += 1;
	expect("every transmit slot comes back once", collect_tx(), 1);
	expect("no slot given back that was not the driver's", bad_answers, 0);

	expect("empty batch", transmit(f, 0, &sent, &dropped, &back), 0);
	expect("empty batch sends nothing", sent, 0);
	expect("empty batch drops nothing", dropped, 0);

	for (uint32_t i = 0; i <= capos_Nic_maxBatch; i++) {
		f[i].slot = (uint16_t)take_tx();
		f[i].len = 64;
		test_frame(slot_data(f[i].slot), 64);
	}
	expect("oversized batch", transmit(f, capos_Nic_maxBatch + 1, &sent,
	    &dropped, &back), 0);
	expect("at most maxBatch taken", sent, capos_Nic_maxBatch);
	/* The one not taken is still ours. */
	tx_mine[f[capos_Nic_maxBatch].slot - rx_slots] = true;
	expect("every transmit slot comes back", collect_tx(), 1);

	/* frames as a List(Bool), which no struct list can be read as. */
	if (capnp_builder_init(&b, params, sizeof(params)) == 0 &&
	    capnp_init_root(&b, 0, 1, &root) == 0 &&
	    capnp_init_list(&root, 0, CAPNP_ELEM_BIT, 3, &lb) == 0)
		expect("mistyped frames refused", rt_call(nic,
		    capos_Nic_INTERFACE_ID, capos_Nic_transmit_ORDINAL, &b,
		    NULL, 0, small, sizeof(small), &res), RT_EXCEPTION);
	else
		expect("mistyped frames built", 0, 1);
}

/* Bad done lists: slots not lent to us are ignored (and counted by the
 * driver), and receiving goes on. */
static void
check_bad_done(void)
{
	uint16_t bad[4];
	struct rx_call c;
	struct rt_result res;
	struct capos_Nic_receive_Results_r r;
	struct capnp_list frames;
	int slot;

	/* Everything we hold back first, and the answer's slots too. */
	expect("slots given back", finish_receive(start_receive(0, 0), &res),
	    0);
	expect("nothing held", rx_ndone, 0);
	slot = -1;
	for (uint32_t i = 0; i < rx_slots && slot < 0; i++)
		if (!rx_lent[i])
			slot = (int)i;
	bad[0] = (uint16_t)slot;		/* not lent to us */
	bad[1] = (uint16_t)rx_slots;		/* a transmit slot */
	bad[2] = 0xFFFF;
	bad[3] = (uint16_t)slot;		/* and again */
	c.tag = start_receive_with(0, 0, bad, 4);
	c.ndone = 0;
	c.k = 0;
	expect("a receive with a bad done list answers",
	    finish_receive(c, &res), 0);
	bad_sent += 4;

	expect("receive of 0 frames answers at once",
	    finish_receive(start_receive(0, 0), &res), 0);
	r.s = res.root;
	expect("with no frames", capos_Nic_receive_Results_get_frames(&r,
	    &frames) == 0 && frames.n == 0, 1);
	expect("and the link up", capos_Nic_receive_Results_get_linkUp(&r), 1);
}

/* A second holder of the Nic: the frame area is not its. */
static int
intruder(void)
{
	struct frame f = { 0, 64 };
	uint16_t slot = 0;
	uint32_t sent, dropped, back;
	struct rt_result res;

	expect("info answers anyone", rt_call(nic, capos_Nic_INTERFACE_ID,
	    capos_Nic_info_ORDINAL, NULL, NULL, 0, small, sizeof(small), &res),
	    0);
	/* Before the client binds the area or after, these are refused. */
	expect("transmit refused", transmit(&f, 1, &sent, &dropped, &back),
	    RT_EXCEPTION);
	expect("an empty transmit refused", transmit(&f, 0, &sent, &dropped,
	    &back), RT_EXCEPTION);
	expect("receive refused", finish(start_receive_with(0, 0, &slot, 1),
	    rx_buf[0], &res), RT_EXCEPTION);
	rt_printf("nictest intruder: %d checks, %d failed\n", test_checks,
	    test_failed);
	if (test_failed != 0)
		return 1;
	rt_debug("[proof] nic-area-bound ok\n");
	return 0;
}

int
main(void)
{
	struct rt_result res_end;

	nic = rt_cap("nic", capos_Nic_INTERFACE_ID);
	timer = rt_cap("timer", capos_Timer_INTERFACE_ID);
	if (rt_argc() > 0 && strcmp(rt_argv(0), "intruder") == 0)
		return nic == CAPOS_CAP_NULL || timer == CAPOS_CAP_NULL ||
		    start_deadline() != 0 ? 2 : intruder();
	if (nic == CAPOS_CAP_NULL || timer == CAPOS_CAP_NULL) {
		rt_printf("nictest: needs \"nic\" and \"timer\"\n");
		return 2;
	}
	if (start_deadline() != 0) {
		rt_printf("nictest: cannot start the deadline\n");
		return 1;
	}
	check_info();
	if (check_buffers() != 0) {
		rt_printf("nictest: no usable frame area\n");
		return 1;
	}
	check_arp();
	check_batch_and_waiting();
	check_wrap();
	check_bad_transmit();
	check_bad_done();
	/* After all of it the driver still answers ARP. */
	check_arp();
	expect("slots given back at the end",
	    finish_receive(start_receive(0, 0), &res_end), 0);
	expect("no bad slot numbers from the driver", bad_answers, 0);
	rt_printf("nictest: %d checks, %d failed, %u bad slot numbers sent\n",
	    test_checks, test_failed, bad_sent);
	if (test_failed != 0)
		return 1;
	rt_debug("[proof] virtio-net ok mac=%02x:%02x:%02x:%02x:%02x:%02x "
	    "arp-reply-from=10.0.2.2\n", mac[0], mac[1], mac[2], mac[3],
	    mac[4], mac[5]);
	return 0;
}
