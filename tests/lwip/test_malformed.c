/*
 * Malformed input at the netifs: truncated and inconsistent Ethernet,
 * ARP, IPv4, TCP, UDP and ICMP; forged segments in the middle of a live
 * transfer; random damage to real frames; a SYN flood. lwIP must drop
 * what is invalid (counted in its statistics), never read past a frame
 * (received frames sit in exactly-sized buffers under ASan), never assert,
 * leave every pool as it found it, and still carry TCP afterwards.
 */
#include <string.h>

#include "lwip/memp.h"
#include "lwip/stats.h"

#include "echo.h"
#include "frames.h"
#include "net.h"
#include "test.h"

#define ECHO_PORT	7
#define LIMIT_MS	(10 * 60 * 1000)

/*
 * Frames lwIP turned away, as its counters say. Layers differ in what they
 * count (ICMP counts a short or damaged message as a length or checksum
 * error, not as a drop), so every rejection counter takes part.
 */
static uint32_t
rejected_by(const struct stats_proto *s)
{
	return s->drop + s->chkerr + s->lenerr + s->proterr + s->err;
}

static uint32_t
drops(void)
{
	return rejected_by(&lwip_stats.link) +
	    rejected_by(&lwip_stats.etharp) + rejected_by(&lwip_stats.ip) +
	    rejected_by(&lwip_stats.ip_frag) + rejected_by(&lwip_stats.icmp) +
	    rejected_by(&lwip_stats.udp) + rejected_by(&lwip_stats.tcp);
}

/* Let whatever the stack sent in answer cross the wire. */
static void
drain(void)
{
	net_run(net_wire_idle, NULL, 1000);
}

/* After the tests damage things, TCP must still work end to end. */
static void
check_echo_still_works(const char *file, int line)
{
	struct echo_server srv;
	struct echo_client c;

	if (echo_listen(&srv, &net_b, ECHO_PORT) != ERR_OK) {
		test_fail(file, line, "cannot listen after the damage");
		return;
	}
	if (echo_connect(&c, &net_a, &net_ip_b, ECHO_PORT, 64 * 1024, 77) ==
	    ERR_OK) {
		net_run(echo_client_finished, &c, LIMIT_MS);
		echo_check_client(&c, file, line);
	} else {
		test_fail(file, line, "cannot connect after the damage");
	}
	echo_unlisten(&srv);
	net_settle(file, line);
}
#define CHECK_ECHO_STILL_WORKS() check_echo_still_works(__FILE__, __LINE__)

/* ---- One bad frame at a time ---- */

struct bad_frame {
	const char *name;
	void (*build)(struct frame *f);
	bool must_drop;		/* invalid: some drop counter must move */
};

static uint8_t *
ip_of(struct frame *f)
{
	return f->b + ETH_HDR;
}

static uint8_t *
l4_of(struct frame *f)
{
	return f->b + ETH_HDR + IP_HDR;
}

static void
eth_unknown_type(struct frame *f)
{
	frame_ping(f, 32);
	put16(f->b + 12, 0x88b5);
}

static void
eth_vlan_tag(struct frame *f)
{
	frame_ping(f, 32);
	put16(f->b + 12, 0x8100);
}

static void
eth_ipv4_one_byte(struct frame *f)
{
	frame_ping(f, 0);
	f->len = ETH_HDR + 1;
}

static void
arp_cut_short(struct frame *f)
{
	frame_arp(f, 1);
	f->len = ETH_HDR + 10;
}

static void
arp_hwlen_7(struct frame *f)
{
	frame_arp(f, 1);
	f->b[ETH_HDR + 4] = 7;
}

static void
arp_protolen_3(struct frame *f)
{
	frame_arp(f, 1);
	f->b[ETH_HDR + 5] = 3;
}

static void
arp_hwtype_6(struct frame *f)
{
	frame_arp(f, 1);
	put16(f->b + ETH_HDR, 6);
}

static void
arp_proto_ipv6(struct frame *f)
{
	frame_arp(f, 1);
	put16(f->b + ETH_HDR + 2, 0x86dd);
}

