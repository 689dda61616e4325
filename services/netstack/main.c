/*
 * netstack: lwIP (NO_SYS=1) in one event loop. The loop keeps in flight a
 * RECV on each endpoint it serves, one Nic.receive, at most one
 * Nic.transmit and one TimerNotification.next, waits for any of them,
 * handles that completion, then runs lwIP's timers, completes deferred
 * calls that can now complete, and flushes lwIP's output to the Nic.
 * Nothing in the loop waits on one client while others are waiting.
 *
 * Arguments (docs/network.md):
 *   ip=A.B.C.D/N        static address and prefix length (else DHCPv4)
 *   gw=A.B.C.D          static default gateway
 *   listen=EXPORT:PORT  serve the export EXPORT as the TcpListenAuthority
 *                       for PORT
 *   connect=EXPORT:A.B.C.D:PORT
 *                       serve the export EXPORT as the TcpConnectAuthority
 *                       for that address and port
 *   statport=PORT       answer each connection to PORT with one line of
 *                       counters (test systems; off by default)
 *   keepalive=I,N,C     keep-alive: first probe after I s idle, then every
 *                       N s, reset after C unanswered (default 120,15,4)
 *   zerowindow=S        reset a connection whose peer takes less than a
 *                       segment of the data waiting for it in S s (the
 *                       zero-window give-up; default 120)
 */
#include <string.h>

#include "lwip/dhcp.h"
#include "lwip/init.h"
#include "lwip/stats.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"
#include "netstack.h"

#define RECV_BUF	(CAPOS_MAX_PARAMS + sizeof(struct capos_recv_hdr))
/* lwIP's TCP timers run every 250 ms; its fast timer at the same rate.
 * A finer tick lets stalled transmits retry sooner. */
#define TICK_NS		20000000ull
/* Once no client can call, how long what TCP still sends (the data and
 * FIN of the connections its clients closed last) may take to be
 * acknowledged before the netstack ends anyway: 2 s of ticks. */
#define LINGER_TICKS	(2000000000ull / TICK_NS)

struct ns_ep ns_eps[NS_MAX_EPS];
int ns_neps;
struct netif ns_netif;
const char *ns_name;
bool ns_dhcp;
bool ns_link_up;
uint8_t ns_mac[6];
struct ns_stats ns_stats;
uint8_t ns_reply_buf[CAPOS_MAX_RESULT] __attribute__((aligned(8)));

static uint8_t recv_bufs[NS_MAX_EPS][RECV_BUF] __attribute__((aligned(8)));
static struct capos_capdesc recv_caps[NS_MAX_EPS][CAPOS_MAX_XCAPS];
static uint8_t req_reply[CAPOS_MAX_RESULT] __attribute__((aligned(8)));
static uint8_t exc_buf[1024] __attribute__((aligned(8)));

/* The endpoint whose call is being handled, or -1. Its RECV is re-armed
 * only once the call is done with its buffer. */
static int handling = -1;

static capos_cap_t tick_cap;
static uint64_t tick_tag;
static bool tick_armed;
static uint8_t tick_buf[64] __attribute__((aligned(8)));

/* ---- Answers ---- */

static int
submit_wait(struct capos_sqe *e)
{
	struct capos_cqe c;
	int rc;

	if ((rc = rt_submit(e)) != 0 || (rc = rt_wait(e->user_data, &c)) != 0)
		return rc;
	return c.status;
}

int
ns_return(int ep, uint64_t call_id, struct capnp_builder *b,
    struct capos_capdesc *caps, uint16_t ncaps)
{
	struct capos_sqe e;
	size_t len = capnp_builder_finish(b);

	rt_prep_return(&e, ns_eps[ep].owner, call_id, b->buf, len, caps,
	    ncaps);
	return submit_wait(&e);
}

int
ns_return_exception(int ep, uint64_t call_id,
    enum capos_CapException_Type type, const char *why)
{
	struct capos_CapException_b ex;
	struct capnp_builder b;
	struct capos_sqe e;

