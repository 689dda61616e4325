/*
 * Hand-built Ethernet frames for the malformed-input tests: valid IPv4,
 * TCP, UDP, ICMP and ARP from netif A's addresses to B's, which a test
 * then damages, and a checksum fixer that lets damaged headers get past
 * the checksum checks to the code behind them.
 */
#ifndef CAPOS_TESTS_LWIP_FRAMES_H
#define CAPOS_TESTS_LWIP_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"

#define ETH_HDR		14
#define IP_HDR		20
#define TCP_HDR		20
#define UDP_HDR		8
#define ARP_LEN		28

#define IP_PROTO_ICMP	1
#define IP_PROTO_TCP	6
#define IP_PROTO_UDP	17

#define TCPF_FIN	0x01
#define TCPF_SYN	0x02
#define TCPF_RST	0x04
#define TCPF_PSH	0x08
#define TCPF_ACK	0x10
#define TCPF_URG	0x20

struct frame {
	uint8_t b[NET_FRAME_MAX];
	size_t len;
};

void put16(uint8_t *p, uint16_t v);
void put32(uint8_t *p, uint32_t v);
uint16_t get16(const uint8_t *p);
uint32_t get32(const uint8_t *p);

/*
 * An IPv4 packet from A to B with `payload` bytes of protocol `proto`
 * (zeroed); returns where the payload starts. The IP checksum is set.
 */
uint8_t *frame_ip(struct frame *f, uint8_t proto, size_t payload);

/* A TCP segment from A to B, checksums set; data bytes are 'a', 'b', ... */
void frame_tcp(struct frame *f, uint16_t sport, uint16_t dport, uint32_t seq,
    uint32_t ack, uint8_t flags, const uint8_t *opts, size_t optlen,
    size_t datalen);

/* A UDP datagram from A to B with `datalen` zero bytes, checksums set. */
void frame_udp(struct frame *f, uint16_t sport, uint16_t dport,
    size_t datalen);

/* An ICMP echo request from A to B, checksums set. */
void frame_ping(struct frame *f, size_t datalen);

/* An ARP packet from A (opcode 1 request, 2 reply) asking for B. */
void frame_arp(struct frame *f, uint16_t opcode);

/*
 * Recompute the IPv4 header checksum and the TCP, UDP or ICMP checksum of
 * whatever the frame now says, as far as its lengths can be believed.
 */
void frame_fix_checksums(struct frame *f);

#endif
