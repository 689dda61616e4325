/* The frame builders of frames.h. */
#include <string.h>

#include "frames.h"

void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static void
frame_eth(struct frame *f, uint16_t type)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->b, net_mac_b, 6);
	memcpy(f->b + 6, net_mac_a, 6);
	put16(f->b + 12, type);
	f->len = ETH_HDR;
}

uint8_t *
frame_ip(struct frame *f, uint8_t proto, size_t payload)
{
	static uint16_t id;
	uint8_t *ip;

	frame_eth(f, 0x0800);
	ip = f->b + ETH_HDR;
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(IP_HDR + payload));
	put16(ip + 4, id++);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, &net_ip_a.addr, 4);	/* both in network order */
	memcpy(ip + 16, &net_ip_b.addr, 4);
	f->len = ETH_HDR + IP_HDR + payload;
	frame_fix_checksums(f);
	return ip + IP_HDR;
}

void
frame_tcp(struct frame *f, uint16_t sport, uint16_t dport, uint32_t seq,
    uint32_t ack, uint8_t flags, const uint8_t *opts, size_t optlen,
    size_t datalen)
{
	size_t hlen = TCP_HDR + optlen;
	uint8_t *t = frame_ip(f, IP_PROTO_TCP, hlen + datalen);

	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = (uint8_t)((hlen / 4) << 4);
	t[13] = flags;
	put16(t + 14, 0xffff);
	if (optlen > 0)
		memcpy(t + TCP_HDR, opts, optlen);
	for (size_t i = 0; i < datalen; i++)
		t[hlen + i] = (uint8_t)('a' + i % 26);
	frame_fix_checksums(f);
}

void
frame_udp(struct frame *f, uint16_t sport, uint16_t dport, size_t datalen)
{
	uint8_t *u = frame_ip(f, IP_PROTO_UDP, UDP_HDR + datalen);

	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(UDP_HDR + datalen));
	frame_fix_checksums(f);
}

void
frame_ping(struct frame *f, size_t datalen)
{
	uint8_t *m = frame_ip(f, IP_PROTO_ICMP, 8 + datalen);

	m[0] = 8;			/* echo request */
	put16(m + 4, 0x1234);		/* identifier */
	put16(m + 6, 1);		/* sequence */
	frame_fix_checksums(f);
}

void
frame_arp(struct frame *f, uint16_t opcode)
{
	uint8_t *a;

	frame_eth(f, 0x0806);
	a = f->b + ETH_HDR;
	put16(a, 1);			/* Ethernet */
	put16(a + 2, 0x0800);		/* IPv4 */
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, opcode);
	memcpy(a + 8, net_mac_a, 6);
	memcpy(a + 14, &net_ip_a.addr, 4);
	if (opcode == 2)
		memcpy(a + 18, net_mac_b, 6);
	memcpy(a + 24, &net_ip_b.addr, 4);
	f->len = ETH_HDR + ARP_LEN;
}

void
frame_fix_checksums(struct frame *f)
{
	uint8_t *ip = f->b + ETH_HDR;
	size_t ihl, total, l4len;
	uint8_t *l4;
	uint32_t sum;

	if (f->len < ETH_HDR + IP_HDR || get16(f->b + 12) != 0x0800)
		return;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if (ihl < IP_HDR || ETH_HDR + ihl > f->len)
		return;
	put16(ip + 10, 0);
	put16(ip + 10, net_fold(net_sum(0, ip, ihl)));

	total = get16(ip + 2);
	if (total > f->len - ETH_HDR)
		total = f->len - ETH_HDR;
	if (total < ihl || (get16(ip + 6) & 0x3fff) != 0)
		return;			/* no transport header, or a fragment */
	l4 = ip + ihl;
	l4len = total - ihl;
	switch (ip[9]) {
	case IP_PROTO_TCP:
		if (l4len < TCP_HDR)
			return;
		put16(l4 + 16, 0);
		break;
	case IP_PROTO_UDP:
		if (l4len < UDP_HDR)
			return;
		put16(l4 + 6, 0);
		break;
	case IP_PROTO_ICMP:
		if (l4len < 4)
			return;
		put16(l4 + 2, 0);
		put16(l4 + 2, net_fold(net_sum(0, l4, l4len)));
		return;
	default:
		return;
	}
	/* The pseudo-header: addresses, protocol, transport length. */
	sum = net_sum(0, ip + 12, 8);
	sum += ip[9];
	sum += (uint32_t)l4len;
	sum = net_sum(sum, l4, l4len);
	if (ip[9] == IP_PROTO_TCP)
		put16(l4 + 16, net_fold(sum));
	else	/* UDP sends a computed zero as 0xffff: zero means "none" */
		put16(l4 + 6, net_fold(sum) == 0 ? 0xffff : net_fold(sum));
}
