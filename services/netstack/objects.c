/*
 * The objects the netstack serves: NetworkManager (badge 0 on the "net"
 * endpoint), TcpListenAuthority (badge 0 on an authority export, or a
 * minted badge naming its port), and TcpListener and TcpSocket (minted
 * badges naming a slot of the tables below and its generation). Every call
 * is checked against its badge's kind, slot and generation first, so a
 * closed object's badge fails cleanly and never reaches a reused slot.
 *
 * Calls that cannot complete at once (accept, recv without data, send
 * without room, connect) are kept as pending and answered from
 * obj_service(), which the main loop runs after every event.
 */
#include <string.h>

#include "lwip/dhcp.h"
#include "lwip/ip4_addr.h"
#include "lwip/stats.h"
#include "lwip/sys.h"
#include "netstack.h"

/* Badge: kind in bits 56-63, generation in 16-47, slot (or port) in 0-15. */
#define BADGE(kind, gen, idx)	((uint64_t)(kind) << 56 | \
				 (uint64_t)(gen) << 16 | (uint64_t)(idx))
#define BADGE_KIND(b)		((int)((b) >> 56))
#define BADGE_GEN(b)		((uint32_t)((b) >> 16))
#define BADGE_IDX(b)		((uint32_t)((b) & 0xffff))

enum kind { K_NONE, K_AUTH, K_LISTENER, K_SOCKET };

struct listener {
	bool used;
	uint32_t gen;
	uint16_t port;
	struct tcp_pcb *pcb;
	struct ns_pending accepts[NS_MAX_ACCEPTS];
	/* Connections accepted by lwIP, waiting for an accept call. */
	int backlog[NS_MAX_BACKLOG];
	int nbacklog;
	int max_backlog;
	int nsocks;		/* open sockets it accepted (NS_LISTENER_SOCKETS) */
};

enum sock_state { S_FREE, S_CONNECTING, S_OPEN, S_DEAD };

/* Data segments a new connection ACKs at once, before lwIP's delayed ACKs
 * (every second segment, or at the next fast timer) take over. */
#define QUICK_ACKS	16

struct sock {
	enum sock_state state;
	uint32_t gen;
	struct tcp_pcb *pcb;		/* NULL once lwIP has freed it */
	/* Received, not yet given out: rx_len bytes of rxbufs[slot] from
	 * rx_head, wrapping. */
	uint32_t rx_head, rx_len;
	uint32_t quick_acks;		/* segments still to ACK at once */
	bool eof;			/* the peer has finished sending */
	bool shut;			/* we have finished sending */
	err_t err;			/* why the connection died */
	const char *why;		/* ...said to calls that fail */
	uint32_t idle_ms;		/* reset after this long idle; 0: never */
	uint32_t last_active;		/* sys_now() when a byte last moved */
	int listener;			/* in that listener's backlog, or -1 */
	int from;			/* the listener that accepted it, or -1 */
	uint32_t from_gen;		/* ...and that listener's generation */
	uint32_t peer_addr;
	uint16_t peer_port;
	struct ns_pending recv;
	uint32_t recv_max;
	struct ns_pending send;
	uint8_t *send_buf;		/* a deferred send's data (malloc) */
	uint32_t send_len;
	struct ns_pending conn;
};

static struct listener listeners[NS_MAX_LISTENERS];
static struct sock socks[NS_MAX_SOCKETS];
static uint8_t rxbufs[NS_MAX_SOCKETS][NS_RXBUF];
static int ndeferred;
static uint8_t chunk[capos_TcpSocket_maxChunk];

int
obj_deferred(void)
{
	return ndeferred;
}

/* Keeps rq to answer later in *pd; false (rq answered overloaded) when
 * the bound on deferred calls is reached. `first`: the object has no
 * other call waiting (netstack.h). */
static bool
defer(struct ns_pending *pd, int ep, struct rt_request *rq, bool first)
{
	if (ndeferred >= (first ? NS_MAX_WAITING : NS_MAX_DEFERRED)) {
		ns_stats.overloaded++;
		rt_reply_exception(rq, capos_CapException_Type_overloaded,
		    "too many calls waiting");
		return false;
	}
	pd->used = true;
	pd->ep = ep;
	pd->call_id = rq->hdr->call_id;
	rq->deferred = true;
	ndeferred++;
	ns_stats.deferred++;
	return true;
}

static void
undefer(struct ns_pending *pd)
{
	pd->used = false;
	ndeferred--;
}

static void
fail_pending(struct ns_pending *pd, const char *why)
{
	if (!pd->used)
		return;
	(void)ns_return_exception(pd->ep, pd->call_id,
	    capos_CapException_Type_failed, why);
	undefer(pd);
}

/* ---- Sockets ---- */

static struct sock *
sock_alloc(void)
{
	for (int i = 0; i < NS_MAX_SOCKETS; i++) {
		struct sock *s = &socks[i];

		if (s->state != S_FREE)
			continue;
		s->pcb = NULL;
		s->rx_head = s->rx_len = 0;
		s->quick_acks = QUICK_ACKS;
		s->eof = s->shut = false;
		s->err = ERR_OK;
		s->why = "connection reset";
		s->idle_ms = 0;
		s->last_active = sys_now();
		s->listener = -1;
		s->from = -1;
		s->peer_addr = 0;
		s->peer_port = 0;
		s->send_buf = NULL;
		s->send_len = 0;
		s->state = S_OPEN;
		return s;
	}
	return NULL;
}