static void
arp_opcode_99(struct frame *f)
{
	frame_arp(f, 99);
}

static void
ip_version_6(struct frame *f)
{
	frame_ping(f, 8);
	ip_of(f)[0] = 0x65;
	frame_fix_checksums(f);
}

static void
ip_header_16_bytes(struct frame *f)
{
	frame_ping(f, 8);
	ip_of(f)[0] = 0x44;
}

static void
ip_header_60_bytes_in_a_short_packet(struct frame *f)
{
	frame_ping(f, 8);
	ip_of(f)[0] = 0x4f;
}

static void
ip_total_length_0(struct frame *f)
{
	frame_ping(f, 8);
	put16(ip_of(f) + 2, 0);
	frame_fix_checksums(f);
}

static void
ip_total_length_below_header(struct frame *f)
{
	frame_ping(f, 8);
	put16(ip_of(f) + 2, 19);
	frame_fix_checksums(f);
}

static void
ip_total_length_beyond_frame(struct frame *f)
{
	frame_ping(f, 8);
	put16(ip_of(f) + 2, 1000);
	frame_fix_checksums(f);
}

static void
ip_bad_header_checksum(struct frame *f)
{
	frame_ping(f, 8);
	ip_of(f)[10] ^= 0x5a;
}

static void
ip_source_broadcast(struct frame *f)
{
	frame_ping(f, 8);
	memset(ip_of(f) + 12, 0xff, 4);
	frame_fix_checksums(f);
}

static void
ip_source_multicast(struct frame *f)
{
	frame_ping(f, 8);
	ip_of(f)[12] = 224;
	frame_fix_checksums(f);
}

static void
ip_not_for_us(struct frame *f)
{
	frame_ping(f, 8);
	ip_of(f)[19] = 99;
	frame_fix_checksums(f);
}

static void
ip_unknown_protocol(struct frame *f)
{
	frame_ip(f, 200, 16);
}

static void
ip_garbage_options(struct frame *f)
{
	uint8_t *ip;

	frame_ping(f, 8);
	ip = ip_of(f);
	memmove(ip + 24, ip + 20, f->len - ETH_HDR - 20);
	memset(ip + 20, 0xff, 4);
	ip[0] = 0x46;
	f->len += 4;
	put16(ip + 2, (uint16_t)(get16(ip + 2) + 4));
	frame_fix_checksums(f);
}

static void
frag_first_only(struct frame *f)
{
	frame_ping(f, 40);
	put16(ip_of(f) + 6, 0x2000);		/* MF, offset 0 */
	frame_fix_checksums(f);
}

static void
frag_last_only(struct frame *f)
{
	frame_ping(f, 40);
	put16(ip_of(f) + 6, 100);		/* offset 800 */
	frame_fix_checksums(f);
}

static void
frag_past_64k(struct frame *f)
{
	frame_ping(f, 400);
	put16(ip_of(f) + 6, 0x1fff);		/* offset 65528, +408 bytes */
	frame_fix_checksums(f);
}

static void
frag_odd_length_with_more(struct frame *f)
{
	frame_ping(f, 41);
	put16(ip_of(f) + 6, 0x2000 | 2);
	frame_fix_checksums(f);
}

static void
tcp_header_cut_short(struct frame *f)
{
	frame_tcp(f, 4000, ECHO_PORT, 1, 0, TCPF_SYN, NULL, 0, 0);
	f->len = ETH_HDR + IP_HDR + 10;
	put16(ip_of(f) + 2, IP_HDR + 10);
	frame_fix_checksums(f);
}

static void
tcp_data_offset_4(struct frame *f)
{
	frame_tcp(f, 4000, ECHO_PORT, 1, 0, TCPF_SYN, NULL, 0, 0);
	l4_of(f)[12] = 4 << 4;
	frame_fix_checksums(f);
}

