/*
 * The test bench of net.h, and the host's side of the port that
 * services/netstack/arch declares: a virtual clock, deterministic
 * randomness, and assertions that stop the run.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/memp.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#include "arch/hooks.h"
#include "net.h"
#include "test.h"

struct netif net_a, net_b;
ip4_addr_t net_ip_a, net_ip_b;
const uint8_t net_mac_a[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a };
const uint8_t net_mac_b[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b };

/* ---- The port ---- */

static uint32_t clock_ms;
static uint64_t rand_state = 0x9e3779b97f4a7c15u;

u32_t
sys_now(void)
{
	return clock_ms;
}

uint32_t
capos_lwip_rand(void)
{
	return (uint32_t)(net_random(&rand_state) >> 32);
}

/*
 * RFC 6528's shape with a fixed key: a 4-microsecond clock plus a hash of
 * the four-tuple. The tests need distinct, well-spread numbers, not secret
 * ones.
 */
u32_t
capos_lwip_tcp_isn(const ip_addr_t *local_ip, u16_t local_port,
    const ip_addr_t *remote_ip, u16_t remote_port)
{
	uint64_t h = 0x5bd1e9955bd1e995u;

	h ^= ((uint64_t)ip4_addr_get_u32(local_ip) << 32) |
	    ip4_addr_get_u32(remote_ip);
	h = net_random(&h);
	h ^= ((uint64_t)local_port << 16) | remote_port;
	h = net_random(&h);
	return (u32_t)(h >> 32) + clock_ms * 250u;
}

void
capos_lwip_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* The run.py wrapper reports a runner that dies as a failure. */
void
capos_lwip_assert(const char *msg, const char *file, int line)
{
	printf("    lwIP assertion failed at %s:%d: %s\n", file, line, msg);
	fflush(stdout);
	abort();
}

uint64_t
net_random(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1du;
}

/* ---- The wire ---- */

struct wire_frame {
	struct netif *to;
	uint16_t len;
	uint8_t data[NET_FRAME_MAX];
};

static struct wire_frame wire[NET_WIRE_FRAMES];
static size_t wire_head, wire_count;
static struct wire_frame held;		/* a NET_DELAY frame */
static bool have_held;
static uint64_t carried, overflows;
static unsigned frames_this_ms;
static net_filter_fn filter;
static void *filter_arg;

/* Each frame takes 10 us of virtual time, so a busy wire still ages. */
#define FRAMES_PER_MS	100

static err_t
wire_output(struct netif *from, struct pbuf *p)
{
	struct wire_frame *f;

	if (p->tot_len > NET_FRAME_MAX) {
		LINK_STATS_INC(link.lenerr);
		LINK_STATS_INC(link.drop);
		return ERR_IF;
	}
	if (wire_count == NET_WIRE_FRAMES) {
		overflows++;
		LINK_STATS_INC(link.drop);
		return ERR_OK;
	}
	f = &wire[(wire_head + wire_count) % NET_WIRE_FRAMES];
	f->to = from == &net_a ? &net_b : &net_a;
	f->len = pbuf_copy_partial(p, f->data, p->tot_len, 0);
	wire_count++;
	carried++;
	LINK_STATS_INC(link.xmit);
	return ERR_OK;
}

/*
 * Received frames live in buffers of exactly their own size (never less
 * than NET_FRAME_MIN) plus NET_RX_TAILROOM, so that ASan reports any read
 * lwIP makes past the end of a frame; a pool pbuf would hide it inside its
 * 1.5 KiB.
 */
struct rx_buf {
	struct pbuf_custom pc;
	uint8_t data[];
};

static void
rx_buf_free(struct pbuf *p)
{
	free((struct rx_buf *)(void *)p);
}

void
net_inject(struct netif *to, const void *frame, size_t len)
{
	size_t n = len < NET_FRAME_MIN ? NET_FRAME_MIN : len;
	struct rx_buf *b;
	struct pbuf *p;

	if (len > NET_FRAME_MAX) {
		LINK_STATS_INC(link.lenerr);
		LINK_STATS_INC(link.drop);
		return;
	}
	b = calloc(1, sizeof(*b) + n + NET_RX_TAILROOM);
	if (b == NULL) {
		printf("    out of host memory\n");
		abort();
	}
	memcpy(b->data, frame, len);
	b->pc.custom_free_function = rx_buf_free;
	p = pbuf_alloced_custom(PBUF_RAW, (u16_t)n, PBUF_REF, &b->pc, b->data,
	    (u16_t)n);
	LINK_STATS_INC(link.recv);
	if (to->input(p, to) != ERR_OK)
		pbuf_free(p);
}

static void
tick(void)
{
	if (++frames_this_ms == FRAMES_PER_MS) {
		frames_this_ms = 0;
		clock_ms++;
		sys_check_timeouts();
	}
}