static int
sock_idx(const struct sock *s)
{
	return (int)(s - socks);
}

/* Appends len bytes to s's ring; the caller checked the room. */
static void
ring_put(struct sock *s, const void *data, uint32_t len)
{
	uint8_t *ring = rxbufs[sock_idx(s)];
	uint32_t tail = (s->rx_head + s->rx_len) % NS_RXBUF;
	uint32_t first = NS_RXBUF - tail < len ? NS_RXBUF - tail : len;

	memcpy(ring + tail, data, first);
	memcpy(ring, (const uint8_t *)data + first, len - first);
	s->rx_len += len;
}

/* Copies the first len (<= rx_len) bytes of s's ring to out. */
static void
ring_peek(const struct sock *s, uint8_t *out, uint32_t len)
{
	const uint8_t *ring = rxbufs[sock_idx(s)];
	uint32_t first = NS_RXBUF - s->rx_head < len ?
	    NS_RXBUF - s->rx_head : len;

	memcpy(out, ring + s->rx_head, first);
	memcpy(out + first, ring, len - first);
}

/* Forgets s's pcb and closes it: lwIP finishes the connection alone and
 * never calls back into s. tcp_close's result; on failure the caller
 * must abort the pcb, which s no longer names. */
static err_t
sock_let_go(struct sock *s)
{
	struct tcp_pcb *pcb = s->pcb;

	if (pcb == NULL)
		return ERR_OK;
	s->pcb = NULL;
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	/* With unread data lwIP answers the close with a reset. In
	 * FIN_WAIT_1/2, CLOSING, TIME_WAIT and LAST_ACK it returns ERR_OK
	 * and frees the pcb itself once the connection is over. */
	return tcp_close(pcb);
}

static void
detach_pcb(struct sock *s)
{
	struct tcp_pcb *pcb = s->pcb;

	if (sock_let_go(s) != ERR_OK)
		tcp_abort(pcb);
}

/* Ends the socket: its pcb closed, its pending calls failed, its slot and
 * badge generation freed. */
static void
sock_free(struct sock *s, const char *why)
{
	detach_pcb(s);
	fail_pending(&s->recv, why);
	fail_pending(&s->send, why);
	fail_pending(&s->conn, why);
	s->rx_head = s->rx_len = 0;
	free(s->send_buf);
	s->send_buf = NULL;
	if (s->listener >= 0) {
		struct listener *l = &listeners[s->listener];

		for (int i = 0; i < l->nbacklog; i++) {
			if (l->backlog[i] != sock_idx(s))
				continue;
			memmove(&l->backlog[i], &l->backlog[i + 1],
			    (size_t)(l->nbacklog - i - 1) * sizeof(int));
			l->nbacklog--;
			break;
		}
	}
	if (s->from >= 0 && listeners[s->from].gen == s->from_gen)
		listeners[s->from].nsocks--;
	s->from = -1;
	s->listener = -1;
	s->state = S_FREE;
	s->gen++;
}

static err_t
on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct sock *s = arg;

	(void)err;
	if (s == NULL) {
		if (p != NULL) {
			tcp_recved(pcb, p->tot_len);
			pbuf_free(p);
		}
		return ERR_OK;
	}
	if (p == NULL) {
		s->eof = true;
		/*
		 * Both directions are finished, so the pcb is in TIME_WAIT or
		 * CLOSING, and lwIP frees such pcbs later without calling
		 * on_err (2*MSL, or tcp_kill_timewait when it needs the slot).
		 * Let go of it now, or s->pcb would name whatever connection
		 * reuses the memory.
		 */
		if (s->shut && sock_let_go(s) != ERR_OK) {
			tcp_abort(pcb);
			return ERR_ABRT;
		}
		return ERR_OK;
	}
	/* The window is opened again (tcp_recved) only as a recv call takes
	 * bytes, so the peer cannot send past the ring's room. Were it to,
	 * lwIP keeps the refused data and offers it again later. */
	if (p->tot_len > NS_RXBUF - s->rx_len)
		return ERR_MEM;
	for (struct pbuf *q = p; q != NULL; q = q->next)
		ring_put(s, q->payload, q->len);
	pbuf_free(p);
	s->last_active = sys_now();
	/* Quick ACKs while the connection is young: a sender still in slow
	 * start may have sent a single segment and waits for its ACK, which
	 * lwIP would delay until its next fast timer (up to 250 ms). */
	if (s->quick_acks > 0) {
		s->quick_acks--;
		tcp_set_flags(pcb, TF_ACK_NOW);	/* sent by tcp_input's output */
	}
	return ERR_OK;
}

static void
on_err(void *arg, err_t err)
{
	struct sock *s = arg;

	if (s == NULL)
		return;
	/* lwIP has freed the pcb already. */
	s->pcb = NULL;
	s->err = err;
	/* ERR_ABRT: reset by life_reclaim, or lwIP gave up (retransmissions
	 * or keep-alive probes unanswered); any other error is the peer's. */
	if (err == ERR_ABRT) {
		s->why = "timed out";
		if (!ns_reclaiming)
			ns_stats.timed_out++;
	}
	if (s->listener >= 0 && s->state == S_OPEN) {
		sock_free(s, "connection reset");
		return;
	}
	s->state = S_DEAD;
}

static err_t
on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct sock *s = arg;

	(void)pcb;
	if (s != NULL && err == ERR_OK)
		s->state = S_OPEN;
	return ERR_OK;
}