static void
tcp_data_offset_past_segment(struct frame *f)
{
	frame_tcp(f, 4000, ECHO_PORT, 1, 0, TCPF_SYN, NULL, 0, 4);
	l4_of(f)[12] = 15 << 4;
	frame_fix_checksums(f);
}

static void
tcp_bad_checksum(struct frame *f)
{
	frame_tcp(f, 4000, ECHO_PORT, 1, 0, TCPF_SYN, NULL, 0, 0);
	l4_of(f)[17] ^= 0x01;
}

static void
tcp_option_length_0(struct frame *f)
{
	static const uint8_t o[] = { 2, 0, 0, 0 };

	frame_tcp(f, 4001, ECHO_PORT, 1, 0, TCPF_SYN, o, sizeof(o), 0);
}

static void
tcp_option_past_header(struct frame *f)
{
	static const uint8_t o[] = { 2, 40, 5, 0xb4 };

	frame_tcp(f, 4002, ECHO_PORT, 1, 0, TCPF_SYN, o, sizeof(o), 0);
}

static void
tcp_mss_0_and_window_scale_30(struct frame *f)
{
	static const uint8_t o[] = { 2, 4, 0, 0, 3, 3, 30, 0 };

	frame_tcp(f, 4003, ECHO_PORT, 1, 0, TCPF_SYN, o, sizeof(o), 0);
}

static void
tcp_every_flag(struct frame *f)
{
	frame_tcp(f, 4004, ECHO_PORT, 1, 1, 0x3f, NULL, 0, 8);
}

static void
tcp_syn_fin(struct frame *f)
{
	frame_tcp(f, 4005, ECHO_PORT, 1, 0, TCPF_SYN | TCPF_FIN, NULL, 0, 0);
}

static void
tcp_ack_to_listener(struct frame *f)
{
	frame_tcp(f, 4006, ECHO_PORT, 1, 12345, TCPF_ACK, NULL, 0, 10);
}

static void
tcp_to_closed_port(struct frame *f)
{
	frame_tcp(f, 4007, 9, 1, 0, TCPF_SYN, NULL, 0, 0);
}

static void
udp_header_cut_short(struct frame *f)
{
	frame_udp(f, 5000, 5001, 0);
	f->len = ETH_HDR + IP_HDR + 4;
	put16(ip_of(f) + 2, IP_HDR + 4);
	frame_fix_checksums(f);
}

static void
udp_bad_checksum(struct frame *f)
{
	frame_udp(f, 5000, 68, 8);
	l4_of(f)[7] ^= 0x01;
}

static void
udp_length_beyond_packet(struct frame *f)
{
	frame_udp(f, 5000, 68, 8);
	put16(l4_of(f) + 4, 1000);
	frame_fix_checksums(f);
}

static void
udp_length_below_header(struct frame *f)
{
	frame_udp(f, 5000, 68, 8);
	put16(l4_of(f) + 4, 3);
	frame_fix_checksums(f);
}

static void
icmp_two_bytes(struct frame *f)
{
	frame_ping(f, 0);
	f->len = ETH_HDR + IP_HDR + 2;
	put16(ip_of(f) + 2, IP_HDR + 2);
	frame_fix_checksums(f);
}

static void
icmp_echo_cut_short(struct frame *f)
{
	frame_ping(f, 0);
	f->len = ETH_HDR + IP_HDR + 5;
	put16(ip_of(f) + 2, IP_HDR + 5);
	frame_fix_checksums(f);
}

static void
icmp_bad_checksum(struct frame *f)
{
	frame_ping(f, 16);
	l4_of(f)[8] ^= 0x01;
}

static void
icmp_echo_to_broadcast(struct frame *f)
{
	frame_ping(f, 16);
	ip_of(f)[19] = 255;
	frame_fix_checksums(f);
}