	if (capnp_builder_init(&b, exc_buf, sizeof(exc_buf)) != 0 ||
	    capos_CapException_init_root(&b, &ex) != 0 ||
	    capos_CapException_set_reason(&ex, why, strlen(why)) != 0)
		return CAPOS_E2BIG;
	capos_CapException_set_type(&ex, type);
	rt_prep_return(&e, ns_eps[ep].owner, call_id, exc_buf,
	    capnp_builder_finish(&b), NULL, 0);
	e.flags = CAPOS_SQE_EXCEPTION;
	return submit_wait(&e);
}

void
ns_release(capos_cap_t cap)
{
	(void)rt_release(cap);
}

static int arm_recv(int ep);

capos_cap_t
ns_mint(uint64_t badge, uint64_t iface)
{
	uint8_t params[64] __attribute__((aligned(8)));
	uint8_t out[64] __attribute__((aligned(8)));
	struct capos_Endpoint_client_Params_b p;
	struct capos_Endpoint_client_Results_r r;
	struct capnp_builder b;
	struct rt_result res;
	uint32_t idx;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_Endpoint_client_Params_init_root(&b, &p) != 0)
		return CAPOS_CAP_NULL;
	capos_Endpoint_client_Params_set_badge(&p, badge);
	capos_Endpoint_client_Params_set_interfaceId(&p, iface);
	if (rt_call(ns_eps[NS_EP_NET].owner, capos_Endpoint_INTERFACE_ID,
	    capos_Endpoint_client_ORDINAL, &b, NULL, 0, out, sizeof(out),
	    &res) != 0)
		return CAPOS_CAP_NULL;
	r.s = res.root;
	if (capos_Endpoint_client_Results_get_client(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return CAPOS_CAP_NULL;
	/* A client exists again: calls may come, so receive them. While a
	 * call on "net" is handled, its RECV is not armed only because that
	 * call still uses the receive buffer; handle_call re-arms it after.
	 * Arming here too would put two RECVs on one buffer: one call would
	 * overwrite the other, whose answer nobody would ever send. */
	if (!ns_eps[NS_EP_NET].armed && handling != NS_EP_NET)
		(void)arm_recv(NS_EP_NET);
	ns_eps[NS_EP_NET].minted = true;
	return res.caps[idx].cap;
}

/* ---- Receiving calls ---- */

static int
arm_recv(int ep)
{
	struct capos_sqe e;
	int rc;

	/* Two RECVs on one buffer: one call would overwrite the other. */
	if (ns_eps[ep].armed)
		return CAPOS_EBUSY;
	rt_prep_recv(&e, ns_eps[ep].owner, recv_bufs[ep], RECV_BUF,
	    recv_caps[ep]);
	if ((rc = rt_submit(&e)) != 0)
		return rc;
	ns_eps[ep].tag = e.user_data;
	ns_eps[ep].armed = true;
	ns_eps[ep].minted = false;
	return 0;
}

/* Answers rq as its handler left it (unless it answered or deferred). */
static void
answer(int ep, struct rt_request *rq)
{
	int rc;

	if (rq->deferred)
		return;
	if (rq->exc_type >= 0) {
		(void)ns_return_exception(ep, rq->hdr->call_id,
		    (enum capos_CapException_Type)rq->exc_type,
		    rq->exc_reason != NULL ? rq->exc_reason : "");
		return;
	}
	rc = ns_return(ep, rq->hdr->call_id, &rq->reply, rq->reply_caps,
	    rq->nreply_caps);
	/* Moved capabilities came back: nobody else holds them. */
	if (rc < 0)
		for (int i = 0; i < rq->nreply_caps; i++)
			ns_release(rq->reply_caps[i].cap);
}

static void
handle_call(int ep, const struct capos_cqe *c)
{
	static struct rt_request rq;
	const struct capos_recv_hdr *h;
	bool ok;

	ns_eps[ep].armed = false;
	/*
	 * The kernel may have failed this RECV (the last client gone) before
	 * ns_mint made a new client while it still looked armed, so did not
	 * arm it again: that client's calls would then wait forever. A client
	 * minted since the arm means someone may call; if it is already gone,
	 * its drop notice is what the new RECV gets.
	 */
	if (c->status == CAPOS_EPEER && ns_eps[ep].minted) {
		(void)arm_recv(ep);
		return;
	}
	if (c->status == CAPOS_EPEER || c->status == CAPOS_ECANCELED)
		return;		/* nobody can call it now */
	if (c->status < 0) {
		(void)arm_recv(ep);	/* that call failed; take the next */
		return;
	}
	handling = ep;
	h = (const struct capos_recv_hdr *)recv_bufs[ep];
	/* The last holder of a minted object is gone: free what it named.
	 * A notice takes no answer and carries no capabilities. */
	if ((uint32_t)c->status >= sizeof(*h) && h->call_id == 0 &&
	    h->method == CAPOS_METHOD_DROPPED) {
		obj_dropped(ep, h->badge);
		(void)arm_recv(ep);
		handling = -1;
		return;
	}
	memset(&rq, 0, sizeof(rq));
	rq.exc_type = -1;
	rq.hdr = h;
	ns_stats.calls++;
	ok = (uint32_t)c->status >= sizeof(*h) &&
	    h->params_len <= (uint32_t)c->status - sizeof(*h) &&
	    h->ncaps <= CAPOS_MAX_XCAPS;
	if (ok && h->params_len > 0) {
		rq.params_bytes = recv_bufs[ep] + sizeof(*h);
		ok = capnp_msg_init(&rq.msg, rq.params_bytes,
		    h->params_len) == 0 &&
		    capnp_msg_root(&rq.msg, &rq.params) == 0;
	}
	if (ok && capnp_builder_init(&rq.reply, req_reply,
	    sizeof(req_reply)) == 0)
		obj_dispatch(ep, &rq);
	else
		rt_reply_exception(&rq, capos_CapException_Type_failed,
		    "malformed params");
	answer(ep, &rq);
	/* The netstack keeps no capability it is sent. */
	for (uint32_t i = 0; i < c->ncaps && i < CAPOS_MAX_XCAPS; i++)
		ns_release(recv_caps[ep][i].cap);
	(void)arm_recv(ep);
	handling = -1;
}

/* ---- Time ---- */

static void
tick_arm(void)
{
	struct capos_sqe e;

	rt_prep_call(&e, tick_cap, capos_TimerNotification_INTERFACE_ID,
	    capos_TimerNotification_next_ORDINAL, NULL, tick_buf,
	    sizeof(tick_buf), NULL, 0, 0);
	if (rt_submit(&e) == 0) {
		tick_tag = e.user_data;
		tick_armed = true;
	}
}

/* ---- Configuration ---- */

/* Parses a dotted quad strictly (four decimal parts, 0-255 each) into a
 * number (10.0.0.1 is 0x0a000001); returns the rest of s, or NULL. */
static const char *
parse_ip(const char *s, uint32_t *out)
{
	uint32_t v = 0;

	for (int part = 0; part < 4; part++) {
		uint32_t n = 0;
		int digits = 0;

		if (part > 0 && *s++ != '.')
			return NULL;
		while (*s >= '0' && *s <= '9' && digits < 4) {
			n = n * 10 + (uint32_t)(*s++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || n > 255)
			return NULL;
		v = v << 8 | n;
	}
	*out = v;
	return s;
}

static bool
parse_uint(const char *s, uint32_t max, uint32_t *out)
{
	uint32_t n = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		n = n * 10 + (uint32_t)(*s - '0');
		if (n > max)
			return false;
	}
	*out = n;
	return true;
}

struct config {
	bool have_ip;
	uint32_t ip, mask, gw;
	uint16_t stat_port;	/* 0: none */
};

static bool
parse_listen(const char *arg)
{
	char name[CAPOS_CAPNAME_MAX];
	const char *colon = strchr(arg, ':');
	size_t n;
	uint32_t port;

	if (colon == NULL || (n = (size_t)(colon - arg)) == 0 ||
	    n >= sizeof(name) || !parse_uint(colon + 1, 65535, &port) ||
	    port == 0 || ns_neps == NS_MAX_EPS)
		return false;
	memcpy(name, arg, n);
	name[n] = '\0';
	ns_eps[ns_neps].owner = rt_cap(name, capos_Endpoint_INTERFACE_ID);
	if (ns_eps[ns_neps].owner == CAPOS_CAP_NULL)
		return false;
	ns_eps[ns_neps].name = arg;
	ns_eps[ns_neps].port = (uint16_t)port;
	ns_neps++;
	return true;
}

/* "EXPORT:A.B.C.D:PORT": a TcpConnectAuthority for one server. */
static bool
parse_connect(const char *arg)
{
	char name[CAPOS_CAPNAME_MAX];
	const char *colon = strchr(arg, ':'), *rest;
	uint32_t addr, port;
	size_t n;

	if (colon == NULL || (n = (size_t)(colon - arg)) == 0 ||
	    n >= sizeof(name) || ns_neps == NS_MAX_EPS ||
	    (rest = parse_ip(colon + 1, &addr)) == NULL || *rest++ != ':' ||
	    !parse_uint(rest, 65535, &port) || port == 0 || addr == 0)
		return false;
	memcpy(name, arg, n);
	name[n] = '\0';
	ns_eps[ns_neps].owner = rt_cap(name, capos_Endpoint_INTERFACE_ID);
	if (ns_eps[ns_neps].owner == CAPOS_CAP_NULL)
		return false;
	ns_eps[ns_neps].name = arg;
	ns_eps[ns_neps].port = (uint16_t)port;
	ns_eps[ns_neps].connect_addr = addr;
	ns_neps++;
	return true;
}

/* Seconds as milliseconds: 1 s to a day. */
static bool
parse_secs(const char *s, uint32_t *ms)
{
	uint32_t n;

	if (!parse_uint(s, 86400, &n) || n == 0)
		return false;
	*ms = n * 1000;
	return true;
}

/* "I,N,C": idle and interval in seconds, count 1..100. */
static bool
parse_keepalive(const char *arg)
{
	char part[3][8];
	uint32_t cnt;
	int k = 0;
	size_t n = 0;

	for (const char *p = arg;; p++) {
		if (*p == ',' || *p == '\0') {
			if (k == 3 || n == 0)
				return false;
			part[k++][n] = '\0';
			n = 0;
			if (*p == '\0')
				break;
			continue;
		}
		if (k == 3 || n + 1 >= sizeof(part[0]))
			return false;
		part[k][n++] = *p;
	}
	if (k != 3 || !parse_secs(part[0], &ns_life.keep_idle_ms) ||
	    !parse_secs(part[1], &ns_life.keep_intvl_ms) ||
	    !parse_uint(part[2], 100, &cnt) || cnt == 0)
		return false;
	ns_life.keep_cnt = cnt;
	return true;
}

static bool
parse_args(struct config *cf)
{
	for (int i = 0; i < rt_argc(); i++) {
		const char *a = rt_argv(i), *rest;
		uint32_t bits;

		if (strncmp(a, "ip=", 3) == 0) {
			rest = parse_ip(a + 3, &cf->ip);
			if (rest == NULL || *rest++ != '/' ||
			    !parse_uint(rest, 32, &bits) || bits == 0)
				goto bad;
			cf->mask = bits == 32 ? 0xffffffffu :
			    ~(0xffffffffu >> bits);
			cf->have_ip = true;
		} else if (strncmp(a, "gw=", 3) == 0) {
			rest = parse_ip(a + 3, &cf->gw);
			if (rest == NULL || *rest != '\0')
				goto bad;
		} else if (strncmp(a, "listen=", 7) == 0) {
			if (!parse_listen(a + 7))
				goto bad;
		} else if (strncmp(a, "connect=", 8) == 0) {
			if (!parse_connect(a + 8))
				goto bad;
		} else if (strncmp(a, "statport=", 9) == 0) {
			uint32_t port;

			if (!parse_uint(a + 9, 65535, &port) || port == 0)
				goto bad;
			cf->stat_port = (uint16_t)port;
		} else if (strncmp(a, "keepalive=", 10) == 0) {
			if (!parse_keepalive(a + 10))
				goto bad;
		} else if (strncmp(a, "zerowindow=", 11) == 0) {
			if (!parse_secs(a + 11, &ns_life.zero_window_ms))
				goto bad;
		} else {
			goto bad;
		}
		continue;
bad:
		rt_printf("[%s] bad argument \"%s\"\n", ns_name, a);
		return false;
	}
	/* The statistics port is no service's to listen on. */
	for (int i = 1; i < ns_neps; i++) {
		if (ns_eps[i].connect_addr == 0 &&
		    ns_eps[i].port == cf->stat_port) {
			rt_printf("[%s] statport=%u is also a listen= "
			    "port\n", ns_name, cf->stat_port);
			return false;
		}
	}
	return true;
}

static void
print_ip(const char *what, uint32_t a)
{
	rt_printf("%s%u.%u.%u.%u", what, a >> 24, (a >> 16) & 255,
	    (a >> 8) & 255, a & 255);
}

static void
on_status(struct netif *nif)
{
	if (!ns_dhcp || ip4_addr_isany_val(*netif_ip4_addr(nif)) ||
	    !rt_log_on(CAPOS_LOG_INFO))
		return;
	rt_printf("[%s] dhcp", ns_name);
	print_ip(" address ", lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(nif))));
	print_ip(" netmask ",
	    lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(nif))));
	print_ip(" gateway ", lwip_ntohl(ip4_addr_get_u32(netif_ip4_gw(nif))));
	rt_printf("\n");
}