/* The peer acknowledged data of ours: the connection is not idle. */
static err_t
on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct sock *s = arg;

	(void)pcb;
	(void)len;
	if (s != NULL)
		s->last_active = sys_now();
	return ERR_OK;
}

static void
sock_attach(struct sock *s, struct tcp_pcb *pcb)
{
	s->pcb = pcb;
	tcp_arg(pcb, s);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
	/* A peer that vanishes without a word is found by keep-alive. */
	ip_set_option(pcb, SOF_KEEPALIVE);
	pcb->keep_idle = ns_life.keep_idle_ms;
	pcb->keep_intvl = ns_life.keep_intvl_ms;
	pcb->keep_cnt = ns_life.keep_cnt;
}

/*
 * Makes room in l's accept queue: the oldest connection waiting there
 * whose peer has finished sending without sending anything (it closed,
 * or gave up waiting) is reset, since a peer that is gone would otherwise
 * hold the place of one that is not. A FIN looks the same whether the
 * peer closed or only half-closed, so one that sent a request before its
 * FIN is kept: it may be waiting for the answer. False when no waiting
 * peer is gone.
 */
static bool
evict_gone(struct listener *l)
{
	for (int i = 0; i < l->nbacklog; i++) {
		struct sock *s = &socks[l->backlog[i]];

		if (!s->eof || s->rx_len != 0 || s->pcb == NULL)
			continue;
		/* on_err frees s, taking it out of the backlog. */
		life_reclaim(s->pcb, R_ACCEPT_QUEUE, 0);
		return true;
	}
	return false;
}

static err_t
on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct listener *l = arg;
	struct sock *s;

	if (l == NULL || err != ERR_OK || pcb == NULL)
		return ERR_VAL;
	while ((l->nbacklog >= l->max_backlog ||
	    l->nsocks >= NS_LISTENER_SOCKETS ||
	    NS_MAX_SOCKETS - obj_open_sockets() <= NS_CONNECT_RESERVE) &&
	    evict_gone(l))
		;
	if (l->nbacklog >= l->max_backlog ||
	    l->nsocks >= NS_LISTENER_SOCKETS ||
	    NS_MAX_SOCKETS - obj_open_sockets() <= NS_CONNECT_RESERVE ||
	    (s = sock_alloc()) == NULL) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	sock_attach(s, pcb);
	s->from = (int)(l - listeners);
	s->from_gen = l->gen;
	l->nsocks++;
	s->peer_addr = lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip)));
	s->peer_port = pcb->remote_port;
	s->listener = (int)(l - listeners);
	l->backlog[l->nbacklog++] = sock_idx(s);
	return ERR_OK;
}

/* Bytes s has handed lwIP that the peer has not acknowledged. */
static uint32_t
queued(const struct sock *s)
{
	if (s->pcb == NULL || s->state != S_OPEN)
		return 0;
	return TCP_SND_BUF - s->pcb->snd_buf;
}

/*
 * Bytes s may add to lwIP's send queues now. Every open socket counts as
 * queuing at least NS_TX_RESERVE, and all of them together stay within
 * NS_TX_BUDGET, so each can always reach its reserve; what the others
 * leave is shared. Pcbs of closed sockets, which lwIP still drains, are
 * not counted: the heap's own level is the final check.
 */
static uint32_t
send_room(const struct sock *s)
{
	uint64_t committed = 0, heap_free, room;
	uint32_t mine = queued(s);

	for (int i = 0; i < NS_MAX_SOCKETS; i++) {
		uint32_t q;

		if (socks[i].state == S_FREE)
			continue;
		q = queued(&socks[i]);
		committed += q > NS_TX_RESERVE ? q : NS_TX_RESERVE;
	}
	room = committed < NS_TX_BUDGET ? NS_TX_BUDGET - committed : 0;
	if (mine < NS_TX_RESERVE)
		room += NS_TX_RESERVE - mine;
	heap_free = lwip_stats.mem.used + NS_TX_HEADROOM < MEM_SIZE ?
	    MEM_SIZE - NS_TX_HEADROOM - lwip_stats.mem.used : 0;
	heap_free = heap_free * TCP_MSS / (TCP_MSS + NS_TX_SEG_COST);
	return (uint32_t)(room < heap_free ? room : heap_free);
}

/* Writes what fits now; the bytes taken, or -1 if the socket cannot send. */
static int
try_write(struct sock *s, const uint8_t *data, uint32_t len)
{
	uint32_t n, room;

	if (s->pcb == NULL || s->state != S_OPEN || s->shut)
		return -1;
	n = tcp_sndbuf(s->pcb);
	if ((room = send_room(s)) < n)
		n = room;
	if (n > len)
		n = len;
	while (n > 0) {
		err_t e = tcp_write(s->pcb, data, (u16_t)n,
		    TCP_WRITE_FLAG_COPY);

		if (e == ERR_OK)
			break;
		if (e != ERR_MEM)
			return -1;
		n /= 2;		/* out of queue entries: try less */
	}
	if (n > 0)
		tcp_output(s->pcb);
	return (int)n;
}

/* ---- Answers that carry a minted capability ---- */

/* Mints the socket's capability and answers call_id with it, as the
 * result of accept or of connect (`which`). A failed delivery closes the
 * socket. */