static const struct bad_frame bad_frames[] = {
	{ "eth_unknown_type", eth_unknown_type, true },
	{ "eth_vlan_tag", eth_vlan_tag, true },
	{ "eth_ipv4_one_byte", eth_ipv4_one_byte, true },
	{ "arp_cut_short", arp_cut_short, false },
	{ "arp_hwlen_7", arp_hwlen_7, true },
	{ "arp_protolen_3", arp_protolen_3, true },
	{ "arp_hwtype_6", arp_hwtype_6, true },
	{ "arp_proto_ipv6", arp_proto_ipv6, true },
	{ "arp_opcode_99", arp_opcode_99, false },
	{ "ip_version_6", ip_version_6, true },
	{ "ip_header_16_bytes", ip_header_16_bytes, true },
	{ "ip_header_60_bytes_in_a_short_packet",
	    ip_header_60_bytes_in_a_short_packet, true },
	{ "ip_total_length_0", ip_total_length_0, true },
	{ "ip_total_length_below_header", ip_total_length_below_header, true },
	{ "ip_total_length_beyond_frame", ip_total_length_beyond_frame, true },
	{ "ip_bad_header_checksum", ip_bad_header_checksum, true },
	{ "ip_source_broadcast", ip_source_broadcast, true },
	{ "ip_source_multicast", ip_source_multicast, true },
	{ "ip_not_for_us", ip_not_for_us, true },
	{ "ip_unknown_protocol", ip_unknown_protocol, true },
	{ "ip_garbage_options", ip_garbage_options, false },
	{ "frag_first_only", frag_first_only, false },
	{ "frag_last_only", frag_last_only, false },
	{ "frag_past_64k", frag_past_64k, false },
	{ "frag_odd_length_with_more", frag_odd_length_with_more, false },
	{ "tcp_header_cut_short", tcp_header_cut_short, true },
	{ "tcp_data_offset_4", tcp_data_offset_4, true },
	{ "tcp_data_offset_past_segment", tcp_data_offset_past_segment, true },
	{ "tcp_bad_checksum", tcp_bad_checksum, true },
	{ "tcp_option_length_0", tcp_option_length_0, false },
	{ "tcp_option_past_header", tcp_option_past_header, false },
	{ "tcp_mss_0_and_window_scale_30", tcp_mss_0_and_window_scale_30,
	    false },
	{ "tcp_every_flag", tcp_every_flag, false },
	{ "tcp_syn_fin", tcp_syn_fin, false },
	{ "tcp_ack_to_listener", tcp_ack_to_listener, false },
	{ "tcp_to_closed_port", tcp_to_closed_port, false },
	{ "udp_header_cut_short", udp_header_cut_short, true },
	{ "udp_bad_checksum", udp_bad_checksum, true },
	{ "udp_length_beyond_packet", udp_length_beyond_packet, false },
	{ "udp_length_below_header", udp_length_below_header, false },
	{ "icmp_two_bytes", icmp_two_bytes, true },
	{ "icmp_echo_cut_short", icmp_echo_cut_short, true },
	{ "icmp_bad_checksum", icmp_bad_checksum, true },
	{ "icmp_echo_to_broadcast", icmp_echo_to_broadcast, true },
};

TEST(lwip_drops_runt_frames)
{
	struct frame f;

	net_setup();
	frame_ping(&f, 32);
	for (size_t len = 0; len <= ETH_HDR; len++) {
		uint32_t before = drops();

		net_inject(&net_b, f.b, len);
		if (drops() == before)
			test_fail(__FILE__, __LINE__, "a %zu-byte frame was "
			    "not counted as dropped", len);
	}
	drain();
	NET_SETTLE();
}

TEST(lwip_drops_malformed_headers_of_every_layer)
{
	struct echo_server srv;
	struct frame f;

	net_setup();
	/* A listener, so that TCP input gets as far as the listen path. */
	CHECK_EQ(echo_listen(&srv, &net_b, ECHO_PORT), ERR_OK);
	for (size_t i = 0; i < sizeof(bad_frames) / sizeof(bad_frames[0]);
	    i++) {
		uint32_t before = drops();

		bad_frames[i].build(&f);
		net_inject(&net_b, f.b, f.len);
		if (bad_frames[i].must_drop && drops() == before)
			test_fail(__FILE__, __LINE__, "%s: not counted as "
			    "dropped", bad_frames[i].name);
		drain();
	}
	CHECK_EQ(srv.accepted, 0);
	echo_unlisten(&srv);
	NET_SETTLE();
	CHECK_ECHO_STILL_WORKS();
}