static int
net_up(const struct config *cf)
{
	ip4_addr_t a, m, g;

	ip4_addr_set_u32(&a, lwip_htonl(cf->ip));
	ip4_addr_set_u32(&m, lwip_htonl(cf->mask));
	ip4_addr_set_u32(&g, lwip_htonl(cf->gw));
	lwip_init();
	if (netif_add(&ns_netif, &a, &m, &g, NULL, nic_netif_init,
	    ethernet_input) == NULL)
		return -1;
	netif_set_default(&ns_netif);
	netif_set_status_callback(&ns_netif, on_status);
	netif_set_up(&ns_netif);
	if (ns_link_up)
		netif_set_link_up(&ns_netif);
	ns_dhcp = !cf->have_ip;
	if (ns_dhcp && dhcp_start(&ns_netif) != ERR_OK)
		return -1;
	if (cf->stat_port != 0 && stats_listen(cf->stat_port) != 0)
		return -1;
	if (!rt_log_on(CAPOS_LOG_DEBUG))
		return 0;
	rt_printf("[%s] up, mac %02x:%02x:%02x:%02x:%02x:%02x, ",
	    ns_name, ns_mac[0], ns_mac[1], ns_mac[2], ns_mac[3], ns_mac[4],
	    ns_mac[5]);
	if (ns_dhcp) {
		rt_printf("dhcp");
	} else {
		print_ip("address ", cf->ip);
		print_ip(" netmask ", cf->mask);
	}
	rt_printf(", %d endpoint(s), keepalive %u,%u,%u s, "
	    "zero window give-up %u s\n", ns_neps,
	    ns_life.keep_idle_ms / 1000, ns_life.keep_intvl_ms / 1000,
	    ns_life.keep_cnt, ns_life.zero_window_ms / 1000);
	return 0;
}