static void
answer_socket(struct sock *s, int ep, uint64_t call_id, int which)
{
	struct capos_capdesc cd;
	struct capnp_builder b;
	int rc;

	cd.cap = ns_mint(BADGE(K_SOCKET, s->gen, sock_idx(s)),
	    capos_TcpSocket_INTERFACE_ID);
	cd.mode = CAPOS_XFER_MOVE;
	if (cd.cap == CAPOS_CAP_NULL) {
		(void)ns_return_exception(ep, call_id,
		    capos_CapException_Type_overloaded,
		    "cannot mint a capability");
		sock_free(s, "closed");
		return;
	}
	rc = capnp_builder_init(&b, ns_reply_buf, sizeof(ns_reply_buf));
	if (rc == 0 && which == capos_TcpListener_accept_ORDINAL) {
		struct capos_TcpListener_accept_Results_b r;

		if ((rc = capos_TcpListener_accept_Results_init_root(&b,
		    &r)) == 0)
			capos_TcpListener_accept_Results_set_socket(&r, 0);
	} else if (rc == 0) {
		struct capos_ConnectResult_b r;

		if ((rc = capos_ConnectResult_init_root(&b, &r)) == 0)
			capos_ConnectResult_set_socket(&r, 0);
	}
	if (rc != 0) {
		(void)ns_return_exception(ep, call_id,
		    capos_CapException_Type_failed, "cannot build the answer");
		ns_release(cd.cap);
		sock_free(s, "closed");
		return;
	}
	rc = ns_return(ep, call_id, &b, &cd, 1);
	if (rc < 0) {
		/* The caller is gone or could not take it: the move rolled
		 * back, and nobody can reach the socket. */
		ns_release(cd.cap);
		sock_free(s, "closed");
		return;
	}
	s->listener = -1;
}

/* ---- Listeners ---- */

static void
listener_free(struct listener *l)
{
	for (int i = 0; i < NS_MAX_ACCEPTS; i++)
		fail_pending(&l->accepts[i], "listener closed");
	while (l->nbacklog > 0)
		sock_free(&socks[l->backlog[0]], "listener closed");
	if (l->pcb != NULL) {
		tcp_arg(l->pcb, NULL);
		tcp_accept(l->pcb, NULL);
		if (tcp_close(l->pcb) != ERR_OK)
			tcp_abort(l->pcb);
	}
	l->pcb = NULL;
	l->used = false;
	l->gen++;
}

/* Takes the oldest waiting connection for a waiting accept. */
static void
listener_service(struct listener *l)
{
	for (int i = 0; i < NS_MAX_ACCEPTS && l->nbacklog > 0; i++) {
		struct ns_pending *pd = &l->accepts[i];
		struct sock *s;

		if (!pd->used)
			continue;
		s = &socks[l->backlog[0]];
		memmove(&l->backlog[0], &l->backlog[1],
		    (size_t)(l->nbacklog - 1) * sizeof(int));
		l->nbacklog--;
		s->listener = -1;
		undefer(pd);
		answer_socket(s, pd->ep, pd->call_id,
		    capos_TcpListener_accept_ORDINAL);
	}
}

static int
do_listen(uint16_t port, int ep, struct rt_request *rq)
{
	struct capos_TcpListenAuthority_listen_Params_r p = { rq->params };
	struct capos_ListenResult_b r;
	struct listener *l = NULL;
	struct tcp_pcb *pcb, *lpcb;
	struct capos_capdesc cd;
	uint16_t bl = capos_TcpListenAuthority_listen_Params_get_backlog(&p);
	err_t err;
	int rc;

	(void)ep;
	if (capos_ListenResult_init_root(&rq->reply, &r) != 0)
		return -1;
	for (int i = 0; i < NS_MAX_LISTENERS; i++) {
		if (listeners[i].used && listeners[i].port == port) {
			capos_ListenResult_set_inUse(&r);
			return 0;
		}
		if (!listeners[i].used && l == NULL)
			l = &listeners[i];
	}
	if (l == NULL || (pcb = tcp_new()) == NULL) {
		capos_ListenResult_set_noMemory(&r);
		return 0;
	}
	/* Connections of an earlier listener on the port may still be
	 * closing; they inherit the option, so the bind does not clash. */
	ip_set_option(pcb, SOF_REUSEADDR);
	if (tcp_bind(pcb, IP4_ADDR_ANY, port) != ERR_OK) {
		tcp_abort(pcb);
		capos_ListenResult_set_inUse(&r);
		return 0;
	}
	if (bl == 0 || bl > NS_MAX_BACKLOG)
		bl = NS_MAX_BACKLOG;
	lpcb = tcp_listen_with_backlog_and_err(pcb, (u8_t)bl, &err);
	if (lpcb == NULL) {
		tcp_abort(pcb);
		capos_ListenResult_set_noMemory(&r);
		return 0;
	}
	memset(l->accepts, 0, sizeof(l->accepts));
	l->used = true;
	l->port = port;
	l->pcb = lpcb;
	l->nbacklog = 0;
	l->max_backlog = bl;
	l->nsocks = 0;
	tcp_arg(lpcb, l);
	tcp_accept(lpcb, on_accept);
	cd.cap = ns_mint(BADGE(K_LISTENER, l->gen, l - listeners),
	    capos_TcpListener_INTERFACE_ID);
	cd.mode = CAPOS_XFER_MOVE;
	if (cd.cap == CAPOS_CAP_NULL) {
		listener_free(l);
		capos_ListenResult_set_noMemory(&r);
		return 0;
	}
	capos_ListenResult_set_listener(&r, 0);
	/* Answered here, so a failed delivery can undo the listener. */
	rq->deferred = true;
	rc = ns_return(ep, rq->hdr->call_id, &rq->reply, &cd, 1);
	if (rc < 0) {
		ns_release(cd.cap);
		listener_free(l);
	}
	return 0;
}