TEST(lwip_answers_a_well_formed_ping)
{
	struct frame f;
	uint32_t sent;

	net_setup();
	sent = lwip_stats.icmp.xmit;
	frame_ping(&f, 56);
	net_inject(&net_b, f.b, f.len);
	drain();
	CHECK_EQ(lwip_stats.icmp.xmit, sent + 1);
	NET_SETTLE();
}

/* ---- Forged segments inside a live transfer ---- */

struct meddler {
	unsigned seen, forged;
};

/*
 * Variants of a real data segment that must not change the stream: they
 * are damaged, out of window, or ask only for an ACK (RFC 5961 challenge
 * ACKs answer an in-window RST or SYN).
 */
enum forgery {
	FORGE_BAD_TCP_CHECKSUM,
	FORGE_BAD_IP_CHECKSUM,
	FORGE_DATA_OUT_OF_WINDOW,
	FORGE_RST_OUT_OF_WINDOW,
	FORGE_RST_IN_WINDOW,
	FORGE_SYN_IN_WINDOW,
	FORGE_CUT_SHORT,
	FORGE_DATA_OFFSET_PAST_END,
	FORGE_COUNT
};

static void
forge(struct frame *f, enum forgery kind)
{
	uint8_t *ip = ip_of(f);
	uint8_t *t = ip + (ip[0] & 0x0f) * 4;

	switch (kind) {
	case FORGE_BAD_TCP_CHECKSUM:
		t[(t[12] >> 4) * 4] ^= 0xff;	/* first data byte */
		return;
	case FORGE_BAD_IP_CHECKSUM:
		t[(t[12] >> 4) * 4] ^= 0xff;
		frame_fix_checksums(f);
		ip[10] ^= 0x01;
		return;
	case FORGE_DATA_OUT_OF_WINDOW:
		put32(t + 4, get32(t + 4) + 0x40000000u);
		t[(t[12] >> 4) * 4] ^= 0xff;
		break;
	case FORGE_RST_OUT_OF_WINDOW:
		put32(t + 4, get32(t + 4) + 0x40000000u);
		t[13] = TCPF_RST | TCPF_ACK;
		break;
	case FORGE_RST_IN_WINDOW:
		put32(t + 4, get32(t + 4) + 1);
		t[13] = TCPF_RST;
		break;
	case FORGE_SYN_IN_WINDOW:
		put32(t + 4, get32(t + 4) + 1);
		t[13] = TCPF_SYN;
		break;
	case FORGE_CUT_SHORT:
		f->len -= 7;			/* IP length now too long */
		return;
	case FORGE_DATA_OFFSET_PAST_END:
		/* A 60-byte header in a 40-byte segment. */
		t[12] = 15 << 4;
		put16(ip + 2, (uint16_t)((ip[0] & 0x0f) * 4 + 40));
		f->len = (size_t)(t + 40 - f->b);
		break;
	case FORGE_COUNT:
		return;
	}
	frame_fix_checksums(f);
}

static enum net_verdict
meddle(struct netif *to, uint8_t *data, size_t len, void *arg)
{
	struct meddler *m = arg;
	struct frame f;
	uint8_t *ip = data + ETH_HDR;
	size_t ihl, doff;

	if (len < ETH_HDR + IP_HDR + TCP_HDR || get16(data + 12) != 0x0800 ||
	    ip[9] != IP_PROTO_TCP)
		return NET_DELIVER;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	doff = (size_t)(ip[ihl + 12] >> 4) * 4;
	if (ETH_HDR + ihl + doff + 40 > len || m->seen++ % 8 != 0)
		return NET_DELIVER;
	/* Before the real segment arrives, its forgeries do. */
	for (int k = 0; k < FORGE_COUNT; k++) {
		memcpy(f.b, data, len);
		f.len = len;
		forge(&f, (enum forgery)k);
		net_inject(to, f.b, f.len);
		m->forged++;
	}
	return NET_DELIVER;
}

