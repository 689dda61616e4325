/*
 * A client that connects again from the port it has just used, to a
 * server that closed first and so holds the old connection in TIME_WAIT
 * (services/netstack/patches/0003-*). Stock lwIP 2.1.3 answers the new
 * SYN from TIME_WAIT with an ACK and drops the client's reset, so the
 * connection opens only once the old one's 2 MSL (two minutes) are over;
 * with the patch the listener takes the SYN at once. A replayed copy of
 * the old connection's SYN, at or before the old rcv_nxt, still finds
 * the old connection in TIME_WAIT and opens nothing.
 */
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "net.h"
#include "test.h"

#define TW_PORT		23
#define CLIENT_PORT	40000
/* Well under 2 MSL, and ample for a handshake and a close. */
#define QUICK_MS	5000

struct tw_server {
	struct tcp_pcb *listener;
	int accepted;
};

struct tw_client {
	struct tcp_pcb *pcb;
	bool connected, got_fin, failed;
};

/* Takes the connection and closes it at once: the server closes first. */
static err_t
tw_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct tw_server *s = arg;

	if (err != ERR_OK || pcb == NULL)
		return ERR_VAL;
	s->accepted++;
	if (tcp_close(pcb) != ERR_OK) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	return ERR_OK;
}

static err_t
tw_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct tw_client *c = arg;

	(void)err;
	if (p != NULL) {
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
		return ERR_OK;
	}
	/* The server's FIN: close our side (LAST_ACK, then gone). */
	c->got_fin = true;
	c->pcb = NULL;
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_err(pcb, NULL);
	if (tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
	return ERR_OK;
}

static void
tw_err(void *arg, err_t err)
{
	struct tw_client *c = arg;

	(void)err;
	if (c == NULL)
		return;
	c->pcb = NULL;
	c->failed = true;
}

static err_t
tw_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct tw_client *c = arg;

	(void)pcb;
	c->connected = err == ERR_OK;
	return ERR_OK;
}

static err_t
tw_connect(struct tw_client *c)
{
	ip_addr_t dst;
	err_t err;

	memset(c, 0, sizeof(*c));
	if ((c->pcb = tcp_new()) == NULL)
		return ERR_MEM;
	tcp_bind_netif(c->pcb, &net_a);
	if ((err = tcp_bind(c->pcb, netif_ip_addr4(&net_a),
	    CLIENT_PORT)) != ERR_OK) {
		tcp_abort(c->pcb);
		c->pcb = NULL;
		return err;
	}
	tcp_arg(c->pcb, c);
	tcp_recv(c->pcb, tw_recv);
	tcp_err(c->pcb, tw_err);
	ip_addr_copy_from_ip4(dst, net_ip_b);
	return tcp_connect(c->pcb, &dst, TW_PORT, tw_connected);
}

static int
time_wait_pcbs(void)
{
	int n = 0;

	for (struct tcp_pcb *p = tcp_tw_pcbs; p != NULL; p = p->next)
		n++;
	return n;
}

static bool
first_done(void *arg)
{
	struct tw_client *c = arg;

	/* The client's side is gone and the server's is in TIME_WAIT. */
	return (c->got_fin || c->failed) && tcp_active_pcbs == NULL &&
	    time_wait_pcbs() == 1;
}

static bool
second_accepted(void *arg)
{
	return ((struct tw_server *)arg)->accepted == 2;
}

/* A copy of the first SYN the client sent, to replay later. */
static uint8_t old_syn[NET_FRAME_MAX];
static size_t old_syn_len;

static enum net_verdict
keep_syn(struct netif *to, uint8_t *frame, size_t len, void *arg)
{
	size_t ihl;

	(void)arg;
	/* IPv4 (ethertype 0x0800), TCP, flags SYN only. */
	if (to != &net_b || old_syn_len != 0 || len < 14 + 20 ||
	    frame[12] != 0x08 || frame[13] != 0x00 || frame[14 + 9] != 6)
		return NET_DELIVER;
	ihl = (size_t)(frame[14] & 0x0f) * 4;
	if (len >= 14 + ihl + 20 && frame[14 + ihl + 13] == 0x02) {
		memcpy(old_syn, frame, len);
		old_syn_len = len;
	}
	return NET_DELIVER;
}

TEST(lwip_syn_from_a_port_in_time_wait_opens_a_new_connection)
{
	struct tw_server srv = { 0 };
	struct tw_client c;
	struct tcp_pcb *pcb;

	net_setup();
	pcb = tcp_new();
	CHECK(pcb != NULL);
	if (pcb == NULL)
		return;
	tcp_bind_netif(pcb, &net_b);
	CHECK_EQ(tcp_bind(pcb, netif_ip_addr4(&net_b), TW_PORT), ERR_OK);
	srv.listener = tcp_listen(pcb);
	CHECK(srv.listener != NULL);
	tcp_arg(srv.listener, &srv);
	tcp_accept(srv.listener, tw_accept);

	net_set_filter(keep_syn, NULL);
	CHECK_EQ(tw_connect(&c), ERR_OK);
	CHECK(net_run(first_done, &c, QUICK_MS));
	net_set_filter(NULL, NULL);
	CHECK(c.connected && c.got_fin);
	CHECK_EQ(srv.accepted, 1);
	CHECK(old_syn_len != 0);

	/* The old connection's SYN again: an old duplicate, not a new
	 * connection; the TIME_WAIT stays. */
	net_inject(&net_b, old_syn, old_syn_len);
	CHECK(net_run(net_wire_idle, NULL, QUICK_MS));
	CHECK_EQ(srv.accepted, 1);
	CHECK_EQ(time_wait_pcbs(), 1);

	/* A second later, from the same port: accepted at once. */
	CHECK(!net_run(second_accepted, &srv, 1000));
	CHECK_EQ(tw_connect(&c), ERR_OK);
	CHECK(net_run(second_accepted, &srv, QUICK_MS));
	CHECK(net_run(first_done, &c, QUICK_MS));
	CHECK(c.connected && c.got_fin && !c.failed);

	tcp_close(srv.listener);
	NET_SETTLE();
}