static int
authority_call(uint16_t port, int ep, struct rt_request *rq)
{
	struct capos_TcpListenAuthority_port_Results_b r;

	if (rq->hdr->interface_id != capos_TcpListenAuthority_INTERFACE_ID)
		return rt_reply_exception(rq,
		    capos_CapException_Type_unimplemented, "wrong interface");
	switch (rq->hdr->method) {
	case capos_TcpListenAuthority_port_ORDINAL:
		if (capos_TcpListenAuthority_port_Results_init_root(&rq->reply,
		    &r) != 0)
			return -1;
		capos_TcpListenAuthority_port_Results_set_port(&r, port);
		return 0;
	case capos_TcpListenAuthority_listen_ORDINAL:
		return do_listen(port, ep, rq);
	}
	return rt_reply_exception(rq, capos_CapException_Type_unimplemented,
	    "no such method");
}

static int
listener_call(struct listener *l, int ep, struct rt_request *rq)
{
	struct capnp_sb root;

	switch (rq->hdr->method) {
	case capos_TcpListener_accept_ORDINAL:
		for (int i = 0; i < NS_MAX_ACCEPTS; i++) {
			bool first = true;

			if (l->accepts[i].used)
				continue;
			for (int j = 0; j < NS_MAX_ACCEPTS; j++)
				first = first && !l->accepts[j].used;
			if (defer(&l->accepts[i], ep, rq, first))
				listener_service(l);
			return 0;
		}
		ns_stats.overloaded++;
		return rt_reply_exception(rq,
		    capos_CapException_Type_overloaded,
		    "too many accepts waiting");
	case capos_TcpListener_close_ORDINAL:
		listener_free(l);
		return capnp_init_root(&rq->reply, 0, 0, &root);
	}
	return rt_reply_exception(rq, capos_CapException_Type_unimplemented,
	    "no such method");
}

/* ---- Socket calls ---- */

/* Completes a pending or new recv if it can; true when answered. */
static bool
recv_answer(struct sock *s, int ep, uint64_t call_id, uint32_t max)
{
	struct capos_TcpSocket_recv_Results_b r;
	struct capnp_builder b;
	uint32_t n = 0;

	if (s->rx_len == 0 && !s->eof && s->state != S_DEAD)
		return false;
	if (s->rx_len == 0 && !s->eof) {
		(void)ns_return_exception(ep, call_id,
		    capos_CapException_Type_failed, s->why);
		return true;
	}
	n = s->rx_len < max ? s->rx_len : max;
	ring_peek(s, chunk, n);
	if (capnp_builder_init(&b, ns_reply_buf, sizeof(ns_reply_buf)) != 0 ||
	    capos_TcpSocket_recv_Results_init_root(&b, &r) != 0 ||
	    capos_TcpSocket_recv_Results_set_data(&r, chunk, n) != 0) {
		(void)ns_return_exception(ep, call_id,
		    capos_CapException_Type_failed, "cannot build the answer");
		return true;
	}
	if (n == 0)
		capos_TcpSocket_recv_Results_set_eof(&r, true);
	/* The bytes leave the ring only once the caller has them: a caller
	 * gone meanwhile leaves them for the next recv. */
	if (ns_return(ep, call_id, &b, NULL, 0) < 0 || n == 0)
		return true;
	s->rx_head = (s->rx_head + n) % NS_RXBUF;
	s->rx_len -= n;
	if (s->pcb != NULL)
		tcp_recved(s->pcb, (u16_t)n);
	return true;
}

static void
send_answer(int ep, uint64_t call_id, uint32_t sent)
{
	struct capos_TcpSocket_send_Results_b r;
	struct capnp_builder b;

	if (capnp_builder_init(&b, ns_reply_buf, sizeof(ns_reply_buf)) != 0 ||
	    capos_TcpSocket_send_Results_init_root(&b, &r) != 0) {
		(void)ns_return_exception(ep, call_id,
		    capos_CapException_Type_failed, "cannot build the answer");
		return;
	}
	capos_TcpSocket_send_Results_set_sent(&r, sent);
	(void)ns_return(ep, call_id, &b, NULL, 0);
}

static int
sock_send(struct sock *s, int ep, struct rt_request *rq)
{
	struct capos_TcpSocket_send_Params_r p = { rq->params };
	struct capos_TcpSocket_send_Results_b r;
	struct capnp_data d;
	int n;

	if (capos_TcpSocket_send_Params_get_data(&p, &d) != 0)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "malformed data");
	if (s->send.used) {
		ns_stats.overloaded++;
		return rt_reply_exception(rq,
		    capos_CapException_Type_overloaded, "a send is waiting");
	}
	if (d.len > capos_TcpSocket_maxChunk)
		d.len = capos_TcpSocket_maxChunk;
	n = d.len == 0 ? 0 : try_write(s, d.ptr, d.len);
	if (n < 0)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    s->shut ? "shut down" : s->why);
	if (n > 0 || d.len == 0) {
		if (capos_TcpSocket_send_Results_init_root(&rq->reply, &r) != 0)
			return -1;
		capos_TcpSocket_send_Results_set_sent(&r, (uint32_t)n);
		return 0;
	}
	/* No room: keep a copy of the data (the call's buffer is reused). */
	if ((s->send_buf = malloc(d.len)) == NULL)
		return rt_reply_exception(rq,
		    capos_CapException_Type_overloaded, "out of memory");
	memcpy(s->send_buf, d.ptr, d.len);
	s->send_len = d.len;
	if (!defer(&s->send, ep, rq, !s->recv.used)) {
		free(s->send_buf);
		s->send_buf = NULL;
	}
	return 0;
}