TEST(lwip_forged_segments_mid_transfer_leave_the_stream_intact)
{
	static struct echo_client c[2];
	struct echo_set set = { c, 2 };
	struct meddler m = { 0, 0 };
	struct echo_server srv;

	net_setup();
	CHECK_EQ(echo_listen(&srv, &net_b, ECHO_PORT), ERR_OK);
	net_set_filter(meddle, &m);
	for (size_t i = 0; i < set.n; i++)
		CHECK_EQ(echo_connect(&c[i], &net_a, &net_ip_b, ECHO_PORT,
		    512 * 1024, 400 + (uint32_t)i), ERR_OK);
	CHECK(net_run(echo_set_finished, &set, LIMIT_MS));
	net_set_filter(NULL, NULL);
	for (size_t i = 0; i < set.n; i++)
		ECHO_CHECK(&c[i]);
	CHECK(m.forged > 1000);
	CHECK_EQ(srv.errors, 0);
	CHECK_EQ(srv.closed, 2);
	echo_unlisten(&srv);
	NET_SETTLE();
}

/* ---- Random damage to real frames ---- */

#define TEMPLATES	256

struct recorder {
	struct frame f[TEMPLATES];
	struct netif *to[TEMPLATES];
	size_t n;
};

static enum net_verdict
record(struct netif *to, uint8_t *data, size_t len, void *arg)
{
	struct recorder *r = arg;

	if (r->n < TEMPLATES) {
		memcpy(r->f[r->n].b, data, len);
		r->f[r->n].len = len;
		r->to[r->n] = to;
		r->n++;
	}
	return NET_DELIVER;
}

static void
mutate(struct frame *f, uint64_t *rng)
{
	int edits = 1 + (int)(net_random(rng) % 4);

	for (int i = 0; i < edits; i++) {
		uint64_t r = net_random(rng);
		size_t at;

		switch (r % 5) {
		case 0:			/* cut anywhere */
			f->len = (size_t)(r >> 8) % (f->len + 1);
			break;
		case 1:			/* a header byte */
			if (f->len > 0)
				f->b[(r >> 8) % (f->len < 64 ? f->len : 64)] =
				    (uint8_t)(r >> 32);
			break;
		case 2:			/* any byte */
			if (f->len > 0)
				f->b[(r >> 8) % f->len] = (uint8_t)(r >> 32);
			break;
		case 3:			/* a 16-bit header field, edge value */
			at = ETH_HDR + 2 * ((r >> 8) % 20);
			if (at + 2 <= f->len) {
				static const uint16_t edge[] = { 0, 1, 0x7fff,
					0x8000, 0xffff, 20, 40, 1500 };
				put16(f->b + at, edge[(r >> 16) % 8]);
			}
			break;
		case 4:			/* grow, with random bytes */
			at = f->len;
			f->len += (size_t)(r >> 8) % 64;
			if (f->len > NET_FRAME_MAX)
				f->len = NET_FRAME_MAX;
			for (; at < f->len; at++)
				f->b[at] = (uint8_t)net_random(rng);
			break;
		}
	}
	/* Mostly keep checksums right, so damage reaches the parsers. */
	if (net_random(rng) % 4 != 0)
		frame_fix_checksums(f);
}

