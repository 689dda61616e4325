/*
 * lwIP configuration of the capOS netstack: IPv4, TCP, UDP (for DHCP),
 * ICMP, ARP and Ethernet, driven by one thread through the raw API
 * (NO_SYS=1). Anything not named here keeps lwIP's default (lwip/opt.h).
 * The host test in tests/lwip builds lwIP with this very file.
 *
 * Memory is static: lwIP's pools and heap are arrays in the netstack's
 * .bss, sized below for NETSTACK_TCP_STREAMS connections moving data at
 * full speed in both directions at once (4 MiB of .bss in all). Past that,
 * lwIP pushes back instead of failing: tcp_write() returns ERR_MEM and the
 * caller retries after the next sent callback, and a frame that finds the
 * PBUF pool empty is dropped, which the sender's TCP repairs.
 */
#ifndef CAPOS_LWIPOPTS_H
#define CAPOS_LWIPOPTS_H

/*
 * Connections that get their full windows at the same time. The issue's
 * tests run 16 at once; more may be open, sharing the same memory.
 */
#define NETSTACK_TCP_STREAMS		16

/* ---- Platform ---- */

/* One thread owns lwIP, so there is nothing to lock. */
#define NO_SYS				1
#define SYS_LIGHTWEIGHT_PROT		0
#define LWIP_TIMERS			1
#define LWIP_NETCONN			0
#define LWIP_SOCKET			0
#define LWIP_NETIF_API			0

/* x86_64 wants 8-byte alignment for the pointers inside pool elements. */
#define MEM_ALIGNMENT			8
#define MEM_LIBC_MALLOC			0
#define MEMP_MEM_MALLOC			0

/* ---- Protocols ---- */

#define LWIP_IPV4			1
#define LWIP_IPV6			0
#define LWIP_ARP			1
#define LWIP_ETHERNET			1
#define LWIP_ICMP			1
#define LWIP_UDP			1
#define LWIP_TCP			1
#define LWIP_DHCP			1
#define LWIP_RAW			0
#define LWIP_IGMP			0
#define LWIP_AUTOIP			0
#define LWIP_DNS			0

/*
 * The ARP probe that DHCP makes before using its lease costs every boot
 * half a second, and guards against address conflicts on shared LANs;
 * capOS runs behind QEMU's or Firecracker's own DHCP server, which is the
 * only other host on its link.
 */
#define DHCP_DOES_ARP_CHECK		0
/* DHCP starts when the Nic reports link up, not into a dead link. */
#define LWIP_DHCP_CHECK_LINK_UP		1

#define LWIP_NETIF_STATUS_CALLBACK	1
#define LWIP_NETIF_LINK_CALLBACK	1
#define LWIP_HAVE_LOOPIF		0
#define LWIP_NETIF_LOOPBACK		0

#define ARP_TABLE_SIZE			16

/* ---- TCP ---- */

#define TCP_MSS				1460

/*
 * Windows of 128 KiB each way: enough for one stream to keep QEMU's user
 * network busy (a 64 KiB window caps a stream at 64 KiB per round trip).
 * A 128 KiB receive window needs window scaling; a shift of 2 allows up
 * to 256 KiB.
 */
#define LWIP_WND_SCALE			1
#define TCP_RCV_SCALE			2
#define TCP_WND				(128 * 1024)
#define TCP_SND_BUF			(128 * 1024)

/*
 * tcp_sndbuf() reports at most 64 KiB (a u16_t), so "writable again" must
 * be signalled below that: at a quarter of the buffer.
 */
#define TCP_SNDLOWAT			(TCP_SND_BUF / 4)

/* Queued pbufs per connection; small writes take one pbuf each. */
#define TCP_SND_QUEUELEN	((4 * TCP_SND_BUF + TCP_MSS - 1) / TCP_MSS)

/* Every segment in flight or queued, on all streams together. */
#define MEMP_NUM_TCP_SEG		(NETSTACK_TCP_STREAMS * \
					 (TCP_SND_BUF / TCP_MSS + 1) * 2)