static int
sock_recv(struct sock *s, int ep, struct rt_request *rq)
{
	struct capos_TcpSocket_recv_Params_r p = { rq->params };
	uint32_t max = capos_TcpSocket_recv_Params_get_maxBytes(&p);

	if (s->recv.used) {
		ns_stats.overloaded++;
		return rt_reply_exception(rq,
		    capos_CapException_Type_overloaded, "a recv is waiting");
	}
	if (max == 0 || max > capos_TcpSocket_maxChunk)
		max = capos_TcpSocket_maxChunk;
	rq->deferred = true;
	if (recv_answer(s, ep, rq->hdr->call_id, max))
		return 0;
	rq->deferred = false;
	s->recv_max = max;
	(void)defer(&s->recv, ep, rq, !s->send.used);
	return 0;
}

static int
sock_set_idle(struct sock *s, struct rt_request *rq)
{
	struct capos_TcpSocket_setIdleTimeout_Params_r p = { rq->params };
	uint32_t ms = capos_TcpSocket_setIdleTimeout_Params_get_ms(&p);
	struct capnp_sb root;

	if (ms > capos_TcpSocket_maxIdleMs)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "idle timeout over maxIdleMs");
	s->idle_ms = ms;
	s->last_active = sys_now();
	return capnp_init_root(&rq->reply, 0, 0, &root);
}

static int
socket_call(struct sock *s, int ep, struct rt_request *rq)
{
	struct capos_TcpSocket_peer_Results_b pr;
	struct capnp_sb root;

	if (s->state == S_CONNECTING)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "not connected");
	switch (rq->hdr->method) {
	case capos_TcpSocket_send_ORDINAL:
		return sock_send(s, ep, rq);
	case capos_TcpSocket_recv_ORDINAL:
		return sock_recv(s, ep, rq);
	case capos_TcpSocket_shutdown_ORDINAL:
		if (s->pcb != NULL && !s->shut) {
			tcp_shutdown(s->pcb, 0, 1);
			tcp_output(s->pcb);
		}
		s->shut = true;
		/* The peer had finished already: the pcb is now in LAST_ACK
		 * and lwIP's to end; see on_recv. */
		if (s->eof)
			detach_pcb(s);
		fail_pending(&s->send, "shut down");
		free(s->send_buf);
		s->send_buf = NULL;
		return capnp_init_root(&rq->reply, 0, 0, &root);
	case capos_TcpSocket_close_ORDINAL:
		sock_free(s, "closed");
		return capnp_init_root(&rq->reply, 0, 0, &root);
	case capos_TcpSocket_setIdleTimeout_ORDINAL:
		return sock_set_idle(s, rq);
	case capos_TcpSocket_peer_ORDINAL:
		if (capos_TcpSocket_peer_Results_init_root(&rq->reply, &pr))
			return -1;
		capos_TcpSocket_peer_Results_set_address(&pr, s->peer_addr);
		capos_TcpSocket_peer_Results_set_port(&pr, s->peer_port);
		return 0;
	}
	return rt_reply_exception(rq, capos_CapException_Type_unimplemented,
	    "no such method");
}

static void
sock_service(struct sock *s)
{
	if (s->conn.used && s->state != S_CONNECTING) {
		struct ns_pending pd = s->conn;

		undefer(&s->conn);
		if (s->state == S_OPEN) {
			answer_socket(s, pd.ep, pd.call_id,
			    capos_NetworkManager_connect_ORDINAL);
		} else {
			struct capos_ConnectResult_b r;
			struct capnp_builder b;

			if (capnp_builder_init(&b, ns_reply_buf,
			    sizeof(ns_reply_buf)) == 0 &&
			    capos_ConnectResult_init_root(&b, &r) == 0) {
				if (s->err == ERR_RST)
					capos_ConnectResult_set_refused(&r);
				else
					capos_ConnectResult_set_unreachable(&r);
				(void)ns_return(pd.ep, pd.call_id, &b, NULL, 0);
			} else {
				(void)ns_return_exception(pd.ep, pd.call_id,
				    capos_CapException_Type_failed,
				    "cannot build the answer");
			}
			sock_free(s, "closed");
		}
		return;
	}
	if (s->recv.used && recv_answer(s, s->recv.ep, s->recv.call_id,
	    s->recv_max))
		undefer(&s->recv);
	if (s->send.used) {
		int n = try_write(s, s->send_buf, s->send_len);

		if (n < 0) {
			fail_pending(&s->send, s->shut ? "shut down" :
			    s->why);
		} else if (n > 0) {
			send_answer(s->send.ep, s->send.call_id, (uint32_t)n);
			undefer(&s->send);
		}
		if (!s->send.used) {
			free(s->send_buf);
			s->send_buf = NULL;
		}
	}
}

/* ---- NetworkManager ---- */