TEST(lwip_survives_random_damage_to_recorded_frames)
{
	static struct recorder rec;
	struct echo_server srv;
	struct echo_client c;
	uint64_t rng = 7;
	struct frame f;

	net_setup();
	CHECK_EQ(echo_listen(&srv, &net_b, ECHO_PORT), ERR_OK);
	rec.n = 0;
	net_set_filter(record, &rec);
	CHECK_EQ(echo_connect(&c, &net_a, &net_ip_b, ECHO_PORT, 16 * 1024, 9),
	    ERR_OK);
	CHECK(net_run(echo_client_finished, &c, LIMIT_MS));
	net_set_filter(NULL, NULL);
	ECHO_CHECK(&c);
	CHECK(rec.n > 20);

	/* The session is over: this reaches TIME_WAIT, LISTEN and closed ports. */
	for (int i = 0; i < 30000 && rec.n > 0; i++) {
		size_t k = (size_t)(net_random(&rng) % rec.n);

		f = rec.f[k];
		mutate(&f, &rng);
		net_inject(rec.to[k], f.b, f.len);
		if (i % 32 == 31)
			drain();
	}
	drain();
	echo_unlisten(&srv);
	NET_SETTLE();
	CHECK_ECHO_STILL_WORKS();
}

struct live_damage {
	uint64_t rng;
	unsigned injected;
};

/* A damaged copy of every other frame goes ahead of it. */
static enum net_verdict
damage_live(struct netif *to, uint8_t *data, size_t len, void *arg)
{
	struct live_damage *d = arg;
	struct frame f;

	if (net_random(&d->rng) % 2 == 0) {
		memcpy(f.b, data, len);
		f.len = len;
		mutate(&f, &d->rng);
		net_inject(to, f.b, f.len);
		d->injected++;
	}
	return NET_DELIVER;
}

/*
 * Damage inside live connections reaches the established-state code with
 * sequence numbers in the window. A damaged segment with a valid checksum
 * is a forgery TCP cannot tell from data, so a stream may be garbled or
 * reset (and a new pair of connections is started until enough damage
 * has gone in); what must hold is that nothing breaks and nothing leaks.
 */
TEST(lwip_survives_random_damage_inside_live_connections)
{
	static struct echo_client c[2];
	struct echo_set set = { c, 2 };
	struct live_damage d = { 11, 0 };
	struct echo_server srv;

	net_setup();
	CHECK_EQ(echo_listen(&srv, &net_b, ECHO_PORT), ERR_OK);
	net_set_filter(damage_live, &d);
	for (uint32_t round = 0; round < 100 && d.injected < 20000; round++) {
		for (size_t i = 0; i < set.n; i++)
			CHECK_EQ(echo_connect(&c[i], &net_a, &net_ip_b,
			    ECHO_PORT, 256 * 1024, round * 2 + (uint32_t)i),
			    ERR_OK);
		net_run(echo_set_finished, &set, LIMIT_MS);
		for (size_t i = 0; i < set.n; i++)
			echo_client_abort(&c[i]);
		echo_server_abort_all(&srv);
	}
	net_set_filter(NULL, NULL);
	CHECK(d.injected >= 20000);
	echo_unlisten(&srv);
	NET_SETTLE();
	CHECK_ECHO_STILL_WORKS();
}

/* ---- SYN flood ---- */

TEST(lwip_syn_flood_is_held_to_the_listen_backlog)
{
	struct echo_server srv;
	struct frame f;
	mem_size_t pcbs;

	net_setup();
	pcbs = lwip_stats.memp[MEMP_TCP_PCB]->used;
	CHECK_EQ(echo_listen(&srv, &net_b, ECHO_PORT), ERR_OK);
	for (uint32_t i = 0; i < 500; i++) {
		/* From 100 hosts that do not exist, so no handshake ends. */
		frame_tcp(&f, (uint16_t)(1024 + i), ECHO_PORT, i * 7919, 0,
		    TCPF_SYN, NULL, 0, 0);
		ip_of(&f)[15] = (uint8_t)(100 + i % 100);
		frame_fix_checksums(&f);
		net_inject(&net_b, f.b, f.len);
	}
	drain();
	CHECK(lwip_stats.memp[MEMP_TCP_PCB]->used - pcbs <=
	    TCP_DEFAULT_LISTEN_BACKLOG);
	CHECK_EQ(srv.accepted, 0);
	echo_unlisten(&srv);
	NET_SETTLE();
	CHECK_ECHO_STILL_WORKS();
}
