/*
 * The netstack service: lwIP (NO_SYS=1) driven from one event loop that
 * multiplexes the Nic, the Timer and the calls on its endpoints.
 * docs/network.md describes the design.
 */
#ifndef NETSTACK_H
#define NETSTACK_H

#include <stdbool.h>
#include <stdint.h>

#include "lwip/err.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "net.capnp.h"
#include "rt.h"

/* Endpoints: the "net" export (NetworkManager, and every minted object),
 * plus up to three exports bound to one listening port each. */
#define NS_MAX_EPS		4
#define NS_EP_NET		0

/*
 * Calls received and not yet answered. The kernel stops delivering at 64
 * per endpoint, and every minted object shares the "net" endpoint. A
 * call that would make an object's second waiting call (a send beside a
 * recv, a further accept, a connect) is refused past NS_MAX_DEFERRED; an
 * object's first waiting call (a recv or send on an otherwise idle
 * socket, a listener's first accept) is taken up to NS_MAX_WAITING, so a
 * client that fills the shared part cannot stop others' sockets from
 * waiting for data. Past NS_MAX_WAITING the kernel's own bound is near.
 */
#define NS_MAX_DEFERRED		40
#define NS_MAX_WAITING		60

#define NS_MAX_LISTENERS	8
#define NS_MAX_SOCKETS		48
#define NS_MAX_ACCEPTS		4	/* accept calls waiting per listener */
#define NS_MAX_BACKLOG		16	/* connections waiting for accept */
/* Sockets one listener's connections may hold open at once (waiting for
 * accept, or accepted and not closed), and sockets kept for connect:
 * connections from outside can never take every socket. */
#define NS_LISTENER_SOCKETS	32
#define NS_CONNECT_RESERVE	8
/*
 * Received bytes are copied out of lwIP's pool into a ring per socket of
 * one receive window, so no pool pbuf waits for a client to read: the
 * shared pool only carries frames through (and a few out-of-order
 * segments per connection, lwipopts.h). lwIP never offers more than the
 * window it announced, which is the room left in the ring.
 */
#define NS_RXBUF		TCP_WND

/*
 * lwIP's heap (MEM_SIZE) holds what tcp_write copies and every outgoing
 * ACK, ARP and ICMP frame. Sockets may fill it only up to NS_TX_HEADROOM
 * below the top, so a peer that stops reading (zero window) cannot stop
 * the stack answering anyone else. NS_TX_SEG_COST is what a queued
 * segment costs beyond its payload (pbuf, headers, heap header).
 */
#define NS_TX_HEADROOM		(128 * 1024)
#define NS_TX_SEG_COST		192
#define NS_TX_BUDGET		((uint32_t)((uint64_t)(MEM_SIZE - \
				 NS_TX_HEADROOM) * TCP_MSS / \
				 (TCP_MSS + NS_TX_SEG_COST)))
/* Of the budget, every socket may always queue this much: one socket's
 * full send buffer cannot crowd another out. */
#define NS_TX_RESERVE		(NS_TX_BUDGET / NS_MAX_SOCKETS)

/* A call that will be answered later. */
struct ns_pending {
	bool used;
	int ep;
	uint64_t call_id;
};

struct ns_ep {
	const char *name;
	capos_cap_t owner;
	uint16_t port;		/* 0 for "net"; else the authority's port */
	/* A connect= authority: connections go to this address (host
	 * order) and port; 0 for the others. */
	uint32_t connect_addr;
	bool armed;		/* a RECV is in flight */
	bool minted;		/* a client was minted since it was armed */
	uint64_t tag;
};

extern struct ns_ep ns_eps[NS_MAX_EPS];
extern int ns_neps;
extern struct netif ns_netif;
extern const char *ns_name;
extern bool ns_dhcp;
extern bool ns_link_up;
extern uint8_t ns_mac[6];

/* Why a connection was ended by force (lifetime.c). */
enum ns_reclaim { R_IDLE, R_ZERO_WINDOW, R_ACCEPT_QUEUE, R_KINDS };

/* Counters, reported by NetworkManager.statistics and at exit. */
struct ns_stats {
	uint64_t rx_frames, rx_bad, tx_frames, tx_dropped, tx_calls;
	uint64_t bad_slots;	/* slot numbers from the Nic that were wrong */
	uint64_t calls, deferred, overloaded, rx_retries;
	uint64_t zw_stalls;	/* stretches of a connection in persist */
	uint64_t reclaimed[R_KINDS];
	uint64_t timed_out;	/* sockets' connections lwIP gave up on */
};
extern struct ns_stats ns_stats;

/*
 * Lifetimes (docs/network.md, "Lifetimes"), set by the arguments:
 * keep-alive on every connection, and the send-stall (zero-window)
 * give-up for every connected pcb with data waiting, with or without a
 * socket. A socket's idle timeout is its holder's
 * (TcpSocket.setIdleTimeout).
 */
struct ns_lifetimes {
	uint32_t keep_idle_ms, keep_intvl_ms, keep_cnt;
	uint32_t zero_window_ms;
};
extern struct ns_lifetimes ns_life;

/* lifetime.c */
void life_tick(void);
/* Whether a connection still has data or its FIN out and unacknowledged. */
bool life_sending(void);
/* Ends pcb with a reset, says so on the console and counts it; lwIP calls
 * its error callback (ERR_ABRT) before this returns. */
void life_reclaim(struct tcp_pcb *pcb, enum ns_reclaim why, uint32_t ms);
/* True while life_reclaim aborts: the error callback is not lwIP giving
 * up on its own. */
extern bool ns_reclaiming;

/* stats.c */
int stats_fill(struct capos_NetStatistics_b *st);
int stats_listen(uint16_t port);

/* nic.c: frames in and out. */
int nic_start(capos_cap_t nic);
void nic_rx_done(const struct capos_cqe *c);
void nic_tx_done(const struct capos_cqe *c);
void nic_flush(void);
void nic_tick(void);
err_t nic_netif_init(struct netif *nif);
bool nic_rx_armed(uint64_t *tag);
bool nic_tx_armed(uint64_t *tag);
/* Whether no frame waits to go to the driver and none is with it. */
bool nic_tx_idle(void);

/* objects.c: the served objects and their deferred calls. */
void obj_dispatch(int ep, struct rt_request *rq);
void obj_service(void);
int obj_deferred(void);
void obj_dropped(int ep, uint64_t badge);
int obj_open_sockets(void);
int obj_open_listeners(void);
int obj_waiting_accept(void);
void obj_tick(void);

/* main.c: answering calls. */
int ns_return(int ep, uint64_t call_id, struct capnp_builder *b,
    struct capos_capdesc *caps, uint16_t ncaps);
int ns_return_exception(int ep, uint64_t call_id,
    enum capos_CapException_Type type, const char *why);
capos_cap_t ns_mint(uint64_t badge, uint64_t iface);
void ns_release(capos_cap_t cap);
/* A scratch reply buffer for answers built outside a request. */
extern uint8_t ns_reply_buf[CAPOS_MAX_RESULT];

/* port.c */
int port_init(capos_cap_t entropy);

#endif
