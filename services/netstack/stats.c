/*
 * The counters of the running netstack (schema/net.capnp, NetStatistics;
 * docs/network.md, "Counters"): answered to NetworkManager.statistics,
 * and, with the statport= argument, as one line of text to each
 * connection to that port, read back from a NetStatistics message built
 * exactly as the method's answer is, so the port shows what the method
 * says. Frame counts are the netstack's own (nic.c);
 * drops per layer are lwIP's statistics, resets sent and retransmissions
 * its MIB-II counters (lwipopts.h); connections by state are counted from
 * lwIP's pcb lists at the moment of asking.
 *
 * The statistics port is served by lwIP's raw API alone, with no socket:
 * each connection gets the line, then a FIN; what the peer sends is
 * thrown away. A peer that never reads is reset by the zero-window
 * give-up like any other (lifetime.c). The port says how busy the stack
 * is to anyone who can reach it, so only test systems open it.
 */
#include <string.h>

#include "fmt/fmt.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"
#include "netstack.h"

/* NetStatistics, in schema order; names as in the schema. */
enum {
	C_FRAMES_IN, C_FRAMES_OUT, C_FRAMES_BAD, C_FRAMES_DROPPED,
	C_LINK_DROPS, C_IP_DROPS, C_TCP_DROPS, C_RETRANSMITS, C_RESETS_SENT,
	C_ZW_STALLS, C_RECLAIMED, C_RECLAIMED_IDLE, C_RECLAIMED_ZW,
	C_RECLAIMED_ACCEPT, C_TIMED_OUT, C_LISTENING, C_SYN, C_ESTABLISHED,
	C_CLOSE_WAIT, C_FIN_WAIT, C_CLOSING, C_TIME_WAIT, C_SOCKETS,
	C_WAITING_ACCEPT, C_COUNT
};

static void
count_states(uint64_t *c)
{
	for (struct tcp_pcb *p = tcp_active_pcbs; p != NULL; p = p->next) {
		switch (p->state) {
		case SYN_SENT:
		case SYN_RCVD:
			c[C_SYN]++;
			break;
		case ESTABLISHED:
			c[C_ESTABLISHED]++;
			break;
		case CLOSE_WAIT:
			c[C_CLOSE_WAIT]++;
			break;
		case FIN_WAIT_1:
		case FIN_WAIT_2:
			c[C_FIN_WAIT]++;
			break;
		case CLOSING:
		case LAST_ACK:
			c[C_CLOSING]++;
			break;
		case TIME_WAIT:
		case CLOSED:
		case LISTEN:
			break;	/* not on the active list */
		}
	}
	for (struct tcp_pcb *p = tcp_tw_pcbs; p != NULL; p = p->next)
		c[C_TIME_WAIT]++;
	for (struct tcp_pcb_listen *l = tcp_listen_pcbs.listen_pcbs; l != NULL;
	    l = l->next)
		c[C_LISTENING]++;
}

static void
counters(uint64_t *c)
{
	memset(c, 0, C_COUNT * sizeof(*c));
	c[C_FRAMES_IN] = ns_stats.rx_frames;
	c[C_FRAMES_OUT] = ns_stats.tx_frames;
	c[C_FRAMES_BAD] = ns_stats.rx_bad + ns_stats.bad_slots;
	c[C_FRAMES_DROPPED] = ns_stats.tx_dropped;
	c[C_LINK_DROPS] = lwip_stats.link.drop;
	c[C_IP_DROPS] = lwip_stats.ip.drop;
	c[C_TCP_DROPS] = lwip_stats.tcp.drop;
	c[C_RETRANSMITS] = lwip_stats.mib2.tcpretranssegs;
	c[C_RESETS_SENT] = lwip_stats.mib2.tcpoutrsts;
	c[C_ZW_STALLS] = ns_stats.zw_stalls;
	c[C_RECLAIMED_IDLE] = ns_stats.reclaimed[R_IDLE];
	c[C_RECLAIMED_ZW] = ns_stats.reclaimed[R_ZERO_WINDOW];
	c[C_RECLAIMED_ACCEPT] = ns_stats.reclaimed[R_ACCEPT_QUEUE];
	c[C_RECLAIMED] = c[C_RECLAIMED_IDLE] + c[C_RECLAIMED_ZW] +
	    c[C_RECLAIMED_ACCEPT];
	c[C_TIMED_OUT] = ns_stats.timed_out;
	count_states(c);
	c[C_SOCKETS] = (uint64_t)obj_open_sockets();
	c[C_WAITING_ACCEPT] = (uint64_t)obj_waiting_accept();
}