/* ---- The loop ---- */

static void
report(void)
{
	rt_debug("[%s] done: frames in %llu out %llu, "
	    "bad %llu, bad slots %llu, dropped %llu, calls %llu, "
	    "deferred %llu, "
	    "overloaded %llu, lwIP drops: link %u ip %u tcp %u, "
	    "receive retries %llu, zero-window stalls %llu, reclaimed: idle "
	    "%llu zero window %llu accept queue %llu, timed out %llu, "
	    "open: sockets %d listeners %d\n", ns_name,
	    (unsigned long long)ns_stats.rx_frames,
	    (unsigned long long)ns_stats.tx_frames,
	    (unsigned long long)ns_stats.rx_bad,
	    (unsigned long long)ns_stats.bad_slots,
	    (unsigned long long)ns_stats.tx_dropped,
	    (unsigned long long)ns_stats.calls,
	    (unsigned long long)ns_stats.deferred,
	    (unsigned long long)ns_stats.overloaded,
	    (unsigned)lwip_stats.link.drop, (unsigned)lwip_stats.ip.drop,
	    (unsigned)lwip_stats.tcp.drop,
	    (unsigned long long)ns_stats.rx_retries,
	    (unsigned long long)ns_stats.zw_stalls,
	    (unsigned long long)ns_stats.reclaimed[R_IDLE],
	    (unsigned long long)ns_stats.reclaimed[R_ZERO_WINDOW],
	    (unsigned long long)ns_stats.reclaimed[R_ACCEPT_QUEUE],
	    (unsigned long long)ns_stats.timed_out, obj_open_sockets(),
	    obj_open_listeners());
}

