/*
 * Bounded lifetimes of connections (docs/network.md, "Lifetimes"). A peer
 * that keeps its window shut while we have data for it holds a pcb, heap
 * and a socket for as long as it answers our persist probes, which RFC
 * 9293 allows forever; lwIP itself gives up only on probes that go
 * unanswered. A peer that opens its window a few bytes at a time, or
 * acknowledges a sliver of each retransmission, holds them as long while
 * looking busy. So every connected pcb with data waiting to be sent and
 * acknowledged, whether a socket still names it or it was closed and lwIP
 * is finishing it alone, is watched here: if the peer acknowledges less
 * than one segment (TCP_MSS) of it in ns_life.zero_window_ms, the
 * connection is reset. A peer that takes data at any useful rate never
 * comes near that.
 *
 * The table of stalls has one entry per pcb lwIP can hold
 * (MEMP_NUM_TCP_PCB); it is rebuilt from lwIP's active list every tick,
 * so an entry never outlives its pcb by more than a tick, and a freed pcb
 * whose memory is reused at once can at worst be timed from its
 * predecessor's start, only if it too has data the peer will not take.
 */
#include "lwip/priv/tcp_priv.h"
#include "lwip/sys.h"
#include "netstack.h"

struct stall {
	struct tcp_pcb *pcb;
	uint32_t since;		/* sys_now() when this stretch began */
	uint32_t mark;		/* lastack then */
	bool persist;		/* counted as a zero-window stall */
	bool seen;
};

struct ns_lifetimes ns_life = {
	.keep_idle_ms = 120000,
	.keep_intvl_ms = 15000,
	.keep_cnt = 4,
	.zero_window_ms = 120000,
};
bool ns_reclaiming;

static struct stall stalls[MEMP_NUM_TCP_PCB];
static int nstalls;

static const char *const reasons[R_KINDS] = {
	[R_IDLE] = "idle",
	[R_ZERO_WINDOW] = "send stalled",
	[R_ACCEPT_QUEUE] = "peer gone while waiting for accept",
};

void
life_reclaim(struct tcp_pcb *pcb, enum ns_reclaim why, uint32_t ms)
{
	uint32_t a = lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip)));

	if (rt_log_on(CAPOS_LOG_WARN)) {
		rt_printf("[%s] warning: reset %u.%u.%u.%u:%u on port %u: "
		    "%s", ns_name, a >> 24, (a >> 16) & 255, (a >> 8) & 255,
		    a & 255, pcb->remote_port, pcb->local_port, reasons[why]);
		if (why != R_ACCEPT_QUEUE)
			rt_printf(" for %u ms", ms);
		rt_printf("\n");
	}
	ns_stats.reclaimed[why]++;
	/*
	 * The reset takes snd_nxt as its sequence number (RFC 9293), which
	 * lies past a shut window when data sent was not taken; the peer
	 * would drop it as outside. So it carries the last number the window
	 * accepts instead: the pcb is freed right after, nothing else reads
	 * snd_nxt again.
	 */
	if (TCP_SEQ_GT(pcb->snd_nxt, pcb->lastack + pcb->snd_wnd))
		pcb->snd_nxt = pcb->lastack + pcb->snd_wnd;
	ns_reclaiming = true;
	tcp_abort(pcb);
	ns_reclaiming = false;
}

static struct stall *
stall_of(struct tcp_pcb *pcb)
{
	for (int i = 0; i < nstalls; i++)
		if (stalls[i].pcb == pcb)
			return &stalls[i];
	return NULL;
}

/* Data waits to be sent or acknowledged, on a connection past its
 * handshake (lwIP times handshakes out itself). */
static bool
sending(const struct tcp_pcb *p)
{
	return p->state >= ESTABLISHED && p->state != FIN_WAIT_2 &&
	    p->state != TIME_WAIT &&
	    (p->unsent != NULL || p->unacked != NULL);
}

bool
life_sending(void)
{
	for (const struct tcp_pcb *p = tcp_active_pcbs; p != NULL; p = p->next)
		if (sending(p))
			return true;
	return false;
}

void
life_tick(void)
{
	struct tcp_pcb *victims[MEMP_NUM_TCP_PCB];
	uint32_t waited[MEMP_NUM_TCP_PCB];
	uint32_t now = sys_now();
	int nvictims = 0, kept = 0;

	for (int i = 0; i < nstalls; i++)
		stalls[i].seen = false;
	for (struct tcp_pcb *p = tcp_active_pcbs; p != NULL; p = p->next) {
		struct stall *st;

		if (!sending(p))
			continue;
		if ((st = stall_of(p)) == NULL) {
			if (nstalls == MEMP_NUM_TCP_PCB)
				continue;	/* cannot be: one per pcb */
			st = &stalls[nstalls++];
			st->pcb = p;
			st->since = now;
			st->mark = p->lastack;
			st->persist = false;
		}
		st->seen = true;
		/* A segment's worth taken: the stretch starts again. */
		if (p->lastack - st->mark >= TCP_MSS) {
			st->since = now;
			st->mark = p->lastack;
			st->persist = false;
		}
		/* lwIP probes while the window holds back data and nothing
		 * is in flight (tcp_output, tcp_receive). */
		if (p->persist_backoff > 0 && !st->persist) {
			st->persist = true;
			ns_stats.zw_stalls++;
		}
		if (now - st->since >= ns_life.zero_window_ms &&
		    nvictims < MEMP_NUM_TCP_PCB) {
			waited[nvictims] = now - st->since;
			victims[nvictims++] = p;
		}
	}
	/* Stretches that ended (or whose pcb is gone) are forgotten. */
	for (int i = 0; i < nstalls; i++)
		if (stalls[i].seen)
			stalls[kept++] = stalls[i];
	nstalls = kept;
	/* Reset only now: tcp_abort takes the pcb off the list walked. */
	for (int i = 0; i < nvictims; i++) {
		struct stall *st = stall_of(victims[i]);

		st->pcb = NULL;
		life_reclaim(victims[i], R_ZERO_WINDOW, waited[i]);
	}
}