int
stats_fill(struct capos_NetStatistics_b *st)
{
	uint64_t c[C_COUNT];

	counters(c);
	capos_NetStatistics_set_framesIn(st, c[C_FRAMES_IN]);
	capos_NetStatistics_set_framesOut(st, c[C_FRAMES_OUT]);
	capos_NetStatistics_set_framesBad(st, c[C_FRAMES_BAD]);
	capos_NetStatistics_set_framesDropped(st, c[C_FRAMES_DROPPED]);
	capos_NetStatistics_set_linkDrops(st, c[C_LINK_DROPS]);
	capos_NetStatistics_set_ipDrops(st, c[C_IP_DROPS]);
	capos_NetStatistics_set_tcpDrops(st, c[C_TCP_DROPS]);
	capos_NetStatistics_set_retransmits(st, c[C_RETRANSMITS]);
	capos_NetStatistics_set_resetsSent(st, c[C_RESETS_SENT]);
	capos_NetStatistics_set_zeroWindowStalls(st, c[C_ZW_STALLS]);
	capos_NetStatistics_set_reclaimed(st, c[C_RECLAIMED]);
	capos_NetStatistics_set_reclaimedIdle(st, c[C_RECLAIMED_IDLE]);
	capos_NetStatistics_set_reclaimedZeroWindow(st, c[C_RECLAIMED_ZW]);
	capos_NetStatistics_set_reclaimedAcceptQueue(st,
	    c[C_RECLAIMED_ACCEPT]);
	capos_NetStatistics_set_timedOut(st, c[C_TIMED_OUT]);
	capos_NetStatistics_set_listening(st, (uint32_t)c[C_LISTENING]);
	capos_NetStatistics_set_synReceived(st, (uint32_t)c[C_SYN]);
	capos_NetStatistics_set_established(st, (uint32_t)c[C_ESTABLISHED]);
	capos_NetStatistics_set_closeWait(st, (uint32_t)c[C_CLOSE_WAIT]);
	capos_NetStatistics_set_finWait(st, (uint32_t)c[C_FIN_WAIT]);
	capos_NetStatistics_set_closing(st, (uint32_t)c[C_CLOSING]);
	capos_NetStatistics_set_timeWait(st, (uint32_t)c[C_TIME_WAIT]);
	capos_NetStatistics_set_sockets(st, (uint32_t)c[C_SOCKETS]);
	capos_NetStatistics_set_waitingAccept(st,
	    (uint32_t)c[C_WAITING_ACCEPT]);
	return 0;
}

/* ---- The statistics port ---- */

/* The longest line: "counters", 24 names of up to 20 characters, each
 * with "=" and up to 20 digits, spaces between, and the newline. */
#define LINE_MAX	(8 + C_COUNT * (1 + 20 + 1 + 20) + 1)

/* Appends " name=value"; the buffer always has room (LINE_MAX). */
static size_t
put(char *line, size_t len, const char *name, uint64_t v)
{
	int n = fmt_snprintf(line + len, LINE_MAX - len, " %s=%llu", name,
	    (unsigned long long)v);

	return n > 0 && (size_t)n < LINE_MAX - len ? len + (size_t)n : len;
}