static int
nm_status(struct rt_request *rq)
{
	struct capos_NetworkManager_status_Results_b r;
	struct capos_NetworkManager_Status_b st;

	if (capos_NetworkManager_status_Results_init_root(&rq->reply, &r) ||
	    capos_NetworkManager_status_Results_init_status(&r, &st) != 0)
		return -1;
	capos_NetworkManager_Status_set_configured(&st,
	    !ip4_addr_isany_val(*netif_ip4_addr(&ns_netif)));
	capos_NetworkManager_Status_set_dhcp(&st, ns_dhcp);
	capos_NetworkManager_Status_set_address(&st,
	    lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(&ns_netif))));
	capos_NetworkManager_Status_set_netmask(&st,
	    lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(&ns_netif))));
	capos_NetworkManager_Status_set_gateway(&st,
	    lwip_ntohl(ip4_addr_get_u32(netif_ip4_gw(&ns_netif))));
	capos_NetworkManager_Status_set_linkUp(&st, ns_link_up);
	return capos_NetworkManager_Status_set_mac(&st, ns_mac, 6);
}

static int
nm_statistics(struct rt_request *rq)
{
	struct capos_NetworkManager_statistics_Results_b r;
	struct capos_NetStatistics_b st;

	if (capos_NetworkManager_statistics_Results_init_root(&rq->reply,
	    &r) != 0 ||
	    capos_NetworkManager_statistics_Results_init_stats(&r, &st) != 0)
		return -1;
	return stats_fill(&st);
}

static int
nm_configure(struct rt_request *rq)
{
	struct capos_NetworkManager_configureStatic_Params_r p = {
		rq->params };
	ip4_addr_t a, m, g;
	struct capnp_sb root;

	ip4_addr_set_u32(&a, lwip_htonl(
	    capos_NetworkManager_configureStatic_Params_get_address(&p)));
	ip4_addr_set_u32(&m, lwip_htonl(
	    capos_NetworkManager_configureStatic_Params_get_netmask(&p)));
	ip4_addr_set_u32(&g, lwip_htonl(
	    capos_NetworkManager_configureStatic_Params_get_gateway(&p)));
	if (ip4_addr_isany_val(a) || !ip4_addr_netmask_valid(m.addr))
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "bad address or netmask");
	if (ns_dhcp)
		dhcp_release_and_stop(&ns_netif);
	ns_dhcp = false;
	netif_set_addr(&ns_netif, &a, &m, &g);
	return capnp_init_root(&rq->reply, 0, 0, &root);
}

static int
nm_authority(struct rt_request *rq)
{
	struct capos_NetworkManager_listenAuthority_Params_r p = {
		rq->params };
	struct capos_NetworkManager_listenAuthority_Results_b r;
	uint16_t port = capos_NetworkManager_listenAuthority_Params_get_port(&p);
	capos_cap_t cap;

	if (port == 0)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "port 0");
	cap = ns_mint(BADGE(K_AUTH, 0, port),
	    capos_TcpListenAuthority_INTERFACE_ID);
	if (cap == CAPOS_CAP_NULL)
		return -1;
	if (rt_reply_cap(rq, cap, CAPOS_XFER_MOVE) != 0 ||
	    capos_NetworkManager_listenAuthority_Results_init_root(&rq->reply,
	    &r) != 0) {
		ns_release(cap);
		return -1;
	}
	capos_NetworkManager_listenAuthority_Results_set_authority(&r, 0);
	return 0;
}

/* Starts a connection to addr:port (host order) for the call rq, which
 * is answered once it is established or has failed. */
static int
start_connect(int ep, struct rt_request *rq, uint32_t addr, uint16_t port)
{
	struct capos_ConnectResult_b r;
	struct tcp_pcb *pcb;
	struct sock *s;
	ip_addr_t ip;

	ip_addr_set_ip4_u32_val(ip, lwip_htonl(addr));
	if (capos_ConnectResult_init_root(&rq->reply, &r) != 0)
		return -1;
	if (ndeferred >= NS_MAX_DEFERRED) {
		ns_stats.overloaded++;
		return rt_reply_exception(rq,
		    capos_CapException_Type_overloaded,
		    "too many calls waiting");
	}
	if ((s = sock_alloc()) == NULL || (pcb = tcp_new()) == NULL) {
		if (s != NULL)
			sock_free(s, "closed");
		capos_ConnectResult_set_noMemory(&r);
		return 0;
	}
	sock_attach(s, pcb);
	s->state = S_CONNECTING;
	s->peer_addr = addr;
	s->peer_port = port;
	if (tcp_connect(pcb, &ip, s->peer_port, on_connected) != ERR_OK) {
		sock_free(s, "closed");
		capos_ConnectResult_set_unreachable(&r);
		return 0;
	}
	(void)defer(&s->conn, ep, rq, false);
	return 0;
}

static int
nm_connect(int ep, struct rt_request *rq)
{
	struct capos_NetworkManager_connect_Params_r p = { rq->params };

	return start_connect(ep, rq,
	    capos_NetworkManager_connect_Params_get_address(&p),
	    capos_NetworkManager_connect_Params_get_port(&p));
}

/* A connect= authority: its one target, and connections to it. */
static int
connect_authority_call(const struct ns_ep *e, int ep, struct rt_request *rq)
{
	struct capos_TcpConnectAuthority_target_Results_b r;

	if (rq->hdr->interface_id != capos_TcpConnectAuthority_INTERFACE_ID)
		return rt_reply_exception(rq,
		    capos_CapException_Type_unimplemented, "wrong interface");
	switch (rq->hdr->method) {
	case capos_TcpConnectAuthority_target_ORDINAL:
		if (capos_TcpConnectAuthority_target_Results_init_root(
		    &rq->reply, &r) != 0)
			return -1;
		capos_TcpConnectAuthority_target_Results_set_address(&r,
		    e->connect_addr);
		capos_TcpConnectAuthority_target_Results_set_port(&r, e->port);
		return 0;
	case capos_TcpConnectAuthority_connect_ORDINAL:
		return start_connect(ep, rq, e->connect_addr, e->port);
	}
	return rt_reply_exception(rq, capos_CapException_Type_unimplemented,
	    "no such method");
}