static void
loop(void)
{
	enum { W_EP, W_RX, W_TX, W_TICK };
	uint64_t tags[NS_MAX_EPS + 3];
	int what[NS_MAX_EPS + 3], arg[NS_MAX_EPS + 3];
	uint64_t linger = 0;

	for (;;) {
		struct capos_cqe c;
		uint64_t t;
		int n = 0, k, live = 0;

		for (int i = 0; i < ns_neps; i++) {
			if (!ns_eps[i].armed)
				continue;
			tags[n] = ns_eps[i].tag, what[n] = W_EP, arg[n++] = i;
			live++;
		}
		/* No client can call any more: the work is done once the
		 * connections they closed last have their data and FIN out
		 * and acknowledged (ending before would leave the peer's end
		 * open, waiting for a FIN never sent), or after LINGER_TICKS. */
		if (live == 0 && ((!life_sending() && nic_tx_idle()) ||
		    linger >= LINGER_TICKS))
			return;
		if (nic_rx_armed(&t))
			tags[n] = t, what[n++] = W_RX;
		if (nic_tx_armed(&t))
			tags[n] = t, what[n++] = W_TX;
		if (tick_armed)
			tags[n] = tick_tag, what[n++] = W_TICK;
		if ((k = rt_wait_any(tags, n, &c)) < 0) {
			rt_printf("[%s] ring failed: %s\n", ns_name,
			    rt_strerror(k));
			return;
		}
		switch (what[k]) {
		case W_EP:
			handle_call(arg[k], &c);
			break;
		case W_RX:
			nic_rx_done(&c);
			break;
		case W_TX:
			nic_tx_done(&c);
			break;
		case W_TICK:
			if (live == 0)
				linger++;
			tick_armed = false;
			nic_tick();
			obj_tick();
			tick_arm();
			break;
		}
		sys_check_timeouts();
		obj_service();
		nic_flush();
	}
}