/* The line for r, fields in schema order; its length. */
static size_t
line_of(const struct capos_NetStatistics_r *r, char *line)
{
	size_t n = (size_t)fmt_snprintf(line, LINE_MAX, "counters");

	n = put(line, n, "framesIn", capos_NetStatistics_get_framesIn(r));
	n = put(line, n, "framesOut", capos_NetStatistics_get_framesOut(r));
	n = put(line, n, "framesBad", capos_NetStatistics_get_framesBad(r));
	n = put(line, n, "framesDropped",
	    capos_NetStatistics_get_framesDropped(r));
	n = put(line, n, "linkDrops", capos_NetStatistics_get_linkDrops(r));
	n = put(line, n, "ipDrops", capos_NetStatistics_get_ipDrops(r));
	n = put(line, n, "tcpDrops", capos_NetStatistics_get_tcpDrops(r));
	n = put(line, n, "retransmits",
	    capos_NetStatistics_get_retransmits(r));
	n = put(line, n, "resetsSent", capos_NetStatistics_get_resetsSent(r));
	n = put(line, n, "zeroWindowStalls",
	    capos_NetStatistics_get_zeroWindowStalls(r));
	n = put(line, n, "reclaimed", capos_NetStatistics_get_reclaimed(r));
	n = put(line, n, "reclaimedIdle",
	    capos_NetStatistics_get_reclaimedIdle(r));
	n = put(line, n, "reclaimedZeroWindow",
	    capos_NetStatistics_get_reclaimedZeroWindow(r));
	n = put(line, n, "reclaimedAcceptQueue",
	    capos_NetStatistics_get_reclaimedAcceptQueue(r));
	n = put(line, n, "timedOut", capos_NetStatistics_get_timedOut(r));
	n = put(line, n, "listening", capos_NetStatistics_get_listening(r));
	n = put(line, n, "synReceived",
	    capos_NetStatistics_get_synReceived(r));
	n = put(line, n, "established",
	    capos_NetStatistics_get_established(r));
	n = put(line, n, "closeWait", capos_NetStatistics_get_closeWait(r));
	n = put(line, n, "finWait", capos_NetStatistics_get_finWait(r));
	n = put(line, n, "closing", capos_NetStatistics_get_closing(r));
	n = put(line, n, "timeWait", capos_NetStatistics_get_timeWait(r));
	n = put(line, n, "sockets", capos_NetStatistics_get_sockets(r));
	n = put(line, n, "waitingAccept",
	    capos_NetStatistics_get_waitingAccept(r));
	line[n++] = '\n';
	return n;
}

/* The counters encoded as the method answers them, then read back into
 * a line; 0 if either step failed. */
static size_t
stats_line(char *line)
{
	static uint8_t msg[256] __attribute__((aligned(8)));
	struct capos_NetStatistics_b st;
	struct capos_NetStatistics_r r;
	struct capnp_builder b;
	struct capnp_msg m;
	size_t len;

	if (capnp_builder_init(&b, msg, sizeof(msg)) != 0 ||
	    capos_NetStatistics_init_root(&b, &st) != 0 ||
	    stats_fill(&st) != 0)
		return 0;
	len = capnp_builder_finish(&b);
	if (capnp_msg_init(&m, msg, len) != 0 ||
	    capos_NetStatistics_read_root(&m, &r) != 0)
		return 0;
	return line_of(&r, line);
}

static err_t
stat_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	(void)arg;
	(void)err;
	if (p != NULL) {
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
	}
	return ERR_OK;
}

static err_t
stat_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	static char line[LINE_MAX];
	size_t len;

	(void)arg;
	if (err != ERR_OK || pcb == NULL)
		return ERR_VAL;
	tcp_recv(pcb, stat_recv);
	/* The line fits in any send buffer (128 KiB of room). */
	if ((len = stats_line(line)) == 0 ||
	    tcp_write(pcb, line, (u16_t)len, TCP_WRITE_FLAG_COPY) != ERR_OK ||
	    tcp_close(pcb) != ERR_OK) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	return ERR_OK;
}

int
stats_listen(uint16_t port)
{
	struct tcp_pcb *pcb = tcp_new(), *lpcb;

	if (pcb == NULL)
		return -1;
	if (tcp_bind(pcb, IP4_ADDR_ANY, port) != ERR_OK ||
	    (lpcb = tcp_listen_with_backlog(pcb, 4)) == NULL) {
		tcp_abort(pcb);
		return -1;
	}
	tcp_accept(lpcb, stat_accept);
	return 0;
}