/* Take the next frame off the wire and let the filter decide on it. */
static void
deliver_next(void)
{
	struct wire_frame f = wire[wire_head];
	enum net_verdict v = NET_DELIVER;

	wire_head = (wire_head + 1) % NET_WIRE_FRAMES;
	wire_count--;
	if (filter != NULL)
		v = filter(f.to, f.data, f.len, filter_arg);
	switch (v) {
	case NET_DROP:
		break;
	case NET_DUPLICATE:
		net_inject(f.to, f.data, f.len);
		net_inject(f.to, f.data, f.len);
		break;
	case NET_DELAY:
		if (!have_held) {
			held = f;
			have_held = true;
			return;
		}
		net_inject(f.to, f.data, f.len);
		break;
	case NET_DELIVER:
		net_inject(f.to, f.data, f.len);
		break;
	}
	if (have_held) {
		have_held = false;
		net_inject(held.to, held.data, held.len);
	}
}

bool
net_run(bool (*done)(void *arg), void *arg, uint32_t limit_ms)
{
	uint32_t start = clock_ms, left, sleep;

	for (;;) {
		if (done != NULL && done(arg))
			return true;
		if (clock_ms - start >= limit_ms)
			return false;
		if (wire_count > 0) {
			deliver_next();
			tick();
			continue;
		}
		if (have_held) {
			have_held = false;
			net_inject(held.to, held.data, held.len);
			continue;
		}
		/* Idle: jump to lwIP's next timer, but not past the limit. */
		left = limit_ms - (clock_ms - start);
		sleep = sys_timeouts_sleeptime();
		if (sleep > left)
			sleep = left;
		clock_ms += sleep;
		frames_this_ms = 0;
		sys_check_timeouts();
	}
}

void
net_set_filter(net_filter_fn fn, void *arg)
{
	filter = fn;
	filter_arg = arg;
}

bool
net_wire_idle(void *unused)
{
	(void)unused;
	return wire_count == 0 && !have_held;
}

uint64_t
net_frames_carried(void)
{
	return carried;
}

uint64_t
net_wire_overflows(void)
{
	return overflows;
}

/* ---- Bring-up ---- */

static err_t
netif_setup(struct netif *nif)
{
	const uint8_t *mac = nif == &net_a ? net_mac_a : net_mac_b;

	nif->name[0] = 'e';
	nif->name[1] = nif == &net_a ? 'a' : 'b';
	nif->output = etharp_output;
	nif->linkoutput = wire_output;
	nif->mtu = 1500;
	nif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(nif->hwaddr, mac, ETH_HWADDR_LEN);
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP |
	    NETIF_FLAG_ETHERNET;
	return ERR_OK;
}

static mem_size_t baseline_memp[MEMP_MAX];
static mem_size_t baseline_heap;

static const char *const memp_names[MEMP_MAX] = {
#define LWIP_MEMPOOL(name, num, size, desc) #name,
#include "lwip/priv/memp_std.h"
};

static void
add_netif(struct netif *nif, ip4_addr_t *ip, int host)
{
	ip4_addr_t mask, gw;

	IP4_ADDR(ip, 10, 0, 0, host);
	IP4_ADDR(&mask, 255, 255, 255, 0);
	ip4_addr_set_zero(&gw);
	if (netif_add(nif, ip, &mask, &gw, NULL, netif_setup,
	    ethernet_input) == NULL) {
		printf("    netif_add failed\n");
		abort();
	}
	netif_set_up(nif);
	netif_set_link_up(nif);
}

void
net_setup(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	lwip_init();
	add_netif(&net_a, &net_ip_a, 1);
	add_netif(&net_b, &net_ip_b, 2);
	for (int i = 0; i < MEMP_MAX; i++)
		baseline_memp[i] = lwip_stats.memp[i]->used;
	baseline_heap = lwip_stats.mem.used;
}

static bool
settled(void *arg)
{
	(void)arg;
	for (int i = 0; i < MEMP_MAX; i++)
		if (lwip_stats.memp[i]->used != baseline_memp[i])
			return false;
	return lwip_stats.mem.used == baseline_heap;
}

bool
net_settle(const char *file, int line)
{
	if (net_run(settled, NULL, 10 * 60 * 1000))
		return true;
	for (int i = 0; i < MEMP_MAX; i++)
		if (lwip_stats.memp[i]->used != baseline_memp[i])
			test_fail(file, line, "pool %s: %u in use, %u at start",
			    memp_names[i], (unsigned)lwip_stats.memp[i]->used,
			    (unsigned)baseline_memp[i]);
	if (lwip_stats.mem.used != baseline_heap)
		test_fail(file, line, "heap: %u bytes in use, %u at start",
		    (unsigned)lwip_stats.mem.used, (unsigned)baseline_heap);
	return false;
}

/* ---- Checksums for hand-built frames ---- */

uint32_t
net_sum(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len >= 2; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len == 1)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

uint16_t
net_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}