int
main(void)
{
	capos_cap_t nic = rt_cap("nic", capos_Nic_INTERFACE_ID);
	struct config cf;
	int rc;

	ns_name = rt_start()->name;
	memset(&cf, 0, sizeof(cf));
	ns_eps[0].name = "net";
	ns_eps[0].owner = rt_cap("net", capos_Endpoint_INTERFACE_ID);
	ns_neps = 1;
	if (ns_eps[0].owner == CAPOS_CAP_NULL || nic == CAPOS_CAP_NULL) {
		rt_printf("[%s] needs \"net\" and \"nic\"\n", ns_name);
		return 1;
	}
	if (!parse_args(&cf))
		return 1;
	/* Without entropy sequence numbers are guessable: refuse. */
	if ((rc = port_init(rt_cap("entropy", capos_Entropy_INTERFACE_ID)))) {
		rt_printf("[%s] no entropy (%s); not starting\n",
		    ns_name, rt_strerror(rc));
		return 1;
	}
	if ((rc = rt_timer_notify(TICK_NS, TICK_NS, &tick_cap)) != 0) {
		rt_printf("[%s] no timer (%s)\n", ns_name,
		    rt_strerror(rc));
		return 1;
	}
	if ((rc = nic_start(nic)) != 0) {
		rt_printf("[%s] Nic failed: %s\n", ns_name,
		    rt_strerror(rc));
		return 1;
	}
	if (net_up(&cf) != 0) {
		rt_printf("[%s] lwIP set-up failed\n", ns_name);
		return 1;
	}
	tick_arm();
	for (int i = 0; i < ns_neps; i++)
		if (arm_recv(i) != 0)
			return 1;
	loop();
	report();
	return 0;
}