static int
nm_call(int ep, struct rt_request *rq)
{
	if (rq->hdr->interface_id != capos_NetworkManager_INTERFACE_ID)
		return rt_reply_exception(rq,
		    capos_CapException_Type_unimplemented, "wrong interface");
	switch (rq->hdr->method) {
	case capos_NetworkManager_status_ORDINAL:
		return nm_status(rq);
	case capos_NetworkManager_configureStatic_ORDINAL:
		return nm_configure(rq);
	case capos_NetworkManager_listenAuthority_ORDINAL:
		return nm_authority(rq);
	case capos_NetworkManager_connect_ORDINAL:
		return nm_connect(ep, rq);
	case capos_NetworkManager_statistics_ORDINAL:
		return nm_statistics(rq);
	}
	return rt_reply_exception(rq, capos_CapException_Type_unimplemented,
	    "no such method");
}

/* ---- Dispatch ---- */

static int
dispatch(int ep, struct rt_request *rq)
{
	uint64_t badge = rq->hdr->badge;
	uint32_t idx = BADGE_IDX(badge), gen = BADGE_GEN(badge);

	if (badge == 0)
		return ep == NS_EP_NET ? nm_call(ep, rq) :
		    ns_eps[ep].connect_addr != 0 ?
		    connect_authority_call(&ns_eps[ep], ep, rq) :
		    authority_call(ns_eps[ep].port, ep, rq);
	/* Minted objects live on the "net" endpoint only. */
	if (ep != NS_EP_NET)
		goto stale;
	switch (BADGE_KIND(badge)) {
	case K_AUTH:
		if (gen != 0 || idx == 0)
			goto stale;
		return authority_call((uint16_t)idx, ep, rq);
	case K_LISTENER:
		if (idx >= NS_MAX_LISTENERS || !listeners[idx].used ||
		    listeners[idx].gen != gen ||
		    rq->hdr->interface_id != capos_TcpListener_INTERFACE_ID)
			goto stale;
		return listener_call(&listeners[idx], ep, rq);
	case K_SOCKET:
		if (idx >= NS_MAX_SOCKETS || socks[idx].state == S_FREE ||
		    socks[idx].gen != gen ||
		    rq->hdr->interface_id != capos_TcpSocket_INTERFACE_ID)
			goto stale;
		return socket_call(&socks[idx], ep, rq);
	}
stale:
	return rt_reply_exception(rq, capos_CapException_Type_failed,
	    "closed or unknown object");
}

void
obj_dispatch(int ep, struct rt_request *rq)
{
	if (dispatch(ep, rq) != 0 && rq->exc_type < 0)
		rt_reply_exception(rq, capos_CapException_Type_failed,
		    "the method failed");
}

/*
 * The kernel's notice that the last reference to the client with this
 * badge is gone: nobody can call the object again, so it ends as if
 * closed. A badge whose object was closed already names an older
 * generation (or a free slot) and is ignored; an authority holds nothing.
 */
void
obj_dropped(int ep, uint64_t badge)
{
	uint32_t idx = BADGE_IDX(badge), gen = BADGE_GEN(badge);

	if (ep != NS_EP_NET)
		return;
	switch (BADGE_KIND(badge)) {
	case K_LISTENER:
		if (idx < NS_MAX_LISTENERS && listeners[idx].used &&
		    listeners[idx].gen == gen)
			listener_free(&listeners[idx]);
		break;
	case K_SOCKET:
		if (idx < NS_MAX_SOCKETS && socks[idx].state != S_FREE &&
		    socks[idx].gen == gen)
			sock_free(&socks[idx], "closed");
		break;
	}
}

int
obj_open_sockets(void)
{
	int n = 0;

	for (int i = 0; i < NS_MAX_SOCKETS; i++)
		n += socks[i].state != S_FREE;
	return n;
}

int
obj_waiting_accept(void)
{
	int n = 0;

	for (int i = 0; i < NS_MAX_LISTENERS; i++)
		if (listeners[i].used)
			n += listeners[i].nbacklog;
	return n;
}

/* Every tick: sockets idle past their holder's timeout are reset, then
 * the zero-window give-up runs over every pcb. */
void
obj_tick(void)
{
	uint32_t now = sys_now();

	for (int i = 0; i < NS_MAX_SOCKETS; i++) {
		struct sock *s = &socks[i];

		if (s->state == S_OPEN && s->pcb != NULL && s->idle_ms != 0 &&
		    now - s->last_active >= s->idle_ms)
			life_reclaim(s->pcb, R_IDLE, now - s->last_active);
	}
	life_tick();
}

int
obj_open_listeners(void)
{
	int n = 0;

	for (int i = 0; i < NS_MAX_LISTENERS; i++)
		n += listeners[i].used;
	return n;
}

void
obj_service(void)
{
	for (int i = 0; i < NS_MAX_LISTENERS; i++)
		if (listeners[i].used)
			listener_service(&listeners[i]);
	for (int i = 0; i < NS_MAX_SOCKETS; i++)
		if (socks[i].state != S_FREE)
			sock_service(&socks[i]);
}