/*
 * Out-of-order segments are kept (one loss then costs one retransmission
 * of a few segments, not a window), but a connection may park at most
 * this many pbufs there, so every pcb at once parks less than the PBUF
 * pool holds: a peer sending tiny out-of-order segments on many
 * connections cannot empty it.
 */
#define TCP_QUEUE_OOSEQ			1
#define TCP_OOSEQ_MAX_PBUFS		8

/*
 * Per-listener bound on connections not yet accepted (conventions.md:
 * every queue has a bound). Beyond it, new SYNs are ignored.
 */
#define TCP_LISTEN_BACKLOG		1
#define TCP_DEFAULT_LISTEN_BACKLOG	16

/*
 * PCBs: open connections, ones closing, and TIME_WAIT (which lwIP recycles,
 * oldest first, when the pool runs out, so connection churn cannot lock
 * out new connections).
 */
#define MEMP_NUM_TCP_PCB		64

/*
 * SOF_REUSEADDR on listeners (objects.c): a port whose old connections
 * are still closing or in TIME_WAIT can be listened on again at once.
 * Those connections stay told apart by their peer address and port; the
 * netstack itself keeps one listener per port.
 */
#define SO_REUSE			1
#define MEMP_NUM_TCP_PCB_LISTEN		16
#define MEMP_NUM_UDP_PCB		4

/*
 * Keep-alive times per pcb (keep_idle, keep_intvl, keep_cnt), which the
 * netstack sets on every connection from its arguments (docs/network.md,
 * "Lifetimes"); lwIP's own defaults would wait two hours.
 */
#define LWIP_TCP_KEEPALIVE		1

/* Sequence numbers per RFC 6528 (arch/hooks.h). */
#define LWIP_HOOK_FILENAME		"arch/hooks.h"
#define LWIP_HOOK_TCP_ISN		capos_lwip_tcp_isn

/* ---- Buffers ---- */

/*
 * Received frames land in pool pbufs of one full frame each
 * (PBUF_POOL_BUFSIZE defaults to MSS + headers). The netstack copies
 * received data out at once (netstack.h, NS_RXBUF), so the pool holds
 * only frames in transit (a Nic batch, IP fragments) and out-of-order
 * segments, at most TCP_OOSEQ_MAX_PBUFS for each pcb, with room to
 * spare for the first.
 */
#define PBUF_POOL_SIZE		(MEMP_NUM_TCP_PCB * TCP_OOSEQ_MAX_PBUFS + \
				 512)

/*
 * The heap holds what tcp_write() copies (one pbuf per segment) and every
 * other PBUF_RAM: every stream's send buffer at once, plus headroom for
 * ARP, ICMP, DHCP and headers. More sockets than that may be open: the
 * netstack keeps what they queue below the top (NS_TX_HEADROOM).
 */
#define MEM_SIZE		(NETSTACK_TCP_STREAMS * TCP_SND_BUF + \
				 256 * 1024)

/* PBUF_REF/ROM pbufs: tcp_write() without copy, and IP fragments. */
#define MEMP_NUM_PBUF			64

/* ---- Checksums ---- */

/*
 * Computed and checked in software on every layer (lwIP's defaults), with
 * the 32-bit-at-a-time summing loop and the TCP checksum folded into the
 * copy that tcp_write() makes anyway.
 */
#define LWIP_CHKSUM_ALGORITHM		3
#define LWIP_CHECKSUM_ON_COPY		1

/* ---- Statistics ---- */

/*
 * Counters only (drops, errors, pool use), no printing: the netstack can
 * report them and the host test asserts on them.
 */
#define LWIP_STATS			1
#define LWIP_STATS_DISPLAY		0
/* 32-bit counters: 16-bit ones wrap within seconds of bulk traffic. */
#define LWIP_STATS_LARGE		1
/*
 * The SNMP MIB-II counters without SNMP: resets sent and retransmissions
 * (a timeout counts too, services/netstack/patches/0002-*), which the
 * netstack's statistics report.
 */
#define MIB2_STATS			1

#endif
